// Child process: decode every live record of a database through the pool, count and discard them.
// Prints JSON {records, milliseconds, cpuMilliseconds, maxRssMb}.
// Usage: node bench/decode-live.js DB WORKERS [live|all]   (all = the whole pipeline: live rows, freed space, logs)
import { expandInputs } from '../dist/src/sources/inputs.js';
import { FileSource } from '../dist/src/sources/file-source.js';
import { WorkerPool } from '../dist/src/pool/pool.js';
import { scanGroups } from '../dist/src/pipeline/scan.js';
import { decodeDatabase, describeDatabase } from '../dist/src/pipeline/scan-database.js';

const [databasePath, workersText, mode] = process.argv.slice(2);
const pool = new WorkerPool(Number(workersText ?? '2'));
let records = 0;
let issues = 0;
const sink = {
  addTable() {},
  addRecords(batch) {
    records += batch.length;
  },
  addIssues(batch) {
    issues += batch.length;
  },
};
const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
const { groups } = expandInputs([databasePath]);
if (mode === 'all') {
  await scanGroups(groups, pool, sink);
} else {
  const file = groups[0].main;
  const source = new FileSource(file.fileSystemPath, file.location);
  const { summary } = describeDatabase(source, file.location);
  source.close();
  await decodeDatabase(file, summary, pool, sink);
}
const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
const cpu = process.cpuUsage(cpuBefore);
const cpuMilliseconds = (cpu.user + cpu.system) / 1000;
await pool.close();
process.stdout.write(`${JSON.stringify({ records, issues, milliseconds, cpuMilliseconds, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
