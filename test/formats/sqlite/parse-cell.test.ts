import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePayloadCell, parseTableInteriorCell } from '../../../src/formats/sqlite/parse-cell.js';
import { parseBtreePage } from '../../../src/formats/sqlite/parse-page.js';
import { filePath } from '../../../src/provenance/path.js';
import { btreePageWithOffsets, indexInteriorCell, indexLeafCell, record, tableInteriorCell, tableLeafCell, varint } from '../../../samples/lib/sqlite-bytes.js';
import { concat, hex, noise, withNoise } from '../../support/bytes.js';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../../support/sqlite3.js';

const payload = record([null, 'A1B2C3D4', 12_345]);
const path = filePath('evidence.bin');

describe('parsePayloadCell', () => {
  it('parses a table-leaf cell: payload size, rowid, local payload, no overflow', () => {
    const cell = tableLeafCell(300, payload);
    const page = btreePageWithOffsets({ type: 0x0d, cells: [cell] });
    const offset = page.cellOffsets[0] ?? 0;
    expect(parsePayloadCell(page.bytes, 0, offset, 512, 'table-leaf')).toEqual({
      ok: true,
      cell: {
        offsetInPage: offset,
        payloadSize: payload.length,
        rowid: 300,
        rowidBig: undefined,
        localPayloadStartInPage: offset + 1 + 2,
        localPayloadSize: payload.length,
        firstOverflowPageNumber: 0,
        cellSizeInBytes: cell.length,
        leftChildPageNumber: 0,
      },
    });
  });

  it('parses a spilling table-leaf cell: local part M + (P − M) % (U − 4) and the overflow pointer', () => {
    const big = new Uint8Array(600).fill(0x41);
    const cell = tableLeafCell(7, big, { overflowPage: 0x01020304 });
    // U = 512: X = 477, M = 39, K = 39 + (561 % 508) = 92.
    expect(cell.length).toBe(2 + 1 + 92 + 4);
    const outcome = parsePayloadCell(withNoise(40, cell), 40, 0, 512, 'table-leaf');
    expect(outcome).toEqual({
      ok: true,
      cell: {
        offsetInPage: 0,
        payloadSize: 600,
        rowid: 7,
        rowidBig: undefined,
        localPayloadStartInPage: 3,
        localPayloadSize: 92,
        firstOverflowPageNumber: 0x01020304,
        cellSizeInBytes: 99,
        leftChildPageNumber: 0,
      },
    });
  });

  it('keeps rowids beyond 2^53 exact and reads negative rowids', () => {
    for (const rowid of [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n]) {
      const outcome = parsePayloadCell(tableLeafCell(rowid, payload), 0, 0, 512, 'table-leaf');
      expect(outcome).toMatchObject({ ok: true, cell: { rowid: Number(rowid), rowidBig: rowid, cellSizeInBytes: 1 + varint(rowid).length + payload.length } });
    }
    expect(parsePayloadCell(tableLeafCell(-1, payload), 0, 0, 512, 'table-leaf')).toMatchObject({ ok: true, cell: { rowid: -1, rowidBig: undefined } });
  });

  it('parses index-leaf and index-interior cells (no rowid, left child on interior cells)', () => {
    const leaf = indexLeafCell(payload);
    expect(parsePayloadCell(leaf, 0, 0, 512, 'index-leaf')).toEqual({
      ok: true,
      cell: { offsetInPage: 0, payloadSize: payload.length, rowid: undefined, rowidBig: undefined, localPayloadStartInPage: 1, localPayloadSize: payload.length, firstOverflowPageNumber: 0, cellSizeInBytes: leaf.length, leftChildPageNumber: 0 },
    });
    const interior = indexInteriorCell(0xdeadbeef, payload);
    expect(parsePayloadCell(interior, 0, 0, 512, 'index-interior')).toMatchObject({ ok: true, cell: { leftChildPageNumber: 0xdeadbeef, localPayloadStartInPage: 5, cellSizeInBytes: interior.length } });
    // Index pages keep far less local: U = 512, X = 102, so a 103-byte payload spills with M = 39 local.
    const spilling = indexLeafCell(new Uint8Array(103), { overflowPage: 9 });
    expect(parsePayloadCell(spilling, 0, 0, 512, 'index-leaf')).toMatchObject({ ok: true, cell: { localPayloadSize: 39, firstOverflowPageNumber: 9, cellSizeInBytes: 1 + 39 + 4 } });
    expect(parsePayloadCell(indexLeafCell(new Uint8Array(102)), 0, 0, 512, 'index-leaf')).toMatchObject({ ok: true, cell: { localPayloadSize: 102, firstOverflowPageNumber: 0 } });
  });

  it('reports in-page offsets for a page placed inside noise', () => {
    const page = btreePageWithOffsets({ type: 0x0d, cells: [tableLeafCell(1, payload), tableLeafCell(2, payload)] });
    const bytes = withNoise(1536, page.bytes);
    const second = page.cellOffsets[1] ?? 0;
    expect(parsePayloadCell(bytes, 1536, second, 512, 'table-leaf')).toMatchObject({ ok: true, cell: { offsetInPage: second, rowid: 2, localPayloadStartInPage: second + 2 } });
  });

  it('accepts a payload ending exactly at the usable end and refuses one byte more', () => {
    const cell = tableLeafCell(1, payload);
    const page = concat(noise(512 - 40 - cell.length), cell, new Uint8Array(40));
    expect(parsePayloadCell(page, 0, 512 - 40 - cell.length, 472, 'table-leaf').ok).toBe(true);
    expect(parsePayloadCell(page, 0, 512 - 40 - cell.length, 471, 'table-leaf')).toEqual({ ok: false, problem: `payload of ${payload.length} bytes runs past the page` });
  });

  describe('problems', () => {
    it.each([
      ['an empty buffer', new Uint8Array(0), 'table-leaf', 'payload-size varint runs past the page'],
      ['a cut payload-size varint', hex`81`, 'table-leaf', 'payload-size varint runs past the page'],
      ['a cut rowid varint', hex`05 ff ff`, 'table-leaf', 'rowid varint runs past the page'],
      ['no rowid at all', hex`05`, 'table-leaf', 'rowid varint runs past the page'],
      ['a payload one byte short', concat(varint(5), varint(1), hex`01 02 03 04`), 'table-leaf', 'payload of 5 bytes runs past the page'],
      ['a cut left child', hex`00 00 00`, 'index-interior', 'left child pointer runs past the page'],
      ['a payload size of 2^31', concat(varint(2 ** 31), varint(1)), 'table-leaf', 'payload size 2147483648 is out of range'],
      ['a negative payload size', concat(varint(-1), varint(1)), 'index-leaf', 'payload size -1 is out of range'],
      ['a 64-bit payload size', concat(varint(2n ** 63n - 1n), varint(1)), 'index-leaf', 'payload size 9223372036854775807 is out of range'],
      ['a cut overflow pointer', tableLeafCell(1, new Uint8Array(600), { overflowPage: 2 }).subarray(0, 98), 'table-leaf', 'local payload of 92 bytes and overflow pointer run past the page'],
      ['an overflowing index payload without its pointer', concat(varint(200), new Uint8Array(39)), 'index-leaf', 'local payload of 39 bytes and overflow pointer run past the page'],
    ] as const)('%s', (_name, bytes, kind, problem) => {
      expect(parsePayloadCell(bytes, 0, 0, 512, kind)).toEqual({ ok: false, problem });
    });

    it('a cell offset at or past the usable end', () => {
      const page = btreePageWithOffsets({ type: 0x0d, cells: [tableLeafCell(1, payload)] });
      expect(parsePayloadCell(page.bytes, 0, 512, 512, 'table-leaf')).toEqual({ ok: false, problem: 'payload-size varint runs past the page' });
      expect(parsePayloadCell(page.bytes, 0, 600, 512, 'index-interior')).toEqual({ ok: false, problem: 'left child pointer runs past the page' });
    });
  });
});

describe('parseTableInteriorCell', () => {
  it('reads the left child and the rowid key, at any page position', () => {
    expect(parseTableInteriorCell(tableInteriorCell(0x80000001, 1000), 0, 0, 512)).toEqual({ leftChildPageNumber: 0x80000001, rowid: 1000 });
    expect(parseTableInteriorCell(withNoise(512, tableInteriorCell(3, -5)), 512, 0, 512)).toEqual({ leftChildPageNumber: 3, rowid: -5 });
  });

  it('returns undefined when the child or the key runs past the page', () => {
    const cell = tableInteriorCell(3, 1000);
    for (let length = 0; length < cell.length; length++) expect(parseTableInteriorCell(cell.subarray(0, length), 0, 0, 512)).toBeUndefined();
    expect(parseTableInteriorCell(cell, 0, 0, 5)).toBeUndefined();
    expect(parseTableInteriorCell(cell, 0, 0, 6)).toEqual({ leftChildPageNumber: 3, rowid: 1000 });
  });
});

describe('mutation sweep', () => {
  function sweepPage(page: Uint8Array, usableSize: number): void {
    const pageStart = 9;
    const framed = withNoise(pageStart, page);
    const parsed = parseBtreePage(framed, pageStart, 0, usableSize, path);
    if (parsed.kind !== 'parsed') throw new Error('sweep needs a parsable page');
    const type = parsed.value.type;
    const kind = type === 0x0d ? 'table-leaf' : type === 0x0a ? 'index-leaf' : 'index-interior';
    const offsets = parsed.value.cellOffsetsInPage;
    const failures: string[] = [];
    const checkAll = (bytes: Uint8Array): void => {
      for (const offset of offsets) {
        if (type === 0x05) {
          const cell = parseTableInteriorCell(bytes, pageStart, offset, usableSize);
          if (cell !== undefined && !Number.isInteger(cell.leftChildPageNumber)) failures.push(`interior cell at ${offset}`);
          continue;
        }
        const outcome = parsePayloadCell(bytes, pageStart, offset, usableSize, kind);
        if (outcome.ok) {
          const cell = outcome.cell;
          if (cell.offsetInPage + cell.cellSizeInBytes > usableSize) failures.push(`cell at ${offset} passes the usable end`);
          if (cell.localPayloadSize > cell.payloadSize) failures.push(`cell at ${offset}: local part larger than the payload`);
          if (cell.localPayloadStartInPage + cell.localPayloadSize > Math.min(usableSize, bytes.length - pageStart)) failures.push(`cell at ${offset}: local part past the bytes`);
        } else if (!/runs? past the page|out of range/.test(outcome.problem)) {
          failures.push(`cell at ${offset}: ${outcome.problem}`);
        }
      }
    };
    for (let length = 0; length <= page.length; length++) checkAll(framed.subarray(0, pageStart + length));
    for (let index = 0; index < page.length; index++) {
      for (const value of [0x00, 0xff]) {
        const mutated = framed.slice();
        mutated[pageStart + index] = value;
        checkAll(mutated);
      }
    }
    expect(failures).toEqual([]);
  }

  it('over built table-leaf, index-leaf, index-interior and table-interior pages', () => {
    sweepPage(btreePageWithOffsets({ type: 0x0d, cells: [tableLeafCell(1, payload), tableLeafCell(2n ** 62n, payload), tableLeafCell(3, new Uint8Array(600).fill(7), { overflowPage: 2 })] }).bytes, 512);
    sweepPage(btreePageWithOffsets({ type: 0x0a, cells: [indexLeafCell(payload), indexLeafCell(new Uint8Array(300), { overflowPage: 3 })] }).bytes, 512);
    sweepPage(btreePageWithOffsets({ type: 0x02, cells: [indexInteriorCell(4, payload)], rightChild: 5 }).bytes, 512);
    sweepPage(btreePageWithOffsets({ type: 0x05, cells: [tableInteriorCell(4, 10), tableInteriorCell(6, 2n ** 40n)], rightChild: 5 }).bytes, 512);
  });

  describe.skipIf(!hasSqlite3())('over a real leaf written by sqlite3', () => {
    const directory = makeTempDir();
    afterAll(() => removeDir(directory));

    it('with a spilling row', () => {
      const location = join(directory, 'cells.db');
      runSqlite(location, `PRAGMA page_size=512; CREATE TABLE t(id INTEGER PRIMARY KEY, memo TEXT); INSERT INTO t VALUES (1, 'short'), (2, printf('%.700c', 'm')), (3, 'third');`);
      const file = readFileSync(location);
      const page = new Uint8Array(file.buffer, file.byteOffset, file.byteLength).slice(512, 1024);
      const parsed = parseBtreePage(page, 0, 0, 512, path);
      expect(parsed).toMatchObject({ kind: 'parsed', value: { type: 0x0d, cellCount: 3 } });
      if (parsed.kind !== 'parsed') return;
      const cells = parsed.value.cellOffsetsInPage.map((offset) => parsePayloadCell(page, 0, offset, 512, 'table-leaf'));
      expect(cells.map((cell) => (cell.ok ? [cell.cell.rowid, cell.cell.payloadSize, cell.cell.localPayloadSize, cell.cell.firstOverflowPageNumber !== 0] : cell.problem))).toEqual([
        [1, 8, 8, false],
        [2, 704, 39 + ((704 - 39) % 508), true],
        [3, 8, 8, false],
      ]);
      const started = performance.now();
      sweepPage(page, 512);
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });
});
