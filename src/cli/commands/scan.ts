import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import type { CommandModule } from 'yargs';
import type { EvidenceRecord, TableDescriptor } from '../../evidence/record.js';
import type { Issue } from '../../issues/issue.js';
import { issueSortKey } from '../../issues/issue.js';
import { expandInputs } from '../../sources/inputs.js';
import { WorkerPool } from '../../pool/pool.js';
import { readInputs, scanGroups, verifyInputs } from '../../pipeline/scan.js';
import { prepareOutputDirectory } from '../../reports/output-directory.js';
import type { EvidenceSink } from '../../pipeline/sink.js';
import type { RenderedBatch } from '../../reports/render.js';
import type { PageVersionRow, TransactionRow } from '../../reports/types.js';
import { openReportWriter } from '../../reports/writer.js';
import { CliUsageError, ExitCode } from '../handle-errors.js';
import { toolVersion } from '../version.js';

export interface ScanArguments {
  readonly inputs: string[];
  readonly out: string;
  readonly workers: number;
  readonly format: string[];
  readonly excel: boolean;
  readonly force: boolean;
  readonly quiet: boolean;
  readonly schema?: string | undefined;
  readonly verifyHashes: boolean;
}

const formats = ['csv', 'xml'] as const;

export async function runScan(argv: ScanArguments, commandLine: readonly string[]): Promise<number> {
  if (!Number.isSafeInteger(argv.workers) || argv.workers < 0 || argv.workers > 256) throw new CliUsageError(`--workers must be a whole number from 0 to 256, got ${argv.workers}`);
  const chosenFormats = argv.format.flatMap((item) => item.split(',')).map((item) => item.trim().toLowerCase());
  for (const format of chosenFormats) if (!(formats as readonly string[]).includes(format)) throw new CliUsageError(`--format takes csv and/or xml, got ${format}`);
  const expanded = expandInputs(argv.inputs);
  if (expanded.unreadable.length > 0) {
    throw new CliUsageError(expanded.unreadable.map((entry) => `cannot read ${entry.location}: ${entry.message}`).join('; '));
  }
  const startTime = new Date();
  // Nothing is ever written into an input's folder: the folders given and every input's parent.
  const protectedPaths = [...argv.inputs, ...expanded.files.map((file) => dirname(file.fileSystemPath))];
  // The folder is checked before the inputs are read (a raw image's scan can take long); the
  // writer checks it again when it opens.
  const precheck = await prepareOutputDirectory(argv.out, { force: argv.force, inputPaths: [...expanded.files.map((file) => file.fileSystemPath), ...protectedPaths] });
  if (precheck.kind === 'refused') throw new CliUsageError(precheck.message);
  if (expanded.files.length === 0) throw new CliUsageError(`no files found in ${argv.inputs.join(', ')}`);
  // Every input read once up front: hashed, and raw images scanned with their hashes alongside.
  // One pool for the whole run: raw-image windows and page tasks share its `--workers` threads.
  const pool = new WorkerPool(argv.workers);
  try {
    return await scanWithPool(argv, commandLine, { expanded, chosenFormats, protectedPaths, startTime, pool });
  } finally {
    await pool.close();
  }
}

interface ScanContext {
  readonly expanded: ReturnType<typeof expandInputs>;
  readonly chosenFormats: readonly string[];
  readonly protectedPaths: readonly string[];
  readonly startTime: Date;
  readonly pool: WorkerPool;
}

async function scanWithPool(argv: ScanArguments, commandLine: readonly string[], context: ScanContext): Promise<number> {
  const { expanded, chosenFormats, protectedPaths, startTime, pool } = context;
  const readStarted = performance.now();
  const readings = await readInputs(expanded, { pool, quiet: argv.quiet });
  const readMilliseconds = performance.now() - readStarted;
  const opened = await openReportWriter(
    argv.out,
    {
      tool: { name: 'exhume', version: toolVersion(), compiler: 'tsc' },
      commandLine,
      options: { workers: argv.workers, format: chosenFormats, excel: argv.excel, force: argv.force, verifyHashes: argv.verifyHashes, ...(argv.schema === undefined ? {} : { schema: argv.schema }) },
      startTime,
      inputs: expanded.files.map((file, index) => ({
        path: file.location,
        absolutePath: file.fileSystemPath,
        sizeInBytes: file.sizeInBytes,
        sha256: readings[index]?.hashes.sha256 ?? '',
        md5: readings[index]?.hashes.md5 ?? '',
        hashedDuring: readings[index]?.hashedDuring ?? 'separate-read-before-scan',
      })),
    },
    {
      force: argv.force,
      excel: argv.excel,
      csv: chosenFormats.includes('csv'),
      xml: chosenFormats.includes('xml'),
      protectedPaths,
    },
  );
  if (opened.kind === 'refused') throw new CliUsageError(opened.message);
  const writer = opened.writer;
  // Issues are buffered and written sorted at the end, so their order does not depend on timing.
  const issues: Issue[] = [];
  const seenIssues = new Set<string>();
  let recordCount = 0;
  const sink: EvidenceSink = {
    addTable: (descriptor: TableDescriptor) => writer.addTable(descriptor),
    addRecords: async (records: readonly EvidenceRecord[]) => {
      recordCount += records.length;
      await writer.addRecords(records);
    },
    addIssues: (batch: readonly Issue[]) => {
      // The same structure can be met by two stages (the live walk and the freed-space recovery
      // both read the b-trees): an identical issue is reported once.
      for (const problem of batch) {
        const key = `${issueSortKey(problem)}\u0000${problem.message}`;
        if (seenIssues.has(key)) continue;
        seenIssues.add(key);
        issues.push(problem);
      }
    },
    addTransactions: (rows: readonly TransactionRow[]) => writer.addTransactions(rows),
    addPageVersions: (rows: readonly PageVersionRow[]) => writer.addPageVersions(rows),
    // The pool workers render the report text of live pages; this thread stamps ids and writes.
    renderSpecFor: (descriptor: TableDescriptor) => writer.renderSpecFor(descriptor),
    addRendered: async (batch: RenderedBatch) => {
      recordCount += batch.count;
      await writer.addRenderedRecords(batch);
    },
  };
  const scanStarted = performance.now();
  try {
    await scanGroups(expanded.groups, pool, sink, { schemaLocation: argv.schema, quiet: argv.quiet, readings });
    const scanMilliseconds = performance.now() - scanStarted;
    const verified = await verifyInputs(readings, sink, { rehashAll: argv.verifyHashes });
    const keyed = issues.map((problem) => ({ problem, key: issueSortKey(problem) }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    await writer.addIssues(keyed.map((entry) => entry.problem));
    await writer.finish({
      endTime: new Date(),
      inputsVerified: verified.map((entry) =>
        entry.method === 'file-identity' ? { method: entry.method, sha256: '', md5: '', unchanged: entry.unchanged } : { method: entry.method, sha256: entry.hashes.sha256, md5: entry.hashes.md5, unchanged: entry.unchanged },
      ),
      // readInputs: hashing, and the raw images' window scans (hashed alongside); scan: the rest.
      timings: { readInputsMilliseconds: Math.round(readMilliseconds), scanMilliseconds: Math.round(scanMilliseconds) },
    });
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const errors = issues.filter((problem) => problem.severity === 'error').length;
  const warnings = issues.filter((problem) => problem.severity === 'warning').length;
  if (!argv.quiet) {
    process.stderr.write(`exhume: ${recordCount} records, ${issues.length} issues (${errors} errors, ${warnings} warnings) from ${expanded.files.length} input file(s); report written to ${writer.directory}\n`);
  }
  return errors > 0 ? ExitCode.doneWithErrors : ExitCode.done;
}

export const scanCommand: CommandModule<object, ScanArguments> = {
  command: 'scan <inputs..>',
  describe: 'The whole pipeline: decode every input and write the report folder (manifest.json, records/, issues.csv, report.xml, evidence.ndjson)',
  builder: (yargs) =>
    yargs
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'files or folders; a database is grouped with its -wal/-journal siblings' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (must be empty, or use --force; never inside an input folder)' })
      .option('workers', { type: 'number', default: Math.max(1, availableParallelism()), describe: 'worker threads for page decoding (0 = in-process)' })
      .option('format', { type: 'string', array: true, default: ['csv,xml'], describe: 'reports to write besides issues.csv and manifest.json: csv, xml' })
      .option('excel', { type: 'boolean', default: false, describe: 'UTF-8 BOM, neutralised spreadsheet formulas, exact hex column' })
      .option('force', { type: 'boolean', default: false, describe: "replace exhume's outputs in a non-empty output folder" })
      .option('quiet', { type: 'boolean', default: false, describe: 'no summary or progress on stderr' })
      .option('verify-hashes', {
        type: 'boolean',
        default: false,
        describe: 'at the end, re-hash raw images too (by default an image hashed during its scan is checked by size, times and inode instead of a third read)',
      })
      .option('schema', { type: 'string', describe: 'database or CREATE TABLE file whose schema decodes a WAL or journal found without its database, and names the tables of a database whose page 1 is lost' }) as never,
  handler: async (argv) => {
    process.exitCode = await runScan(argv, ['exhume', ...process.argv.slice(2)]);
  },
};
