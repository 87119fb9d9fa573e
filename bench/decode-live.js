// Child process: decode every live record of a database through the pool, count and discard them.
// Prints JSON {records, milliseconds, maxRssMb}. Usage: node bench/decode-live.js DB WORKERS
import { expandInputs } from '../dist/src/sources/inputs.js';
import { WorkerPool } from '../dist/src/pool/pool.js';
import { scanGroups } from '../dist/src/pipeline/scan.js';

const [databasePath, workersText] = process.argv.slice(2);
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
await scanGroups(expandInputs([databasePath]).groups, pool, sink);
const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
const cpu = process.cpuUsage(cpuBefore);
const cpuMilliseconds = (cpu.user + cpu.system) / 1000;
await pool.close();
process.stdout.write(`${JSON.stringify({ records, issues, milliseconds, cpuMilliseconds, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
