/**
 * Golden reports of the committed samples: the records CSVs, transactions.csv and issues.csv of
 * every sample, and report.xml of the two smallest, as exhume wrote them once and an engineer
 * reviewed them. Regenerate with EXHUME_UPDATE_GOLDEN=1 (then review the diff by hand).
 * report.xml is compared with its declared timestamp and machine-specific fields blanked.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir } from './support/sqlite3.js';

const golden = 'test/golden/samples';
const samples = ['pos-ledger', 'pos-wal', 'pos-hot-journal', 'pos-persist', 'pos-damaged'];
const withXml = new Set(['pos-ledger', 'pos-damaged']);
const update = process.env['EXHUME_UPDATE_GOLDEN'] === '1';

function files(directory: string): string[] {
  const out: string[] = [];
  const visit = (folder: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) visit(path);
      else out.push(relative(directory, path));
    }
  };
  visit(directory);
  return out;
}

/** Blanks what may differ between machines and runs: the command line's output folder, times, host. */
function normalizeXml(text: string): string {
  return text
    .replace(/<command_line>[^<]*<\/command_line>/, '<command_line/>')
    .replace(/<start_time>[^<]*<\/start_time>/, '<start_time/>')
    .replace(/<(os_sysname|os_release|os_version|host|arch|uid|username)>[^<]*<\/\1>/g, '<$1/>')
    .replace(/<library name="node" version="[^"]*"\/>/, '<library name="node"/>');
}

describe('golden reports of the committed samples', () => {
  const directory = makeTempDir();
  afterAll(() => removeDir(directory));

  it.each(samples)('%s', (sample) => {
    const out = join(directory, sample);
    const result = spawnSync(process.execPath, ['dist/src/cli/main.js', 'scan', `samples/${sample}`, '--out', out, '--workers', '1', '--quiet'], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const produced = files(out).filter((name) => name.endsWith('.csv') || (name === 'report.xml' && withXml.has(sample)));
    const expectedDirectory = join(golden, sample);
    if (update) {
      rmSync(expectedDirectory, { recursive: true, force: true });
      mkdirSync(expectedDirectory, { recursive: true });
      for (const name of produced) {
        mkdirSync(join(expectedDirectory, name, '..'), { recursive: true });
        cpSync(join(out, name), join(expectedDirectory, name));
      }
      if (withXml.has(sample)) {
        writeFileSync(join(expectedDirectory, 'report.xml'), normalizeXml(readFileSync(join(out, 'report.xml'), 'utf8')));
      }
    }
    expect(existsSync(expectedDirectory), `no golden for ${sample}: run with EXHUME_UPDATE_GOLDEN=1 and review`).toBe(true);
    expect(produced).toEqual(files(expectedDirectory));
    for (const name of produced) {
      const actual = readFileSync(join(out, name), 'utf8');
      const expected = readFileSync(join(expectedDirectory, name), 'utf8');
      expect(name === 'report.xml' ? normalizeXml(actual) : actual, `${sample}/${name}`).toBe(expected);
    }
  });
});
