// Raw-image carving benchmark (issue 5). A generated 1 GiB raw image (random bytes with a live
// WAL-mode ledger, its -wal, a deleted older copy and a second database at odd 512-aligned
// offsets) is carved end to end: windows scanned by the worker pool, SHA-256 and MD5 alongside,
// carriers assembled, records decoded. Reference tools run in the same script on the same file
// (the machine is shared and noisy): `cat img > /dev/null` and `sha256sum img`. Each figure is the
// best of 3; the page cache is warm (every command reads the file right after another did).
//
// Figures: GB/s of the whole carve (hash + scan + assembly) at 1 and 2 workers beside cat and
// sha256sum, the ratio to sha256sum; scaling 1 → 2 workers on the scan alone (hashing off); peak
// RSS (GNU time's %M, else the child's maxRSS) at 1 GiB and 4 GiB.
//
// Usage: npm run build && node bench/raw-image.js        (EXHUME_BENCH_ROUNDS=3, EXHUME_BENCH_LARGE_GIB=4)
//        node bench/raw-image.js --child IMAGE WORKERS HASH(0|1)   (one measured carve, JSON out)
import { GiB, ensureImage } from './raw-image-lib.js';
import { best, machine, timed } from './lib.js';

if (process.argv[2] === '--child') {
  const [image, workersText, hashText] = process.argv.slice(3);
  const { carveImage } = await import('../dist/src/assembly/carve/carve-image.js');
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const carved = await carveImage(image, { workers: Number(workersText), hash: hashText === '1', progress: { quiet: true } });
  const scanned = process.hrtime.bigint();
  const records = carved.records().records.length;
  const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  const result = {
    milliseconds,
    scanWallMilliseconds: Number(scanned - started) / 1e6,
    workerScanMilliseconds: carved.timing.scanMilliseconds,
    workerReadMilliseconds: carved.timing.readMilliseconds,
    mainCpuMilliseconds: (cpu.user + cpu.system) / 1000,
    databases: carved.databases.map((database) => [database.imageOffset, database.pageCount]),
    wals: carved.wals.map((wal) => [wal.imageOffset, wal.frameCount]),
    orphanPages: carved.orphanPages.length,
    records,
    sha256: carved.hashes?.sha256 ?? null,
    issues: carved.issues.length,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  carved.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const rounds = Number(process.env.EXHUME_BENCH_ROUNDS ?? 3);
const largeGiB = Number(process.env.EXHUME_BENCH_LARGE_GIB ?? 4);
const self = new URL(import.meta.url).pathname;
const { imagePath, plan } = ensureImage(1 * GiB);
const large = ensureImage(largeGiB * GiB);
const gigabytes = GiB / 1e9;

function ours(image, workers, hash) {
  const run = timed(process.execPath, [self, '--child', image, String(workers), hash ? '1' : '0']);
  const parsed = JSON.parse(run.stdout);
  return { ...run, ...parsed, peakRssMb: run.peakRssMb ?? parsed.maxRssMb };
}

process.stderr.write(`machine: ${machine()}\n`);
const runs = { cat: [], sha256sum: [], whole1: [], whole2: [], scan1: [], scan2: [] };
for (let round = 0; round < rounds; round++) {
  runs.cat.push(timed('sh', ['-c', `cat '${imagePath}' > /dev/null`]));
  runs.sha256sum.push(timed('sha256sum', [imagePath]));
  runs.whole1.push(ours(imagePath, 1, true));
  runs.whole2.push(ours(imagePath, 2, true));
  runs.scan1.push(ours(imagePath, 1, false));
  runs.scan2.push(ours(imagePath, 2, false));
  process.stderr.write(`round ${round + 1}/${rounds} done\n`);
}
const largeRun = ours(large.imagePath, 2, true);

const cat = best(runs.cat, 'milliseconds');
const sha = best(runs.sha256sum, 'milliseconds');
const rate = (milliseconds, size = gigabytes) => size / (milliseconds / 1000);
const whole1 = best(runs.whole1, 'milliseconds');
const whole2 = best(runs.whole2, 'milliseconds');
const scan1 = best(runs.scan1, 'milliseconds');
const scan2 = best(runs.scan2, 'milliseconds');
const expectedSha = sha.stdout.split(' ')[0];
const found = whole2.databases.length;
const lines = [
  `machine: ${machine()}`,
  `image: 1 GiB of random bytes, ${plan.map((item) => `${item.part} at 0x${item.imageOffset.toString(16)}`).join(', ')} (bench/.data)`,
  `found: ${found} databases ${JSON.stringify(whole2.databases)}, WALs ${JSON.stringify(whole2.wals)}, ${whole2.orphanPages} orphan pages, ${whole2.records} distinct records; SHA-256 ${whole2.sha256 === expectedSha ? 'equals' : 'DIFFERS FROM'} sha256sum's`,
  `cat > /dev/null: ${cat.milliseconds.toFixed(0)} ms, ${rate(cat.milliseconds).toFixed(2)} GB/s`,
  `sha256sum: ${sha.milliseconds.toFixed(0)} ms, ${rate(sha.milliseconds).toFixed(2)} GB/s`,
];
for (const [workers, run] of [
  [1, whole1],
  [2, whole2],
]) {
  lines.push(
    `exhume carve (SHA-256 + MD5 + scan + assembly + records), ${workers} worker(s): ${run.milliseconds.toFixed(0)} ms, ${rate(run.milliseconds).toFixed(2)} GB/s = ` +
      `${(sha.milliseconds / run.milliseconds).toFixed(2)}x sha256sum's throughput, ${(cat.milliseconds / run.milliseconds).toFixed(2)}x cat's; peak RSS ${run.peakRssMb.toFixed(0)} MB`,
  );
}
lines.push(
  `exhume scan alone (hashing off), 1 worker: ${scan1.milliseconds.toFixed(0)} ms (${rate(scan1.milliseconds).toFixed(2)} GB/s, worker scan CPU ${scan1.workerScanMilliseconds.toFixed(0)} ms + read ${scan1.workerReadMilliseconds.toFixed(0)} ms); ` +
    `2 workers: ${scan2.milliseconds.toFixed(0)} ms (${rate(scan2.milliseconds).toFixed(2)} GB/s); scaling 1 → 2 workers ${(scan1.milliseconds / scan2.milliseconds).toFixed(2)}x ` +
    `(scan phase only, excluding process start and assembly: ${(scan1.scanWallMilliseconds / scan2.scanWallMilliseconds).toFixed(2)}x)`,
);
lines.push(`peak RSS: ${whole2.peakRssMb.toFixed(0)} MB at 1 GiB, ${largeRun.peakRssMb.toFixed(0)} MB at ${largeGiB} GiB (2 workers, hashing on; ${largeGiB} GiB carved in ${largeRun.milliseconds.toFixed(0)} ms, ${rate(largeRun.milliseconds, largeGiB * gigabytes).toFixed(2)} GB/s)`);
process.stdout.write(`${lines.join('\n')}\n`);
