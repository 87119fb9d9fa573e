// Raw-image carving benchmark (issue 5). A generated 1 GiB raw image (random bytes with a live
// WAL-mode ledger, its -wal, a deleted older copy and a second database at odd 512-aligned
// offsets) is carved end to end: windows scanned by the worker pool, SHA-256 and MD5 alongside,
// carriers assembled, records decoded. Reference tools run in the same script on the same file
// (the machine is shared and noisy): `cat img > /dev/null` and `sha256sum img`. Each figure is the
// best of 3; the page cache is warm (every command reads the file right after another did).
//
// Figures: GB/s of the whole carve (SHA-256 + MD5 + scan + carriers) at 1 and 2 workers beside
// cat and sha256sum, the ratio to sha256sum, for both read strategies (scan-image.ts); scaling
// 1 → 2 workers on the scan alone (hashing off, each worker reading its own windows, from
// scanImage's own clock); peak RSS (GNU time's %M, else the child's maxRSS) at 1 GiB and 4 GiB.
// Decoding the carved records is timed apart (it is the recovery stage, not the scan).
//
// The scan alone is timed twice: in a fresh process (worker start-up, module loading and the JIT's
// first unoptimised windows, about 0.2 s that does not shrink with more workers, included), and on
// started, warm workers (one untimed scan first), which is what a multi-gigabyte image sees after
// its first windows. Scaling is given beside a control: a pure-CPU loop on 1 and 2 threads, alternated with the scan
// runs (on a shared machine, the parallelism 2 threads can get at all), and the process CPU time
// per carve (cores actually used).
//
// Usage: npm run build && node bench/raw-image.js   (EXHUME_BENCH_ROUNDS=3, EXHUME_BENCH_SCALING_ROUNDS=8, EXHUME_BENCH_LARGE_GIB=4)
//        node bench/raw-image.js --child IMAGE WORKERS HASH(0|1) [shared|workers-read]   (one carve, JSON out)
import { GiB, ensureImage } from './raw-image-lib.js';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { best, machine, timed } from './lib.js';

if (process.argv[2] === '--child') {
  const [image, workersText, hashText, strategy, warmText] = process.argv.slice(3);
  const { carveImage } = await import('../dist/src/assembly/carve/carve-image.js');
  const { WorkerPool } = await import('../dist/src/pool/pool.js');
  const pool = new WorkerPool(Number(workersText));
  // `warm`: one untimed scan first, so the timed one runs on started workers whose scan loop the
  // JIT has already optimised (what every window after the first few of a large image sees).
  // EXHUME_WINDOW=BYTES: another window size (the window-size probe of the README's scaling notes).
  const window = process.env.EXHUME_WINDOW ? { windowSizeInBytes: Number(process.env.EXHUME_WINDOW) } : {};
  if (warmText === 'warm') (await carveImage(image, { pool, hash: false, readStrategy: strategy ?? 'shared', progress: { quiet: true }, ...window })).close();
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const carved = await carveImage(image, { pool, hash: hashText === '1', readStrategy: strategy ?? 'shared', progress: { quiet: true }, ...window });
  const carvedAt = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpuBefore);
  const records = carved.records().records.length;
  const result = {
    /** Scan + hashes + carriers (what "the whole scan" is measured on). */
    milliseconds: Number(carvedAt - started) / 1e6,
    /** The scan phase alone (windows, hashes), from scanImage's own clock. */
    scanWallMilliseconds: carved.timing.wallMilliseconds,
    recordsMilliseconds: Number(process.hrtime.bigint() - carvedAt) / 1e6,
    workerScanMilliseconds: carved.timing.scanMilliseconds,
    readMilliseconds: carved.timing.readMilliseconds,
    /** CPU time of the whole process (every thread) over the carve: how many cores it got. */
    processCpuMilliseconds: (cpu.user + cpu.system) / 1000,
    databases: carved.databases.map((database) => [database.imageOffset, database.pageCount]),
    wals: carved.wals.map((wal) => [wal.imageOffset, wal.frameCount]),
    orphanPages: carved.orphanPages.length,
    records,
    sha256: carved.hashes?.sha256 ?? null,
    issues: carved.issues.length,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  carved.close();
  await pool.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const rounds = Number(process.env.EXHUME_BENCH_ROUNDS ?? 3);
const largeGiB = Number(process.env.EXHUME_BENCH_LARGE_GIB ?? 4);
const scalingRounds = Number(process.env.EXHUME_BENCH_SCALING_ROUNDS ?? 8);
const self = new URL(import.meta.url).pathname;
const { imagePath, plan } = ensureImage(1 * GiB);
const large = ensureImage(largeGiB * GiB);
const gigabytes = GiB / 1e9;

function ours(image, workers, hash, strategy = 'shared', warm = false) {
  const run = timed(process.execPath, [self, '--child', image, String(workers), hash ? '1' : '0', strategy, ...(warm ? ['warm'] : [])]);
  const parsed = JSON.parse(run.stdout);
  return { ...parsed, processMilliseconds: run.milliseconds, peakRssMb: run.peakRssMb ?? parsed.maxRssMb };
}

process.stderr.write(`machine: ${machine()}\n`);
const runs = { cat: [], sha256sum: [], whole1: [], whole2: [], wholeWorkersRead2: [], scan1: [], scan2: [] };
for (let round = 0; round < rounds; round++) {
  runs.cat.push(timed('sh', ['-c', `cat '${imagePath}' > /dev/null`]));
  runs.sha256sum.push(timed('sha256sum', [imagePath]));
  runs.whole1.push(ours(imagePath, 1, true));
  runs.whole2.push(ours(imagePath, 2, true));
  runs.wholeWorkersRead2.push(ours(imagePath, 2, true, 'workers-read'));
  process.stderr.write(`round ${round + 1}/${rounds} done\n`);
}
/**
 * Runs `source` (a worker that does `work` units when sent a number and answers) on `threads`
 * threads, `total` units split evenly, after a warm-up of `warm` units each; returns the time.
 */
async function threadControl(source, threads, total, warm) {
  const workers = Array.from({ length: threads }, () => new Worker(source, { eval: true }));
  const round = (n) => Promise.all(workers.map((worker) => new Promise((resolve) => { worker.once('message', resolve); worker.postMessage(n); })));
  await round(warm);
  const started = performance.now();
  await round(total / threads);
  const milliseconds = performance.now() - started;
  await Promise.all(workers.map((worker) => worker.terminate()));
  return { milliseconds };
}
// The machine's own parallelism, as a control: a pure-CPU loop (no I/O, no memory traffic, no
// coordination) split over 1 and then 2 threads. On a shared 2-core machine this is what 2
// workers can get at best; the scan's scaling is read against it.
const spinSource = `const { parentPort } = require('node:worker_threads'); parentPort.on('message', (n) => { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) | 0; parentPort.postMessage(x); });`;
const cpuControl = (threads) => threadControl(spinSource, threads, 400_000_000, 1000);
// A second control with the scan's memory traffic and none of its logic: per 16 MiB window, copy
// it into a reused buffer (as a read from the page cache does) and load every 8th byte (the 8-byte
// pass), 256 windows (4 GiB) on 1 and 2 threads, each thread with its own buffers.
const streamSource = `const { parentPort } = require('node:worker_threads'); const from = new Uint8Array(16 << 20).fill(7); const into = new Uint8Array(16 << 20);
parentPort.on('message', (windows) => { let x = 0; for (let w = 0; w < windows; w++) { into.set(from); for (let i = 0; i < into.length; i += 8) x = (x + into[i]) | 0; } parentPort.postMessage(x); });`;
const memoryControl = (threads) => threadControl(streamSource, threads, 256, 2);
runs.memory1 = [];
runs.memory2 = [];
runs.largeWarm1 = [];
runs.largeWarm2 = [];
runs.control1 = [];
runs.control2 = [];
runs.warm1 = [];
runs.warm2 = [];
// Scaling: short runs, alternated, best of more rounds (the scan alone takes about a second, and
// on a shared machine the best of many is the figure least disturbed by other load).
for (let round = 0; round < scalingRounds; round++) {
  runs.scan1.push(ours(imagePath, 1, false, 'workers-read'));
  runs.scan2.push(ours(imagePath, 2, false, 'workers-read'));
  runs.warm1.push(ours(imagePath, 1, false, 'workers-read', true));
  runs.warm2.push(ours(imagePath, 2, false, 'workers-read', true));
  // The same on the large image: 4x the windows over the same fixed costs (a pool's dispatch,
  // the last window's tail), closer to the multi-gigabyte images the scan is for.
  runs.largeWarm1.push(ours(large.imagePath, 1, false, 'workers-read', true));
  runs.largeWarm2.push(ours(large.imagePath, 2, false, 'workers-read', true));
  runs.memory1.push(await memoryControl(1));
  runs.memory2.push(await memoryControl(2));
  runs.control1.push(await cpuControl(1));
  runs.control2.push(await cpuControl(2));
}
const largeRun = ours(large.imagePath, 2, true);

const cat = best(runs.cat, 'milliseconds');
const sha = best(runs.sha256sum, 'milliseconds');
const rate = (milliseconds, size = gigabytes) => size / (milliseconds / 1000);
const whole1 = best(runs.whole1, 'milliseconds');
const whole2 = best(runs.whole2, 'milliseconds');
const wholeWorkersRead2 = best(runs.wholeWorkersRead2, 'milliseconds');
const scan1 = best(runs.scan1, 'scanWallMilliseconds');
const scan2 = best(runs.scan2, 'scanWallMilliseconds');
const warm1 = best(runs.warm1, 'scanWallMilliseconds');
const warm2 = best(runs.warm2, 'scanWallMilliseconds');
const largeWarm1 = best(runs.largeWarm1, 'scanWallMilliseconds');
const largeWarm2 = best(runs.largeWarm2, 'scanWallMilliseconds');
const memory1 = best(runs.memory1, 'milliseconds');
const memory2 = best(runs.memory2, 'milliseconds');
const control1 = best(runs.control1, 'milliseconds');
const control2 = best(runs.control2, 'milliseconds');
const expectedSha = sha.stdout.split(' ')[0];
const peak = Math.max(...[...runs.whole1, ...runs.whole2, ...runs.wholeWorkersRead2].map((run) => run.peakRssMb));
const lines = [
  `machine: ${machine()}; load average at the end ${loadavg().map((value) => value.toFixed(1)).join(' ')}`,
  `image: 1 GiB of random bytes, ${plan.map((item) => `${item.part} at 0x${item.imageOffset.toString(16)}`).join(', ')} (bench/.data)`,
  `found: ${whole2.databases.length} databases ${JSON.stringify(whole2.databases)}, WALs ${JSON.stringify(whole2.wals)}, ${whole2.orphanPages} orphan pages, ${whole2.records} distinct records; SHA-256 ${whole2.sha256 === expectedSha ? 'equals' : 'DIFFERS FROM'} sha256sum's`,
  `cat > /dev/null: ${cat.milliseconds.toFixed(0)} ms, ${rate(cat.milliseconds).toFixed(2)} GB/s`,
  `sha256sum: ${sha.milliseconds.toFixed(0)} ms, ${rate(sha.milliseconds).toFixed(2)} GB/s`,
];
for (const [label, run] of [
  ['1 worker, shared reads', whole1],
  ['2 workers, shared reads', whole2],
  ['2 workers, workers read their windows', wholeWorkersRead2],
]) {
  lines.push(
    `exhume carve (SHA-256 + MD5 + scan + carriers), ${label}: ${run.milliseconds.toFixed(0)} ms, ${rate(run.milliseconds).toFixed(2)} GB/s = ` +
      `${(sha.milliseconds / run.milliseconds).toFixed(2)}x sha256sum's throughput, ${(cat.milliseconds / run.milliseconds).toFixed(2)}x cat's ` +
      `(process ${run.processMilliseconds.toFixed(0)} ms incl. start-up and decoding ${run.records} records in ${run.recordsMilliseconds.toFixed(0)} ms); peak RSS ${run.peakRssMb.toFixed(0)} MB`,
  );
}
lines.push(
  `exhume scan alone (hashing off, workers read their windows): 1 worker ${scan1.scanWallMilliseconds.toFixed(0)} ms (${rate(scan1.scanWallMilliseconds).toFixed(2)} GB/s; worker CPU: scan ${scan1.workerScanMilliseconds.toFixed(0)} ms, read ${scan1.readMilliseconds.toFixed(0)} ms), ` +
    `2 workers ${scan2.scanWallMilliseconds.toFixed(0)} ms (${rate(scan2.scanWallMilliseconds).toFixed(2)} GB/s); scaling 1 → 2 workers ${(scan1.scanWallMilliseconds / scan2.scanWallMilliseconds).toFixed(2)}x (best of ${scalingRounds} alternated runs each); ` +
    `process CPU over the carve: 1 worker ${scan1.processCpuMilliseconds.toFixed(0)} ms (${(scan1.processCpuMilliseconds / scan1.milliseconds).toFixed(2)} cores), 2 workers ${scan2.processCpuMilliseconds.toFixed(0)} ms (${(scan2.processCpuMilliseconds / scan2.milliseconds).toFixed(2)} cores)`,
);
lines.push(
  `exhume scan alone on started, JIT-warm workers (one untimed scan first; a large image's steady state): 1 worker ${warm1.scanWallMilliseconds.toFixed(0)} ms (${rate(warm1.scanWallMilliseconds).toFixed(2)} GB/s), ` +
    `2 workers ${warm2.scanWallMilliseconds.toFixed(0)} ms (${rate(warm2.scanWallMilliseconds).toFixed(2)} GB/s); scaling 1 → 2 workers ${(warm1.scanWallMilliseconds / warm2.scanWallMilliseconds).toFixed(2)}x (best of ${scalingRounds} each)`,
);
lines.push(
  `exhume scan alone on warm workers, ${largeGiB} GiB image: 1 worker ${largeWarm1.scanWallMilliseconds.toFixed(0)} ms (${rate(largeWarm1.scanWallMilliseconds, largeGiB * gigabytes).toFixed(2)} GB/s; worker CPU: scan ${largeWarm1.workerScanMilliseconds.toFixed(0)} ms, read ${largeWarm1.readMilliseconds.toFixed(0)} ms), ` +
    `2 workers ${largeWarm2.scanWallMilliseconds.toFixed(0)} ms (${rate(largeWarm2.scanWallMilliseconds, largeGiB * gigabytes).toFixed(2)} GB/s; worker CPU: scan ${largeWarm2.workerScanMilliseconds.toFixed(0)} ms, read ${largeWarm2.readMilliseconds.toFixed(0)} ms); ` +
    `scaling 1 → 2 workers ${(largeWarm1.scanWallMilliseconds / largeWarm2.scanWallMilliseconds).toFixed(2)}x (best of ${scalingRounds} each)`,
);
lines.push(
  `control, a pure-CPU loop split over threads on this machine now: 1 thread ${control1.milliseconds.toFixed(0)} ms, 2 threads ${control2.milliseconds.toFixed(0)} ms: ${(control1.milliseconds / control2.milliseconds).toFixed(2)}x (the most 2 workers can get here)`,
);
lines.push(
  `control, the scan's memory traffic alone (copy each 16 MiB window, load every 8th byte; 4 GiB): 1 thread ${memory1.milliseconds.toFixed(0)} ms, 2 threads ${memory2.milliseconds.toFixed(0)} ms: ${(memory1.milliseconds / memory2.milliseconds).toFixed(2)}x`,
);
lines.push(`peak RSS: ${peak.toFixed(0)} MB at 1 GiB (worst of the carves above), ${largeRun.peakRssMb.toFixed(0)} MB at ${largeGiB} GiB (2 workers, shared reads; carved in ${largeRun.milliseconds.toFixed(0)} ms, ${rate(largeRun.milliseconds, largeGiB * gigabytes).toFixed(2)} GB/s)`);
process.stdout.write(`${lines.join('\n')}\n`);
