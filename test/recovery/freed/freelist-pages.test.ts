/** Tier 1: freed leaf pages kept whole, trunk pages with a surviving tail, attribution between tables. */
import { describe, expect, it } from 'vitest';
import { btreePage, databaseImage, freelistTrunkPage, record, tableLeafCell } from '../../../samples/lib/sqlite-bytes.js';
import { carveFreelistPage, unattributedName } from '../../../src/recovery/freed/freelist-pages.js';
import { noise } from '../../support/bytes.js';
import { contextOf, pagePathOf, signatureOf } from './helpers.js';

const ledger = signatureOf('CREATE TABLE ledger (id INTEGER PRIMARY KEY, trace TEXT NOT NULL, amount INTEGER)');
const payments = signatureOf('CREATE TABLE pay (id INTEGER PRIMARY KEY, out_trade_no TEXT, channel TEXT, amount INTEGER, state INTEGER)');

const ledgerCells = [1, 2, 3].map((rowid) => tableLeafCell(500 + rowid, record([null, `00000${rowid}`, rowid * 100])));

describe('carveFreelistPage', () => {
  it('decodes a freed leaf page kept whole: listed cells, attributed to the table whose shape fits', () => {
    const page = btreePage({ type: 0x0d, cells: ledgerCells });
    const image = databaseImage([new Uint8Array(512), page]);
    const result = carveFreelistPage(page, 2, pagePathOf(2), 'leaf', [payments, ledger], contextOf(image));
    expect(result.attributedTo).toBe('ledger');
    expect(result.records.map((record) => [record.state, record.rowid, record.values])).toEqual([
      ['freelist', '501', ['501', '000001', '100']],
      ['freelist', '502', ['502', '000002', '200']],
      ['freelist', '503', ['503', '000003', '300']],
    ]);
    expect(result.records[0]?.confidence).toMatchObject({ level: 'high' });
  });

  it('reads the cells a trunk page did not overwrite (its first 8 + 4L bytes are lost)', () => {
    const trunk = freelistTrunkPage(0, [3, 4, 5]);
    const cell = ledgerCells[2] as Uint8Array;
    trunk.set(cell, 512 - cell.length);
    const image = databaseImage([new Uint8Array(512), trunk]);
    const result = carveFreelistPage(trunk, 2, pagePathOf(2), 'trunk', [ledger], contextOf(image));
    expect(result.records.map((record) => [record.state, record.offsetInPage, record.values])).toEqual([['freelist', 512 - cell.length, ['503', '000003', '300']]]);
    expect(result.records[0]?.confidence.reasons.join(' ')).toContain('overwritten by the trunk');
    expect(result.issues.find((problem) => problem.code === 'sqlite.freed.trunk-overwritten')?.message).toBe(
      "Freelist trunk page 2: bytes 0x00000000–0x00000014 hold the trunk's next pointer, leaf count and 3 leaf numbers; earlier content there is lost",
    );
  });

  it('keeps records of a page that two same-shaped tables fit equally as unattributed', () => {
    const twin = signatureOf('CREATE TABLE ledger_copy (id INTEGER PRIMARY KEY, trace TEXT NOT NULL, amount INTEGER)');
    const page = btreePage({ type: 0x0d, cells: ledgerCells });
    const result = carveFreelistPage(page, 2, pagePathOf(2), 'leaf', [ledger, twin], contextOf(databaseImage([new Uint8Array(512), page])));
    expect(result.attributedTo).toBeUndefined();
    expect(result.tied.map((entry) => entry.signatureName)).toEqual(['ledger', 'ledger_copy']);
    expect(new Set(result.records.map((record) => record.table))).toEqual(new Set([unattributedName(['ledger', 'ledger_copy'])]));
    expect(result.issues.map((problem) => problem.code)).toContain('sqlite.freed.attribution-ambiguous');
  });

  it('reports a freed page without a b-tree header (an old overflow page) and invents nothing', () => {
    const page = noise(512, 99);
    page[0] = 0;
    const result = carveFreelistPage(page, 2, pagePathOf(2), 'leaf', [ledger], contextOf(databaseImage([new Uint8Array(512), page])));
    expect(result.records).toEqual([]);
    expect(result.issues.map((problem) => problem.code)).toEqual(['sqlite.freed.page-not-btree']);
  });
});
