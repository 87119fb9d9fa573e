/**
 * ReportWriter: streams evidence records into the output folder (architecture.md §6) with bounded
 * memory. Pure projection: it never reads evidence, never reads the clock.
 *
 * ```ts
 * const opened = await openReportWriter(outDir, {
 *   tool: { name: 'exhume', version, compiler: 'tsc 5.9.3' },
 *   commandLine: process.argv.slice(1), options, startTime, inputs,   // inputs already hashed
 * }, { force, excel });
 * if (opened.kind === 'refused') return usageError(opened.message); // exit 1
 * const writer = opened.writer;
 * try {
 *   await writer.addTable(descriptor);           // before the first record of that table
 *   await writer.addRecords(batch);              // any number of times, deterministic order
 *   await writer.addRenderedRecords(rendered);   // or text rendered in a pool worker with
 *                                                // renderRecordBatch(records, writer.renderSpecFor(descriptor))
 *   await writer.addIssues(issues);              // sorted by the caller (issueSortKey)
 *   await writer.addTransactions(rows);          // optional
 *   const manifest = await writer.finish({ endTime, inputsVerified });
 * } catch (error) { await writer.abort(); throw error; }
 * ```
 * Every `add*` is async and must be awaited before the next call (calls may not overlap). Batches
 * are the unit of buffering: a batch's CSV rows, DFXML and NDJSON lines are built, written, then
 * drained before the call resolves, so memory is bounded by the largest batch (a few thousand
 * records is plenty), never by the run.
 *
 * Rendering (render.ts) is separate from writing: `addRecords` renders its records in-process with
 * record id 0, then appends them exactly as `addRenderedRecords` appends a batch a pool worker
 * rendered: stamp the arrival ids into each CSV row, fileobject and NDJSON line, count states and
 * statuses, place fileobjects by image, write. One path, so both give the same bytes.
 *
 * Outputs: `records/<database>/<table>.csv` (names: names.ts), `transactions.csv`, `issues.csv`,
 * `report.xml` (dfxml.ts), `evidence.ndjson` (evidence-file.ts), and `manifest.json` (manifest.ts)
 * last. Until `finish()` every file has a `.partial` name; `finish()` closes them all, renames them,
 * then writes and renames the manifest: a folder without manifest.json is incomplete. `abort()`
 * deletes every `.partial` file.
 *
 * Order: records, issues and transactions are written in arrival order (record_id = arrival
 * number), so the caller fixes the order (image offset, then rendered path; issues by
 * issueSortKey). A record lands in the DFXML `diskimageobject` of the input whose `path` or
 * `absolutePath` equals the location of its chain's file layer, else in a top-level `fileobject`.
 *
 * Cost (100k-row bench table of 15 columns, busy 2-core machine): rendering was about 100 µs per
 * record with CSV, DFXML and NDJSON while XMLBuilder built the DFXML (three quarters of it; the
 * fragment is now written as strings, about 10 µs), csv-stringify most of the rest; appending a rendered batch costs the writer's thread about 15 µs per record (copying the
 * UTF-8 bytes with the ids put in, SHA-256, write, garbage collection). So `exhume scan` renders in
 * its pool workers (EvidenceSink.renderSpecFor / addRendered, bench/scan-full.js) and the writer's
 * thread is no longer what limits a scan.
 *
 * Programmer errors throw (a record for a table never added, overlapping calls, use after finish,
 * a verification list of the wrong length); I/O errors propagate as thrown errors.
 */
import { hostname, machine, release, type as osType } from 'node:os';
import { rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EvidenceRecord, TableDescriptor } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import { ISSUE_COLUMNS, PAGE_VERSION_COLUMNS, TRANSACTION_COLUMNS, recordCsvHeaders, valueHeaders, type Cell } from './columns.js';
import { AppendOnlyOutput, CsvOutput } from './csv.js';
import {
  DFXML_DISK_IMAGE_CLOSE,
  DFXML_FOOTER,
  DISK_IMAGE_FILEOBJECT_INDENT,
  TOP_LEVEL_FILEOBJECT_INDENT,
  dfxmlDiskImageOpen,
  dfxmlHeader,
} from './dfxml.js';
import {
  EVIDENCE_FILE_NAME,
  encodeFinishLine,
  encodeIssueLine,
  encodeRunLine,
  encodeTableLine,
  encodePageVersionLine,
  encodeTransactionLine,
  type RecordedRun,
} from './evidence-file.js';
import {
  MANIFEST_FILE_NAME,
  MANIFEST_VERSION,
  renderManifest,
  sortedCounts,
  timestampFields,
  type Manifest,
  type ManifestInput,
  type ManifestOutput,
  type Reprojection,
} from './manifest.js';
import { NameAllocator } from './names.js';
import { prepareOutputDirectory, type PrepareOutcome } from './output-directory.js';
import { PARTIAL_SUFFIX, type OutputFileSummary } from './output-file.js';
import { ByteBuilder, NDJSON_RECORD_ID_KEY, checkRenderedRecords, renderRecordBatch, type RenderSpec, type RenderedBatch } from './render.js';
import type { ExecutionEnvironment, FinishInput, PageVersionRow, ReportFormatOptions, ReportRun, TransactionRow } from './types.js';

export const REPORT_XML_FILE_NAME = 'report.xml';
export const ISSUES_FILE_NAME = 'issues.csv';
export const TRANSACTIONS_FILE_NAME = 'transactions.csv';
export const PAGE_VERSIONS_FILE_NAME = 'page-versions.csv';
export const RECORDS_DIRECTORY_NAME = 'records';
/** Record CSVs kept open at once; others are suspended and resumed in append mode. */
export const DEFAULT_MAXIMUM_OPEN_TABLE_FILES = 64;

export interface ReportWriterOptions {
  /** Replace exhume's outputs in a non-empty folder (see prepareOutputDirectory). Default false. */
  readonly force?: boolean;
  /** `--excel`: BOM, neutralised formulas, `values_hex`. Default false. */
  readonly excel?: boolean;
  /** Write records/…csv and transactions.csv. Default true. */
  readonly csv?: boolean;
  /** Write report.xml. Default true. */
  readonly xml?: boolean;
  /** Extra paths the folder must not contain or lie inside (e.g. the evidence file re-projected). */
  readonly protectedPaths?: readonly string[];
  readonly maximumOpenTableFiles?: number;
  /** Set by `exhume report`: recorded in manifest.json only. */
  readonly reprojection?: Reprojection;
}

export type OpenOutcome =
  | { readonly kind: 'opened'; readonly writer: ReportWriter; readonly removed: readonly string[]; readonly kept: readonly string[] }
  | Extract<PrepareOutcome, { kind: 'refused' }>;

/** The machine facts DFXML records (`os`; no clock). */
export function describeExecutionEnvironment(): ExecutionEnvironment {
  return {
    osSysname: osType(),
    osRelease: release(),
    host: hostname(),
    arch: machine(),
    nodeVersion: process.versions.node,
  };
}

/**
 * Checks and prepares `directory` (prepareOutputDirectory, with every input's absolute path and
 * `protectedPaths` protected), then opens a writer: `opened`, or `refused` with a message for exit 1.
 */
export async function openReportWriter(directory: string, run: ReportRun, options: ReportWriterOptions = {}): Promise<OpenOutcome> {
  const prepared = await prepareOutputDirectory(directory, {
    force: options.force ?? false,
    inputPaths: [...run.inputs.map((input) => input.absolutePath), ...(options.protectedPaths ?? [])],
  });
  if (prepared.kind === 'refused') return prepared;
  const recorded: RecordedRun = { ...run, environment: run.environment ?? describeExecutionEnvironment() };
  const writer = new ReportWriter(prepared.directory, recorded, options);
  await writer.start();
  return { kind: 'opened', writer, removed: prepared.removed, kept: prepared.kept };
}

interface TableState {
  readonly descriptor: TableDescriptor;
  readonly encoded: string;
  readonly csv: CsvOutput | undefined;
  readonly database: string;
  readonly table: string;
  readonly renamedColumns: Record<string, string> | undefined;
}

function tableKey(database: string, table: string): string {
  return `${database}\u0000${table}`;
}

function increment(counts: Map<string, number>, key: string, by = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}

export class ReportWriter {
  /** Absolute path of the output folder. */
  readonly directory: string;
  readonly run: RecordedRun;
  readonly format: ReportFormatOptions;
  private readonly maximumOpenTableFiles: number;
  private readonly reprojection: Reprojection | undefined;

  private readonly evidence: AppendOnlyOutput;
  private evidenceLineCount = 0;
  private readonly issuesCsv: CsvOutput;
  private readonly transactionsCsv: CsvOutput | undefined;
  private readonly pageVersionsCsv: CsvOutput | undefined;
  /** DFXML: the main file (header, input 0's fileobjects) and lazily created fragments. */
  private readonly xmlMain: AppendOnlyOutput | undefined;
  private readonly xmlFragments = new Map<number, AppendOnlyOutput>();
  private readonly groupByLocation = new Map<string, number>();

  private readonly tables = new Map<string, TableState>();
  private readonly databaseNames = new NameAllocator();
  private readonly tableNames = new Map<string, NameAllocator>();
  /** Open record CSVs, least recently used first. */
  private readonly openTables = new Map<CsvOutput, true>();

  private recordTotal = 0;
  private issueTotal = 0;
  private transactionTotal = 0;
  private readonly byState = new Map<string, number>();
  private readonly byStatus = new Map<string, number>();
  private readonly issuesByCode = new Map<string, number>();
  private readonly issuesBySeverity = new Map<string, number>();

  private phase: 'new' | 'open' | 'busy' | 'finished' | 'aborted' = 'new';

  /** Use `openReportWriter`, which checks the folder first. */
  constructor(directory: string, run: RecordedRun, options: ReportWriterOptions) {
    this.directory = directory;
    this.run = run;
    this.format = { excel: options.excel ?? false, csv: options.csv ?? true, xml: options.xml ?? true };
    this.maximumOpenTableFiles = Math.max(1, options.maximumOpenTableFiles ?? DEFAULT_MAXIMUM_OPEN_TABLE_FILES);
    this.reprojection = options.reprojection;
    this.evidence = new AppendOnlyOutput(directory, EVIDENCE_FILE_NAME);
    this.issuesCsv = new CsvOutput(directory, ISSUES_FILE_NAME, ISSUE_COLUMNS.map((column) => column.name), this.format.excel);
    this.transactionsCsv = this.format.csv
      ? new CsvOutput(directory, TRANSACTIONS_FILE_NAME, TRANSACTION_COLUMNS.map((column) => column.name), this.format.excel)
      : undefined;
    this.pageVersionsCsv = this.format.csv
      ? new CsvOutput(directory, PAGE_VERSIONS_FILE_NAME, PAGE_VERSION_COLUMNS.map((column) => column.name), this.format.excel)
      : undefined;
    this.xmlMain = this.format.xml ? new AppendOnlyOutput(directory, REPORT_XML_FILE_NAME) : undefined;
    run.inputs.forEach((input, index) => {
      if (!this.groupByLocation.has(input.path)) this.groupByLocation.set(input.path, index);
      if (!this.groupByLocation.has(input.absolutePath)) this.groupByLocation.set(input.absolutePath, index);
    });
  }

  /** Records accepted so far (the last record_id given). */
  get recordCount(): number {
    return this.recordTotal;
  }

  /** @internal Creates the `.partial` files and writes the headers (called by openReportWriter). */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new Error('ReportWriter.start: already started');
    await this.evidence.open();
    await this.appendEvidence(`${encodeRunLine(this.run, this.format)}\n`, 1);
    await this.issuesCsv.open();
    if (this.transactionsCsv !== undefined) await this.transactionsCsv.open();
    if (this.pageVersionsCsv !== undefined) await this.pageVersionsCsv.open();
    if (this.xmlMain !== undefined) {
      await this.xmlMain.open();
      const first = this.run.inputs[0];
      await writeText(this.xmlMain, dfxmlHeader(this.run, this.run.environment) + (first === undefined ? '' : dfxmlDiskImageOpen(first, 0)));
    }
    this.phase = 'open';
  }

  /**
   * Declares a table's columns. Must come before its first record. Declaring the same table again
   * with the same descriptor is a no-op.
   * @throws Error when the table was declared with a different descriptor.
   */
  async addTable(descriptor: TableDescriptor): Promise<void> {
    this.enter('addTable');
    try {
      const key = tableKey(descriptor.database, descriptor.table);
      const encoded = encodeTableLine(descriptor);
      const known = this.tables.get(key);
      if (known !== undefined) {
        if (known.encoded !== encoded) throw new Error(`ReportWriter.addTable: ${descriptor.database}/${descriptor.table} declared twice with different columns`);
        return;
      }
      const headers = valueHeaders(descriptor.columns);
      const renamed: Record<string, string> = {};
      headers.forEach((header, index) => {
        const original = descriptor.columns[index];
        if (original !== undefined && header !== original) renamed[header] = original;
      });
      let csv: CsvOutput | undefined;
      if (this.format.csv) {
        const databaseName = this.databaseNames.allocate(descriptor.database);
        let allocator = this.tableNames.get(descriptor.database);
        if (allocator === undefined) {
          allocator = new NameAllocator();
          this.tableNames.set(descriptor.database, allocator);
        }
        const tableName = allocator.allocate(descriptor.table);
        csv = new CsvOutput(this.directory, `${RECORDS_DIRECTORY_NAME}/${databaseName}/${tableName}.csv`, recordCsvHeaders(descriptor, this.format.excel), this.format.excel);
      }
      this.tables.set(key, {
        descriptor,
        encoded,
        csv,
        database: descriptor.database,
        table: descriptor.table,
        renamedColumns: Object.keys(renamed).length === 0 ? undefined : renamed,
      });
      await this.appendEvidence(`${encoded}\n`, 1);
    } finally {
      this.leave();
    }
  }

  /**
   * What a pool task renders for `descriptor`'s records (render.ts), matching this writer's formats.
   * @throws Error when the table was not declared with addTable (or with other columns).
   */
  renderSpecFor(descriptor: TableDescriptor): RenderSpec {
    const table = this.declaredTable(descriptor, 'renderSpecFor');
    return { descriptor: table.descriptor, excel: this.format.excel, csv: this.format.csv, xml: this.format.xml };
  }

  /**
   * Adds records in the caller's (deterministic) order; each gets the next record_id (1, 2, …).
   * Renders them here (render.ts) and appends the text as `addRenderedRecords` does: one path.
   * @throws Error for a record whose (database, table) was never declared with addTable.
   */
  async addRecords(records: readonly EvidenceRecord[]): Promise<void> {
    this.enter('addRecords');
    try {
      if (records.length === 0) return;
      // Check the whole batch first, so a programmer error leaves no half-written batch.
      for (const record of records) {
        if (!this.tables.has(tableKey(record.database, record.table))) {
          throw new Error(`ReportWriter.addRecords: table ${record.database}/${record.table} was not declared with addTable`);
        }
      }
      // Consecutive records of one table render as one batch; batches are appended in order.
      let start = 0;
      while (start < records.length) {
        const first = records[start] as EvidenceRecord;
        let end = start + 1;
        while (end < records.length && (records[end] as EvidenceRecord).table === first.table && (records[end] as EvidenceRecord).database === first.database) end++;
        const table = this.tables.get(tableKey(first.database, first.table)) as TableState;
        const run = start === 0 && end === records.length ? records : records.slice(start, end);
        await this.appendRendered(table, renderRecordBatch(run, { descriptor: table.descriptor, excel: this.format.excel, csv: this.format.csv, xml: this.format.xml }));
        start = end;
      }
    } finally {
      this.leave();
    }
  }

  /**
   * Adds records rendered elsewhere (a pool worker) with `renderSpecFor`'s spec: stamps their
   * record_ids (next arrival numbers), counts them and appends their text; same bytes as addRecords.
   * @throws Error when the batch's table was not declared, or it was rendered for other formats.
   */
  async addRenderedRecords(batch: RenderedBatch): Promise<void> {
    this.enter('addRenderedRecords');
    try {
      if (batch.count === 0) return;
      await this.appendRendered(this.declaredTable(batch.descriptor, 'addRenderedRecords'), batch);
    } finally {
      this.leave();
    }
  }

  /** Adds issues to issues.csv and evidence.ndjson, in the order given (sort with issueSortKey). */
  async addIssues(issues: readonly Issue[]): Promise<void> {
    this.enter('addIssues');
    try {
      let evidenceText = '';
      for (const issue of issues) {
        this.issuesCsv.write(ISSUE_COLUMNS.map((column): Cell => column.cell(issue)));
        evidenceText += `${encodeIssueLine(issue)}\n`;
        increment(this.issuesByCode, issue.code);
        increment(this.issuesBySeverity, issue.severity);
        this.issueTotal++;
      }
      await this.appendEvidence(evidenceText, issues.length);
      await this.issuesCsv.drain();
    } finally {
      this.leave();
    }
  }

  /** Adds rows to transactions.csv (PROVISIONAL shape, see TransactionRow) and evidence.ndjson. */
  async addTransactions(rows: readonly TransactionRow[]): Promise<void> {
    this.enter('addTransactions');
    try {
      let evidenceText = '';
      for (const row of rows) {
        this.transactionsCsv?.write(TRANSACTION_COLUMNS.map((column): Cell => column.cell(row)));
        evidenceText += `${encodeTransactionLine(row)}\n`;
        this.transactionTotal++;
      }
      await this.appendEvidence(evidenceText, rows.length);
      await this.transactionsCsv?.drain();
    } finally {
      this.leave();
    }
  }

  /** Adds rows to page-versions.csv and evidence.ndjson (arrival order: the pipeline fixes it). */
  async addPageVersions(rows: readonly PageVersionRow[]): Promise<void> {
    this.enter('addPageVersions');
    try {
      let evidenceText = '';
      for (const row of rows) {
        this.pageVersionsCsv?.write(PAGE_VERSION_COLUMNS.map((column): Cell => column.cell(row)));
        evidenceText += `${encodePageVersionLine(row)}\n`;
      }
      await this.appendEvidence(evidenceText, rows.length);
      await this.pageVersionsCsv?.drain();
    } finally {
      this.leave();
    }
  }

  /**
   * Closes every stream, completes report.xml, renames every `.partial` file, then writes
   * manifest.json (atomically, last) and returns it.
   * @throws Error when `inputsVerified` does not have one entry per input.
   */
  async finish(input: FinishInput): Promise<Manifest> {
    this.enter('finish');
    if (input.inputsVerified.length !== this.run.inputs.length) {
      this.leave();
      throw new Error(`ReportWriter.finish: ${input.inputsVerified.length} input verifications for ${this.run.inputs.length} inputs`);
    }
    try {
      await this.appendEvidence(`${encodeFinishLine(input)}\n`, 1);
      await this.evidence.close();
      const tableOutputs = [...this.tables.values()].filter((table) => table.csv !== undefined);
      for (const table of tableOutputs) await table.csv?.close();
      await this.issuesCsv.close();
      await this.transactionsCsv?.close();
      await this.pageVersionsCsv?.close();
      await this.completeXml();

      // Everything is closed under its .partial name; now the renames, then the manifest.
      const outputs: ManifestOutput[] = [];
      for (const table of tableOutputs) {
        const csv = table.csv as CsvOutput;
        outputs.push({
          ...(await csv.commit()),
          kind: 'records',
          itemCount: csv.rowCount,
          database: table.database,
          table: table.table,
          ...(table.renamedColumns === undefined ? {} : { renamedColumns: table.renamedColumns }),
        });
      }
      outputs.push({ ...(await this.issuesCsv.commit()), kind: 'issues', itemCount: this.issuesCsv.rowCount });
      if (this.transactionsCsv !== undefined) {
        outputs.push({ ...(await this.transactionsCsv.commit()), kind: 'transactions', itemCount: this.transactionsCsv.rowCount });
      }
      if (this.pageVersionsCsv !== undefined) {
        outputs.push({ ...(await this.pageVersionsCsv.commit()), kind: 'page-versions', itemCount: this.pageVersionsCsv.rowCount });
      }
      if (this.xmlMain !== undefined) outputs.push(summaryAs(await this.xmlMain.commit(), 'dfxml', this.recordTotal));
      outputs.push(summaryAs(await this.evidence.commit(), 'evidence', this.evidenceLineCount));
      outputs.sort((left, right) => (left.path < right.path ? -1 : left.path > right.path ? 1 : 0));

      const manifest = this.buildManifest(input, outputs);
      const manifestPath = join(this.directory, MANIFEST_FILE_NAME);
      await writeFile(manifestPath + PARTIAL_SUFFIX, renderManifest(manifest), { flag: 'wx' });
      await rename(manifestPath + PARTIAL_SUFFIX, manifestPath);
      this.phase = 'finished';
      return manifest;
    } catch (error) {
      this.phase = 'open';
      throw error;
    }
  }

  /** Deletes every `.partial` file this writer created. Safe to call at any time, more than once. */
  async abort(): Promise<void> {
    if (this.phase === 'finished' || this.phase === 'aborted') return;
    this.phase = 'aborted';
    await this.evidence.discard();
    await this.issuesCsv.discard();
    await this.transactionsCsv?.discard();
    await this.pageVersionsCsv?.discard();
    for (const table of this.tables.values()) await table.csv?.discard();
    await this.xmlMain?.discard();
    for (const fragment of this.xmlFragments.values()) await fragment.discard();
    await rm(join(this.directory, MANIFEST_FILE_NAME + PARTIAL_SUFFIX), { force: true });
    // Leave no empty records/<database>/ folders behind (the folder may then be reused without --force).
    const folders = new Set<string>();
    for (const table of this.tables.values()) if (table.csv !== undefined) folders.add(dirname(table.csv.partialPath));
    for (const folder of [...folders, join(this.directory, RECORDS_DIRECTORY_NAME)]) await rmdir(folder).catch(() => undefined);
  }

  // -------------------------------------------------------------------------------------------

  private enter(operation: string): void {
    if (this.phase === 'busy') throw new Error(`ReportWriter.${operation}: the previous call has not completed (await every call)`);
    if (this.phase !== 'open') throw new Error(`ReportWriter.${operation}: writer is ${this.phase}`);
    this.phase = 'busy';
  }

  private leave(): void {
    if (this.phase === 'busy') this.phase = 'open';
  }

  private declaredTable(descriptor: TableDescriptor, operation: string): TableState {
    const table = this.tables.get(tableKey(descriptor.database, descriptor.table));
    if (table === undefined) throw new Error(`ReportWriter.${operation}: table ${descriptor.database}/${descriptor.table} was not declared with addTable`);
    if (table.descriptor !== descriptor && table.encoded !== encodeTableLine(descriptor)) {
      throw new Error(`ReportWriter.${operation}: ${descriptor.database}/${descriptor.table} was declared with different columns`);
    }
    return table;
  }

  /** Checks a rendered batch against this writer's formats, then stamps ids and appends its bytes. */
  private async appendRendered(table: TableState, batch: RenderedBatch): Promise<void> {
    const { count, csv: csvRows, xml: fileobjects, ndjson: lines, imageIndexes } = batch;
    const fail = (reason: string): never => {
      throw new Error(`ReportWriter: rendered batch for ${table.database}/${table.table} ${reason}`);
    };
    if (batch.excel !== this.format.excel) fail(`was rendered with excel ${batch.excel}`);
    if ((csvRows !== undefined) !== this.format.csv || (fileobjects !== undefined) !== this.format.xml) fail('does not match the csv/xml formats');
    if (imageIndexes.length !== count) fail(`does not hold ${count} records`);
    const problem =
      checkRenderedRecords(lines, count) ??
      (csvRows === undefined ? undefined : checkRenderedRecords(csvRows, count)) ??
      (fileobjects === undefined ? undefined : checkRenderedRecords(fileobjects, count, fileobjects.idAt));
    if (problem !== undefined) fail(problem);
    const inputCount = this.run.inputs.length;
    const groups = batch.images.map((image) => this.groupByLocation.get(image) ?? inputCount);
    for (let index = 0; index < count; index++) if (groups[imageIndexes[index] as number] === undefined) fail(`has an image index out of range at record ${index}`);

    // Everything checked: stamp the ids (copies of the rendered bytes with the ids put in).
    const firstId = this.recordTotal + 1;
    const evidence = new ByteBuilder(lines.bytes.length + count * 40);
    let start = 0;
    for (let index = 0; index < count; index++) {
      const end = lines.ends[index] as number;
      evidence.text(`${NDJSON_RECORD_ID_KEY}${firstId + index},`, 'latin1');
      evidence.slice(lines.bytes, start, end);
      start = end;
    }
    const xmlByGroup = new Map<number, ByteBuilder>();
    if (fileobjects !== undefined) {
      start = 0;
      for (let index = 0; index < count; index++) {
        const group = groups[imageIndexes[index] as number] as number;
        let builder = xmlByGroup.get(group);
        if (builder === undefined) {
          builder = new ByteBuilder(fileobjects.bytes.length + count * 40);
          xmlByGroup.set(group, builder);
        }
        const end = fileobjects.ends[index] as number;
        const idAt = fileobjects.idAt[index] as number;
        builder.text(group < inputCount ? DISK_IMAGE_FILEOBJECT_INDENT : TOP_LEVEL_FILEOBJECT_INDENT, 'latin1');
        builder.slice(fileobjects.bytes, start, idAt);
        builder.text(`<id>${firstId + index}</id>`, 'latin1');
        builder.slice(fileobjects.bytes, idAt, end);
        start = end;
      }
    }
    let rows: ByteBuilder | undefined;
    if (csvRows !== undefined) {
      rows = new ByteBuilder(csvRows.bytes.length + count * 16);
      start = 0;
      for (let index = 0; index < count; index++) {
        const end = csvRows.ends[index] as number;
        rows.text(`${firstId + index},`, 'latin1');
        rows.slice(csvRows.bytes, start, end);
        start = end;
      }
    }

    this.recordTotal += count;
    for (const [state, by] of Object.entries(batch.stateCounts)) increment(this.byState, state, by);
    for (const [status, by] of Object.entries(batch.statusCounts)) increment(this.byStatus, status, by);
    // Views of the builders, which are dropped here: the streams keep the bytes until written.
    await this.appendEvidence(evidence.view(), count);
    for (const [group, builder] of xmlByGroup) {
      const file = await this.xmlFileFor(group);
      file.writeBytes(builder.view());
      await file.drain();
    }
    const csv = table.csv;
    if (csv !== undefined && rows !== undefined) {
      if (!csv.isOpen) await this.openTableCsv(csv);
      else this.touchTableCsv(csv);
      csv.writeRows(rows.view(), count);
      await csv.drain();
    }
  }

  private async appendEvidence(text: string | Uint8Array, lineCount: number): Promise<void> {
    if (text.length === 0) return;
    this.evidenceLineCount += lineCount;
    if (typeof text === 'string') this.evidence.writeText(text);
    else this.evidence.writeBytes(text);
    await this.evidence.drain();
  }

  private touchTableCsv(csv: CsvOutput): void {
    this.openTables.delete(csv);
    this.openTables.set(csv, true);
  }

  private async openTableCsv(csv: CsvOutput): Promise<void> {
    while (this.openTables.size >= this.maximumOpenTableFiles) {
      const oldest = this.openTables.keys().next().value as CsvOutput;
      this.openTables.delete(oldest);
      await oldest.suspend();
    }
    await csv.open();
    this.openTables.set(csv, true);
  }

  /** Group `index` < inputs: that input's diskimageobject; `inputs.length`: top-level fileobjects. */
  private async xmlFileFor(group: number): Promise<AppendOnlyOutput> {
    if (group === 0 && this.run.inputs.length > 0) return this.xmlMain as AppendOnlyOutput;
    let fragment = this.xmlFragments.get(group);
    if (fragment === undefined) {
      const name = group < this.run.inputs.length ? `input-${group}` : 'top-level';
      fragment = new AppendOnlyOutput(this.directory, `${REPORT_XML_FILE_NAME}.${name}`);
      await fragment.open();
      this.xmlFragments.set(group, fragment);
    }
    return fragment;
  }

  private async completeXml(): Promise<void> {
    const main = this.xmlMain;
    if (main === undefined) return;
    const inputCount = this.run.inputs.length;
    for (const fragment of this.xmlFragments.values()) await fragment.close();
    if (inputCount > 0) await writeText(main, DFXML_DISK_IMAGE_CLOSE);
    for (let group = 1; group <= inputCount; group++) {
      const input = this.run.inputs[group];
      if (input !== undefined) await writeText(main, dfxmlDiskImageOpen(input, group));
      const fragment = this.xmlFragments.get(group);
      if (fragment !== undefined) {
        await main.appendFile(fragment.partialPath);
        await fragment.discard();
      }
      if (input !== undefined) await writeText(main, DFXML_DISK_IMAGE_CLOSE);
    }
    await writeText(main, DFXML_FOOTER);
    await main.close();
  }

  private buildManifest(input: FinishInput, outputs: readonly ManifestOutput[]): Manifest {
    const inputs: ManifestInput[] = this.run.inputs.map((reportInput, index) => {
      const verification = input.inputsVerified[index] as FinishInput['inputsVerified'][number];
      // A file-identity check re-hashes nothing: its verdict stands alone (types.ts).
      const unchanged =
        verification.unchanged &&
        (verification.method === 'file-identity' ||
          (verification.sha256.toLowerCase() === reportInput.sha256.toLowerCase() && verification.md5.toLowerCase() === reportInput.md5.toLowerCase()));
      return {
        path: reportInput.path,
        absolutePath: reportInput.absolutePath,
        sizeInBytes: reportInput.sizeInBytes,
        sha256: reportInput.sha256,
        md5: reportInput.md5,
        ...(reportInput.hashedDuring === undefined ? {} : { hashedDuring: reportInput.hashedDuring }),
        verifiedAtEnd: { ...(verification.method === undefined ? {} : { method: verification.method }), sha256: verification.sha256, md5: verification.md5, unchanged },
      };
    });
    const manifest: Manifest = {
      manifestVersion: MANIFEST_VERSION,
      tool: this.run.tool,
      commandLine: this.run.commandLine,
      options: this.run.options,
      report: this.format,
      ...(this.reprojection === undefined ? {} : { reprojection: this.reprojection }),
      inputs,
      outputs,
      counts: {
        records: this.recordTotal,
        tables: this.tables.size,
        transactions: this.transactionTotal,
        byState: sortedCounts(this.byState),
        byStatus: sortedCounts(this.byStatus),
      },
      issues: { total: this.issueTotal, byCode: sortedCounts(this.issuesByCode), bySeverity: sortedCounts(this.issuesBySeverity) },
      timing: {
        startTime: this.run.startTime.toISOString(),
        endTime: input.endTime.toISOString(),
        durationMilliseconds: input.endTime.getTime() - this.run.startTime.getTime(),
        ...(input.timings === undefined ? {} : { phases: input.timings }),
      },
      timestampFields: timestampFields(outputs, this.evidenceLineCount),
    };
    return manifest;
  }
}

/** Queues text and waits for the stream if it asks to (the order of every output is the call order). */
async function writeText(file: AppendOnlyOutput, text: string): Promise<void> {
  file.writeText(text);
  await file.drain();
}

function summaryAs(summary: OutputFileSummary, kind: 'dfxml' | 'evidence', itemCount: number): ManifestOutput {
  return { ...summary, kind, itemCount };
}
