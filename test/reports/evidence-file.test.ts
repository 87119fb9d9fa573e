import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { Issue } from '../../src/issues/issue.js';
import { extendPath, filePath } from '../../src/provenance/path.js';
import { decodeEvidenceLine, readEvidenceFile, type EvidenceEntry } from '../../src/reports/evidence-file.js';
import { reprojectEvidenceFile } from '../../src/reports/replay.js';
import { makeTempDir, removeDir } from '../support/sqlite3.js';
import { IMAGE_MD5, IMAGE_SHA256, LEDGER_TABLE, makeIssue, makeLiveRecord, makeRecord, makeRun, makeTransaction } from '../support/evidence.js';
import { listFiles, writeReport, type ReportInputData } from './helpers.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) removeDir(directory);
});

function tempDir(): string {
  const directory = makeTempDir('exhume-evidence-');
  directories.push(directory);
  return directory;
}

/** A run exercising every line kind, two inputs, a stray root, odd text and a missing offset. */
function richData(excel: boolean): ReportInputData {
  const run = makeRun({
    inputs: [
      { path: 'pos-emmc.img', absolutePath: '/evidence/pos-emmc.img', sizeInBytes: 8388608, sha256: IMAGE_SHA256, md5: IMAGE_MD5 },
      { path: 'trans.db-wal', absolutePath: '/evidence/trans.db-wal', sizeInBytes: 4152, sha256: IMAGE_SHA256, md5: IMAGE_MD5 },
    ],
  });
  const oddTable = { database: '交易.db', table: 'odd\u0001', columns: ['=x', 'state'], withoutRowid: true };
  const overflowPath = extendPath(
    extendPath(extendPath(filePath('pos-emmc.img'), { kind: 'sqlite-page', pageNumber: 5, pageSize: 4096 }), { kind: 'cell', offsetInPage: 40 }),
    { kind: 'overflow', pageNumbers: [6] },
  );
  const records = [
    makeRecord(),
    makeLiveRecord({ values: ['收银', '-1', '9223372036854775807', '', null] }),
    makeRecord({ database: '交易.db', table: 'odd\u0001', values: ['=1+1\r\n', 'a\u0000b'], types: ['text', 'blob'] }),
    makeLiveRecord({ path: overflowPath, imageOffset: undefined, frameIndex: 4, journalRecordIndex: 2, checksum: 'invalid', transaction: 'wal-1' }),
    makeRecord({ path: extendPath(filePath('trans.db-wal'), { kind: 'cell', offsetInPage: 7 }) }),
  ];
  return {
    run,
    tables: [LEDGER_TABLE, oddTable],
    records,
    issues: [makeIssue(), withoutDetails(makeIssue({ severity: 'error', code: 'wal.frame.checksum-mismatch' }))],
    transactions: [makeTransaction()],
    options: { excel },
  };
}

function withoutDetails(issue: Issue): Issue {
  const { details: _details, ...rest } = issue;
  return rest;
}

describe('evidence.ndjson', () => {
  test.each([false, true])('re-projection writes byte-identical CSV, XML and NDJSON (excel %s)', async (excel) => {
    const scan = tempDir();
    const scanManifest = await writeReport(scan, richData(excel));
    const out = tempDir();
    const outcome = await reprojectEvidenceFile(join(scan, 'evidence.ndjson'), out, { force: false, commandLine: ['exhume', 'report', 'x', '--out', 'y'] });
    expect(outcome.kind).toBe('done');
    if (outcome.kind !== 'done') return;
    expect(listFiles(out)).toEqual(listFiles(scan));
    for (const file of listFiles(scan)) {
      if (file === 'manifest.json') continue;
      expect(readFileSync(join(out, file)), file).toEqual(readFileSync(join(scan, file)));
    }
    expect(outcome.manifest.outputs).toEqual(scanManifest.outputs);
    expect(outcome.manifest.reprojection?.commandLine).toEqual(['exhume', 'report', 'x', '--out', 'y']);
    expect(outcome.manifest.reprojection?.evidenceSha256).toBe(scanManifest.outputs.find((output) => output.kind === 'evidence')?.sha256);
  });

  test('decodes every kind, with bigints and absent image offsets intact', async () => {
    const scan = tempDir();
    const data = richData(false);
    await writeReport(scan, data);
    const entries: EvidenceEntry[] = [];
    for await (const entry of readEvidenceFile(join(scan, 'evidence.ndjson'))) entries.push(entry);
    expect(entries.map((entry) => entry.kind)).toEqual(['run', 'table', 'table', 'record', 'record', 'record', 'record', 'record', 'issue', 'issue', 'transaction', 'finish']);
    const transaction = entries.find((entry) => entry.kind === 'transaction');
    expect(transaction?.kind === 'transaction' && transaction.row).toEqual(makeTransaction());
    const records = entries.flatMap((entry) => (entry.kind === 'record' ? [entry.record] : []));
    expect(records).toEqual(data.records);
    expect(records[3]?.imageOffset).toBeUndefined();
    const run = entries[0];
    expect(run?.kind === 'run' && run.run.startTime.toISOString()).toBe('2026-01-15T09:30:00.000Z');
  });

  test('a malformed line is an outcome naming the line, and leaves no output behind', async () => {
    const scan = tempDir();
    await writeReport(scan, richData(false));
    const lines = readFileSync(join(scan, 'evidence.ndjson'), 'utf8').split('\n');
    lines[4] = '{"kind":"record","id":2,"dataType":7}';
    const broken = join(tempDir(), 'broken.ndjson');
    writeFileSync(broken, lines.join('\n'));
    const out = tempDir();
    const outcome = await reprojectEvidenceFile(broken, out, { force: false, commandLine: [] });
    expect(outcome).toEqual({ kind: 'malformed', lineNumber: 5, message: 'field "dataType" must be string' });
    expect(listFiles(out)).toEqual([]);
  });

  test('an evidence file without its finish line is incomplete', async () => {
    const scan = tempDir();
    await writeReport(scan, richData(false));
    const lines = readFileSync(join(scan, 'evidence.ndjson'), 'utf8').trimEnd().split('\n');
    const truncated = join(tempDir(), 'truncated.ndjson');
    writeFileSync(truncated, `${lines.slice(0, -1).join('\n')}\n`);
    const out = tempDir();
    const outcome = await reprojectEvidenceFile(truncated, out, { force: false, commandLine: [] });
    expect(outcome.kind).toBe('malformed');
    expect(outcome.kind === 'malformed' && outcome.message).toContain('no "finish" line');
    expect(listFiles(out)).toEqual([]);
  });

  test('an unreadable evidence file and an output folder holding it are refused', async () => {
    expect((await reprojectEvidenceFile('/nonexistent/evidence.ndjson', tempDir(), { force: false, commandLine: [] })).kind).toBe('unreadable');
    const scan = tempDir();
    await writeReport(scan, richData(false));
    const outcome = await reprojectEvidenceFile(join(scan, 'evidence.ndjson'), scan, { force: true, commandLine: [] });
    expect(outcome.kind).toBe('refused');
    expect(listFiles(scan)).toContain('evidence.ndjson');
  });

  test('decodeEvidenceLine never throws', () => {
    for (const line of ['', 'not json', '[]', '{"kind":"nope"}', '{"kind":"run","format":"exhume-evidence","formatVersion":2}', '{"kind":"record"}']) {
      expect(decodeEvidenceLine(line, 1).kind).toBe('malformed');
    }
  });
});
