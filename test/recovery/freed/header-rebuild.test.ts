/**
 * Tier 1: cells whose first 4 bytes a freeblock header overwrote, built in code, read back by
 * header-rebuild.ts (every case of sqlite.md §1.8) and decoded by build-record.ts.
 */
import { describe, expect, it } from 'vitest';
import { record, tableLeafCell, indexLeafCell, varint } from '../../../samples/lib/sqlite-bytes.js';
import { decodeCandidate } from '../../../src/recovery/freed/build-record.js';
import { CandidateScore, clobberedCellsAt, clobberedLayoutsAt, intactCellAt, looksLikeFreeblockHeader, readingsForHints } from '../../../src/recovery/freed/header-rebuild.js';
import { noise } from '../../support/bytes.js';
import { contextOf, signatureOf, writeFreeblockHeader } from './helpers.js';

const ledger = signatureOf('CREATE TABLE t (id INTEGER PRIMARY KEY, tid TEXT NOT NULL, amount INTEGER, rate REAL, memo TEXT, flag INTEGER)');

/** A 512-byte page of noise with `cell` at `at`. */
function pageWith(cell: Uint8Array, at: number): Uint8Array {
  const page = noise(512, 0x1234);
  page.set(cell, at);
  return page;
}

describe('intact cells', () => {
  it('reads an intact table-leaf cell at an odd offset inside noise', () => {
    const cell = tableLeafCell(300, record([null, 'A1B2C3D4', 1234, 3, 'coffee', 1]));
    const page = pageWith(cell, 201);
    const found = intactCellAt(page, 201, 512, 'table-leaf', ledger, 512);
    expect(found).toMatchObject({ cellStartInPage: 201, cellEndInPage: 201 + cell.length, rowid: 300, clobbered: false, score: CandidateScore.intact, serialTypes: [0, 29, 2, 1, 25, 9] });
    const decoded = decodeCandidate(page, found!, contextOf(page));
    expect(decoded?.values).toEqual([null, 'A1B2C3D4', '1234', '3', 'coffee', '1']);
  });

  it('rejects a cell whose payload size disagrees with its header and body', () => {
    const cell = tableLeafCell(300, record([null, 'A1B2C3D4', 1234, 3, 'coffee', 1]), { payloadSizeField: 30 });
    expect(intactCellAt(pageWith(cell, 40), 40, 512, 'table-leaf', ledger, 512)).toBeUndefined();
  });

  it('rejects types the signature forbids: a NOT NULL column holding NULL, an alias not stored as NULL', () => {
    expect(intactCellAt(pageWith(tableLeafCell(7, record([null, null, 1, 2, 'x', 0])), 40), 40, 512, 'table-leaf', ledger, 512)).toBeUndefined();
    expect(intactCellAt(pageWith(tableLeafCell(7, record([7, 'T', 1, 2, 'x', 0])), 40), 40, 512, 'table-leaf', ledger, 512)).toBeUndefined();
  });
});

describe('cells whose first 4 bytes were overwritten by a freeblock header', () => {
  it('typical POS row (payload and rowid both 2 bytes): the record header survives, the rowid is lost', () => {
    const memo = 'receipt '.repeat(16);
    const cell = tableLeafCell(300, record([null, 'A1B2C3D4', 1234, 3, memo, 0]));
    expect(cell.length).toBeGreaterThan(130);
    const page = pageWith(cell, 100);
    writeFreeblockHeader(page, 100, 0, cell.length);
    const readings = clobberedCellsAt(page, 100, 100 + cell.length, 'table-leaf', ledger, 512, []);
    expect(readings).toHaveLength(1);
    expect(readings[0]).toMatchObject({ cellStartInPage: 100, cellEndInPage: 100 + cell.length, recordStartInPage: 104, rowid: undefined, headerSizeRebuilt: false, rebuiltTypeCount: 0, choiceMade: false });
    expect(decodeCandidate(page, readings[0]!, contextOf(page))?.values).toEqual([null, 'A1B2C3D4', '1234', '3', memo, '0']);
  });

  it('payload < 128, rowid ≥ 128: the header-size byte is rebuilt from the serial types', () => {
    const cell = tableLeafCell(300, record([null, 'A1B2C3D4', 0, null, 'x', 1]));
    expect(varint(cell.length - 3)).toHaveLength(1);
    const page = pageWith(cell, 60);
    writeFreeblockHeader(page, 60, 0, cell.length);
    const readings = clobberedCellsAt(page, 60, 60 + cell.length, 'table-leaf', ledger, 512, []);
    expect(readings.map((reading) => [reading.recordStartInPage, reading.headerSizeRebuilt, reading.serialTypes])).toEqual([[63, true, [0, 29, 8, 0, 15, 9]]]);
    // NULL, 0 and 1 are ordinary values: nothing is dropped because of them.
    expect(decodeCandidate(page, readings[0]!, contextOf(page))?.values).toEqual([null, 'A1B2C3D4', '0', null, 'x', '1']);
  });

  it('short row with an INTEGER PRIMARY KEY first: the lost first serial type is always 0', () => {
    const cell = tableLeafCell(5, record([null, 'T1', 7, 2, 'm', 0]));
    const page = pageWith(cell, 80);
    writeFreeblockHeader(page, 80, 0, cell.length);
    const layouts = clobberedLayoutsAt(page, 80, 80 + cell.length, 'table-leaf', ledger, 512);
    const exact = layouts.exact.filter((reading) => reading.rebuiltTypeCount === 1);
    expect(exact.map((reading) => reading.serialTypes)).toEqual([[0, 17, 1, 1, 15, 8]]);
    expect(exact[0]?.reasons.join(' ')).toContain('INTEGER PRIMARY KEY');
  });

  it('short row with a text first column: the lost type is fixed only by an end hint', () => {
    const table = signatureOf('CREATE TABLE j (code TEXT NOT NULL, amount INTEGER, note TEXT)');
    const cell = tableLeafCell(9, record(['K0042', 512, 'ok']));
    const page = pageWith(cell, 120);
    writeFreeblockHeader(page, 120, 0, cell.length);
    const layouts = clobberedLayoutsAt(page, 120, 120 + cell.length, 'table-leaf', table, 512);
    expect(layouts.exact).toEqual([]);
    const readings = readingsForHints(page, layouts.partial, [{ endInPage: 120 + cell.length, score: 3 }], 512);
    const decoded = readings.map((reading) => decodeCandidate(page, reading, contextOf(page))).filter((value) => value !== undefined);
    expect(decoded.map((value) => value.values)).toEqual([['K0042', '512', 'ok']]);
    expect(readings[0]).toMatchObject({ choiceMade: true, rebuiltTypeCount: 1, pinnedEnd: 120 + cell.length });
  });

  it('index-leaf cell with a 1-byte payload size: two lost types give several readings (ambiguous)', () => {
    const table = signatureOf('CREATE TABLE k (key TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID');
    const cell = indexLeafCell(record(['KEY_0001', 300]));
    const page = pageWith(cell, 30);
    writeFreeblockHeader(page, 30, 0, cell.length);
    const layouts = clobberedLayoutsAt(page, 30, 30 + cell.length, 'index-leaf', table, 512);
    const readings = readingsForHints(page, layouts.partial, [{ endInPage: 30 + cell.length, score: 3 }], 512);
    const values = new Set(readings.map((reading) => JSON.stringify(decodeCandidate(page, reading, contextOf(page))?.values)));
    expect(values.has(JSON.stringify(['KEY_0001', '300']))).toBe(true);
    expect(values.size).toBeGreaterThan(1);
  });

  it('a cell never extends past the limit (the freeblock written over its start)', () => {
    const memo = 'receipt '.repeat(16);
    const cell = tableLeafCell(300, record([null, 'A1B2C3D4', 1234, 3, memo, 0]));
    const page = pageWith(cell, 100);
    writeFreeblockHeader(page, 100, 0, cell.length - 10);
    expect(clobberedCellsAt(page, 100, 100 + cell.length - 10, 'table-leaf', ledger, 512, [])).toEqual([]);
  });

  it('recognises freeblock headers: size ≥ 4 inside the page, next pointer 0 or past the block', () => {
    const page = new Uint8Array(512);
    writeFreeblockHeader(page, 100, 0, 40);
    writeFreeblockHeader(page, 200, 300, 40);
    writeFreeblockHeader(page, 300, 250, 40);
    writeFreeblockHeader(page, 400, 0, 3);
    writeFreeblockHeader(page, 480, 0, 40);
    expect([100, 200, 300, 400, 480].map((at) => looksLikeFreeblockHeader(page, at, 512))).toEqual([true, true, false, false, false]);
  });

  it('never throws on truncated or flipped bytes (mutation sweep)', () => {
    const cell = tableLeafCell(300, record([null, 'A1B2C3D4', 1234, 3, 'receipt '.repeat(16), 0]));
    for (let length = 0; length <= cell.length; length++) {
      const page = new Uint8Array(512);
      page.set(cell.subarray(0, length), 10);
      expect(() => clobberedCellsAt(page, 10, 10 + length, 'table-leaf', ledger, 512, [{ endInPage: 10 + length, score: 3 }])).not.toThrow();
      expect(() => intactCellAt(page, 10, 10 + length, 'table-leaf', ledger, 512)).not.toThrow();
    }
    for (let index = 0; index < cell.length; index++) {
      for (const value of [0x00, 0xff]) {
        const page = pageWith(cell, 10);
        page[10 + index] = value;
        expect(() => clobberedCellsAt(page, 10, 10 + cell.length, 'table-leaf', ledger, 512, [{ endInPage: 10 + cell.length, score: 3 }])).not.toThrow();
      }
    }
  });
});
