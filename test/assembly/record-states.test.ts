/**
 * Classification of freed records against live rows (issue item 7): deleted, stale copy,
 * superseded; keyed by rowid, by WITHOUT ROWID primary key, by full-value equality when the rowid
 * is lost; rowids recovered from freed index entries.
 */
import { describe, expect, it } from 'vitest';
import type { RecordField } from '../../samples/lib/sqlite-bytes.js';
import { record } from '../../samples/lib/sqlite-bytes.js';
import type { IntegrityFlag, SqlText, StorageClass } from '../../src/evidence/record.js';
import { parseRecordHeader } from '../../src/formats/sqlite/record.js';
import type { IndexEntry, TableKeyInfo } from '../../src/assembly/record-states.js';
import { OverflowChainClaims, addLiveDigests, classifyFreedRecords, createLiveKeyIndex, recoverRowidsFromIndexes } from '../../src/assembly/record-states.js';
import type { FreedRecord } from '../../src/recovery/freed/build-record.js';
import type { RecordDigests } from '../../src/recovery/freed/record-digest.js';
import { recordDigests } from '../../src/recovery/freed/record-digest.js';
import { extendPath, filePath } from '../../src/provenance/path.js';

function digestsOf(fields: readonly RecordField[], sets: readonly (readonly number[])[] = []): RecordDigests {
  const bytes = record(fields);
  const header = parseRecordHeader(bytes, 0, bytes.length);
  if (!header.ok) throw new Error(header.problem);
  const digests = recordDigests(header.header.serialTypes, bytes, header.header.headerSizeInBytes, bytes.length, sets);
  if (digests === undefined) throw new Error('digest');
  return digests;
}

const path = extendPath(extendPath(filePath('t.db'), { kind: 'sqlite-page', pageNumber: 3, pageSize: 4096 }), { kind: 'cell', offsetInPage: 0x400 });

/** A freed record of table t(id INTEGER PRIMARY KEY, trace TEXT, amount INTEGER). */
function freed(rowid: number | null, trace: string, amount: number, options: { flags?: IntegrityFlag[]; sets?: number[][] } = {}): FreedRecord {
  const values: SqlText[] = [rowid === null ? null : String(rowid), trace, String(amount)];
  const types: StorageClass[] = [rowid === null ? 'null' : 'integer', 'text', 'integer'];
  return {
    overflowFirstPage: 0,
    dataType: 'sqlite:record',
    path,
    imageOffset: 0x2400,
    lengthInBytes: 20,
    state: 'freeblock',
    status: 'unknown',
    foundBy: 'page-scan',
    confidence: { level: 'medium', reasons: ['in a freeblock'] },
    flags: options.flags ?? (rowid === null ? ['rowid-unknown'] : []),
    rawSha256: '00',
    database: 't.db',
    table: 't',
    pageNumber: 3,
    offsetInPage: 0x400,
    rowid: rowid === null ? null : String(rowid),
    types,
    values,
    digests: options.flags?.includes('truncated') === true ? undefined : digestsOf([null, trace, amount], options.sets ?? []),
  };
}

const rowidTable: TableKeyInfo = { name: 't', withoutRowid: false, uniqueSetLabels: [] };

function liveIndex(table: TableKeyInfo, rows: readonly [number, string, number][], sets: readonly (readonly number[])[] = []) {
  const index = createLiveKeyIndex(table);
  addLiveDigests(index, { rowids: rows.map((row) => row[0]), digests: rows.map((row) => digestsOf([null, row[1], row[2]], sets)), minimumFieldCount: 3, overflowChains: [] });
  return index;
}

describe('classifyFreedRecords', () => {
  const index = liveIndex(rowidTable, [
    [1, '000001', 100],
    [2, '000002', 200],
  ]);

  it('rowid known: stale copy, superseded or deleted', () => {
    const [copy, older, gone] = classifyFreedRecords(index, [freed(1, '000001', 100), freed(2, '000002', 150), freed(3, '000003', 300)]);
    expect(copy).toMatchObject({ status: 'stale-copy' });
    expect(copy?.confidence.reasons.at(-1)).toBe('equals the live row with this rowid 1 in every column');
    expect(older).toMatchObject({ status: 'superseded' });
    expect(gone).toMatchObject({ status: 'deleted' });
    expect(gone?.confidence.reasons.at(-1)).toBe('no live row has this rowid 3');
  });

  it('rowid lost: a copy of a live row is never called deleted', () => {
    const [copy, gone] = classifyFreedRecords(index, [freed(null, '000002', 200), freed(null, '000009', 900)]);
    expect(copy).toMatchObject({ status: 'stale-copy' });
    expect(copy?.confidence.reasons.at(-1)).toBe('rowid lost; equals the live row with rowid 2 in every stored column');
    expect(gone).toMatchObject({ status: 'deleted' });
  });

  it('rowid lost: a UNIQUE key held by a live row with other values makes it an older version', () => {
    const table: TableKeyInfo = { name: 't', withoutRowid: false, uniqueSetLabels: ['trace'] };
    const unique = liveIndex(table, [[1, '000001', 100]], [[1]]);
    const [older] = classifyFreedRecords(unique, [freed(null, '000001', 999, { sets: [[1]] })]);
    expect(older).toMatchObject({ status: 'superseded' });
    expect(older?.confidence.reasons.at(-1)).toBe('rowid lost; its UNIQUE key (trace) belongs to the live row with rowid 1, which holds other values');
  });

  it('WITHOUT ROWID: keyed by the primary-key digest', () => {
    const table: TableKeyInfo = { name: 'w', withoutRowid: true, uniqueSetLabels: [] };
    const live = liveIndex(table, [[Number.NaN, 'K1', 1]], [[1]]);
    const [copy, older, gone] = classifyFreedRecords(live, [freed(null, 'K1', 1, { sets: [[1]], flags: [] }), freed(null, 'K1', 2, { sets: [[1]], flags: [] }), freed(null, 'K2', 1, { sets: [[1]], flags: [] })]);
    expect([copy?.status, older?.status, gone?.status]).toEqual(['stale-copy', 'superseded', 'deleted']);
  });

  it('a partial record (overflow lost) is never compared as if complete', () => {
    const [older, gone] = classifyFreedRecords(index, [freed(1, '000001', 100, { flags: ['truncated', 'overflow-missing'] }), freed(null, '000001', 100, { flags: ['truncated', 'rowid-unknown'] })]);
    expect(older).toMatchObject({ status: 'superseded' });
    expect(gone).toMatchObject({ status: 'deleted' });
  });
});

describe('recoverRowidsFromIndexes', () => {
  const entry = (trace: string, rowid: string, live = false): IndexEntry => ({ indexName: 'ix_trace', columns: [1], keys: [{ types: ['text'], values: [trace] }], rowid, live, where: 'page 9' });
  const table = { withoutRowid: false, rowidAliasIndex: 0 };

  it('takes the rowid of the one freed index entry holding the same indexed values', () => {
    const [recovered] = recoverRowidsFromIndexes(table, [freed(null, '000007', 700)], [entry('000007', '7'), entry('000008', '8')]);
    expect(recovered).toMatchObject({ rowid: '7', values: ['7', '000007', '700'], types: ['integer', 'text', 'integer'] });
    expect(recovered?.flags).toEqual(['rowid-from-index']);
  });

  it('leaves the rowid unknown when entries disagree or only live entries match', () => {
    const [ambiguous] = recoverRowidsFromIndexes(table, [freed(null, '000007', 700)], [entry('000007', '7'), entry('000007', '17')]);
    expect(ambiguous).toMatchObject({ rowid: null, flags: ['rowid-unknown'] });
    const [liveOnly] = recoverRowidsFromIndexes(table, [freed(null, '000007', 700)], [entry('000007', '7', true)]);
    expect(liveOnly).toMatchObject({ rowid: null });
  });

  it('takes nothing when a live entry holds the same key too: the record may be a copy of that live row', () => {
    // Seen on samples/pos-ledger: a stale copy of live row 101 got the rowid of deleted row 94,
    // whose freed entry of a non-unique index held the same key.
    const [copy] = recoverRowidsFromIndexes(table, [freed(null, '000091', 2160)], [entry('000091', '94'), entry('000091', '101', true)]);
    expect(copy).toMatchObject({ rowid: null, flags: ['rowid-unknown'] });
  });

  it('never matches on a NULL key (NULLs are not distinctive)', () => {
    const record = { ...freed(null, '000007', 700), types: ['null', 'null', 'integer'] as StorageClass[], values: [null, null, '700'] as SqlText[] };
    const nullEntry: IndexEntry = { indexName: 'ix_trace', columns: [1], keys: [{ types: ['null'], values: [null] }], rowid: '7', live: false, where: 'page 9' };
    const [unchanged] = recoverRowidsFromIndexes(table, [record], [nullEntry]);
    expect(unchanged).toMatchObject({ rowid: null, flags: ['rowid-unknown'] });
  });
});

describe('OverflowChainClaims', () => {
  const at = (record: FreedRecord, offsetInPage: number, overflowFirstPage: number): FreedRecord => ({
    ...record,
    offsetInPage,
    overflowFirstPage,
    path: extendPath(extendPath(filePath('t.db'), { kind: 'sqlite-page', pageNumber: 3, pageSize: 4096 }), { kind: 'cell', offsetInPage }),
  });

  it('accepts copies of one record reading the same chain, and records without a chain', () => {
    const claims = new OverflowChainClaims();
    expect(claims.claim([at(freed(1, 'T1', 10), 0x100, 7), at(freed(1, 'T1', 10), 0x300, 7), at(freed(2, 'T2', 20), 0x500, 0)])).toEqual([]);
  });

  it('reports two different records reading the same chain once, naming both', () => {
    const claims = new OverflowChainClaims();
    const first = at(freed(1, 'T1', 10), 0x100, 7);
    const second = at(freed(null, 'T9', 99), 0x300, 7);
    const issues = claims.claim([first, second]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'sqlite.freed.overflow-claimed-twice', severity: 'warning', details: { overflowPage: 7 } });
    expect(issues[0]?.message).toBe(
      'Freed records file:t.db > sqlite-page#3 > cell@0x00000100 (t) and file:t.db > sqlite-page#3 > cell@0x00000300 (t) both read overflow page 7 onwards but differ: at most one of them owns that chain',
    );
    expect(claims.claim([second])).toEqual([]);
  });

  it('ignores partial records (no digest: their chain broke)', () => {
    const claims = new OverflowChainClaims();
    expect(claims.claim([at(freed(1, 'T1', 10), 0x100, 7), at(freed(2, 'T2', 20, { flags: ['truncated'] }), 0x300, 7)])).toEqual([]);
  });
});
