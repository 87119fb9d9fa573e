/**
 * Item 6: page 1 lost. Table shapes are inferred from the records (field count and type pattern),
 * named by a `--schema` file when exactly one of its tables fits, and the freed space of the
 * orphan pages is carved with the shape's signature.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freelistTrunksOf, inferEncoding, inferTableShapes, maximumTrunkRejectionRounds, tablesFittingShape } from '../../../src/recovery/headerless.js';
import { MemorySource } from '../../../src/sources/byte-source.js';
import { SourcePageReader } from '../../../src/sources/page-reader.js';
import { recoverDatabase } from '../../../src/recovery/freed/recover-database.js';
import { parseSchemaFile, splitStatements } from '../../../src/recovery/freed/schema-file.js';
import { ClassBit } from '../../../src/recovery/freed/signature.js';
import { hasSqlite3, makeTempDir, oracleRows, removeDir, runSqlite } from '../../support/sqlite3.js';

const schemaSql = `-- from the app package
CREATE TABLE trans_record (id INTEGER PRIMARY KEY, tid TEXT NOT NULL, trace_no TEXT, amount INTEGER, memo TEXT);
CREATE TABLE merchant ("mid" TEXT, name TEXT, rate REAL);
CREATE INDEX ix_trace ON trans_record(trace_no);
PRAGMA user_version = 3;`;

describe('schema files', () => {
  it('splits statements outside quotes and comments, keeps tables and indexes, notes the rest', () => {
    expect(splitStatements("CREATE TABLE a (x TEXT DEFAULT ';'); /* ; */ CREATE TABLE b (y); -- ;\n")).toEqual(["CREATE TABLE a (x TEXT DEFAULT ';')", '/* ; */ CREATE TABLE b (y)', '-- ;']);
    const file = parseSchemaFile(schemaSql);
    expect(file.tables.map((table) => table.name)).toEqual(['trans_record', 'merchant']);
    expect(file.indexes.map((index) => index.name)).toEqual(['ix_trace']);
    expect(file.skipped.map((entry) => entry.statement)).toEqual(['PRAGMA user_version = 3']);
  });
});

describe('table shapes', () => {
  const cell = (...classes: number[]) => ({ pageNumber: 2, offsetInPage: 0, fieldClasses: classes });
  const { integer, text, real } = ClassBit;
  const nil = ClassBit.null;

  it('groups by field count and type pattern; NULLs join the group their other fields fit; integers and reals are one class', () => {
    const { shapes, shapeOfCell } = inferTableShapes([cell(nil, text, integer), cell(nil, text, real), cell(nil, nil, integer), cell(text, text, text), cell(nil, text), cell(nil, integer, integer)]);
    expect(shapes.map((shape) => [shape.name, shape.fieldCount, shape.pattern, shape.recordCount])).toEqual([
      ['unknown-1', 3, '?tn', 3],
      ['unknown-2', 3, 'ttt', 1],
      ['unknown-3', 2, '?t', 1],
      ['unknown-4', 3, '?nn', 1],
    ]);
    expect(shapeOfCell).toEqual([0, 0, 0, 1, 2, 3]);
  });

  it('finds the schema tables a shape fits', () => {
    const file = parseSchemaFile(schemaSql);
    const { shapes } = inferTableShapes([cell(nil, text, text, integer, text), cell(text, text, real)]);
    const byCount = (count: number) => shapes.find((shape) => shape.fieldCount === count)!;
    expect(tablesFittingShape(byCount(5), file.tables).map((table) => table.name)).toEqual(['trans_record']);
    expect(tablesFittingShape(byCount(3), file.tables).map((table) => table.name)).toEqual(['merchant']);
  });

  it('guesses UTF-16 from the zero bytes of text', () => {
    expect(inferEncoding([Buffer.from('A1B2C3D4', 'utf16le')])).toBe(2);
    expect(inferEncoding([Buffer.from('A1B2C3D4', 'utf16le').swap16()])).toBe(3);
    expect(inferEncoding([Buffer.from('A1B2C3D4')])).toBe(1);
  });
});

describe('freelist trunks without the header', () => {
  const pageSize = 512;
  /** Pages 1..count of `pageSize` bytes; `words[page]` are its leading big-endian 32-bit words. */
  function readerOf(count: number, words: Record<number, number[]>, fill: Record<number, number> = {}): SourcePageReader {
    const bytes = new Uint8Array(count * pageSize);
    for (const [page, value] of Object.entries(fill)) bytes.fill(value, (Number(page) - 1) * pageSize, Number(page) * pageSize);
    const view = new DataView(bytes.buffer);
    for (const [page, list] of Object.entries(words)) list.forEach((word, index) => view.setUint32((Number(page) - 1) * pageSize + 4 * index, word));
    return new SourcePageReader(new MemorySource('trunks', bytes), pageSize);
  }

  it('takes pages whose leaf list fits and names pages of the file, and the trunks they chain to', () => {
    // 2: trunk → 3, leaves 4 and 5; 3: an emptied trunk (no leaves), taken because 2 names it.
    const found = freelistTrunksOf(readerOf(12, { 2: [3, 2, 4, 5], 3: [0, 0] }, { 6: 0x41 }), pageSize);
    expect(found.trunks).toEqual([2, 3]);
    expect([...found.leaves].sort((a, b) => a - b)).toEqual([4, 5]);
  });

  it('rejects hostile lists: too many leaves, leaves or next outside the file, itself; loops end', () => {
    const found = freelistTrunksOf(
      readerOf(12, {
        2: [0, 200], // more leaves than a 512-byte page holds ((512 / 4) − 2 = 126)
        3: [0, 1, 99], // leaf outside the file
        4: [77, 1, 5], // next outside the file
        5: [0, 1, 5], // lists itself
        6: [7, 1, 8], // 6 → 7 → 6: a loop, each taken once
        7: [6, 1, 9],
      }),
      pageSize,
    );
    expect(found.trunks).toEqual([6, 7]);
    expect([...found.leaves].sort((a, b) => a - b)).toEqual([8, 9]);
  });

  it('rejects a "trunk" that lists, or is, a page still in use: a child of an interior page or a page of an overflow chain that are not free', () => {
    // 2 lists 5 and 6, but interior page 4 (not free) names 5 as its child. 3 is on the overflow
    // chain 10 → 3 of a cell on leaf 9. 11 is a trunk nothing contradicts.
    const reader = readerOf(14, { 2: [0, 2, 5, 6], 3: [0, 1, 8], 10: [3], 11: [0, 1, 12] });
    const found = freelistTrunksOf(reader, pageSize, undefined, { childrenOf: new Map([[4, [5, 7]]]), overflowOf: new Map([[9, [10]]]) });
    expect(found.trunks).toEqual([11]);
    expect([...found.leaves]).toEqual([12]);
    expect(found.rejected).toEqual([
      { trunkPageNumber: 2, linkedPageNumber: 5, byPageNumber: 4 },
      { trunkPageNumber: 3, linkedPageNumber: 3, byPageNumber: 9 },
    ]);
    expect(found.gaveUp).toBe(false);
    // An interior page that a believed trunk lists is free itself: its children do not count.
    expect(freelistTrunksOf(readerOf(8, { 2: [0, 2, 4, 5] }), pageSize, undefined, { childrenOf: new Map([[4, [5]]]), overflowOf: new Map() }).trunks).toEqual([2]);
  });

  it('rejections that free interior pages whose children reject further trunks end after a bounded number of rounds, with no trunk believed', () => {
    // Trunk T(i) lists interior page I(i) and page A(i); I(i) names A(i + 1) as its child; page X,
    // in use, names A(0). Rejecting T(i) makes I(i) a page in use, which rejects T(i + 1).
    const chains = maximumTrunkRejectionRounds + 6;
    const trunk = (i: number): number => 2 + 3 * i;
    const interior = (i: number): number => 3 + 3 * i;
    const listed = (i: number): number => 4 + 3 * i;
    const words: Record<number, number[]> = {};
    const childrenOf = new Map<number, number[]>();
    for (let i = 0; i < chains; i++) {
      words[trunk(i)] = [0, 2, interior(i), listed(i)];
      childrenOf.set(interior(i), [listed(i + 1)]);
    }
    const x = trunk(chains);
    childrenOf.set(x, [listed(0)]);
    const found = freelistTrunksOf(readerOf(x + 1, words), pageSize, undefined, { childrenOf, overflowOf: new Map() });
    expect(found.gaveUp).toBe(true);
    expect(found.trunks).toEqual([]);
    expect(found.leaves.size).toBe(0);
    // Short cascades end with every trunk rejected one by one.
    const short = new Map([...childrenOf].filter(([page]) => page !== interior(4)));
    const settled = freelistTrunksOf(readerOf(x + 1, words), pageSize, undefined, { childrenOf: short, overflowOf: new Map() });
    expect(settled.gaveUp).toBe(false);
    expect(settled.rejected.map((entry) => entry.trunkPageNumber)).toEqual([0, 1, 2, 3, 4].map(trunk));
    expect(settled.trunks).toEqual(Array.from({ length: chains - 5 }, (_, i) => trunk(i + 5)));
  });

  it('finds nothing in zeroed or random pages', () => {
    expect(freelistTrunksOf(readerOf(8, {}), pageSize).trunks).toEqual([]);
    const random = new Uint8Array(8 * pageSize).map((_, index) => (index * 2654435761) >>> 24);
    expect(freelistTrunksOf(new SourcePageReader(new MemorySource('noise', random), pageSize), pageSize).trunks).toEqual([]);
  });
});

describe.skipIf(!hasSqlite3())('a database whose page 1 is zeroed', () => {
  const directory = makeTempDir('exhume-headerless-');
  afterAll(() => removeDir(directory));

  function build(encoding: string): { path: string; ledger: ReturnType<typeof oracleRows>; merchants: ReturnType<typeof oracleRows>; live: Set<string> } {
    const path = join(directory, `${encoding}.db`);
    runSqlite(
      path,
      `PRAGMA encoding='${encoding}'; PRAGMA page_size=1024; ${schemaSql.split('\n').slice(1, 3).join('\n')}
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<400) INSERT INTO trans_record SELECT x, 'A1B2C3D4', printf('%06d', x), x*7, CASE x%3 WHEN 0 THEN NULL ELSE 'memo ' || x END FROM c;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<100) INSERT INTO merchant SELECT printf('8222900701%05d', x), 'shop ' || x, x/4.0 FROM c;`,
    );
    const ledger = oracleRows(path, 'trans_record');
    const merchants = oracleRows(path, 'merchant');
    runSqlite(path, 'DELETE FROM trans_record WHERE id % 6 = 1; DELETE FROM merchant WHERE rowid % 4 = 0;');
    const live = new Set(oracleRows(path, 'trans_record').map((row) => row.rowid ?? ''));
    const bytes = readFileSync(path);
    bytes.fill(0, 0, 1024);
    writeFileSync(path, bytes);
    return { path, ledger, merchants, live };
  }

  it.each(['UTF-8', 'UTF-16le'])('%s: shapes inferred, named by the schema file, deleted rows carved with no phantoms', (encoding) => {
    const { path, ledger, merchants, live } = build(encoding);
    const unnamed = recoverDatabase(path);
    expect(unnamed.pageSize).toBe(1024);
    expect(unnamed.encoding).toBe(encoding === 'UTF-8' ? 1 : 2);
    expect(unnamed.tables.map((table) => [table.name, table.kind])).toEqual([
      ['unknown-1', 'headerless'],
      ['unknown-2', 'headerless'],
    ]);
    const result = recoverDatabase(path, { schemaSql, keepLiveRecords: true });
    const table = result.tables.find((entry) => entry.name === 'trans_record');
    const merchant = result.tables.find((entry) => entry.name === 'merchant');
    expect(table?.columns).toEqual(['id', 'tid', 'trace_no', 'amount', 'memo']);
    expect(table?.liveCount).toBe(live.size);
    const deleted = ledger.filter((row) => !live.has(row.rowid ?? ''));
    const matches = (values: readonly (string | null)[], row: (typeof ledger)[number]): boolean => row.values.every((value, column) => (column === 0 && values[0] === null) || values[column] === value.text);
    for (const record of table?.freed ?? []) expect(ledger.some((row) => matches(record.values, row)), JSON.stringify(record.values)).toBe(true);
    for (const record of merchant?.freed ?? []) expect(merchants.some((row) => matches(record.values, row)), JSON.stringify(record.values)).toBe(true);
    const back = deleted.filter((row) => table?.freed.some((record) => record.status === 'deleted' && matches(record.values, row)));
    expect(back.length).toBeGreaterThanOrEqual(Math.floor(deleted.length * 0.9));
  });

  it('freelist pages: trunks recognised by their structure, the pages they list carved as freed (not orphans), no phantoms', () => {
    const path = join(directory, 'freelist.db');
    runSqlite(
      path,
      `PRAGMA page_size=1024; ${schemaSql.split('\n').slice(1, 3).join('\n')}
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<600) INSERT INTO trans_record SELECT x, 'A1B2C3D4', printf('%06d', x), x*7, 'memo ' || x FROM c;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<100) INSERT INTO merchant SELECT printf('8222900701%05d', x), 'shop ' || x, x/4.0 FROM c;`,
    );
    const ledger = oracleRows(path, 'trans_record');
    // Settlement: a range of whole leaf pages goes to the freelist (a trunk and the leaves it lists).
    runSqlite(path, 'DELETE FROM trans_record WHERE id BETWEEN 101 AND 450;');
    const freelistCount = Number(runSqlite(path, 'PRAGMA freelist_count;').trim().split('\n').pop());
    expect(freelistCount).toBeGreaterThan(5);
    const live = new Set(oracleRows(path, 'trans_record').map((row) => row.rowid ?? ''));
    // The same file with its header: what the intact recovery brings back is the bar.
    const intact = recoverDatabase(path).tables.find((entry) => entry.name === 'trans_record');
    const bytes = readFileSync(path);
    bytes.fill(0, 0, 1024);
    writeFileSync(path, bytes);
    const result = recoverDatabase(path, { schemaSql, keepLiveRecords: true });
    expect(result.issues.map((problem) => problem.code)).toContain('sqlite.headerless.freelist-found');
    const table = result.tables.find((entry) => entry.name === 'trans_record');
    // The cells the free pages still list are not counted as live orphans.
    expect(table?.liveCount).toBe(live.size);
    expect(new Set(table?.live.map((record) => record.rowid))).toEqual(live);
    const matches = (values: readonly (string | null)[], row: (typeof ledger)[number]): boolean => row.values.every((value, column) => (column === 0 && values[0] === null) || values[column] === value.text);
    for (const record of table?.freed ?? []) expect(ledger.some((row) => matches(record.values, row)), JSON.stringify(record.values)).toBe(true);
    const fromFreelist = (table?.freed ?? []).filter((record) => record.state === 'freelist');
    expect(fromFreelist.length).toBeGreaterThan(100);
    // A freed page rebalancing emptied still holds copies of rows that live elsewhere: stale copies.
    for (const record of fromFreelist) expect([record.rowid, record.status]).toEqual([record.rowid, record.rowid !== null && live.has(record.rowid) ? 'stale-copy' : 'deleted']);
    expect(fromFreelist.filter((record) => record.status === 'deleted').length).toBeGreaterThan(100);
    const deletedTraces = (records: readonly { status: string; values: readonly (string | null)[] }[] | undefined): Set<string | null> => new Set((records ?? []).filter((record) => record.status === 'deleted').map((record) => record.values[2] ?? null));
    expect(deletedTraces(table?.freed)).toEqual(deletedTraces(intact?.freed));
    expect(deletedTraces(table?.freed).size).toBeGreaterThan(300);
  });

  it('WITHOUT ROWID: with --schema its index pages are decoded as its rows, freed rows carved, an ordinary index left alone', () => {
    const path = join(directory, 'without-rowid.db');
    const sql = `CREATE TABLE batch_total (batch_no TEXT NOT NULL, trace_no TEXT NOT NULL, amount INTEGER, note TEXT, PRIMARY KEY (batch_no, trace_no)) WITHOUT ROWID;
CREATE TABLE journal (trace_no TEXT, amount INTEGER);
CREATE INDEX ix_journal ON journal(trace_no);`;
    runSqlite(
      path,
      `PRAGMA page_size=1024; ${sql}
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<600) INSERT INTO batch_total SELECT printf('%06d', 1 + x/50), printf('%06d', x), x*13, 'settled batch ' || x FROM c;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<300) INSERT INTO journal SELECT printf('T%05d', x), x FROM c;`,
    );
    const before = oracleRows(path, 'batch_total', { withoutRowid: true });
    runSqlite(path, "DELETE FROM batch_total WHERE CAST(trace_no AS INTEGER) % 5 = 2;");
    const after = oracleRows(path, 'batch_total', { withoutRowid: true });
    const bytes = readFileSync(path);
    bytes.fill(0, 0, 1024);
    writeFileSync(path, bytes);
    const keyOf = (values: readonly (string | null)[]): string => JSON.stringify(values);
    const rowValues = (row: (typeof before)[number]): (string | null)[] => row.values.map((value) => value.text);
    // Without a schema: index pages are never decoded (an ordinary index repeats rows found elsewhere).
    expect(recoverDatabase(path).tables.some((table) => table.withoutRowid)).toBe(false);
    const result = recoverDatabase(path, { schemaSql: sql, keepLiveRecords: true });
    const table = result.tables.find((entry) => entry.name === 'batch_total');
    expect(table?.withoutRowid).toBe(true);
    expect(table?.columns).toEqual(['batch_no', 'trace_no', 'amount', 'note']);
    // Every live row comes back (interior cells included), nothing else is listed.
    expect(new Set(table?.live.map((record) => keyOf(record.values)))).toEqual(new Set(after.map((row) => keyOf(rowValues(row)))));
    expect(table?.live.length).toBe(after.length);
    // Freed records: only values that existed; most deleted rows back as deleted.
    const all = new Set(before.map((row) => keyOf(rowValues(row))));
    for (const record of table?.freed ?? []) expect(all.has(keyOf(record.values)), JSON.stringify(record.values)).toBe(true);
    const liveKeys = new Set(after.map((row) => keyOf(rowValues(row))));
    const deleted = before.filter((row) => !liveKeys.has(keyOf(rowValues(row))));
    const back = deleted.filter((row) => table?.freed.some((record) => record.status === 'deleted' && keyOf(record.values) === keyOf(rowValues(row))));
    expect(back.length).toBeGreaterThanOrEqual(Math.floor(deleted.length * 0.9));
    expect(table?.freed.every((record) => record.rowid === null)).toBe(true);
  });

  it('a schema larger than page 1: its surviving rows name the tables and their root pages attribute the leaves, no --schema needed', () => {
    const path = join(directory, 'big-schema.db');
    // 40 tables with long column lists: sqlite_schema spills from page 1 onto leaves elsewhere.
    const tables = Array.from({ length: 40 }, (_, index) => `CREATE TABLE t${index} (id INTEGER PRIMARY KEY, ${Array.from({ length: 12 }, (_, column) => `field_${column}_of_table_${index} TEXT`).join(', ')});`);
    // Two tables of the same shape: only their root pages can tell their rows apart.
    const fill = [3, 7].map((table) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<300) INSERT INTO t${table} (id, field_0_of_table_${table}) SELECT x, 'row ' || x || ' of t${table}' FROM c;`);
    runSqlite(path, `PRAGMA page_size=1024; ${tables.join('\n')} ${fill.join('\n')}`);
    const t3 = oracleRows(path, 't3');
    const t7 = oracleRows(path, 't7');
    const bytes = readFileSync(path);
    bytes.fill(0, 0, 1024);
    writeFileSync(path, bytes);
    const result = recoverDatabase(path, { keepLiveRecords: true });
    expect(result.issues.map((problem) => problem.code)).toContain('sqlite.headerless.schema-recovered');
    for (const [name, rows] of [['t3', t3], ['t7', t7]] as const) {
      const table = result.tables.find((entry) => entry.name === name);
      expect(table?.columns[1]).toBe(`field_0_of_table_${name.slice(1)}`);
      expect(table?.live.map((record) => record.values[1]).sort()).toEqual(rows.map((row) => row.values[1]?.text ?? null).sort());
      expect(table?.live.every((record) => record.confidence.reasons[0]?.includes('reached from root page') === true)).toBe(true);
    }
    expect(result.tables.find((entry) => entry.name === 'sqlite_schema')?.live.length ?? 0).toBeGreaterThan(0);
  });

  it('a BLOB whose last overflow page reads as a trunk list naming live leaves: not taken as free, every live row stays live', () => {
    const path = join(directory, 'blob-trunk.db');
    const blobSize = 3000;
    const build = (blob: Uint8Array): void => {
      rmSync(path, { force: true });
      runSqlite(
        path,
        `PRAGMA page_size=1024; ${schemaSql.split('\n')[1]}
CREATE TABLE attachment (id INTEGER PRIMARY KEY, body BLOB);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<600) INSERT INTO trans_record SELECT x, 'A1B2C3D4', printf('%06d', x), x*7, 'memo ' || x FROM c;
INSERT INTO attachment (body) VALUES (X'${Buffer.from(blob).toString('hex')}');`,
      );
    };
    const pagesOf = (name: string, type: string): number[] =>
      runSqlite(path, `SELECT pageno FROM dbstat WHERE name = '${name}' AND pagetype = '${type}' ORDER BY pageno;`)
        .trim()
        .split('\n')
        .map(Number)
        .filter((pageNumber) => pageNumber > 0); // the PRAGMA runSqlite starts with prints a 0
    build(new Uint8Array(blobSize));
    // The engine says which pages are the ledger's live leaves (its root is interior).
    const leaves = pagesOf('trans_record', 'leaf');
    expect(leaves.length).toBeGreaterThan(10);
    expect(pagesOf('trans_record', 'internal').length).toBeGreaterThan(0);
    // A 3,004-byte payload keeps 964 bytes in its cell and fills two overflow pages of 1,020
    // bytes: the last one's content (after its 4-byte zero next pointer) is the BLOB from byte 1,980.
    const blob = new Uint8Array(blobSize);
    const view = new DataView(blob.buffer);
    const named = leaves.slice(2, 8);
    view.setUint32(1980, named.length);
    named.forEach((leaf, index) => view.setUint32(1984 + 4 * index, leaf));
    build(blob);
    expect(pagesOf('trans_record', 'leaf')).toEqual(leaves);
    const overflow = pagesOf('attachment', 'overflow');
    const bytes = readFileSync(path);
    const last = overflow.find((page) => bytes.readUInt32BE((page - 1) * 1024) === 0) as number;
    expect(bytes.subarray((last - 1) * 1024, (last - 1) * 1024 + 8 + 4 * named.length)).toEqual(Buffer.from([0, 0, 0, 0, ...blob.subarray(1980, 1984 + 4 * named.length)]));
    const ledger = new Set(oracleRows(path, 'trans_record').map((row) => row.rowid ?? ''));
    bytes.fill(0, 0, 1024);
    writeFileSync(path, bytes);
    // By structure alone the overflow page is a trunk listing six live leaves.
    expect(freelistTrunksOf(new SourcePageReader(new MemorySource('blob-trunk', bytes), 1024), 1024).trunks).toEqual([last]);
    const result = recoverDatabase(path, { schemaSql, keepLiveRecords: true });
    const codes = result.issues.map((problem) => problem.code);
    expect(codes).toContain('sqlite.headerless.freelist-rejected');
    expect(codes).not.toContain('sqlite.headerless.freelist-found');
    expect(result.issues.find((problem) => problem.code === 'sqlite.headerless.freelist-rejected')?.message).toContain(`page ${last} (names page ${last}, which page`);
    const table = result.tables.find((entry) => entry.name === 'trans_record');
    expect(new Set(table?.live.map((record) => record.rowid))).toEqual(ledger);
    expect((table?.freed ?? []).filter((record) => record.state === 'freelist')).toEqual([]);
  });
});
