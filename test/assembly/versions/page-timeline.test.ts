/**
 * PageTimeline on the pos-wal sample: the settlement that deleted batch 000012 rewrote some of
 * the ledger's leaves and freed others without rewriting them; the timeline sees both.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryPageReader } from '../../../src/formats/sqlite/page-reader.js';
import { parseDatabaseHeader } from '../../../src/formats/sqlite/parse-header.js';
import { parseWal } from '../../../src/formats/wal/parse-wal.js';
import { filePath } from '../../../src/provenance/path.js';
import { readSchema } from '../../../src/recovery/database.js';
import { assembleWalTransactions } from '../../../src/assembly/wal-transactions.js';
import { BtreeOwnership, ownersFromSchema } from '../../../src/assembly/versions/btree-ownership.js';
import type { PageOverlaySnapshot } from '../../../src/assembly/versions/page-images.js';
import { PageTimeline } from '../../../src/assembly/versions/page-timeline.js';

const database = new Uint8Array(readFileSync('samples/pos-wal/trans.db'));
const walBytes = new Uint8Array(readFileSync('samples/pos-wal/trans.db-wal'));

function timeline() {
  const base = new MemoryPageReader(database, 4096);
  const header = parseDatabaseHeader(database, 0, filePath('trans.db'));
  if (header.kind !== 'parsed') throw new Error('header');
  const schema = readSchema(base, header.value, filePath('trans.db'), 'trans.db');
  const ownership = new BtreeOwnership(header.value.usableSize, ownersFromSchema(schema.entries));
  const visited = new Set<number>();
  for (const root of [...ownership.roots.keys()].sort((a, b) => a - b)) ownership.addTree(base, root, visited);
  const overlays: PageOverlaySnapshot[] = [];
  const wal = parseWal(walBytes, 0, filePath('trans.db-wal'));
  if (wal.kind !== 'parsed') throw new Error('wal');
  const line = new PageTimeline({
    base,
    baseIsPredecessor: true,
    pageSize: 4096,
    log: { read: (offset, length) => walBytes.subarray(offset, offset + length) },
    ownership,
    overlays,
    readSchema: (reader) => ({ entries: readSchema(reader, header.value, filePath('trans.db'), 'trans.db').entries }),
    rootsOf: ownersFromSchema,
  });
  return { line, wal: wal.value, assembly: assembleWalTransactions(wal.value.header, wal.value.frames) };
}

describe('PageTimeline', () => {
  it('replays every transaction; the settlement DELETE releases the leaves it freed without rewriting them', () => {
    const { line, wal, assembly } = timeline();
    const moved: { transaction: number; page: number; before: string | undefined; after: string | undefined }[] = [];
    for (const transaction of assembly.transactions) {
      const applied = line.apply(
        transaction.frameNumbers.map((frameNumber) => {
          const frame = wal.frames[frameNumber - 1];
          if (frame === undefined) throw new Error('frame');
          return { versionNumber: frameNumber, pageNumber: frame.pageNumber, fileOffset: frame.pageOffset, pageType: walBytes[frame.pageOffset + (frame.pageNumber === 1 ? 100 : 0)] ?? 0 };
        }),
      );
      for (const page of applied.pages) {
        if (page.change === 'moved') moved.push({ transaction: transaction.transactionIndex + 1, page: page.pageNumber, before: page.ownerBefore?.name, after: page.ownerAfter?.name });
      }
      if (transaction.transactionIndex === 41) {
        // wal:1.42 rewrote page 1 (freelist header), the ledger's interior page 6 and some leaves.
        expect(applied.schemaChanged).toBe(true);
        const written = applied.pages.filter((page) => page.change === 'written');
        expect(written.map((page) => page.pageNumber)).toEqual([1, 6, 7, 8, 9, 12, 13, 14, 16]);
        expect(written.find((page) => page.pageNumber === 13)).toMatchObject({ ownerBefore: { name: 'trans_record' }, ownerAfter: undefined, before: { kind: 'log' } });
      }
    }
    expect(moved.filter((entry) => entry.transaction === 42)).toEqual([
      { transaction: 42, page: 15, before: 'trans_record', after: undefined },
      { transaction: 42, page: 17, before: 'trans_record', after: undefined },
    ]);
    // A page never written in the WAL is still the main file's.
    expect(line.currentRef(3)).toEqual({ kind: 'base' });
    expect(line.currentRef(99)).toEqual({ kind: 'absent' });
    expect(line.overlaySnapshot().size).toBe(16);
  });

  it('a timeline whose base is not its predecessor knows no earlier version', () => {
    const base = new MemoryPageReader(database, 4096);
    const line = new PageTimeline({
      base,
      baseIsPredecessor: false,
      pageSize: 4096,
      log: { read: () => new Uint8Array(0) },
      ownership: new BtreeOwnership(4096),
      overlays: [],
      readSchema: () => undefined,
      rootsOf: ownersFromSchema,
    });
    expect(line.currentRef(2)).toEqual({ kind: 'unknown' });
  });
});
