/**
 * Tier 2: databases made by the real sqlite3 (secure_delete OFF unless the control), every row
 * read back through sqlite3 before and after the changes; recoverDatabase must bring back the
 * deleted rows with the right states and never report a value that did not exist.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../../src/evidence/record.js';
import { localPayloadSize } from '../../../src/formats/sqlite/payload.js';
import type { RecoveredDatabase } from '../../../src/recovery/freed/recover-database.js';
import { recoverDatabase } from '../../../src/recovery/freed/recover-database.js';
import type { OracleRow } from '../../support/sqlite3.js';
import { hasSqlite3, makeTempDir, oracleRows, removeDir, runSqlite } from '../../support/sqlite3.js';

const directory = makeTempDir('exhume-freed-');
afterAll(() => removeDir(directory));

interface Scenario {
  readonly setup: string;
  readonly change: string;
  readonly table: string;
  readonly withoutRowid?: boolean;
  /** Column holding the INTEGER PRIMARY KEY (its value is lost with the rowid), or −1. */
  readonly aliasIndex: number;
}

interface Outcome {
  readonly path: string;
  readonly result: RecoveredDatabase;
  readonly before: OracleRow[];
  readonly after: OracleRow[];
  readonly deleted: OracleRow[];
  readonly freed: readonly EvidenceRecord[];
}

let counter = 0;
function run(scenario: Scenario): Outcome {
  const path = join(directory, `case-${++counter}.db`);
  runSqlite(path, scenario.setup);
  const options = { withoutRowid: scenario.withoutRowid === true };
  const before = oracleRows(path, scenario.table, options);
  runSqlite(path, scenario.change);
  const after = oracleRows(path, scenario.table, options);
  const keyOf = (row: OracleRow): string => (scenario.withoutRowid === true ? JSON.stringify(row.values[0]) : (row.rowid ?? ''));
  const liveKeys = new Set(after.map(keyOf));
  const result = recoverDatabase(path);
  const freed = result.tables.find((table) => table.name === scenario.table)?.freed ?? [];
  return { path, result, before, after, deleted: before.filter((row) => !liveKeys.has(keyOf(row))), freed };
}

/**
 * Deleted rows whose distinctive bytes (`text`, encoded as the database stores text) still occur in
 * the file: the rows that can be recovered at all.
 */
function surviving(outcome: Outcome, text: (row: OracleRow) => string, encoding: BufferEncoding | 'utf16be' = 'utf8'): OracleRow[] {
  const file = readFileSync(outcome.path);
  return outcome.deleted.filter((row) => {
    const needle = encoding === 'utf16be' ? Buffer.from(text(row), 'utf16le').swap16() : Buffer.from(text(row), encoding);
    return file.indexOf(needle) >= 0;
  });
}

/** How many of `rows` came back labelled deleted. */
function recovered(outcome: Outcome, rows: readonly OracleRow[], aliasIndex: number): number {
  return rows.filter((row) => outcome.freed.some((record) => record.status === 'deleted' && equals(record, row, aliasIndex))).length;
}

/** tid, batch_no and trace_no lie next to each other in the record body: together they identify a ledger row. */
const ledgerBytes = (row: OracleRow): string => `A1B2C3D4${row.values[2]?.text ?? ''}${row.values[3]?.text ?? ''}`;

/** Record equals the row column by column (the alias column is skipped when the rowid was lost). */
function equals(record: EvidenceRecord, row: OracleRow, aliasIndex: number): boolean {
  if (record.rowid !== null && row.rowid !== null && record.rowid !== row.rowid) return false;
  return row.values.every((value, column) => (column === aliasIndex && record.rowid === null) || (record.types[column] === value.type && record.values[column] === value.text));
}

/** Every freed record matches a row that existed; returns how many deleted rows came back labelled deleted. */
function check(outcome: Outcome, aliasIndex: number): number {
  const everRow = [...outcome.before, ...outcome.after];
  for (const record of outcome.freed) {
    expect(everRow.some((row) => equals(record, row, aliasIndex)), `phantom ${JSON.stringify(record.values)}`).toBe(true);
    if (record.status === 'deleted') expect(outcome.after.some((row) => equals(record, row, aliasIndex)), `live row labelled deleted ${JSON.stringify(record.values)}`).toBe(false);
  }
  return outcome.deleted.filter((row) => outcome.freed.some((record) => record.status === 'deleted' && equals(record, row, aliasIndex))).length;
}

const ledger = (rows: number, pageSize = 1024, extra = ''): string => `PRAGMA page_size=${pageSize}; ${extra}
CREATE TABLE trans_record (id INTEGER PRIMARY KEY AUTOINCREMENT, tid TEXT NOT NULL, batch_no TEXT, trace_no TEXT, amount INTEGER, fee REAL, memo TEXT, voided INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<${rows})
INSERT INTO trans_record (tid, batch_no, trace_no, amount, fee, memo, voided)
SELECT 'A1B2C3D4', printf('%06d', 1 + x/50), printf('%06d', x), (x*7919)%100000, CASE x%4 WHEN 0 THEN NULL WHEN 1 THEN 0.0 WHEN 2 THEN (x%9)*1.0 ELSE x/8.0 END,
  CASE x%3 WHEN 0 THEN NULL WHEN 1 THEN '' ELSE 'memo ' || x END, x%2 FROM c;`;

describe.skipIf(!hasSqlite3())('recoverDatabase on sqlite3-made databases', () => {
  it('scattered deletes: every deleted row back from freeblocks, none invented, NULL/0/1/integral reals kept', () => {
    const outcome = run({ setup: ledger(400), change: 'DELETE FROM trans_record WHERE id % 7 = 3;', table: 'trans_record', aliasIndex: 0 });
    expect(outcome.deleted).toHaveLength(57);
    expect(check(outcome, 0)).toBe(57);
    expect(outcome.freed.some((record) => record.state === 'freeblock' && record.flags.includes('rowid-unknown'))).toBe(true);
  });

  it('range delete (settlement): rows come back from freelist pages with their rowids', () => {
    const outcome = run({ setup: ledger(600), change: "DELETE FROM trans_record WHERE batch_no BETWEEN '000003' AND '000008';", table: 'trans_record', aliasIndex: 0 });
    check(outcome, 0);
    const alive = surviving(outcome, ledgerBytes);
    expect(alive.length).toBeGreaterThan(200);
    expect(recovered(outcome, alive, 0)).toBeGreaterThanOrEqual(Math.ceil(alive.length * 0.95));
    expect(outcome.freed.filter((record) => record.state === 'freelist' && record.rowid !== null).length).toBeGreaterThan(100);
  });

  it.each(['UTF-16le', 'UTF-16be'])('%s: deleted rows with non-ASCII text come back', (encoding) => {
    const setup = `PRAGMA encoding='${encoding}'; PRAGMA page_size=1024;
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<300) INSERT INTO t SELECT x, '示例便利店 ünï ' || x, x*3 FROM c;`;
    const outcome = run({ setup, change: 'DELETE FROM t WHERE id % 5 = 2; DELETE FROM t WHERE id BETWEEN 200 AND 260;', table: 't', aliasIndex: 0 });
    check(outcome, 0);
    const alive = surviving(outcome, (row) => row.values[1]?.text ?? '', encoding === 'UTF-16le' ? 'utf16le' : 'utf16be');
    expect(alive.length).toBeGreaterThan(60);
    expect(recovered(outcome, alive, 0)).toBeGreaterThanOrEqual(Math.ceil(alive.length * 0.95));
  });

  it('WITHOUT ROWID: deleted rows come back keyed by their primary key', () => {
    const setup = `PRAGMA page_size=1024; CREATE TABLE sys_param (key TEXT PRIMARY KEY NOT NULL, value TEXT, n INTEGER) WITHOUT ROWID;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<400) INSERT INTO sys_param SELECT printf('KEY_%05d', x), 'value number ' || x || ' of the terminal', x FROM c;`;
    const outcome = run({ setup, change: "DELETE FROM sys_param WHERE n % 6 = 1; DELETE FROM sys_param WHERE key BETWEEN 'KEY_00300' AND 'KEY_00340';", table: 'sys_param', withoutRowid: true, aliasIndex: -1 });
    check(outcome, -1);
    const alive = surviving(outcome, (row) => `${row.values[0]?.text ?? ''}value number`);
    expect(alive.length).toBeGreaterThan(80);
    expect(recovered(outcome, alive, -1)).toBeGreaterThanOrEqual(Math.ceil(alive.length * 0.95));
  });

  it('overflowing memo fields: deleted rows come back whole through freed overflow pages', () => {
    const setup = `PRAGMA page_size=1024; CREATE TABLE memo (id INTEGER PRIMARY KEY, body TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<60) INSERT INTO memo SELECT x, 'M' || x || ' ' || printf('%.*c', 500 + x*61, 'q') FROM c;`;
    const outcome = run({ setup, change: 'DELETE FROM memo WHERE id % 3 = 0;', table: 'memo', aliasIndex: 0 });
    check(outcome, 0);
    // Whole rows: the local part of the body and every overflow chunk still occur in the file.
    const file = readFileSync(outcome.path);
    const alive = outcome.deleted.filter((row) => {
      const body = Buffer.from(row.values[1]?.text ?? '');
      const headerSize = 4; // header size, NULL alias, 2-byte text type
      const local = localPayloadSize(headerSize + body.length, 1024, true) - headerSize;
      const chunks = [body.subarray(0, local)];
      for (let at = local; at < body.length; at += 1020) chunks.push(body.subarray(at, at + 1020));
      return chunks.every((chunk) => file.includes(chunk));
    });
    expect(alive.length).toBeGreaterThan(3);
    expect(recovered(outcome, alive, 0)).toBe(alive.length);
    // Rows whose chain broke come back partial and flagged, never with a shortened memo.
    for (const record of outcome.freed.filter((entry) => entry.flags.includes('truncated'))) {
      expect(record.flags).toContain('overflow-missing');
      expect(record.values[1]).toBeNull();
    }
  });

  it('updates: the older values of a live key are superseded, never deleted', () => {
    const outcome = run({ setup: ledger(300), change: "UPDATE trans_record SET memo = 'adjusted after settlement ' || id WHERE id % 10 = 4;", table: 'trans_record', aliasIndex: 0 });
    check(outcome, 0);
    const olderVersions = outcome.freed.filter((record) => outcome.before.some((row) => equals(record, row, 0)) && !outcome.after.some((row) => equals(record, row, 0)));
    expect(olderVersions.length).toBeGreaterThan(0);
    // Rowid known: superseded. Rowid lost and no UNIQUE key: the values alone cannot tie them to a live key.
    for (const record of olderVersions) expect(record.rowid === null ? ['deleted', 'superseded'] : ['superseded']).toContain(record.status);
  });

  it('b-tree rebalancing: stale copies of live rows are labelled stale-copy, never deleted', () => {
    const setup = `PRAGMA page_size=1024; CREATE TABLE pay (id INTEGER PRIMARY KEY, out_trade_no TEXT, amount INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<800) INSERT INTO pay SELECT (x*7919) % 2400 + 1, 'OT' || printf('%010d', x), x*3 FROM c ORDER BY (x*104729) % 1000003;`;
    const outcome = run({ setup, change: 'DELETE FROM pay WHERE id % 7 = 2;', table: 'pay', aliasIndex: 0 });
    check(outcome, 0);
    expect(outcome.freed.filter((record) => record.status === 'stale-copy').length).toBeGreaterThan(0);
  });

  it('secure_delete ON (control): nothing recovered, nothing invented', () => {
    const outcome = run({ setup: `PRAGMA secure_delete=ON; ${ledger(400)}`, change: 'PRAGMA secure_delete=ON; DELETE FROM trans_record WHERE id % 7 = 3; DELETE FROM trans_record WHERE id > 300;', table: 'trans_record', aliasIndex: 0 });
    expect(outcome.deleted.length).toBeGreaterThan(100);
    expect(outcome.freed.filter((record) => record.status === 'deleted')).toEqual([]);
  });

  it('dropped table: its CREATE statement is carved from sqlite_schema and its rows attributed to it', () => {
    const path = join(directory, 'dropped.db');
    runSqlite(path, `${ledger(200)} CREATE TABLE old_batch (batch_no TEXT, total INTEGER, note TEXT); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<150) INSERT INTO old_batch SELECT printf('B%05d', x), x*1000, 'settled ' || x FROM c;`);
    const rows = oracleRows(path, 'old_batch');
    runSqlite(path, 'DROP TABLE old_batch;');
    const result = recoverDatabase(path);
    expect(result.droppedTables.map((table) => table.name)).toEqual(['old_batch']);
    const table = result.tables.find((entry) => entry.name === 'old_batch');
    expect(table?.kind).toBe('dropped');
    const recovered = rows.filter((row) => table?.freed.some((record) => record.status === 'deleted' && equals(record, row, -1)));
    expect(recovered).toHaveLength(rows.length);
    for (const record of table?.freed ?? []) expect(rows.some((row) => equals(record, row, -1))).toBe(true);
  });

  it('streaming hands over the same classified records and keeps none', () => {
    const path = join(directory, 'stream.db');
    runSqlite(path, `${ledger(300)} CREATE INDEX ix_trace ON trans_record(trace_no);`);
    runSqlite(path, "DELETE FROM trans_record WHERE id % 4 = 1; DELETE FROM trans_record WHERE batch_no = '000003';");
    const whole = recoverDatabase(path);
    const streamed: EvidenceRecord[] = [];
    const result = recoverDatabase(path, { onFreedRecords: (_, records) => streamed.push(...records) });
    expect(result.tables.every((table) => table.freed.length === 0)).toBe(true);
    const key = (record: EvidenceRecord): string => JSON.stringify([record.table, record.state, record.status, record.pageNumber, record.offsetInPage, record.rowid, record.values]);
    expect(streamed.map(key).sort()).toEqual(whole.tables.flatMap((table) => table.freed).map(key).sort());
    expect(result.counts).toEqual(whole.counts);
  });

  it('no INTEGER PRIMARY KEY: lost rowids come back from freed index entries', () => {
    const setup = `PRAGMA page_size=1024; CREATE TABLE journal (trace_no TEXT, amount INTEGER, note TEXT); CREATE INDEX ix_journal_trace ON journal(trace_no);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<500) INSERT INTO journal SELECT printf('T%07d', x), x*11, 'note ' || x FROM c;`;
    const outcome = run({ setup, change: 'DELETE FROM journal WHERE rowid % 5 = 2;', table: 'journal', aliasIndex: -1 });
    check(outcome, -1);
    // The note text is only in the table's records (the index holds trace_no and the rowid).
    const alive = surviving(outcome, (row) => row.values[2]?.text ?? '');
    expect(alive.length).toBeGreaterThan(50);
    expect(recovered(outcome, alive, -1)).toBe(alive.length);
    const fromIndex = outcome.freed.filter((record) => record.flags.includes('rowid-from-index'));
    expect(fromIndex.length).toBeGreaterThan(outcome.deleted.length / 2);
    for (const record of fromIndex) expect(outcome.before.find((row) => row.rowid === record.rowid)?.values[0]?.text).toBe(record.values[0]);
  });
});
