import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isInteriorType, parseBtreePage } from '../../../src/formats/sqlite/parse-page.js';
import { extendPath, filePath } from '../../../src/provenance/path.js';
import { btreePage, btreePageWithOffsets, record, sqliteHeader, tableInteriorCell, tableLeafCell } from '../../../samples/lib/sqlite-bytes.js';
import { concat, noise, withNoise } from '../../support/bytes.js';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../../support/sqlite3.js';

const path = extendPath(filePath('evidence.bin'), { kind: 'sqlite-page', pageNumber: 2, pageSize: 512 });

const cells = [tableLeafCell(1, record([null, 'alpha', 100])), tableLeafCell(2, record([null, 'beta', -7])), tableLeafCell(300, record([null, 'gamma', { real: 1.5 }]))];
const leaf = btreePageWithOffsets({ type: 0x0d, cells });

describe('parseBtreePage', () => {
  it('parses a table-leaf header and its cell pointers', () => {
    const outcome = parseBtreePage(leaf.bytes, 0, 0, 512, path);
    expect(outcome).toEqual({
      kind: 'parsed',
      value: {
        type: 0x0d,
        headerOffsetInPage: 0,
        firstFreeblockOffsetInPage: 0,
        cellCount: 3,
        cellContentStartInPage: leaf.contentStart,
        fragmentedFreeByteCount: 0,
        rightChildPageNumber: 0,
        cellPointerArrayEndInPage: 14,
        cellOffsetsInPage: leaf.cellOffsets,
      },
      issues: [],
    });
  });

  it('parses every page type with the right header size and right child', () => {
    for (const type of [0x02, 0x05, 0x0a, 0x0d]) {
      const interior = isInteriorType(type as 0x02);
      const built = btreePageWithOffsets({ type, cells: [tableInteriorCell(3, 9)], rightChild: 0xfedcba98, firstFreeblock: 0x1f0, fragmentedBytes: 60 });
      const outcome = parseBtreePage(built.bytes, 0, 0, 512, path);
      expect(outcome).toMatchObject({
        kind: 'parsed',
        value: { type, rightChildPageNumber: interior ? 0xfedcba98 : 0, cellPointerArrayEndInPage: (interior ? 12 : 8) + 2, firstFreeblockOffsetInPage: 0x1f0, fragmentedFreeByteCount: 60 },
        issues: [],
      });
    }
    expect([0x02, 0x05, 0x0a, 0x0d].map((type) => isInteriorType(type as 0x02))).toEqual([true, true, false, false]);
  });

  it('parses page 1 with its header at offset 100 (cell offsets still count from the page start)', () => {
    const page = btreePageWithOffsets({ type: 0x0d, cells, headerOffset: 100, prefix: sqliteHeader() });
    expect(parseBtreePage(page.bytes, 0, 100, 512, path)).toMatchObject({
      kind: 'parsed',
      value: { headerOffsetInPage: 100, cellPointerArrayEndInPage: 114, cellOffsetsInPage: page.cellOffsets },
      issues: [],
    });
  });

  it('reads a content-start field of 0 as 65536 on a 65536-byte page', () => {
    const page = btreePage({ type: 0x0d, pageSize: 65_536 });
    expect(parseBtreePage(page, 0, 0, 65_536, path)).toMatchObject({ kind: 'parsed', value: { cellContentStartInPage: 65_536, cellCount: 0 }, issues: [] });
  });

  it('keeps the usable size as the bound when the page has reserved bytes', () => {
    const page = btreePageWithOffsets({ type: 0x0d, cells, usableSize: 480 });
    expect(parseBtreePage(page.bytes, 0, 0, 480, path)).toMatchObject({ kind: 'parsed', value: { cellOffsetsInPage: page.cellOffsets }, issues: [] });
  });

  it('parses the same page at a non-zero offset inside noise, reporting absolute offsets', () => {
    const pageStart = 0x2a0;
    const damaged = btreePage({ type: 0x0d, cells, cellPointers: [leaf.cellOffsets[0] ?? 0, 0x0003, leaf.cellOffsets[2] ?? 0], fragmentedBytes: 61 });
    const bytes = withNoise(pageStart, damaged);
    const outcome = parseBtreePage(bytes, pageStart, 0, 512, path);
    expect(outcome).toEqual({
      kind: 'parsed',
      value: expect.objectContaining({ cellOffsetsInPage: [leaf.cellOffsets[0], leaf.cellOffsets[2]] }),
      issues: [
        { code: 'sqlite.page.fragmented-bytes', severity: 'warning', message: 'B-tree page at 0x000002a0: 61 fragmented bytes (> 60)', path, offsetInLeaf: pageStart + 7, details: { value: 61 } },
        { code: 'sqlite.page.cell-pointer-out-of-range', severity: 'warning', message: 'B-tree page at 0x000002a0: cell pointer 1 = 0x0003 outside [14, 512)', path, offsetInLeaf: pageStart + 10, details: { value: 3 } },
      ],
    });
  });

  describe('guards and issue codes', () => {
    it('is not this format when the type byte is not 2, 5, 10 or 13', () => {
      for (const type of [0x00, 0x01, 0x03, 0x04, 0x06, 0x0b, 0x0c, 0x0e, 0x0f, 0x80, 0xff]) {
        expect(parseBtreePage(btreePage({ type, cells }), 0, 0, 512, path)).toEqual({ kind: 'not-this-format' });
      }
    });

    it('reports sqlite.page.truncated on an empty page and past the end', () => {
      expect(parseBtreePage(new Uint8Array(0), 0, 0, 512, path)).toEqual({
        kind: 'malformed',
        issues: [{ code: 'sqlite.page.truncated', severity: 'error', message: 'B-tree page header at 0x00000000: page is empty', path, offsetInLeaf: 0 }],
      });
      expect(parseBtreePage(noise(150), 50, 100, 512, path)).toEqual({
        kind: 'malformed',
        issues: [{ code: 'sqlite.page.truncated', severity: 'error', message: 'B-tree page header at 0x00000096: page is empty', path, offsetInLeaf: 150 }],
      });
    });

    it('reports sqlite.page.truncated one byte short of a leaf and of an interior header', () => {
      expect(parseBtreePage(concat(noise(9), leaf.bytes.subarray(0, 7)), 9, 0, 512, path)).toEqual({
        kind: 'malformed',
        issues: [{ code: 'sqlite.page.truncated', severity: 'error', message: 'B-tree page header at 0x00000009: needs 8 bytes, 7 available', path, offsetInLeaf: 9 }],
      });
      const interior = btreePage({ type: 0x05, rightChild: 3 });
      expect(parseBtreePage(interior.subarray(0, 11), 0, 0, 512, path)).toEqual({
        kind: 'malformed',
        issues: [{ code: 'sqlite.page.truncated', severity: 'error', message: 'B-tree page header at 0x00000000: needs 12 bytes, 11 available', path, offsetInLeaf: 0 }],
      });
      expect(parseBtreePage(interior.subarray(0, 12), 0, 0, 512, path).kind).toBe('parsed');
    });

    it('warns sqlite.page.truncated when the bytes end inside the cell-pointer array', () => {
      const outcome = parseBtreePage(withNoise(32, leaf.bytes).subarray(0, 32 + 11), 32, 0, 512, path);
      expect(outcome).toEqual({
        kind: 'parsed',
        value: expect.objectContaining({ cellCount: 3, cellOffsetsInPage: [leaf.cellOffsets[0]] }),
        issues: [
          { code: 'sqlite.page.truncated', severity: 'warning', message: 'B-tree page at 0x00000020: cell pointer array cut at 0x0000002b; 1 of 3 pointers read', path, offsetInLeaf: 43 },
        ],
      });
    });

    it('reports sqlite.page.cell-count-invalid when the pointer array would pass the usable size', () => {
      const page = btreePage({ type: 0x0d, cellCountField: 253 });
      expect(parseBtreePage(withNoise(512, page), 512, 0, 512, path)).toEqual({
        kind: 'malformed',
        issues: [
          {
            code: 'sqlite.page.cell-count-invalid',
            severity: 'error',
            message: 'B-tree page at 0x00000200: cell count 253 needs a pointer array up to 514, beyond the usable size 512',
            path,
            offsetInLeaf: 515,
            details: { value: 253 },
          },
        ],
      });
      // 252 pointers end exactly at the usable size: accepted (the pointers themselves are then checked).
      expect(parseBtreePage(btreePage({ type: 0x0d, cellCountField: 252 }), 0, 0, 512, path).kind).toBe('parsed');
      expect(parseBtreePage(btreePage({ type: 0x0d, cellCountField: 0xffff }), 0, 0, 512, path)).toMatchObject({ kind: 'malformed', issues: [{ code: 'sqlite.page.cell-count-invalid' }] });
    });

    it('warns sqlite.page.content-start-invalid below the pointer array and above the usable size', () => {
      const low = parseBtreePage(btreePage({ type: 0x0d, cells, contentStartField: 13 }), 0, 0, 512, path);
      expect(low).toMatchObject({ kind: 'parsed' });
      if (low.kind !== 'parsed') return;
      expect(low.issues).toEqual([
        { code: 'sqlite.page.content-start-invalid', severity: 'warning', message: 'B-tree page at 0x00000000: cell content start 13 outside [14, 512]', path, offsetInLeaf: 5, details: { value: 13 } },
      ]);
      const high = parseBtreePage(withNoise(4, btreePage({ type: 0x0d, cells, contentStartField: 513 })), 4, 0, 512, path);
      expect(high).toMatchObject({
        kind: 'parsed',
        issues: [{ code: 'sqlite.page.content-start-invalid', message: 'B-tree page at 0x00000004: cell content start 513 outside [14, 512]', offsetInLeaf: 9 }],
      });
      // Field 0 means 65536: invalid on a 512-byte page with cells.
      expect(parseBtreePage(btreePage({ type: 0x0d, cells, contentStartField: 0 }), 0, 0, 512, path)).toMatchObject({
        kind: 'parsed',
        issues: [{ code: 'sqlite.page.content-start-invalid', message: 'B-tree page at 0x00000000: cell content start 65536 outside [14, 512]' }],
      });
      // An empty page may have any content start.
      expect(parseBtreePage(btreePage({ type: 0x0d, contentStartField: 0 }), 0, 0, 512, path)).toMatchObject({ kind: 'parsed', issues: [] });
    });

    it('warns sqlite.page.fragmented-bytes above 60 only', () => {
      expect(parseBtreePage(btreePage({ type: 0x0d, cells, fragmentedBytes: 60 }), 0, 0, 512, path)).toMatchObject({ kind: 'parsed', issues: [] });
      expect(parseBtreePage(btreePage({ type: 0x0d, cells, fragmentedBytes: 255 }), 0, 0, 512, path)).toMatchObject({
        kind: 'parsed',
        issues: [{ code: 'sqlite.page.fragmented-bytes', severity: 'warning', message: 'B-tree page at 0x00000000: 255 fragmented bytes (> 60)', offsetInLeaf: 7, details: { value: 255 } }],
      });
    });

    it('drops cell pointers inside the header or pointer array, at or past the usable size', () => {
      const page = btreePage({ type: 0x0d, cells, cellPointers: [13, 512, 0xffff], usableSize: 512 });
      const outcome = parseBtreePage(page, 0, 0, 512, path);
      expect(outcome).toMatchObject({ kind: 'parsed', value: { cellOffsetsInPage: [] } });
      if (outcome.kind !== 'parsed') return;
      expect(outcome.issues.map((problem) => [problem.code, problem.message, problem.offsetInLeaf])).toEqual([
        ['sqlite.page.cell-pointer-out-of-range', 'B-tree page at 0x00000000: cell pointer 0 = 0x000d outside [14, 512)', 8],
        ['sqlite.page.cell-pointer-out-of-range', 'B-tree page at 0x00000000: cell pointer 1 = 0x0200 outside [14, 512)', 10],
        ['sqlite.page.cell-pointer-out-of-range', 'B-tree page at 0x00000000: cell pointer 2 = 0xffff outside [14, 512)', 12],
      ]);
      // With reserved bytes, a pointer into the trailer is out of range too.
      const reserved = btreePage({ type: 0x0d, cells: [tableLeafCell(1, record(['x']))], usableSize: 480 });
      const pointer = parseBtreePage(reserved, 0, 0, 480, path);
      expect(pointer).toMatchObject({ kind: 'parsed', issues: [] });
      const intoTrailer = btreePage({ type: 0x0d, cells: [tableLeafCell(1, record(['x']))], cellPointers: [490], usableSize: 480 });
      expect(parseBtreePage(intoTrailer, 0, 0, 480, path)).toMatchObject({ kind: 'parsed', issues: [{ code: 'sqlite.page.cell-pointer-out-of-range', message: 'B-tree page at 0x00000000: cell pointer 0 = 0x01ea outside [10, 480)' }] });
    });
  });

  describe('mutation sweep', () => {
    const codes = new Set(['sqlite.page.truncated', 'sqlite.page.cell-count-invalid', 'sqlite.page.content-start-invalid', 'sqlite.page.fragmented-bytes', 'sqlite.page.cell-pointer-out-of-range']);

    function check(bytes: Uint8Array, pageStart: number, headerOffset: number, usableSize: number): string {
      const outcome = parseBtreePage(bytes, pageStart, headerOffset, usableSize, path);
      if (outcome.kind === 'not-this-format') return outcome.kind;
      for (const problem of outcome.issues) {
        expect(codes.has(problem.code)).toBe(true);
        expect(problem.offsetInLeaf).toBeGreaterThanOrEqual(pageStart);
        expect(problem.offsetInLeaf).toBeLessThanOrEqual(pageStart + usableSize);
      }
      if (outcome.kind === 'parsed') {
        for (const offset of outcome.value.cellOffsetsInPage) {
          expect(offset).toBeGreaterThanOrEqual(Math.min(outcome.value.cellPointerArrayEndInPage, usableSize));
          expect(offset).toBeLessThan(usableSize);
        }
      }
      return outcome.kind;
    }

    function sweep(page: Uint8Array, headerOffset: number): void {
      const type = page[headerOffset] as number;
      const headerSize = type === 0x02 || type === 0x05 ? 12 : 8;
      const pageStart = 17;
      const framed = withNoise(pageStart, page);
      for (let length = 0; length <= page.length; length++) {
        const kind = check(framed.subarray(0, pageStart + length), pageStart, headerOffset, page.length);
        expect(kind).toBe(length < headerOffset + headerSize ? 'malformed' : 'parsed');
      }
      for (let index = 0; index < page.length; index++) {
        for (const value of [0x00, 0xff]) {
          const mutated = framed.slice();
          mutated[pageStart + index] = value;
          const kind = check(mutated, pageStart, headerOffset, page.length);
          if (index === headerOffset && value !== type) expect(kind).toBe('not-this-format');
        }
      }
    }

    it('over a built table-leaf and table-interior page', () => {
      sweep(leaf.bytes, 0);
      sweep(btreePage({ type: 0x05, cells: [tableInteriorCell(2, 10), tableInteriorCell(3, 20)], rightChild: 4 }), 0);
    });

    describe.skipIf(!hasSqlite3())('over real pages written by sqlite3', () => {
      const directory = makeTempDir();
      afterAll(() => removeDir(directory));

      it('page 1 (header at 100) and a table leaf and interior page', () => {
        const location = join(directory, 'real.db');
        runSqlite(
          location,
          `PRAGMA page_size=512; CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount INTEGER);
           WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<60) INSERT INTO t SELECT x, 'name ' || x, x * 1000 FROM c;`,
        );
        const file = readFileSync(location);
        const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
        const pageAt = (pageNumber: number): Uint8Array => bytes.slice((pageNumber - 1) * 512, pageNumber * 512);
        const root = parseBtreePage(pageAt(2), 0, 0, 512, path);
        expect(root).toMatchObject({ kind: 'parsed', value: { type: 0x05 }, issues: [] });
        expect(parseBtreePage(pageAt(1), 0, 100, 512, path)).toMatchObject({ kind: 'parsed', value: { type: 0x0d, cellCount: 1 }, issues: [] });
        const child = root.kind === 'parsed' ? root.value.rightChildPageNumber : 0;
        expect(parseBtreePage(pageAt(child), 0, 0, 512, path)).toMatchObject({ kind: 'parsed', value: { type: 0x0d }, issues: [] });
        const started = performance.now();
        sweep(pageAt(1), 100);
        sweep(pageAt(2), 0);
        sweep(pageAt(child), 0);
        expect(performance.now() - started).toBeLessThan(1000);
      });
    });
  });
});
