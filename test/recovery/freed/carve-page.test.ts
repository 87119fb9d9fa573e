/**
 * Tier 1: a table-leaf page built in code with live cells, a deleted cell in the freeblock chain,
 * a deleted cell left in the unallocated gap (SQLite 3.40.1 moves the content start past a cell
 * freed at the start of the content area), stale cell pointers and an undecodable fragment.
 */
import { describe, expect, it } from 'vitest';
import { btreePageWithOffsets, record, tableLeafCell } from '../../../samples/lib/sqlite-bytes.js';
import { formatOffset } from '../../../src/bytes/offsets.js';
import { sha256Hex } from '../../../src/bytes/sha256.js';
import { parseBtreePage } from '../../../src/formats/sqlite/parse-page.js';
import { carveFreedCells } from '../../../src/recovery/freed/carve-page.js';
import { walkFreeblockChain } from '../../../src/recovery/freed/freeblocks.js';
import { freeRegionsOf } from '../../../src/recovery/freed/unallocated.js';
import { databaseImage } from '../../../samples/lib/sqlite-bytes.js';
import { contextOf, pagePathOf, signatureOf, writeFreeblockHeader } from './helpers.js';

const sql = 'CREATE TABLE t (id INTEGER PRIMARY KEY, tid TEXT NOT NULL, amount INTEGER, rate REAL, memo TEXT, flag INTEGER)';
const signature = signatureOf(sql);

function row(rowid: number, memo: string | null, amount = rowid * 10): Uint8Array {
  return tableLeafCell(rowid, record([null, 'A1B2C3D4', amount, rowid % 2 === 0 ? { real: rowid / 4 } : 3, memo, rowid % 2]));
}

/** Page 2 of a two-page image: cells 201..204 inserted in order; 202 deleted (freeblock), 204 deleted at the content start (gap). */
function scenario() {
  const cells = [row(201, 'first memo'), row(202, 'deleted memo, long enough to be distinctive'), row(203, null), row(204, 'lowest cell')];
  const built = btreePageWithOffsets({ type: 0x0d, cells });
  const page = built.bytes;
  const [at201, at202, at203, at204] = built.cellOffsets as [number, number, number, number];
  writeFreeblockHeader(page, at202, 0, (cells[1] as Uint8Array).length);
  writeFreeblockHeader(page, at204, at202, (cells[3] as Uint8Array).length);
  page[1] = at202 >> 8;
  page[2] = at202 & 0xff;
  page[3] = 0;
  page[4] = 2;
  const contentStart = at204 + (cells[3] as Uint8Array).length;
  page[5] = contentStart >> 8;
  page[6] = contentStart & 0xff;
  // Pointer array: 201 and 203 remain; the old entries stay behind in the gap.
  page[8] = at201 >> 8;
  page[9] = at201 & 0xff;
  page[10] = at203 >> 8;
  page[11] = at203 & 0xff;
  // A run of garbage in the gap that decodes as nothing.
  page.set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x7a, 0x79, 0x78, 0x77, 0x76], 40);
  const image = databaseImage([new Uint8Array(512), page]);
  return { page: image.subarray(512), image, at202, at204, cells };
}

describe('carveFreedCells', () => {
  it('recovers the freeblock and gap cells with states, provenance, raw hashes and flags', () => {
    const { page, image, at202, at204, cells } = scenario();
    const path = pagePathOf(2);
    const parsed = parseBtreePage(page, 0, 0, 512, path);
    if (parsed.kind !== 'parsed') throw new Error('page');
    const result = carveFreedCells(page, 2, path, parsed.value, signature, contextOf(image));
    const byOffset = new Map(result.records.map((record) => [record.offsetInPage, record]));
    const freeblock = byOffset.get(at202);
    expect(freeblock).toMatchObject({
      state: 'freeblock',
      status: 'unknown',
      foundBy: 'page-scan',
      rowid: null,
      table: 't',
      pageNumber: 2,
      imageOffset: 512 + at202,
      lengthInBytes: (cells[1] as Uint8Array).length,
      values: [null, 'A1B2C3D4', '2020', '50.5', 'deleted memo, long enough to be distinctive', '0'],
      types: ['null', 'text', 'integer', 'real', 'text', 'integer'],
    });
    expect(freeblock?.flags).toContain('rowid-unknown');
    expect(freeblock?.rawSha256).toBe(sha256Hex(page.subarray(at202, at202 + (cells[1] as Uint8Array).length)));
    expect(freeblock?.confidence.reasons.join(' | ')).toContain(`in a freeblock of the chain [${formatOffset(at202)}`);
    const gap = byOffset.get(at204);
    expect(gap).toMatchObject({ state: 'unallocated-gap', values: [null, 'A1B2C3D4', '2040', '51.0', 'lowest cell', '0'] });
    // The integral real 51.0 came back as a REAL from an integer serial type (REAL affinity).
    expect(result.records).toHaveLength(2);
    const undecoded = result.issues.filter((problem) => problem.code === 'sqlite.freed.undecoded-bytes');
    expect(undecoded.map((problem) => problem.message)).toEqual([`Page 2: 10 bytes at ${formatOffset(40)} in the unallocated gap between the cell-pointer array and the cell content do not decode as records of t`]);
  });

  it('finds nothing on a page whose free space was zeroed (secure_delete)', () => {
    const { page, image, at202, at204, cells } = scenario();
    page.fill(0, at202 + 4, at202 + (cells[1] as Uint8Array).length);
    page.fill(0, 12, at204 + (cells[3] as Uint8Array).length);
    const parsed = parseBtreePage(page, 0, 0, 512, pagePathOf(2));
    if (parsed.kind !== 'parsed') throw new Error('page');
    const result = carveFreedCells(page, 2, pagePathOf(2), parsed.value, signature, contextOf(image));
    expect(result.records).toEqual([]);
  });

  it('walks a freeblock chain safely: a loop stops with an issue', () => {
    const { page, at202, at204 } = scenario();
    // 202's block points back to 204's, which points to 202: a loop.
    page[at202] = at204 >> 8;
    page[at202 + 1] = at204 & 0xff;
    const parsed = parseBtreePage(page, 0, 0, 512, pagePathOf(2));
    if (parsed.kind !== 'parsed') throw new Error('page');
    const chain = walkFreeblockChain(page, parsed.value, 512, pagePathOf(2));
    expect(chain.blocks).toHaveLength(1);
    expect(chain.issues.map((problem) => problem.code)).toEqual(['sqlite.freeblock.not-ascending']);
  });

  it('accounts for every free byte: gap, chain blocks and unreached space', () => {
    const { page, at202, at204, cells } = scenario();
    const parsed = parseBtreePage(page, 0, 0, 512, pagePathOf(2));
    if (parsed.kind !== 'parsed') throw new Error('page');
    const space = freeRegionsOf(page, parsed.value, 512, pagePathOf(2));
    expect(space.regions.map((region) => [region.kind, region.startInPage, region.endInPage])).toEqual([
      ['unallocated-gap', 12, at204 + (cells[3] as Uint8Array).length],
      ['freeblock', at202, at202 + (cells[1] as Uint8Array).length],
    ]);
    // The old pointer entries left after the array point at the deleted cells.
    expect(space.stalePointers).toContain(at204);
  });
});
