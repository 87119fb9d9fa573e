/**
 * What WAL and rollback-journal decoding share: the database a log belongs to, schema hints for a
 * stray log, the tables its page images are decoded with, main-file rows as a page's other
 * version, and running page-image batches through the pool in order.
 */
import type { EvidenceRecord, TableDescriptor } from '../evidence/record.js';
import { RecordState, RecordStatus } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { filePath } from '../provenance/path.js';
import { headerOffsetOf, pagePath } from '../formats/sqlite/btree.js';
import type { TextEncoding } from '../formats/sqlite/layout.js';
import { PageType } from '../formats/sqlite/layout.js';
import type { PageReader } from '../formats/sqlite/page-reader.js';
import { parseDatabaseHeader } from '../formats/sqlite/parse-header.js';
import { parseBtreePage } from '../formats/sqlite/parse-page.js';
import { parseCreateTable } from '../formats/sqlite/schema.js';
import type { SchemaEntry, TablePlan } from '../recovery/database.js';
import { readSchema } from '../recovery/database.js';
import { decodeCells } from '../recovery/decode-cells.js';
import type { TableDecodeInfo } from '../recovery/table-info.js';
import type { FreedRecord } from '../recovery/freed/build-record.js';
import { tableDecodeInfo, unknownTable } from '../recovery/table-info.js';
import type { BtreeOwner } from '../assembly/versions/btree-ownership.js';
import { BtreeOwnership, ownersFromSchema } from '../assembly/versions/btree-ownership.js';
import type { KeyColumns, RowIdentity, RowSnapshot } from '../assembly/versions/row-events.js';
import { rowSnapshot } from '../assembly/versions/row-events.js';
import type { PageImageWork } from '../assembly/versions/page-images.js';
import { recordStatusCode, stampLocators } from '../assembly/versions/page-images.js';
import type { RenderedBatch } from '../reports/render.js';
import type { EvidenceFile } from '../sources/inputs.js';
import { FileSource } from '../sources/file-source.js';
import type { ByteSource } from '../sources/byte-source.js';
import { openEvidence } from '../sources/inputs.js';
import { SourcePageReader } from '../sources/page-reader.js';
import type { WorkerPool } from '../pool/pool.js';
import type { Task, TaskResult } from '../pool/tasks.js';
import type { DatabaseSummary } from './scan-database.js';
import { describeDatabase } from './scan-database.js';
import type { EvidenceSink } from './sink.js';
import type { TransactionRow } from '../reports/types.js';

/** The database a WAL or journal belongs to, already described (header, schema, b-tree plan). */
export interface LogDatabase {
  readonly file: EvidenceFile;
  readonly summary: DatabaseSummary;
  readonly path: SourcePath;
}

/**
 * A schema for a log without its database (or one whose page size differs from the database's):
 * from `--schema`, from another input, or read from the log's own page 1.
 */
export interface SchemaHint {
  /** Where it came from, for confidence reasons: `--schema schema.db`, `input other/trans.db`. */
  readonly origin: string;
  readonly entries: readonly SchemaEntry[];
  readonly tables: readonly TablePlan[];
  readonly pageSize: number | undefined;
  readonly usableSize: number | undefined;
  readonly encoding: TextEncoding;
}

/** Page images per pool task for logs (as for main-file leaves). */
export const pageImagesPerBatch = 32;

/**
 * A schema hint from a file: a SQLite database (its sqlite_schema, root pages included) or a text
 * file of CREATE TABLE statements (no root pages: tables are then matched by record shape).
 */
export function schemaHintFromFile(location: string): { hint: SchemaHint | undefined; issues: Issue[] } {
  const path = filePath(location);
  let source: FileSource;
  try {
    source = new FileSource(location);
  } catch (error) {
    return { hint: undefined, issues: [{ code: 'input.schema-unreadable', severity: 'error', path, offsetInLeaf: 0, message: `--schema ${location}: ${(error as Error).message}` }] };
  }
  try {
    const first = source.read(0, 100);
    if (parseDatabaseHeader(first, 0, path).kind === 'parsed') {
      const { summary, issues } = describeDatabase(source, location, path);
      if (summary === undefined) return { hint: undefined, issues };
      if (summary.schema.entries.length === 0) {
        return { hint: undefined, issues: [{ code: 'input.schema-empty', severity: 'warning', path, offsetInLeaf: 0, message: `--schema ${location}: the database's sqlite_schema names no table` }] };
      }
      return { hint: hintFromSummary(summary, `--schema ${location}`), issues: [] };
    }
    const text = new TextDecoder('utf-8', { fatal: false }).decode(source.read(0, Math.min(source.sizeInBytes, 16 * 1024 * 1024)));
    return hintFromSql(text, `--schema ${location}`, path);
  } finally {
    source.close();
  }
}

export function hintFromSummary(summary: DatabaseSummary, origin: string): SchemaHint {
  return {
    origin,
    entries: summary.schema.entries,
    tables: summary.schema.tables,
    pageSize: summary.header.pageSize,
    usableSize: summary.header.usableSize,
    encoding: summary.header.encoding,
  };
}

/** CREATE TABLE statements separated by semicolons (a `.schema` dump); root pages unknown (0). */
function hintFromSql(text: string, origin: string, path: SourcePath): { hint: SchemaHint | undefined; issues: Issue[] } {
  const tables: TablePlan[] = [];
  const entries: SchemaEntry[] = [];
  const issues: Issue[] = [];
  for (const statement of text.split(';')) {
    const sql = statement.trim();
    if (!/^create\s+table/i.test(sql)) continue;
    const outcome = parseCreateTable(sql);
    if (!outcome.ok) {
      issues.push({ code: 'input.schema-statement-unparsed', severity: 'warning', path, offsetInLeaf: 0, message: `${origin}: CREATE TABLE not understood (${outcome.problem}): ${sql.slice(0, 80)}` });
      continue;
    }
    const entry: SchemaEntry = { type: 'table', name: outcome.schema.name, tableName: outcome.schema.name, rootPageNumber: 0, sql };
    entries.push(entry);
    tables.push({ entry, schema: outcome.schema, decode: { ...tableDecodeInfo(outcome.schema), name: outcome.schema.name } });
  }
  if (tables.length === 0) {
    issues.push({ code: 'input.schema-empty', severity: 'warning', path, offsetInLeaf: 0, message: `${origin}: neither a SQLite database nor CREATE TABLE statements` });
    return { hint: undefined, issues };
  }
  return { hint: { origin, entries, tables, pageSize: undefined, usableSize: undefined, encoding: 1 }, issues };
}

/**
 * The tables one database's log records are decoded with, by name: the main file's first (already
 * declared by decodeDatabase), then tables the log's own schema pages name, then hint tables, then
 * `unknown-<N>` tables (N fields, columns c0, c1, …) for pages no schema explains. The first
 * definition of a name wins, so every record of a table shares one column list.
 */
export class TableRegistry {
  readonly database: string;
  readonly #plans = new Map<string, TablePlan>();
  readonly #decodes = new Map<string, TableDecodeInfo>();
  readonly #declared = new Set<string>();

  constructor(database: string, declared: readonly TablePlan[] = []) {
    this.database = database;
    for (const plan of declared) {
      this.register(plan);
      this.#declared.add(plan.entry.name);
    }
  }

  register(plan: TablePlan): void {
    const name = plan.entry.name;
    if (this.#decodes.has(name)) return;
    this.#plans.set(name, plan);
    this.#decodes.set(name, plan.decode);
  }

  registerAll(plans: readonly TablePlan[]): void {
    for (const plan of plans) this.register(plan);
  }

  /** Tables with a parsed schema (shape-matching candidates). */
  plans(): TablePlan[] {
    return [...this.#plans.values()];
  }

  decodeOf(name: string): TableDecodeInfo | undefined {
    return this.#decodes.get(name);
  }

  /** The `unknown-<fieldCount>` table, registered on first use. */
  unknown(fieldCount: number): string {
    const name = `unknown-${fieldCount}`;
    if (!this.#decodes.has(name)) this.#decodes.set(name, unknownTable(name, fieldCount, false));
    return name;
  }

  columnsOf(name: string): readonly string[] {
    return this.#decodes.get(name)?.columns ?? [];
  }

  /** Primary-key columns of WITHOUT ROWID tables (row keys). */
  keyColumns(): KeyColumns {
    const out = new Map<string, readonly number[]>();
    for (const [name, plan] of this.#plans) if (plan.schema?.withoutRowid === true) out.set(name, plan.schema.primaryKeyIndexes);
    return out;
  }

  descriptor(name: string): TableDescriptor | undefined {
    const decode = this.#decodes.get(name);
    if (decode === undefined) return undefined;
    return { database: this.database, table: name, columns: decode.columns, withoutRowid: decode.withoutRowid };
  }

  /** Declares the table to the sink once (before its first record). */
  async declare(name: string, sink: EvidenceSink): Promise<void> {
    if (this.#declared.has(name)) return;
    const descriptor = this.descriptor(name);
    if (descriptor === undefined) return;
    this.#declared.add(name);
    await sink.addTable(descriptor);
  }
}

/** Reads sqlite_schema through `reader` (its page 1 must carry a database header); undefined when it cannot. */
export function readSchemaEntries(reader: PageReader, path: SourcePath, databaseName: string): { entries: readonly SchemaEntry[]; tables: readonly TablePlan[]; encoding: TextEncoding; usableSize: number } | undefined {
  const first = reader.readPage(1);
  if (first === undefined) return undefined;
  const header = parseDatabaseHeader(first, 0, path);
  if (header.kind !== 'parsed' || header.value.pageSize !== reader.pageSize) return undefined;
  const schema = readSchema(reader, header.value, path, databaseName);
  return { entries: schema.entries, tables: schema.tables, encoding: header.value.encoding, usableSize: header.value.usableSize };
}

/** Ownership of the base database's pages: every tree named by `entries`, walked through `base`. */
export function baseOwnership(base: PageReader | undefined, usableSize: number, entries: readonly SchemaEntry[]): BtreeOwnership {
  const ownership = new BtreeOwnership(usableSize, ownersFromSchema(entries));
  if (base !== undefined) {
    const visited = new Set<number>();
    for (const rootPageNumber of [...ownership.roots.keys()].sort((a, b) => a - b)) ownership.addTree(base, rootPageNumber, visited);
  }
  return ownership;
}

/** The table whose rows an owner's pages hold (an index's pages hold none). */
export function tableOfOwner(owner: BtreeOwner | undefined): string | undefined {
  return owner?.kind === 'table' ? owner.name : undefined;
}

/** Opens the database a log belongs to, for reading main-file pages on this thread. */
export function openBase(database: LogDatabase | undefined): { source: ByteSource; reader: SourcePageReader } | undefined {
  if (database === undefined) return undefined;
  const source = openEvidence(database.file);
  return { source, reader: new SourcePageReader(source, database.summary.header.pageSize, 0, database.file.sizeInBytes) };
}

/**
 * Rows of the main file's version of a page, decoded with `table`'s columns (the page's owner in
 * the main file's trees): the other side of a change a log made to that page.
 */
export function mainPageRows(reader: PageReader, databasePath: SourcePath, databaseName: string, usableSize: number, encoding: TextEncoding, pageNumber: number, table: TableDecodeInfo, keyColumns: KeyColumns): RowSnapshot[] {
  const page = reader.readPage(pageNumber);
  if (page === undefined) return [];
  const path = pagePath(databasePath, pageNumber, reader.pageSize);
  const parsed = parseBtreePage(page, 0, headerOffsetOf(pageNumber), usableSize, path);
  if (parsed.kind !== 'parsed') return [];
  let kind: 'table-leaf' | 'index-leaf' | 'index-interior' | undefined;
  if (parsed.value.type === PageType.tableLeaf && !table.withoutRowid) kind = 'table-leaf';
  else if (parsed.value.type === PageType.indexLeaf && table.withoutRowid) kind = 'index-leaf';
  else if (parsed.value.type === PageType.indexInterior && table.withoutRowid) kind = 'index-interior';
  if (kind === undefined) return [];
  const decoded = decodeCells(page, pageNumber, path, kind, parsed.value.cellOffsetsInPage, table, {
    databaseName,
    usableSize,
    encoding,
    reader,
    state: RecordState.live,
    status: RecordStatus.live,
    foundBy: 'btree-walk',
  });
  const rows: RowSnapshot[] = [];
  const source = `main sqlite-page#${pageNumber}`;
  for (const record of decoded.records) {
    const row = rowSnapshot(record, keyColumns, source);
    if (row !== undefined) rows.push(row);
  }
  return rows;
}

/**
 * Runs tasks through the pool with at most `maximumInFlight` pending, handing results to
 * `consume` in submission order (so output order never depends on timing).
 */
export async function runInOrder(pool: WorkerPool, tasks: readonly (() => Task)[], consume: (result: TaskResult, index: number, task: Task) => Promise<void>): Promise<void> {
  const maximumInFlight = Math.max(2, pool.workerCount * 3);
  const pending: { task: Task; result: Promise<TaskResult> }[] = [];
  let next = 0;
  const submit = (): void => {
    const make = tasks[next];
    if (make === undefined) return;
    next++;
    const task = make();
    pending.push({ task, result: pool.run(task) });
  };
  while (next < tasks.length && pending.length < maximumInFlight) submit();
  let index = 0;
  while (pending.length > 0) {
    const { task, result } = pending.shift() as { task: Task; result: Promise<TaskResult> };
    const value = await result;
    submit();
    // Page-image tasks leave frame/record numbers, checksums and transactions to this thread.
    if (task.kind === 'decode-page-images' && task.parameters.deferLocators === true) stampLocators(value.records, task.parameters.images);
    await consume(value, index++, task);
  }
}

/**
 * Status of a log record against the database's current rows (`current`: table → key →
 * fingerprint): a copy of a live row, an older or would-be version of one, or a row the current
 * database no longer has. `tentative` records (never committed, or lost to a checksum break) are
 * `unknown` unless they equal the live row.
 */
export function statusAgainst(current: ReadonlyMap<string, ReadonlyMap<string, string>>, row: RowIdentity | undefined, tentative: boolean, absentStatus: RecordStatus = RecordStatus.deleted): RecordStatus {
  if (row === undefined) return RecordStatus.unknown;
  const live = current.get(row.table)?.get(row.key);
  if (live === undefined) return tentative ? RecordStatus.unknown : absentStatus;
  if (live === row.fingerprint) return RecordStatus.staleCopy;
  return tentative ? RecordStatus.unknown : RecordStatus.superseded;
}

/**
 * Sets a record's status in place. Only for records this pipeline just received from the pool or
 * decoded itself (fresh objects nobody else holds): copying hundreds of thousands of records per
 * WAL cost more than decoding them.
 */
export function withStatus(record: EvidenceRecord, status: RecordStatus): EvidenceRecord {
  if (record.status !== status) (record as { status: RecordStatus }).status = status;
  return record;
}

/** One table's records of a decode batch, in decode order, with the task that decoded them. */
export interface DecodedRun {
  readonly table: string;
  readonly records: readonly EvidenceRecord[];
  /** The images of the run (consecutive images of one table). */
  readonly images: readonly PageImageWork[];
}

/**
 * Hands log records to the sink in decode order. When the sink writes reports (`renderSpecFor`
 * with `addRendered`), each run of one table is decoded again in a pool worker with the statuses
 * this thread decided, and rendered there: this thread then only appends text, as for the main
 * file's live pages. Otherwise the records go to `addRecords`. At most `maximumInFlight` outputs
 * wait, so memory stays bounded.
 */
interface QueuedOutput {
  readonly records?: readonly EvidenceRecord[];
  readonly rendered?: RenderedBatch;
  readonly transactions?: readonly TransactionRow[];
}

export class OrderedLogOutput {
  readonly #pool: WorkerPool;
  readonly #sink: EvidenceSink;
  readonly #registry: TableRegistry;
  readonly #queue: Promise<QueuedOutput>[] = [];
  readonly #maximumInFlight: number;

  constructor(pool: WorkerPool, sink: EvidenceSink, registry: TableRegistry) {
    this.#pool = pool;
    this.#sink = sink;
    this.#registry = registry;
    this.#maximumInFlight = Math.max(2, pool.workerCount * 3);
  }

  /** Queues one run of `decodeTask`'s records (their statuses set). */
  async add(run: DecodedRun, decodeTask: Task): Promise<void> {
    if (run.records.length === 0) return;
    await this.#registry.declare(run.table, this.#sink);
    const descriptor = this.#registry.descriptor(run.table);
    const render = this.#sink.addRendered === undefined || descriptor === undefined || decodeTask.kind !== 'decode-page-images' ? undefined : this.#sink.renderSpecFor?.(descriptor);
    if (render === undefined || decodeTask.kind !== 'decode-page-images') {
      this.#queue.push(Promise.resolve({ records: run.records }));
    } else {
      const statuses = Uint8Array.from(run.records, (record) => recordStatusCode(record.status));
      // The same images decoded again (deterministic: same records, same order), stamped and rendered in the worker.
      // Live records only: freed records of log images are de-duplicated and handed over at the end (log-freed.ts).
      const { freedSignatures: _freed, ...parameters } = decodeTask.parameters;
      const task: Task = { ...decodeTask, parameters: { ...parameters, images: run.images, statuses, deferLocators: false }, render };
      this.#queue.push(this.#pool.run(task).then((result) => (result.rendered === undefined ? { records: result.records } : { rendered: result.rendered })));
    }
    while (this.#queue.length > this.#maximumInFlight) await this.#emitOne();
  }

  /**
   * Queues transactions.csv rows behind the records queued so far, so they reach the sink at the
   * same point among the records whatever the number of workers (evidence.ndjson interleaves them).
   */
  async addTransactions(rows: readonly TransactionRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.#queue.push(Promise.resolve({ transactions: rows }));
    while (this.#queue.length > this.#maximumInFlight) await this.#emitOne();
  }

  async flush(): Promise<void> {
    while (this.#queue.length > 0) await this.#emitOne();
  }

  async #emitOne(): Promise<void> {
    const output = await (this.#queue.shift() as Promise<QueuedOutput>);
    if (output.transactions !== undefined) {
      await this.#sink.addTransactions?.(output.transactions);
    } else if (output.rendered !== undefined) {
      if (output.rendered.count > 0) await this.#sink.addRendered?.(output.rendered);
    } else if (output.records !== undefined && output.records.length > 0) {
      await this.#sink.addRecords(output.records);
    }
  }
}

/** Records carved from an image's freed space (the rest were reached through its cell pointers). */
export function isFreedRecord(record: EvidenceRecord): record is FreedRecord {
  return record.foundBy === 'page-scan';
}

/** Splits a batch's records (in decode order) into runs of consecutive images of one table. */
export function runsOf(records: readonly EvidenceRecord[], images: readonly PageImageWork[], tableOf: (work: PageImageWork) => string): DecodedRun[] {
  const runs: DecodedRun[] = [];
  let at = 0;
  let current: { table: string; records: EvidenceRecord[]; images: PageImageWork[] } | undefined;
  for (const work of images) {
    const table = tableOf(work);
    const own: EvidenceRecord[] = [];
    // Records of an image are consecutive, in image order, and point to the image's page path.
    while (at < records.length && (records[at] as EvidenceRecord).pageNumber === work.pageNumber && sameImage(records[at] as EvidenceRecord, work)) own.push(records[at++] as EvidenceRecord);
    if (current === undefined || current.table !== table) {
      if (current !== undefined) runs.push(current);
      current = { table, records: [], images: [] };
    }
    current.images.push(work);
    for (const record of own) current.records.push(record);
  }
  if (current !== undefined) {
    // Never drop a record: any the images did not claim (none in practice) stay with the last run.
    while (at < records.length) current.records.push(records[at++] as EvidenceRecord);
    runs.push(current);
  } else if (records.length > 0) {
    runs.push({ table: (records[0] as EvidenceRecord).table, records: [...records], images: [] });
  }
  return runs;
}

function sameImage(record: EvidenceRecord, work: PageImageWork): boolean {
  return (work.frameIndex === undefined || record.frameIndex === work.frameIndex) && (work.journalRecordIndex === undefined || record.journalRecordIndex === work.journalRecordIndex);
}
