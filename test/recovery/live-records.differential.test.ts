/**
 * Differential backbone: databases made by the real sqlite3 engine over a matrix of page sizes,
 * encodings and auto-vacuum modes; every live row we decode must equal sqlite3's SELECT output.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSqlite3, makeTempDir, oracleRows, removeDir, runSqlite, userTables } from '../support/sqlite3.js';
import { asOracleRows, readDatabaseFile, sortRows } from '../support/read-database.js';

const pageSizes = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const encodings = ['UTF-8', 'UTF-16le', 'UTF-16be'];
const vacuums = ['NONE', 'FULL', 'INCREMENTAL'];

function overflowLengths(pageSize: number): number[] {
  const usable = pageSize;
  const maxTable = usable - 35;
  const minLocal = Math.floor(((usable - 12) * 32) / 255) - 23;
  const maxIndex = Math.floor(((usable - 12) * 64) / 255) - 23;
  return [maxTable - 8, maxTable - 7, maxTable - 6, maxIndex - 3, maxIndex + 1, minLocal, usable * 3 + 17, usable - 4 + minLocal];
}

function script(pageSize: number, encoding: string, vacuum: string): string {
  const lengths = overflowLengths(pageSize);
  const integers = [
    '0', '1', '-1', '127', '128', '-128', '-129', '255', '256', '32767', '32768', '-32768', '-32769', '8388607', '8388608', '-8388609',
    '2147483647', '2147483648', '-2147483649', '140737488355327', '140737488355328', '-140737488355329', '9007199254740991',
    '9007199254740993', '-9007199254740993', '9223372036854775807', '-9223372036854775808',
  ];
  const reals = ['0.1', '1e100', '-0.0', '1e-300', '123456789012345.0', '1.5', '3.0', '-2.5e-7', '1e15', '999999999999999.9', '0.30000000000000004', '5e-324', '1.7976931348623157e308', '9e999', '-9e999', '2.0e-5', '100.0'];
  return `
PRAGMA page_size=${pageSize};
PRAGMA encoding='${encoding}';
PRAGMA auto_vacuum=${vacuum};
CREATE TABLE trans_record (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, tid TEXT NOT NULL, batch_no TEXT, trace_no TEXT, amount INTEGER, rate REAL, memo TEXT, sig BLOB, flag INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<400)
INSERT INTO trans_record (tid, batch_no, trace_no, amount, rate, memo, sig, flag)
SELECT 'A1B2C3D4', printf('%06d', x/50), printf('%06d', x), x*137 % 100000, CASE x%5 WHEN 0 THEN NULL WHEN 1 THEN x*1.0 ELSE x/7.0 END,
  CASE x%4 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN '示例便利店 ' || x ELSE 'memo ' || x END,
  CASE x%3 WHEN 0 THEN NULL WHEN 1 THEN x'' ELSE randomblob(x%40) END, x%2 FROM c;
DELETE FROM trans_record WHERE id % 7 = 3;
CREATE TABLE extremes (i INTEGER, r REAL, t TEXT, b BLOB, anything);
${integers.map((value) => `INSERT INTO extremes VALUES (${value}, ${value}, '${value}', x'${Buffer.from(value).toString('hex')}', ${value});`).join('\n')}
${reals.map((value) => `INSERT INTO extremes VALUES (NULL, ${value}, 'r', NULL, ${value});`).join('\n')}
INSERT INTO extremes VALUES (NULL, NULL, 'emoji 😀 and 中文 and ünïcödé', zeroblob(10), 'x');
INSERT INTO extremes VALUES (1, 2, '', x'', '');
CREATE TABLE memo_overflow (id INTEGER PRIMARY KEY, body TEXT, data BLOB);
${lengths.map((length, index) => `INSERT INTO memo_overflow VALUES (${index + 1}, substr(printf('%.*c', ${length}, 'x') || '', 1, ${length}), randomblob(${length}));`).join('\n')}
${lengths.map((length, index) => `INSERT INTO memo_overflow VALUES (${index + 100}, printf('%0${Math.max(1, Math.floor(length / 2))}d', ${index}), NULL);`).join('\n')}
CREATE TABLE "sys param" ("key" TEXT PRIMARY KEY NOT NULL, [value] TEXT, \`n\` INTEGER DEFAULT 0) WITHOUT ROWID;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<300)
INSERT INTO "sys param" SELECT printf('KEY_%05d', x), CASE x%10 WHEN 0 THEN printf('%.*c', ${lengths[2]}, 'v') ELSE 'value ' || x END, x FROM c;
CREATE TABLE composite(tid TEXT, trace INTEGER, amount INTEGER, note TEXT, PRIMARY KEY (trace, tid)) WITHOUT ROWID;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<200)
INSERT INTO composite SELECT 'T' || (x%3), x, x*10, CASE WHEN x%17=0 THEN printf('%.*c', ${lengths[6]}, 'n') ELSE NULL END FROM c;
CREATE TABLE altered(a INTEGER, b TEXT);
INSERT INTO altered VALUES (1, 'one'), (2, 'two');
ALTER TABLE altered ADD COLUMN c TEXT DEFAULT 'dflt';
ALTER TABLE altered ADD COLUMN d INTEGER DEFAULT 42;
ALTER TABLE altered ADD COLUMN e REAL DEFAULT -1.5;
ALTER TABLE altered ADD COLUMN f DEFAULT NULL;
ALTER TABLE altered ADD COLUMN g BLOB DEFAULT x'00ff';
INSERT INTO altered VALUES (3, 'three', 'c3', 7, 2.25, 'f', x'01');
CREATE TABLE no_alias(x TEXT, y INTEGER); INSERT INTO no_alias VALUES ('a', 1), ('b', 2);
DELETE FROM no_alias WHERE y = 1; INSERT INTO no_alias VALUES ('c', 3);
CREATE TABLE desc_key(id INTEGER PRIMARY KEY DESC, v TEXT); INSERT INTO desc_key VALUES (5, 'five'), (9, 'nine');
CREATE TABLE/*comment*/spaced( -- a comment
  "a""b" TEXT,  c INT /* inline */, d VARCHAR(10,2) NOT NULL DEFAULT ('z'), CHECK (c > 0)
);
INSERT INTO spaced VALUES ('q', 1, 'r');
CREATE INDEX ix_tid ON trans_record(tid, trace_no);
${Array.from({ length: 12 }, (_, index) => `CREATE TABLE many_${index}(k INTEGER PRIMARY KEY, v TEXT); INSERT INTO many_${index} VALUES (${index}, 'v${index}');`).join('\n')}
DROP TABLE many_3;
`;
}

describe.skipIf(!hasSqlite3())('live records equal sqlite3 SELECT output', () => {
  const directory = makeTempDir();
  afterAll(() => removeDir(directory));
  const cases = pageSizes.flatMap((pageSize) => encodings.flatMap((encoding) => vacuums.map((vacuum) => ({ pageSize, encoding, vacuum }))));
  it.each(cases)('page size $pageSize, $encoding, auto_vacuum $vacuum', ({ pageSize, encoding, vacuum }) => {
    const location = join(directory, `m-${pageSize}-${encoding}-${vacuum}.db`);
    runSqlite(location, script(pageSize, encoding, vacuum));
    const database = readDatabaseFile(location);
    const tables = userTables(location);
    expect(tables.length).toBeGreaterThan(10);
    for (const table of tables) {
      const expected = sortRows(oracleRows(location, table.name, { withoutRowid: table.withoutRowid }));
      const ours = sortRows(asOracleRows(database.records.get(table.name) ?? [], table.withoutRowid));
      expect({ table: table.name, rows: ours }).toEqual({ table: table.name, rows: expected });
    }
    expect(database.issues.filter((problem) => problem.severity !== 'info')).toEqual([]);
  });
});
