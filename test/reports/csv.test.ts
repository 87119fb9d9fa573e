import { stringify } from 'csv-stringify/sync';
import { afterEach, describe, expect, test } from 'vitest';
import type { Cell } from '../../src/reports/columns.js';
import { csvRowText } from '../../src/reports/csv.js';
import { makeTempDir, removeDir } from '../support/sqlite3.js';
import { LEDGER_TABLE, makeIssue, makeLiveRecord, makeRecord, makeTransaction } from '../support/evidence.js';
import { parseCsv, readText, writeReport } from './helpers.js';
import type { Manifest } from '../../src/reports/manifest.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) removeDir(directory);
});

function tempDir(): string {
  const directory = makeTempDir('exhume-reports-');
  directories.push(directory);
  return directory;
}

function recordsPath(manifest: Manifest, table = 'trans_record'): string {
  const output = manifest.outputs.find((entry) => entry.kind === 'records' && entry.table === table);
  if (output === undefined) throw new Error(`no CSV for ${table}`);
  return output.path;
}

/** Rows of a record CSV as objects keyed by header (null = unquoted empty cell). */
function recordRows(directory: string, manifest: Manifest, table?: string): Record<string, string | null>[] {
  const [header, ...rows] = parseCsv(readText(directory, recordsPath(manifest, table)));
  return rows.map((row) => Object.fromEntries((header ?? []).map((name, index) => [name ?? '', row[index] ?? null])));
}

describe('record CSV', () => {
  test('pins the exact bytes of one freeblock row', async () => {
    const directory = tempDir();
    const manifest = await writeReport(directory, { records: [makeRecord()] });
    expect(manifest.outputs.map((output) => output.path)).toContain('records/carved_sqlite-0x00500000.db-e02b18ad/trans_record.csv');
    expect(readText(directory, recordsPath(manifest)).split('\n')[1]).toBe(
      '1,sqlite:record,freeblock,deleted,page-scan,medium,first 4 bytes overwritten by freeblock header; rowid unknown,' +
        'header-rebuilt rowid-unknown,pos-emmc.img,5271093,0x00506e35,147,' +
        'file:pos-emmc.img > range@0x00500000+0x0000a000 > sqlite-page#7 > cell@0x00000e35,5271093,' +
        'carved/sqlite-0x00500000.db,trans_record,7,3637,,,,,,eea5375c8e34a6c46313a0d0955ee7b1ed93fb29aab4f90d4f234b2e14c6ac05,' +
        'text integer integer text null,A1B2C3D4,5800,156,"coffee, ""large""",,',
    );
  });

  test('escapes commas, quotes, CR and LF, and round-trips Chinese text', async () => {
    const directory = tempDir();
    const memo = '收银台 3号, "会员" 折扣\n第二行\r\n第三行';
    const manifest = await writeReport(directory, { records: [makeRecord({ values: ['T1', '5800', '156', memo, 'a,b'] })] });
    const [row] = recordRows(directory, manifest);
    expect(row?.['memo']).toBe(memo);
    expect(row?.['receipt']).toBe('a,b');
    expect(readText(directory, recordsPath(manifest))).toContain('"收银台 3号, ""会员"" 折扣\n第二行\r\n第三行"');
  });

  test('tells NULL (unquoted empty) from the empty string (quoted ""), and value_types says which', async () => {
    const directory = tempDir();
    const record = makeRecord({ values: ['T1', '0', null, '', null], types: ['text', 'integer', 'null', 'text', 'null'] });
    const manifest = await writeReport(directory, { records: [record] });
    const line = readText(directory, recordsPath(manifest)).split('\n')[1] ?? '';
    expect(line.endsWith(',text integer null text null,T1,0,,"",,')).toBe(true);
    const [row] = recordRows(directory, manifest);
    expect(row?.['currency']).toBeNull();
    expect(row?.['memo']).toBe('');
    expect(row?.['value_types']).toBe('text integer null text null');
  });

  test('keeps 64-bit integers and rowids exact', async () => {
    const directory = tempDir();
    const record = makeLiveRecord({ values: ['T1', '-9223372036854775808', '18446744073709551615', 'x', null] });
    const manifest = await writeReport(directory, { records: [record] });
    const [row] = recordRows(directory, manifest);
    expect(row?.['rowid']).toBe('9223372036854775807');
    expect(row?.['amount']).toBe('-9223372036854775808');
    expect(row?.['currency']).toBe('18446744073709551615');
  });

  test('a record shorter than its schema shows absent columns; a longer one keeps extras in extra_values', async () => {
    const directory = tempDir();
    const short = makeRecord({ values: ['T1', '5'], types: ['text', 'integer'], flags: ['fewer-columns-than-schema'] });
    const long = makeRecord({ values: ['T2', '6', '156', 'm', null, 'extra', null], types: ['text', 'integer', 'integer', 'text', 'null', 'text', 'null'] });
    const manifest = await writeReport(directory, { records: [short, long] });
    const [first, second] = recordRows(directory, manifest);
    expect(first?.['value_types']).toBe('text integer absent absent absent');
    expect(first?.['memo']).toBeNull();
    expect(first?.['extra_values']).toBeNull();
    expect(second?.['value_types']).toBe('text integer integer text null text null');
    expect(second?.['extra_values']).toBe('["extra",null]');
  });

  test('renames a table column that clashes with a provenance column and lists it in the manifest', async () => {
    const directory = tempDir();
    const table = { database: 'pos.db', table: 'weird', columns: ['state', ''], withoutRowid: true };
    const record = makeRecord({ database: 'pos.db', table: 'weird', values: ['open', 'x'], types: ['text', 'text'] });
    const manifest = await writeReport(directory, { tables: [table], records: [record] });
    const output = manifest.outputs.find((entry) => entry.table === 'weird');
    expect(output?.path).toBe('records/pos.db/weird.csv');
    expect(output?.renamedColumns).toEqual({ value_state: 'state', c1: '' });
    const [row] = recordRows(directory, manifest, 'weird');
    expect(row?.['state']).toBe('freeblock');
    expect(row?.['value_state']).toBe('open');
  });

  test('a declared table without records still gets a header-only file', async () => {
    const directory = tempDir();
    const manifest = await writeReport(directory, { tables: [LEDGER_TABLE] });
    const text = readText(directory, recordsPath(manifest));
    expect(text.split('\n')).toHaveLength(2);
    expect(text.startsWith('record_id,data_type,')).toBe(true);
    expect(manifest.outputs.find((output) => output.kind === 'records')?.itemCount).toBe(0);
  });
});

describe('--excel', () => {
  test('adds a BOM, neutralises formulas and keeps the exact bytes in values_hex', async () => {
    const directory = tempDir();
    const values = ['=HYPERLINK("http://x")', '-5800', '+1', '@SUM(A1)', '\tcmd|/c calc', '正常'];
    const table = { database: 'pos.db', table: 'excel', columns: ['a', 'b', 'c', 'd', 'e', 'f'], withoutRowid: false };
    const record = makeRecord({ database: 'pos.db', table: 'excel', values, types: ['text', 'integer', 'text', 'text', 'text', 'text'] });
    const manifest = await writeReport(directory, { tables: [table], records: [record], options: { excel: true } });
    const text = readText(directory, recordsPath(manifest, 'excel'));
    expect(text.startsWith('\uFEFFrecord_id,')).toBe(true);
    const [row] = recordRows(directory, manifest, 'excel');
    expect([row?.['a'], row?.['b'], row?.['c'], row?.['d'], row?.['e'], row?.['f']]).toEqual([
      `'=HYPERLINK("http://x")`, `'-5800`, `'+1`, `'@SUM(A1)`, `'\tcmd|/c calc`, '正常',
    ]);
    const hex = JSON.parse(row?.['values_hex'] ?? 'null') as (string | null)[];
    expect(hex.map((value) => (value === null ? null : Buffer.from(value, 'hex').toString('utf8')))).toEqual(values);
    // issues.csv and transactions.csv get the BOM too.
    expect(readText(directory, 'issues.csv').startsWith('\uFEFFcode,')).toBe(true);
  });

  test('without --excel, formulas are written as they are and there is no BOM or values_hex', async () => {
    const directory = tempDir();
    const manifest = await writeReport(directory, { records: [makeRecord({ values: ['=1+1', '-5', null, null, null] })] });
    const text = readText(directory, recordsPath(manifest));
    expect(text.startsWith('record_id,')).toBe(true);
    expect(text).not.toContain('values_hex');
    const [row] = recordRows(directory, manifest);
    expect(row?.['tid']).toBe('=1+1');
    expect(row?.['amount']).toBe('-5');
  });
});

describe('issues.csv and transactions.csv', () => {
  test('issues: code, severity, image offsets, provenance, message, details as JSON', async () => {
    const directory = tempDir();
    await writeReport(directory, { issues: [makeIssue(), makeIssue({ code: 'sqlite.header.bad-magic', severity: 'error', message: 'bad, "magic"' })] });
    const rows = parseCsv(readText(directory, 'issues.csv'));
    expect(rows[0]).toEqual(['code', 'severity', 'image', 'image_offset', 'image_offset_hex', 'provenance', 'offset_in_leaf', 'message', 'details']);
    expect(rows[1]).toEqual([
      'sqlite.page.bad-cell-pointer', 'warning', 'pos-emmc.img', '5267464', '0x00506008',
      'file:pos-emmc.img > range@0x00500000+0x0000a000 > sqlite-page#7', '8',
      'cell pointer 0x1fff at 0x00506008 points past the page end', '{"pointer":8191,"pageNumber":7}',
    ]);
    expect(rows[2]?.[7]).toBe('bad, "magic"');
  });

  test('transactions: bigint fields are written exactly, in decimal', async () => {
    const directory = tempDir();
    await writeReport(directory, { transactions: [makeTransaction(), makeTransaction({ transaction: 'wal-2', sequence: 2n, generation: null, pages: [] })] });
    const rows = parseCsv(readText(directory, 'transactions.csv'));
    expect(rows[1]).toEqual([
      'wal-1', 'carved/sqlite-0x00500000.db', 'wal', '1', '9007199254740993', 'committed', 'valid', '1', '3', '2 7 9', '1', '1', '0',
      '{"salt1":249284222,"checkpoint":"18446744073709551615"}',
    ]);
    expect(rows[2]?.slice(3, 5)).toEqual(['2', null]);
    expect(rows[2]?.[9]).toBeNull();
  });
});

describe('csvRowText (plain) equals csv-stringify', () => {
  test('on hostile fields, row by row', () => {
    const fields: Cell[] = ['', 'plain', 'a,b', 'say "hi"', '"', ',', 'cr\ronly', 'lf\nonly', 'crlf\r\n', 'tab\there', ' lead', 'trail ', '=1+2', '-5', '@x', 'nul\u0000', 'bom\ufeff', '示例便利店', "it's", null, 0, -1, 3.5, 2 ** 53, 12345678901234567890n, -7n];
    const rows: Cell[][] = [[], ...fields.map((field) => [field]), fields, [...fields].reverse(), fields.map((_, index) => fields[(index * 7) % fields.length] as Cell)];
    const plain = { header: false, bom: false, escape_formulas: false, quoted_match: /^$/, cast: { bigint: (value: bigint) => value.toString(), boolean: (value: boolean) => (value ? 'true' : 'false') } };
    for (const row of rows) expect(csvRowText(row, false)).toBe(stringify([row], plain));
  });
});
