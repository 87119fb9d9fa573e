import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryPageReader } from '../../../src/formats/sqlite/page-reader.js';
import { extendPath, filePath, renderPath, toImageOffset } from '../../../src/provenance/path.js';
import { sqliteSchemaTable, unknownTable } from '../../../src/recovery/table-info.js';
import type { PageImageWork } from '../../../src/assembly/versions/page-images.js';
import { decodePageImages, stampLocators } from '../../../src/assembly/versions/page-images.js';
import { sha256Hex } from '../../../src/bytes/sha256.js';

const wal = new Uint8Array(readFileSync('samples/pos-wal/trans.db-wal'));
const database = new Uint8Array(readFileSync('samples/pos-wal/trans.db'));
const images = { read: (offset: number, length: number) => wal.subarray(offset, Math.min(wal.length, offset + length)) };
const pageSize = 4096;
const frameOffset = (frame: number): number => 32 + (frame - 1) * (pageSize + 24);

function work(frame: number, pageNumber: number, overrides: Partial<PageImageWork> = {}): PageImageWork {
  const walPath = filePath('trans.db-wal');
  const framePath = extendPath(walPath, { kind: 'wal-frame', frameIndex: frame, pageNumber, salt1: 1, salt2: 2, pageSize });
  return {
    pageNumber,
    fileOffset: frameOffset(frame) + 24,
    pagePath: extendPath(framePath, { kind: 'sqlite-page', pageNumber, pageSize }),
    tableIndex: 0,
    state: 'wal-committed',
    foundBy: 'wal',
    frameIndex: frame,
    journalRecordIndex: undefined,
    checksum: 'valid',
    transaction: 'wal:1.42',
    overlayIndex: -1,
    confidenceLevel: 'high',
    reasons: ['because'],
    flags: [],
    ...overrides,
  };
}

describe('decodePageImages', () => {
  const sysParam = unknownTable('sys_param', 3, false);

  it("decodes a frame's page like a main-file page and stamps the frame's state, number, checksum and transaction", () => {
    const batch = decodePageImages(images, new MemoryPageReader(database, pageSize), pageSize, {
      databaseName: 'trans.db',
      usableSize: pageSize,
      encoding: 1,
      tables: [sysParam],
      overlays: [],
      images: [work(1, 2)],
    });
    expect(batch.issues).toEqual([]);
    expect(batch.records).toHaveLength(9);
    for (const record of batch.records) {
      expect(record).toMatchObject({ state: 'wal-committed', status: 'unknown', foundBy: 'wal', frameIndex: 1, checksum: 'valid', transaction: 'wal:1.42', table: 'sys_param', pageNumber: 2 });
      expect(record.confidence).toEqual({ level: 'high', reasons: ['because'] });
      expect(renderPath(record.path)).toMatch(/^file:trans\.db-wal > wal-frame#1\(page 2, salts 0x00000001\/0x00000002\) > sqlite-page#2 > cell@/);
      expect(record.imageOffset).toBe(toImageOffset(record.path, 0));
      expect(record.imageOffset).toBe(frameOffset(1) + 24 + record.offsetInPage);
      const at = record.imageOffset as number;
      expect(sha256Hex(wal.subarray(at, at + record.lengthInBytes))).toBe(record.rawSha256);
    }
  });

  it('lowers confidence and adds flags as the image says; page 1 decodes from offset 100', () => {
    const frame = 52; // wal:1.42 rewrote page 1
    const batch = decodePageImages(images, undefined, pageSize, {
      databaseName: 'trans.db',
      usableSize: pageSize,
      encoding: 1,
      tables: [sqliteSchemaTable],
      overlays: [],
      images: [work(frame, 1, { confidenceLevel: 'medium', flags: ['checksum-bad'], checksum: 'invalid' })],
    });
    expect(batch.records.length).toBe(10);
    expect(batch.records.every((record) => record.confidence.level === 'medium' && record.flags.includes('checksum-bad') && record.checksum === 'invalid')).toBe(true);
  });

  it('an image without a table, out of the file, or not a b-tree page gives nothing and never throws', () => {
    const batch = decodePageImages(images, undefined, pageSize, {
      databaseName: 'trans.db',
      usableSize: pageSize,
      encoding: 1,
      tables: [sysParam],
      overlays: [],
      images: [work(1, 2, { tableIndex: -1 }), work(1, 2, { fileOffset: wal.length + 10 }), work(1, 2, { fileOffset: 0 })],
    });
    expect(batch.records).toEqual([]);
  });

  it('deferLocators leaves frame, checksum and transaction to stampLocators, which finds each record\'s image across a worker boundary', () => {
    const parameters = { deferLocators: true, databaseName: 'trans.db', usableSize: pageSize, encoding: 1 as const, tables: [sysParam], overlays: [], images: [work(1, 2), work(16, 2, { transaction: 'wal:1.7' })] };
    const batch = decodePageImages(images, undefined, pageSize, parameters);
    expect(batch.records.length).toBeGreaterThan(9);
    expect(batch.records.every((record) => record.frameIndex === undefined && record.checksum === undefined && record.transaction === undefined)).toBe(true);
    // As the pool returns them: equal paths, not the same objects.
    const crossed = structuredClone(batch.records);
    stampLocators(crossed, parameters.images);
    expect(crossed.slice(0, 9).every((record) => record.frameIndex === 1 && record.transaction === 'wal:1.42' && record.checksum === 'valid')).toBe(true);
    expect(crossed.slice(9).every((record) => record.frameIndex === 16 && record.transaction === 'wal:1.7')).toBe(true);
  });
});
