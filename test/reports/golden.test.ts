import { DFXML_SCHEMA } from '../support/paths.js';
/**
 * Golden output folder for a small hand-built run (fixed environment and times). Regenerate with
 * EXHUME_UPDATE_GOLDEN=1 after an intended format change, and review the diff.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { extendPath, filePath } from '../../src/provenance/path.js';
import { makeTempDir, removeDir } from '../support/sqlite3.js';
import { LEDGER_TABLE, makeIssue, makeLiveRecord, makeRecord, makeTransaction } from '../support/evidence.js';
import { listFiles, writeReport } from './helpers.js';

const GOLDEN = join('test', 'golden', 'reports', 'sample');

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) removeDir(directory);
});

function hasXmllint(): boolean {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

test('the sample run matches the golden folder byte for byte', async () => {
  const directory = makeTempDir('exhume-golden-');
  directories.push(directory);
  const overflow = extendPath(
    extendPath(extendPath(filePath('pos-emmc.img'), { kind: 'range', start: 0x500000, length: 0xa000 }), { kind: 'sqlite-page', pageNumber: 4, pageSize: 4096 }),
    { kind: 'overflow', pageNumbers: [5, 6] },
  );
  await writeReport(directory, {
    tables: [LEDGER_TABLE],
    records: [
      makeRecord(),
      makeLiveRecord({ values: ['B7', '-120', '156', '退款 "refund", line1\nline2', ''], types: ['text', 'integer', 'integer', 'text', 'text'] }),
      makeRecord({ path: extendPath(overflow, { kind: 'cell', offsetInPage: 0 }), imageOffset: undefined, pageNumber: 4, offsetInPage: 0, flags: ['overflow-missing'], values: ['C\u0001', null] }),
    ],
    issues: [makeIssue()],
    transactions: [makeTransaction()],
  });
  if (process.env['EXHUME_UPDATE_GOLDEN'] === '1') {
    rmSync(GOLDEN, { recursive: true, force: true });
    mkdirSync(GOLDEN, { recursive: true });
    cpSync(directory, GOLDEN, { recursive: true });
  }
  expect(listFiles(directory)).toEqual(listFiles(GOLDEN));
  for (const file of listFiles(GOLDEN)) expect(readFileSync(join(directory, file), 'utf8'), file).toBe(readFileSync(join(GOLDEN, file), 'utf8'));
});

test.skipIf(!hasXmllint())('the golden report.xml validates against the DFXML schema', () => {
  execFileSync('xmllint', ['--noout', '--schema', DFXML_SCHEMA, join(GOLDEN, 'report.xml')], { stdio: 'pipe' });
});
