// Full `exhume scan` (CSV + DFXML + NDJSON + manifest) of the 700k-row bench database and of a
// 100k-row subset, with 1 and 2 workers, against `sqlite3 -csv 'SELECT * FROM t' > /dev/null` in
// the same script (the machine is shared and noisy: quote CPU time and ratios, best of 3).
//
// Usage: npm run build && node bench/scan-full.js [ROUNDS]
// Environment: EXHUME_BENCH_SIZES=100000,700000 (which databases), EXHUME_BENCH_WORKERS=1,2,
// EXHUME_CLI=path/to/main.js (another build), EXHUME_CLI_BEFORE=path/to/main.js (a copy of dist/
// from before a change, run in the same rounds, interleaved, so that both see the same load).
// The 700k database comes from `node bench/run.js`; the subset is copied from it with sqlite3.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDataDirectory, machine, sqlite } from './lib.js';

const directory = ensureDataDirectory();
const rounds = Number(process.argv[2] ?? 3);
const sizes = (process.env.EXHUME_BENCH_SIZES ?? '100000,700000').split(',').map(Number);
const workerCounts = (process.env.EXHUME_BENCH_WORKERS ?? '1,2').split(',').map(Number);
const fullPath = join(directory, 'ledger-700000.db');
const cli = process.env.EXHUME_CLI ?? new URL('../dist/src/cli/main.js', import.meta.url).pathname;
const builds = [{ label: 'exhume scan', cli }, ...(process.env.EXHUME_CLI_BEFORE === undefined ? [] : [{ label: 'before', cli: process.env.EXHUME_CLI_BEFORE }])];

if (!existsSync(fullPath)) {
  process.stderr.write(`${fullPath} is missing: run \`node bench/run.js\` first\n`);
  process.exit(1);
}
if (!existsSync(cli)) {
  process.stderr.write(`${cli} is missing: run \`npm run build\` first\n`);
  process.exit(1);
}

/** The first `rows` rows of the 700k database, same schema, written by sqlite3. */
function subset(rows) {
  if (rows === 700_000) return fullPath;
  const path = join(directory, `ledger-${rows}.db`);
  if (existsSync(path)) return path;
  process.stderr.write(`copying ${rows} rows into ${path} with sqlite3 …\n`);
  const schema = spawnSync('sqlite3', [fullPath, "SELECT sql FROM sqlite_master WHERE name = 't'"], { encoding: 'utf8' }).stdout.trim();
  sqlite(path, `PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; ATTACH '${fullPath}' AS source; ${schema};
INSERT INTO main.t SELECT * FROM source.t WHERE id <= ${rows} ORDER BY id;`);
  return path;
}

/** Runs a command under GNU time: wall, user + system CPU (children included), peak RSS. */
function measure(command, args) {
  const result = spawnSync('/usr/bin/time', ['-f', 'EXHUME_TIME %e %U %S %M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const line = result.stderr.split('\n').find((text) => text.startsWith('EXHUME_TIME '));
  if (line === undefined || (result.status !== 0 && result.status !== 2)) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  const [wall, user, system, rssKb] = line.split(' ').slice(1).map(Number);
  return { wallSeconds: wall, cpuSeconds: user + system, peakRssMb: rssKb / 1024 };
}

function folderSize(folder) {
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    total += entry.isDirectory() ? folderSize(path) : statSync(path).size;
  }
  return total;
}

const best = (runs, key) => runs.reduce((a, b) => (b[key] < a[key] ? b : a));
const lines = [`machine: ${machine()}`, `rounds: ${rounds} (best of), command: node dist/src/cli/main.js scan DB --out TMP --workers N --quiet`];
const scratch = mkdtempSync(join(tmpdir(), 'exhume-scan-bench-'));
try {
  for (const rows of sizes) {
    const database = subset(rows);
    const sizeMb = statSync(database).size / 1e6;
    const reference = [];
    const runsOf = new Map();
    let outputBytes = 0;
    for (let round = 0; round < rounds; round++) {
      reference.push(measure('sh', ['-c', `sqlite3 -csv 'file:${database}?immutable=1' 'SELECT * FROM t' > /dev/null`]));
      for (const workers of workerCounts) {
        for (const build of builds) {
          const out = join(scratch, `out-${rows}-${workers}`);
          rmSync(out, { recursive: true, force: true });
          const key = `${build.label}/${workers}`;
          runsOf.set(key, [...(runsOf.get(key) ?? []), measure(process.execPath, [build.cli, 'scan', database, '--out', out, '--workers', String(workers), '--quiet'])]);
          outputBytes = folderSize(out);
          rmSync(out, { recursive: true, force: true });
        }
      }
    }
    const wall = best(reference, 'wallSeconds');
    const cpu = best(reference, 'cpuSeconds');
    lines.push(
      `${rows} rows (${sizeMb.toFixed(1)} MB): sqlite3 -csv SELECT * > /dev/null: wall ${wall.wallSeconds.toFixed(2)} s, CPU ${cpu.cpuSeconds.toFixed(2)} s, peak RSS ${wall.peakRssMb.toFixed(0)} MB`,
    );
    for (const [key, runs] of runsOf) {
      const [label, workers] = key.split('/');
      const fastest = best(runs, 'wallSeconds');
      const leanest = best(runs, 'cpuSeconds');
      lines.push(
        `  ${label}, ${workers} worker(s): wall ${fastest.wallSeconds.toFixed(2)} s (${(fastest.wallSeconds / wall.wallSeconds).toFixed(1)}x sqlite3), ` +
          `CPU ${leanest.cpuSeconds.toFixed(2)} s (${(leanest.cpuSeconds / cpu.cpuSeconds).toFixed(1)}x sqlite3), ` +
          `${((rows / fastest.wallSeconds) / 1000).toFixed(1)}k records/s, peak RSS ${Math.max(...runs.map((run) => run.peakRssMb)).toFixed(0)} MB, ` +
          `output ${(outputBytes / 1e6).toFixed(0)} MB`,
      );
    }
    process.stderr.write(`${lines.slice(-1 - runsOf.size).join('\n')}\n`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.stdout.write(`${lines.join('\n')}\n`);
