// Shared helpers for the benchmarks: generated data lives in bench/.data (git-ignored).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export const dataDirectory = new URL('./.data/', import.meta.url).pathname;

export function ensureDataDirectory() {
  mkdirSync(dataDirectory, { recursive: true });
  return dataDirectory;
}

export function sqlite(databasePath, script) {
  execFileSync('sqlite3', ['-batch', '-bail', databasePath], { input: `PRAGMA secure_delete=OFF;\n${script}\n`, maxBuffer: 1 << 30 });
}

/** Runs a command, returns wall time in ms and peak RSS in MB (GNU time when present). */
export function timed(command, args, options = {}) {
  const useTime = existsSync('/usr/bin/time');
  const started = process.hrtime.bigint();
  const result = useTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, ...options })
    : spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...options });
  const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0 && result.status !== 2) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  let peakRssMb;
  if (useTime) {
    const lines = result.stderr.trim().split('\n');
    peakRssMb = Number(lines[lines.length - 1]) / 1024;
  }
  return { milliseconds, peakRssMb, stdout: result.stdout };
}

export function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`;
}

export function fileSizeMb(path) {
  return statSync(path).size / 1e6;
}

export function best(runs, key) {
  return runs.reduce((a, b) => (b[key] < a[key] ? b : a));
}

export { join };
