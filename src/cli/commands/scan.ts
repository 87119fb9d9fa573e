import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import type { CommandModule } from 'yargs';
import type { EvidenceRecord, TableDescriptor } from '../../evidence/record.js';
import type { Issue } from '../../issues/issue.js';
import { issueSortKey } from '../../issues/issue.js';
import { expandInputs } from '../../sources/inputs.js';
import { WorkerPool } from '../../pool/pool.js';
import { hashInputs, scanGroups, verifyInputs } from '../../pipeline/scan.js';
import type { EvidenceSink } from '../../pipeline/sink.js';
import type { RenderedBatch } from '../../reports/render.js';
import type { TransactionRow } from '../../reports/types.js';
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
  const hashes = await hashInputs(expanded.files);
  const opened = await openReportWriter(
    argv.out,
    {
      tool: { name: 'exhume', version: toolVersion(), compiler: 'tsc' },
      commandLine,
      options: { workers: argv.workers, format: chosenFormats, excel: argv.excel, force: argv.force, ...(argv.schema === undefined ? {} : { schema: argv.schema }) },
      startTime,
      inputs: expanded.files.map((file, index) => ({
        path: file.location,
        absolutePath: file.fileSystemPath,
        sizeInBytes: file.sizeInBytes,
        sha256: hashes[index]?.sha256 ?? '',
        md5: hashes[index]?.md5 ?? '',
      })),
    },
    {
      force: argv.force,
      excel: argv.excel,
      csv: chosenFormats.includes('csv'),
      xml: chosenFormats.includes('xml'),
      // Nothing is ever written into an input's folder: the folders given and every input's parent.
      protectedPaths: [...argv.inputs, ...expanded.files.map((file) => dirname(file.fileSystemPath))],
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
    // The pool workers render the report text of live pages; this thread stamps ids and writes.
    renderSpecFor: (descriptor: TableDescriptor) => writer.renderSpecFor(descriptor),
    addRendered: async (batch: RenderedBatch) => {
      recordCount += batch.count;
      await writer.addRenderedRecords(batch);
    },
  };
  const pool = new WorkerPool(argv.workers);
  const scanStarted = performance.now();
  try {
    if (expanded.files.length === 0) throw new CliUsageError(`no files found in ${argv.inputs.join(', ')}`);
    await scanGroups(expanded.groups, pool, sink, { schemaLocation: argv.schema, quiet: argv.quiet });
    const scanMilliseconds = performance.now() - scanStarted;
    const verified = await verifyInputs(expanded.files, hashes, sink);
    const keyed = issues.map((problem) => ({ problem, key: issueSortKey(problem) }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    await writer.addIssues(keyed.map((entry) => entry.problem));
    await writer.finish({
      endTime: new Date(),
      inputsVerified: verified.map((entry) => ({ sha256: entry.hashes.sha256, md5: entry.hashes.md5, unchanged: entry.unchanged })),
      timings: { scanMilliseconds: Math.round(scanMilliseconds) },
    });
  } catch (error) {
    await writer.abort();
    throw error;
  } finally {
    await pool.close();
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
      .option('schema', { type: 'string', describe: 'database or CREATE TABLE file whose schema decodes a WAL or journal found without its database, and names the tables of a database whose page 1 is lost' }) as never,
  handler: async (argv) => {
    process.exitCode = await runScan(argv, ['exhume', ...process.argv.slice(2)]);
  },
};
