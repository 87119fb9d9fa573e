import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { Manifest, TimestampField } from '../../src/reports/manifest.js';
import { prepareOutputDirectory } from '../../src/reports/output-directory.js';
import { openReportWriter } from '../../src/reports/writer.js';
import { makeTempDir, removeDir } from '../support/sqlite3.js';
import { LEDGER_TABLE, makeFinish, makeIssue, makeLiveRecord, makeRecord, makeRun, makeTransaction } from '../support/evidence.js';
import { listFiles, writeReport, type ReportInputData } from './helpers.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) removeDir(directory);
});

function tempDir(): string {
  const directory = makeTempDir('exhume-writer-');
  directories.push(directory);
  return directory;
}

function sampleData(): ReportInputData {
  const other = { database: 'pos.db', table: 'batch', columns: ['batch_no', 'total'], withoutRowid: false };
  return {
    tables: [LEDGER_TABLE, other],
    records: [
      makeRecord(),
      makeRecord({ database: 'pos.db', table: 'batch', values: ['000012', '123400'], types: ['text', 'integer'] }),
      makeLiveRecord(),
      makeRecord({ state: 'wal-uncommitted', status: 'superseded', frameIndex: 9 }),
    ],
    issues: [makeIssue(), makeIssue({ code: 'wal.frame.checksum-mismatch', severity: 'error' }), makeIssue()],
    transactions: [makeTransaction()],
  };
}

/** Replaces every declared timestamp field of `file` with a placeholder, checking the rest is untouched. */
function blankTimestamps(directory: string, file: string, fields: readonly TimestampField[]): string {
  let text = readFileSync(join(directory, file), 'utf8');
  const setPointer = (object: unknown, pointer: string): void => {
    const keys = pointer.split('/').slice(1);
    let target = object as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
    const last = keys.at(-1) as string;
    expect(target[last], `${file} ${pointer}`).toBeDefined();
    target[last] = '<timestamp>';
  };
  for (const field of fields.filter((candidate) => candidate.file === file)) {
    if ('xpath' in field) {
      expect(field.xpath).toBe('/dfxml/creator/execution_environment/start_time');
      expect(text.match(/<start_time>[^<]*<\/start_time>/g)).toHaveLength(1);
      text = text.replace(/<start_time>[^<]*<\/start_time>/, '<start_time/>');
    } else if ('line' in field) {
      const lines = text.split('\n');
      const object: unknown = JSON.parse(lines[field.line - 1] ?? 'null');
      expect(JSON.stringify(object)).toBe(lines[field.line - 1]);
      setPointer(object, field.jsonPointer);
      lines[field.line - 1] = JSON.stringify(object);
      text = lines.join('\n');
    } else {
      const object: unknown = JSON.parse(text);
      expect(`${JSON.stringify(object, null, 2)}\n`).toBe(text);
      setPointer(object, field.jsonPointer);
      text = `${JSON.stringify(object, null, 2)}\n`;
    }
  }
  return text;
}

describe('determinism', () => {
  test('two runs on the same input differ only in the declared timestamp fields', async () => {
    const first = tempDir();
    const second = tempDir();
    const third = tempDir();
    const manifest = await writeReport(first, sampleData());
    await writeReport(second, { ...sampleData(), run: makeRun({ startTime: new Date('2027-06-30T23:59:59.999Z') }), endTime: new Date('2027-07-01T00:10:00.000Z') });
    await writeReport(third, sampleData());
    expect(listFiles(second)).toEqual(listFiles(first));
    let differing = 0;
    for (const file of listFiles(first)) {
      const left = readFileSync(join(first, file));
      const right = readFileSync(join(second, file));
      if (!left.equals(right)) differing++;
      expect(blankTimestamps(second, file, manifest.timestampFields), file).toBe(blankTimestamps(first, file, manifest.timestampFields));
      // Same times: every byte identical, manifest included.
      expect(readFileSync(join(third, file)), file).toEqual(left);
    }
    expect(differing).toBe(3); // manifest.json, report.xml, evidence.ndjson
  });

  test('bounding open files (suspend and resume in append mode) does not change a byte', async () => {
    const tables = ['a', 'b', 'c'].map((table) => ({ database: 'pos.db', table, columns: ['x'], withoutRowid: false }));
    const records = Array.from({ length: 30 }, (_, index) => makeRecord({ database: 'pos.db', table: ['a', 'b', 'c'][index % 3] as string, values: [`v${index}`], types: ['text'] }));
    const bounded = tempDir();
    const unbounded = tempDir();
    await writeReport(bounded, { tables, records, options: { maximumOpenTableFiles: 1, excel: true } });
    await writeReport(unbounded, { tables, records, options: { excel: true } });
    for (const file of listFiles(unbounded)) expect(readFileSync(join(bounded, file)), file).toEqual(readFileSync(join(unbounded, file)));
    const text = readFileSync(join(bounded, 'records/pos.db/a.csv'), 'utf8');
    expect(text.match(/record_id/g)).toHaveLength(1);
    expect(text.match(/\uFEFF/g)).toHaveLength(1);
    expect(text.trimEnd().split('\n')).toHaveLength(11);
  });
});

describe('manifest.json', () => {
  test('lists every output with its real SHA-256 and size, counts, issues, inputs and timing', async () => {
    const directory = tempDir();
    const run = makeRun();
    const opened = await openReportWriter(directory, run);
    if (opened.kind !== 'opened') throw new Error(opened.message);
    const data = sampleData();
    for (const table of data.tables ?? []) await opened.writer.addTable(table);
    await opened.writer.addRecords(data.records ?? []);
    await opened.writer.addIssues(data.issues ?? []);
    const manifest = await opened.writer.finish(
      makeFinish(run, { inputsVerified: [{ sha256: 'ff'.repeat(32), md5: run.inputs[0]?.md5 ?? '', unchanged: true }], timings: { scan: 1200, hash: 900 } }),
    );
    const onDisk = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as Manifest;
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(manifest)));
    expect(listFiles(directory)).toEqual([...manifest.outputs.map((output) => output.path), 'manifest.json'].sort());
    for (const output of manifest.outputs) {
      const bytes = readFileSync(join(directory, output.path));
      expect(output.sha256, output.path).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(output.sizeInBytes, output.path).toBe(bytes.length);
    }
    expect(manifest.counts).toEqual({
      records: 4,
      tables: 2,
      transactions: 0,
      byState: { 'db-live': 1, freeblock: 2, 'wal-uncommitted': 1 },
      byStatus: { deleted: 2, live: 1, superseded: 1 },
    });
    expect(manifest.issues).toEqual({
      total: 3,
      byCode: { 'sqlite.page.bad-cell-pointer': 2, 'wal.frame.checksum-mismatch': 1 },
      bySeverity: { error: 1, warning: 2 },
    });
    // The caller said unchanged, but the SHA-256 differs: the manifest does not say unchanged.
    expect(manifest.inputs[0]?.verifiedAtEnd.unchanged).toBe(false);
    expect(manifest.inputs[0]?.absolutePath).toBe('/evidence/case1/pos-emmc.img');
    expect(manifest.timing).toEqual({
      startTime: '2026-01-15T09:30:00.000Z',
      endTime: '2026-01-15T09:31:02.500Z',
      durationMilliseconds: 62500,
      phases: { scan: 1200, hash: 900 },
    });
    expect(manifest.commandLine).toEqual(run.commandLine);
    expect(manifest.options).toEqual(run.options);
    expect(manifest.outputs.filter((output) => output.kind === 'records').map((output) => [output.database, output.table, output.itemCount])).toEqual([
      ['carved/sqlite-0x00500000.db', 'trans_record', 3],
      ['pos.db', 'batch', 1],
    ]);
    // No absolute temporary path anywhere in the outputs.
    for (const file of listFiles(directory)) expect(readFileSync(join(directory, file), 'utf8'), file).not.toContain(directory);
  });
});

describe('formats', () => {
  test('csv and xml can be turned off; evidence.ndjson, issues.csv and manifest.json are always written', async () => {
    const directory = tempDir();
    const manifest = await writeReport(directory, { ...sampleData(), options: { csv: false, xml: false } });
    expect(listFiles(directory)).toEqual(['evidence.ndjson', 'issues.csv', 'manifest.json']);
    expect(manifest.report).toEqual({ excel: false, csv: false, xml: false });
    expect(manifest.counts.records).toBe(4);
  });
});

describe('atomic writes', () => {
  test('no final name exists before finish(); no .partial remains after it', async () => {
    const directory = tempDir();
    const run = makeRun();
    const opened = await openReportWriter(directory, run);
    if (opened.kind !== 'opened') throw new Error(opened.message);
    const data = sampleData();
    for (const table of data.tables ?? []) await opened.writer.addTable(table);
    await opened.writer.addRecords(data.records ?? []);
    await opened.writer.addIssues(data.issues ?? []);
    await opened.writer.addTransactions(data.transactions ?? []);
    const during = listFiles(directory);
    expect(during.length).toBeGreaterThan(0);
    for (const file of during) expect(file, file).toMatch(/\.partial$/);
    await opened.writer.finish(makeFinish(run));
    for (const file of listFiles(directory)) expect(file).not.toMatch(/\.partial$/);
    expect(existsSync(join(directory, 'manifest.json'))).toBe(true);
  });

  test('abort() removes every partial file and leaves the folder reusable', async () => {
    const directory = tempDir();
    const opened = await openReportWriter(directory, makeRun({ inputs: [] }));
    if (opened.kind !== 'opened') throw new Error(opened.message);
    const data = sampleData();
    for (const table of data.tables ?? []) await opened.writer.addTable(table);
    await opened.writer.addRecords(data.records ?? []);
    await opened.writer.abort();
    expect(listFiles(directory)).toEqual([]);
    expect((await prepareOutputDirectory(directory, { force: false, inputPaths: [] })).kind).toBe('ready');
  });
});

describe('programmer errors throw', () => {
  test('undeclared table, conflicting declaration, overlapping calls, wrong verification count, use after finish', async () => {
    const directory = tempDir();
    const run = makeRun();
    const opened = await openReportWriter(directory, run);
    if (opened.kind !== 'opened') throw new Error(opened.message);
    const writer = opened.writer;
    await expect(writer.addRecords([makeRecord()])).rejects.toThrow(/was not declared with addTable/);
    await writer.addTable(LEDGER_TABLE);
    await writer.addTable({ ...LEDGER_TABLE });
    await expect(writer.addTable({ ...LEDGER_TABLE, columns: ['x'] })).rejects.toThrow(/declared twice/);
    const pending = writer.addRecords([makeRecord()]);
    await expect(writer.addIssues([makeIssue()])).rejects.toThrow(/has not completed/);
    await pending;
    await expect(writer.finish({ endTime: new Date(0), inputsVerified: [] })).rejects.toThrow(/input verifications/);
    await writer.finish(makeFinish(run));
    await expect(writer.addRecords([makeRecord()])).rejects.toThrow(/finished/);
  });
});

describe('prepareOutputDirectory', () => {
  test('creates a missing folder and accepts an empty one', async () => {
    const parent = tempDir();
    const outcome = await prepareOutputDirectory(join(parent, 'new', 'case1'), { force: false, inputPaths: [] });
    expect(outcome.kind).toBe('ready');
    expect(existsSync(join(parent, 'new', 'case1'))).toBe(true);
    expect((await prepareOutputDirectory(join(parent, 'new', 'case1'), { force: false, inputPaths: [] })).kind).toBe('ready');
  });

  test('refuses a non-empty folder unless forced; force removes only exhume outputs', async () => {
    const directory = tempDir();
    await writeReport(directory, sampleData());
    writeFileSync(join(directory, 'notes.txt'), 'examiner notes');
    writeFileSync(join(directory, 'report.xml.partial'), 'left by a crash');
    const refused = await prepareOutputDirectory(directory, { force: false, inputPaths: [] });
    expect(refused).toMatchObject({ kind: 'refused', reason: 'not-empty' });
    expect(refused.kind === 'refused' && refused.message).toContain('--force');
    const forced = await prepareOutputDirectory(directory, { force: true, inputPaths: [] });
    expect(forced).toMatchObject({
      kind: 'ready',
      removed: ['evidence.ndjson', 'issues.csv', 'manifest.json', 'page-versions.csv', 'records', 'report.xml', 'report.xml.partial', 'transactions.csv'],
      kept: ['notes.txt'],
    });
    expect(listFiles(directory)).toEqual(['notes.txt']);
  });

  test('refuses a folder that contains an input, lies inside an input folder, or is a file', async () => {
    const directory = tempDir();
    const image = join(directory, 'evidence', 'pos.img');
    mkdirSync(join(directory, 'evidence'));
    writeFileSync(image, 'image');
    expect(await prepareOutputDirectory(directory, { force: true, inputPaths: [image] })).toMatchObject({ kind: 'refused', reason: 'contains-input' });
    expect(await prepareOutputDirectory(join(directory, 'evidence', 'out'), { force: true, inputPaths: [join(directory, 'evidence')] })).toMatchObject({
      kind: 'refused',
      reason: 'inside-input',
    });
    expect(await prepareOutputDirectory(image, { force: true, inputPaths: [] })).toMatchObject({ kind: 'refused', reason: 'not-a-directory' });
    // Through a symbolic link too.
    symlinkSync(join(directory, 'evidence'), join(directory, 'link'));
    expect(await prepareOutputDirectory(join(directory, 'link'), { force: true, inputPaths: [image] })).toMatchObject({ kind: 'refused', reason: 'contains-input' });
    expect(readFileSync(image, 'utf8')).toBe('image');
  });

  test('openReportWriter refuses the same way, before writing anything', async () => {
    const directory = tempDir();
    writeFileSync(join(directory, 'something'), 'x');
    const outcome = await openReportWriter(directory, makeRun());
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'not-empty' });
    expect(listFiles(directory)).toEqual(['something']);
  });
});
