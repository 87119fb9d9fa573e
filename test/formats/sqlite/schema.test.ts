import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { TableSchema } from '../../../src/formats/sqlite/schema.js';
import { parseCreateTable, tokenize } from '../../../src/formats/sqlite/schema.js';
import { hasSqlite3 } from '../../support/sqlite3.js';

function schemaOf(sql: string): TableSchema {
  const outcome = parseCreateTable(sql);
  if (!outcome.ok) throw new Error(`${sql}: ${outcome.problem}`);
  return outcome.schema;
}

function names(sql: string): string[] {
  return schemaOf(sql).columns.map((column) => column.name);
}

describe('tokenize', () => {
  it('drops comments and white space, keeps quoted identifiers, strings, numbers, blobs and punctuation', () => {
    expect(tokenize(`CREATE/*c*/TABLE "a""b"(x -- line\n, 'it''s' , [q r], \`t\`, 1.5e3, .5, 0x1F, X'00ff')`)).toEqual([
      { kind: 'word', text: 'CREATE' },
      { kind: 'word', text: 'TABLE' },
      { kind: 'quoted', text: 'a"b' },
      { kind: 'punct', text: '(' },
      { kind: 'word', text: 'x' },
      { kind: 'punct', text: ',' },
      { kind: 'string', text: "it's" },
      { kind: 'punct', text: ',' },
      { kind: 'quoted', text: 'q r' },
      { kind: 'punct', text: ',' },
      { kind: 'quoted', text: 't' },
      { kind: 'punct', text: ',' },
      { kind: 'number', text: '1.5e3' },
      { kind: 'punct', text: ',' },
      { kind: 'number', text: '.5' },
      { kind: 'punct', text: ',' },
      { kind: 'number', text: '0x1F' },
      { kind: 'punct', text: ',' },
      { kind: 'blob', text: '00ff' },
      { kind: 'punct', text: ')' },
    ]);
  });

  it('ends unterminated quotes, brackets, blobs and comments at the end of the text', () => {
    expect(tokenize('"abc')).toEqual([{ kind: 'quoted', text: 'abc' }]);
    expect(tokenize('[abc')).toEqual([{ kind: 'quoted', text: 'abc' }]);
    expect(tokenize("x'ab")).toEqual([{ kind: 'blob', text: 'ab' }]);
    expect(tokenize("'ab")).toEqual([{ kind: 'string', text: 'ab' }]);
    expect(tokenize('a /* never closed')).toEqual([{ kind: 'word', text: 'a' }]);
    expect(tokenize('a -- to the end')).toEqual([{ kind: 'word', text: 'a' }]);
  });
});

describe('parseCreateTable', () => {
  it('reads a POS ledger table: names, declared types, INTEGER PRIMARY KEY alias, record mapping', () => {
    const schema = schemaOf('CREATE TABLE trans_record (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, tid TEXT NOT NULL, amount INTEGER, rate REAL, memo VARCHAR(64), sig BLOB)');
    expect(schema).toEqual({
      name: 'trans_record',
      columns: [
        { name: 'id', declaredType: 'INTEGER', primaryKey: true, defaultValue: { type: 'null', text: null }, storedInRecord: true },
        { name: 'tid', declaredType: 'TEXT', primaryKey: false, defaultValue: { type: 'null', text: null }, storedInRecord: true },
        { name: 'amount', declaredType: 'INTEGER', primaryKey: false, defaultValue: { type: 'null', text: null }, storedInRecord: true },
        { name: 'rate', declaredType: 'REAL', primaryKey: false, defaultValue: { type: 'null', text: null }, storedInRecord: true },
        { name: 'memo', declaredType: 'VARCHAR(64)', primaryKey: false, defaultValue: { type: 'null', text: null }, storedInRecord: true },
        { name: 'sig', declaredType: 'BLOB', primaryKey: false, defaultValue: { type: 'null', text: null }, storedInRecord: true },
      ],
      withoutRowid: false,
      rowidAliasIndex: 0,
      primaryKeyIndexes: [0],
      recordToColumn: [0, 1, 2, 3, 4, 5],
    });
  });

  it('unquotes "x", `x`, [x] and \'x\' identifiers, with doubled quotes inside', () => {
    expect(names('CREATE TABLE "my table" ("a""b" TEXT, `c``d` INT, [e f] REAL, \'g\'\'h\' BLOB)')).toEqual(['a"b', 'c`d', 'e f', "g'h"]);
    expect(schemaOf('CREATE TABLE "my table" (x)').name).toBe('my table');
    expect(schemaOf('CREATE TABLE [my table] (x)').name).toBe('my table');
  });

  it('ignores -- and /* */ comments anywhere, and needs no space before "("', () => {
    const sql = `CREATE TABLE/*c*/t( -- first
      a TEXT, /* between */ b INT -- trailing
      ,c/**/REAL)`;
    expect(names(sql)).toEqual(['a', 'b', 'c']);
    expect(schemaOf('CREATE TABLE t(a TEXT(10)NOT NULL,b)').columns.map((column) => column.declaredType)).toEqual(['TEXT(10)', '']);
  });

  it('normalises declared types: upper case, single spaces, no spaces around parentheses and commas', () => {
    expect(schemaOf('CREATE TABLE t(a unsigned   big int, b decimal ( 10 , 2 ), c double precision, d)').columns.map((column) => column.declaredType)).toEqual([
      'UNSIGNED BIG INT',
      'DECIMAL(10,2)',
      'DOUBLE PRECISION',
      '',
    ]);
  });

  it('accepts column constraints in any order', () => {
    for (const sql of [
      'CREATE TABLE t(id INTEGER NOT NULL PRIMARY KEY, v)',
      'CREATE TABLE t(id INTEGER UNIQUE CHECK (id > 0) PRIMARY KEY ASC, v)',
      'CREATE TABLE t(id INTEGER CONSTRAINT pk PRIMARY KEY ON CONFLICT ABORT, v)',
      'CREATE TABLE t(id INTEGER DEFAULT 5 COLLATE BINARY PRIMARY KEY, v)',
    ]) {
      expect(schemaOf(sql)).toMatchObject({ rowidAliasIndex: 0, primaryKeyIndexes: [0], recordToColumn: [0, 1] });
    }
  });

  it('reads a table-level PRIMARY KEY (a, b) and CONSTRAINT name PRIMARY KEY', () => {
    expect(schemaOf('CREATE TABLE t(a TEXT, b INT, c, PRIMARY KEY (b, a))')).toMatchObject({ primaryKeyIndexes: [1, 0], rowidAliasIndex: -1, recordToColumn: [0, 1, 2] });
    expect(schemaOf('CREATE TABLE t(a TEXT, b INT, CONSTRAINT pk_t PRIMARY KEY (b COLLATE NOCASE DESC), UNIQUE (a), CHECK (b > 0), FOREIGN KEY (a) REFERENCES p(x))')).toMatchObject({
      primaryKeyIndexes: [1],
      rowidAliasIndex: -1,
    });
    // A table-level PRIMARY KEY on a single INTEGER column is still a rowid alias, DESC or not.
    expect(schemaOf('CREATE TABLE t(a TEXT, id INTEGER, PRIMARY KEY (id DESC))')).toMatchObject({ primaryKeyIndexes: [1], rowidAliasIndex: 1 });
    // Quoted names in the key list, matched case-insensitively.
    expect(schemaOf('CREATE TABLE t("Key" TEXT, v, PRIMARY KEY ("key"))')).toMatchObject({ primaryKeyIndexes: [0] });
  });

  it('puts the primary-key columns first in WITHOUT ROWID records', () => {
    expect(schemaOf('CREATE TABLE t(a TEXT, b INT, c BLOB, d, PRIMARY KEY (c, a)) WITHOUT ROWID')).toMatchObject({
      withoutRowid: true,
      rowidAliasIndex: -1,
      primaryKeyIndexes: [2, 0],
      recordToColumn: [2, 0, 1, 3],
    });
    expect(schemaOf('CREATE TABLE t(a TEXT, k INTEGER PRIMARY KEY, b) WITHOUT ROWID')).toMatchObject({ withoutRowid: true, rowidAliasIndex: -1, recordToColumn: [1, 0, 2] });
    expect(schemaOf('CREATE TABLE t(k TEXT PRIMARY KEY, v) without   rowid')).toMatchObject({ withoutRowid: true });
    expect(schemaOf('CREATE TABLE t(k TEXT PRIMARY KEY, v) STRICT, WITHOUT ROWID')).toMatchObject({ withoutRowid: true });
  });

  it('makes only INTEGER PRIMARY KEY a rowid alias: not INT, not BIGINT, not DESC', () => {
    expect(schemaOf('CREATE TABLE t(v, id integer primary key)').rowidAliasIndex).toBe(1);
    expect(schemaOf('CREATE TABLE t(id INTEGER PRIMARY KEY ASC)').rowidAliasIndex).toBe(0);
    expect(schemaOf('CREATE TABLE t(id INT PRIMARY KEY)').rowidAliasIndex).toBe(-1);
    expect(schemaOf('CREATE TABLE t(id BIGINT PRIMARY KEY)').rowidAliasIndex).toBe(-1);
    expect(schemaOf('CREATE TABLE t(id INTEGER PRIMARY KEY DESC)').rowidAliasIndex).toBe(-1);
    expect(schemaOf('CREATE TABLE t(id "INTEGER" PRIMARY KEY)').rowidAliasIndex).toBe(0);
    expect(schemaOf('CREATE TABLE t(a INTEGER, b INTEGER, PRIMARY KEY (a, b))').rowidAliasIndex).toBe(-1);
  });

  it.each([
    ["'text'", { type: 'text', text: 'text' }],
    ["'it''s'", { type: 'text', text: "it's" }],
    ["''", { type: 'text', text: '' }],
    ['0', { type: 'integer', text: '0' }],
    ['42', { type: 'integer', text: '42' }],
    ['-42', { type: 'integer', text: '-42' }],
    ['+7', { type: 'integer', text: '7' }],
    ['-1.5', { type: 'real', text: '-1.5' }],
    ['2.0', { type: 'real', text: '2.0' }],
    ['1e3', { type: 'real', text: '1000.0' }],
    ['.5', { type: 'real', text: '0.5' }],
    ['9223372036854775807', { type: 'integer', text: '9223372036854775807' }],
    ['-9223372036854775808', { type: 'integer', text: '-9223372036854775808' }],
    ['9223372036854775808', { type: 'real', text: '9.22337203685478e+18' }],
    ['0x10', { type: 'integer', text: '16' }],
    ['-0x10', { type: 'integer', text: '-16' }],
    ['0xffffffffffffffff', { type: 'integer', text: '-1' }],
    ["x'00FF'", { type: 'blob', text: '00ff' }],
    ['TRUE', { type: 'integer', text: '1' }],
    ['false', { type: 'integer', text: '0' }],
    ['NULL', { type: 'null', text: null }],
    ['CURRENT_TIMESTAMP', { type: 'null', text: null }],
    ["('z')", { type: 'text', text: 'z' }],
    ['((-3))', { type: 'integer', text: '-3' }],
  ] as const)('reads DEFAULT %s', (literal, value) => {
    expect(schemaOf(`CREATE TABLE t(a, b TEXT DEFAULT ${literal} NOT NULL, c)`).columns[1]?.defaultValue).toEqual(value);
  });

  it('keeps DEFAULT when a later constraint says SET DEFAULT', () => {
    expect(schemaOf('CREATE TABLE t(a INTEGER DEFAULT 5 REFERENCES p(id) ON DELETE SET DEFAULT, b)').columns[0]?.defaultValue).toEqual({ type: 'integer', text: '5' });
  });

  it('leaves VIRTUAL generated columns out of the record and keeps STORED ones', () => {
    const schema = schemaOf('CREATE TABLE t(a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL, c INT AS (a + 1) STORED, d INT AS (a - 1), e TEXT)');
    expect(schema.columns.map((column) => column.storedInRecord)).toEqual([true, false, true, false, true]);
    expect(schema.recordToColumn).toEqual([0, 2, 4]);
  });

  it('does not take AS inside CHECK, DEFAULT or a type for a generated column', () => {
    const schema = schemaOf('CREATE TABLE t(a INTEGER CHECK (CAST(a AS INTEGER) = a), b TEXT DEFAULT (CAST(1 AS TEXT)), c)');
    expect(schema.columns.map((column) => column.storedInRecord)).toEqual([true, true, true]);
    expect(schema.recordToColumn).toEqual([0, 1, 2]);
  });

  it('reads CREATE TEMP TABLE, IF NOT EXISTS, schema-qualified names and STRICT tables', () => {
    expect(schemaOf('CREATE TEMP TABLE t(a)').name).toBe('t');
    expect(schemaOf('CREATE TEMPORARY TABLE IF NOT EXISTS main.t(a)').name).toBe('t');
    expect(schemaOf('create table if not exists "main"."trans"(a)').name).toBe('trans');
    expect(schemaOf('CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b ANY) STRICT')).toMatchObject({ withoutRowid: false, rowidAliasIndex: 0, recordToColumn: [0, 1, 2] });
  });

  it.each([
    ['', 'not a CREATE statement'],
    ['SELECT 1', 'not a CREATE statement'],
    ['CREATE INDEX i ON t(a)', 'not a CREATE TABLE statement'],
    ['CREATE VIEW v AS SELECT 1', 'not a CREATE TABLE statement'],
    ['CREATE VIRTUAL TABLE f USING fts5(a)', 'virtual tables have no b-tree of their own'],
    ['CREATE TABLE t AS SELECT 1', 'no column list (CREATE TABLE … AS SELECT is not supported here)'],
    ['CREATE TABLE', 'no column list (CREATE TABLE … AS SELECT is not supported here)'],
    ['CREATE TABLE t()', 'no columns'],
    ['CREATE TABLE t(PRIMARY KEY (a))', 'no columns'],
    ['CREATE TABLE t(a, (b))', 'cannot read column definition "( b )"'],
  ])('returns ok:false for %j', (sql, problem) => {
    expect(parseCreateTable(sql)).toEqual({ ok: false, problem });
  });

  it('never throws on random token soup', () => {
    const pieces = ['CREATE', 'TABLE', 'TEMP', 'IF', 'NOT', 'EXISTS', 't', '"q', '"x"', '`b`', '[s]', "'str'", "x'0'", "X'", '(', ')', '(', ')', ',', ',', '.', '-', '+', '0x', '0x1', '-0x7', '1e', '1e5', '.', '..5', '99999999999999999999999', 'PRIMARY', 'KEY', 'DESC', 'DEFAULT', 'AS', 'GENERATED', 'STORED', 'VIRTUAL', 'WITHOUT', 'ROWID', 'STRICT', 'CONSTRAINT', 'CHECK', 'UNIQUE', 'FOREIGN', 'INTEGER', 'TRUE', '--', '/*', '*/', '\n', '€', '😀', '\u0000', ';'];
    let state = 0x2545f491;
    const next = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    let parsed = 0;
    for (let round = 0; round < 3000; round++) {
      const count = 1 + (next() % 30);
      const soup = Array.from({ length: count }, () => pieces[next() % pieces.length]).join(next() % 2 === 0 ? ' ' : '');
      const sql = round % 3 === 0 ? `CREATE TABLE t(${soup}` : round % 3 === 1 ? `CREATE TABLE t(a ${soup})` : soup;
      const outcome = parseCreateTable(sql);
      if (outcome.ok) {
        parsed++;
        for (const index of outcome.schema.recordToColumn) expect(index).toBeLessThan(outcome.schema.columns.length);
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasSqlite3())('against sqlite3 PRAGMA table_xinfo', () => {
  const statements = [
    'CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, tid TEXT NOT NULL, amount INTEGER DEFAULT 0, rate REAL DEFAULT -1.5, memo TEXT DEFAULT \'it\'\'s\', sig BLOB DEFAULT x\'00ff\')',
    'CREATE TABLE "sys param" ("key" TEXT PRIMARY KEY NOT NULL, [value] TEXT, `n` INTEGER DEFAULT 0) WITHOUT ROWID',
    'CREATE TABLE t(tid TEXT, trace INTEGER, amount INTEGER, note TEXT, PRIMARY KEY (trace, tid)) WITHOUT ROWID',
    'CREATE TABLE/*comment*/t( -- a comment\n "a""b" TEXT,  c INT /* inline */, d VARCHAR(10,2) NOT NULL DEFAULT (\'z\'), CHECK (c > 0))',
    'CREATE TABLE t(a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL, c INT AS (a + 1) STORED, d INT AS (a - 1), e TEXT)',
    'CREATE TABLE t(a INTEGER CHECK (CAST(a AS INTEGER) = a), b TEXT DEFAULT (CAST(1 AS TEXT)), c)',
    'CREATE TABLE t(a INTEGER DEFAULT 5 REFERENCES p(id) ON DELETE SET DEFAULT, b DEFAULT -0x10, c DEFAULT TRUE, d DEFAULT +7)',
    'CREATE TABLE t(id INTEGER CONSTRAINT pk PRIMARY KEY DESC, v)',
    'CREATE TABLE t(a unsigned   big int, b decimal ( 10 , 2 ), c double precision, d)',
    'CREATE TABLE t(id INTEGER, a TEXT, CONSTRAINT pk PRIMARY KEY (id))',
    'CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b ANY) STRICT',
  ];

  it.each(statements)('%s', (sql) => {
    const out = execFileSync('sqlite3', ['-batch', '-json', ':memory:'], { input: `${sql};\nPRAGMA table_xinfo(${/"sys param"/.test(sql) ? '"sys param"' : 't'});\n`, encoding: 'utf8' });
    const rows = JSON.parse(out) as { cid: number; name: string; type: string; pk: number; dflt_value: string | null; hidden: number }[];
    const schema = schemaOf(sql);
    expect(schema.columns.map((column) => column.name)).toEqual(rows.map((row) => row.name));
    expect(schema.columns.map((column) => column.declaredType)).toEqual(rows.map((row) => row.type.toUpperCase().replace(/\s+/g, ' ').replace(/\s*\(\s*/g, '(').replace(/\s*\)\s*/g, ')').replace(/\s*,\s*/g, ',')));
    const keyed = rows.filter((row) => row.pk > 0).sort((left, right) => left.pk - right.pk);
    expect(schema.primaryKeyIndexes).toEqual(keyed.map((row) => row.cid));
    expect(schema.columns.map((column) => column.storedInRecord)).toEqual(rows.map((row) => row.hidden !== 2));
  });
});
