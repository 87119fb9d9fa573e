// WAL decoding: a WAL of 10k+ frames written by sqlite3 (copied with its database while the
// connection is open), decoded by the scan pipeline (frames checked, generations and transactions,
// ownership replayed, every frame's page decoded, row-level events). Reports frames/s, records/s
// and peak RSS for 1 and 2 workers, best of 3.
//
// Usage: npm run build && node bench/wal.js            (also run at the end of `npm run bench`)
// Environment: EXHUME_BENCH_WAL_TRANSACTIONS (pairs of small transactions after the bulk load, default 5000).
// Child mode (one measured run): node bench/wal.js --child DATABASE WORKERS [--heap]
// --heap (0 workers: in-process): also the peak of the heap still reachable after a full
// collection, sampled every 50 sink calls (what the decode holds, without collector headroom).
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { best, ensureDataDirectory, machine, sqlite, timed } from './lib.js';

if (process.argv[2] === '--child') {
  const [databasePath, workersText, heapFlag] = process.argv.slice(3);
  let collect;
  if (heapFlag === '--heap') {
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc');
  }
  let sinkCalls = 0;
  let peakRetained = 0;
  const sample = () => {
    if (collect === undefined || ++sinkCalls % 50 !== 0) return;
    collect();
    peakRetained = Math.max(peakRetained, process.memoryUsage().heapUsed);
  };
  const { expandInputs } = await import('../dist/src/sources/inputs.js');
  const { WorkerPool } = await import('../dist/src/pool/pool.js');
  const { scanGroups } = await import('../dist/src/pipeline/scan.js');
  const pool = new WorkerPool(Number(workersText ?? '2'));
  let records = 0;
  let walRecords = 0;
  let frames = 0;
  let transactions = 0;
  let events = 0;
  const sink = {
    addTable() {},
    addRecords(batch) {
      sample();
      records += batch.length;
      for (const record of batch) if (record.frameIndex !== undefined) walRecords++;
    },
    addIssues(batch) {
      for (const problem of batch) if (problem.code === 'wal.decoded') frames = problem.details.frameCount;
    },
    addTransactions(rows) {
      sample();
      transactions += rows.length;
      for (const row of rows) events += row.events?.length ?? 0;
    },
  };
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  await scanGroups(expandInputs([databasePath]).groups, pool, sink);
  const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  await pool.close();
  process.stdout.write(
    `${JSON.stringify({ frames, records, walRecords, transactions, events, milliseconds, cpuMilliseconds: (cpu.user + cpu.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, ...(collect === undefined ? {} : { peakRetainedMb: peakRetained / 1048576 }) })}\n`,
  );
  process.exit(0);
}

const directory = ensureDataDirectory();
const smallTransactions = Number(process.env.EXHUME_BENCH_WAL_TRANSACTIONS ?? 5000);
const databasePath = join(directory, `wal-${smallTransactions}.db`);
const walPath = `${databasePath}-wal`;

if (!existsSync(databasePath) || !existsSync(walPath)) {
  process.stderr.write(`generating ${databasePath} and its WAL with sqlite3 …\n`);
  const work = join(directory, `wal-${smallTransactions}-work.db`);
  for (const path of [work, `${work}-wal`, `${work}-shm`, databasePath, walPath]) rmSync(path, { force: true });
  // A bulk load (one large transaction), then many small ledger transactions (an insert and an
  // update each, like a terminal's day), then a settlement-like update touching every leaf.
  const statements = [];
  for (let index = 0; index < smallTransactions; index++) {
    statements.push(
      `INSERT INTO t (tid, trace_no, amount, status, memo) VALUES ('A1B2C3D4', printf('%06d', ${index}), ${(index * 7919) % 50000}, 0, 'sale ${index}');`,
      `UPDATE t SET status = status + 1 WHERE id = ${1 + ((index * 7907) % 60000)};`,
    );
  }
  sqlite(
    work,
    `PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=OFF;
CREATE TABLE t (id INTEGER PRIMARY KEY, tid TEXT, trace_no TEXT, amount INTEGER, status INTEGER, memo TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<60000)
INSERT INTO t (tid, trace_no, amount, status, memo) SELECT 'A1B2C3D4', printf('%06d', x), (x*7919)%50000, 0, 'bulk row ' || x FROM c;
${statements.join('\n')}
UPDATE t SET status = 9 WHERE id % 25 = 0;
.shell cp '${work}' '${databasePath}'
.shell cp '${work}-wal' '${walPath}'
`,
  );
  for (const path of [work, `${work}-wal`, `${work}-shm`]) rmSync(path, { force: true });
}

const walMb = statSync(walPath).size / 1e6;
const runs = { 1: [], 2: [] };
for (let round = 0; round < 3; round++) {
  for (const workers of [1, 2]) {
    const run = timed(process.execPath, [new URL(import.meta.url).pathname, '--child', databasePath, String(workers)]);
    runs[workers].push({ ...run, ...JSON.parse(run.stdout) });
  }
}
const lines = [`machine: ${machine()}`];
for (const workers of [1, 2]) {
  const run = best(runs[workers], 'milliseconds');
  const seconds = run.milliseconds / 1000;
  if (workers === 1) {
    lines.push(`WAL: ${run.frames} frames, ${walMb.toFixed(1)} MB, ${run.transactions} transactions (generated by sqlite3 into bench/.data)`);
  }
  lines.push(
    `exhume WAL decode (database + WAL through the scan pipeline), ${workers} worker(s): ${run.milliseconds.toFixed(0)} ms wall (${(run.cpuMilliseconds / 1000).toFixed(1)} s CPU, all threads), ` +
      `${(run.frames / seconds).toFixed(0)} frames/s, ${run.walRecords} WAL records (${(run.walRecords / seconds / 1000).toFixed(0)}k/s), ${run.events} row events, ` +
      `peak RSS ${run.peakRssMb?.toFixed(0) ?? run.maxRssMb.toFixed(0)} MB`,
  );
}
// Retained heap (in-process, sampled after full collections): slower, measured once.
const heapRun = timed(process.execPath, [new URL(import.meta.url).pathname, '--child', databasePath, '0', '--heap']);
const heap = { ...heapRun, ...JSON.parse(heapRun.stdout) };
lines.push(`retained heap, in-process (0 workers), peak after full collections: ${heap.peakRetainedMb.toFixed(0)} MB; peak RSS of that run ${heap.peakRssMb?.toFixed(0) ?? heap.maxRssMb.toFixed(0)} MB`);
process.stdout.write(`${lines.join('\n')}\n`);
