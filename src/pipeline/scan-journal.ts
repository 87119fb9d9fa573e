/**
 * A rollback journal through the pipeline, with its database or on its own.
 *
 * The journal is parsed through a window of its bytes, never read whole (segments, nonces, records with verified checksums, the PERSIST
 * zeroed header and leftover records of earlier transactions: formats/journal). Its pre-images are
 * laid over the main file as one transaction of a `PageTimeline`, which gives the database as it
 * was before the journalled transaction: which table each pre-image page belonged to then (else
 * by record shape, else `unknown-<N>`), and which pages the transaction freed or allocated
 * without journaling them. Every record's page is decoded in the pool, in file order, with state
 * `journal-preimage`, its record number, checksum result and transaction (`journal:1` for the
 * journal's own transaction, `journal:2`… for leftovers of earlier ones).
 *
 * The transaction's row-level events compare the pre-images (before) with the main file (after):
 * a committed PERSIST journal shows what its transaction deleted or changed; a hot journal shows
 * what the interrupted transaction had already written into the database file, which SQLite would
 * undo on its next open.
 */
import { formatHex, formatOffset } from '../bytes/offsets.js';
import type { EvidenceRecord, IntegrityFlag } from '../evidence/record.js';
import { IntegrityFlag as Flags, RecordState, RecordStatus } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { extendPath } from '../provenance/path.js';
import { headerOffsetOf } from '../formats/sqlite/btree.js';
import type { TextEncoding } from '../formats/sqlite/layout.js';
import { PageType } from '../formats/sqlite/layout.js';
import type { Journal, JournalRecord } from '../formats/journal/parse-journal.js';
import { journalRecordPath, parseJournal } from '../formats/journal/parse-journal.js';
import { summarizeJournal } from '../assembly/journal-preimages.js';
import type { BtreeOwner } from '../assembly/versions/btree-ownership.js';
import { ownersFromSchema } from '../assembly/versions/btree-ownership.js';
import { OverlayPageReader } from '../assembly/versions/overlay-page-reader.js';
import type { TableDecodeInfo } from '../recovery/table-info.js';
import type { ConfidenceLevel, PageImageWork, PageOverlaySnapshot } from '../assembly/versions/page-images.js';
import type { LogPageVersion, TransactionTransitions, VersionRef } from '../assembly/versions/page-timeline.js';
import { PageTimeline } from '../assembly/versions/page-timeline.js';
import type { PageRowsChange, RowEvent, RowSnapshot } from '../assembly/versions/row-events.js';
import { rowSnapshot, transactionRowEvents } from '../assembly/versions/row-events.js';
import { tableLeafShapes } from '../assembly/versions/shape-match.js';
import type { ByteSource } from '../sources/byte-source.js';
import { WindowedByteView } from '../sources/windowed-view.js';
import { evidencePath, evidenceStart, openEvidence } from '../sources/inputs.js';
import type { EvidenceFile } from '../sources/inputs.js';
import type { WorkerPool } from '../pool/pool.js';
import type { Task } from '../pool/tasks.js';
import type { TransactionRow } from '../reports/types.js';
import type { LogDatabase, SchemaHint } from './scan-log.js';
import type { FreedTable, MainFreedKeys } from './log-freed.js';
import type { LogPageImages } from './page-versions.js';
import { FreedSightings, buildFreedTable, carvesFreed } from './log-freed.js';
import type { FreedRecord } from '../recovery/freed/build-record.js';
import type { RecordSignature } from '../recovery/freed/signature.js';
import type { PageReader } from '../formats/sqlite/page-reader.js';
import { OrderedLogOutput, TableRegistry, isFreedRecord, baseOwnership, mainPageRows, openBase, pageImagesPerBatch, readSchemaEntries, runInOrder, runsOf, statusAgainst, tableOfOwner, withStatus } from './scan-log.js';
import type { FrameTarget } from './scan-wal.js';
import { attributeByShape } from './scan-wal.js';
import type { EvidenceSink } from './sink.js';

export interface ScanJournalOptions {
  readonly database: LogDatabase | undefined;
  readonly hint: SchemaHint | undefined;
  /** The main file's freed records: a pre-image holding the same freed cell is a sighting of it. */
  readonly mainFreed?: MainFreedKeys | undefined;
  /** Receives every record's page image for page-versions.csv (when the journal is decoded). */
  readonly onPageImages?: ((images: LogPageImages) => void) | undefined;
  /** Bytes of the journal kept in memory at a time while it is parsed (tests set a small window). */
  readonly windowSizeInBytes?: number | undefined;
}

type RecordTarget = FrameTarget;

/**
 * Decodes a journal and hands its transactions (transactions.csv) to `sink.addTransactions` after
 * its records; returns how many (0 when nothing was decoded).
 */
export async function scanJournal(journalFile: EvidenceFile, options: ScanJournalOptions, pool: WorkerPool, sink: EvidenceSink): Promise<number> {
  const journalPath = evidencePath(journalFile);
  let source: ByteSource;
  try {
    source = openEvidence(journalFile);
  } catch (error) {
    await sink.addIssues([issue('input.unreadable', 'error', journalPath, 0, `${journalFile.location}: ${(error as Error).message}`)]);
    return 0;
  }
  try {
    const rows = await decodeJournal(source, journalFile, journalPath, options, pool, sink);
    if (rows.length > 0) await sink.addTransactions?.(rows);
    return rows.length;
  } finally {
    source.close();
  }
}

async function decodeJournal(source: ByteSource, journalFile: EvidenceFile, journalPath: SourcePath, options: ScanJournalOptions, pool: WorkerPool, sink: EvidenceSink): Promise<TransactionRow[]> {
  const size = source.sizeInBytes;
  if (size === 0) {
    await sink.addIssues([
      issue('journal.empty', 'info', journalPath, 0, `${journalFile.location}: empty journal (0 bytes): a TRUNCATE-mode journal after commit; its records may survive only in the file system's free space`),
    ]);
    return [];
  }
  let database = options.database;
  let hint = options.hint;
  // Read through a window (bounded memory whatever the journal's size), never whole.
  const bytes = new WindowedByteView(source, options.windowSizeInBytes);
  const outcome = parseJournal(bytes, 0, journalPath, database === undefined ? {} : { pageSize: database.summary.header.pageSize });
  if (outcome.kind === 'not-this-format') {
    await sink.addIssues([issue('journal.header.missing', 'warning', journalPath, 0, `${journalFile.location}: no journal header (intact, zeroed or unsynced) at ${formatOffset(0)}; not decoded as a journal`)]);
    return [];
  }
  if (outcome.kind === 'malformed') {
    await sink.addIssues(outcome.issues);
    return [];
  }
  const journal = outcome.value;
  const issues: Issue[] = [...outcome.issues];
  const pageSize = journal.pageSize;
  if (pageSize === undefined) {
    issues.push(issue('journal.page-size-unknown', 'warning', journalPath, 0, `${journalFile.location}: page size unknown (zeroed header, no database, no record layout found); records not decoded`));
    await sink.addIssues(issues);
    return [];
  }
  if (database !== undefined && database.summary.header.pageSize !== pageSize) {
    issues.push(
      issue('journal.page-size-mismatch', 'error', journalPath, 24, `${journalFile.location}: journal page size ${pageSize} differs from ${database.summary.header.pageSize} in ${database.file.location}'s header; records decoded without the database (its schema used by record shape only)`, {
        journalPageSize: pageSize,
        databasePageSize: database.summary.header.pageSize,
      }),
    );
    hint = { origin: `database ${database.file.location}`, entries: database.summary.schema.entries.map((entry) => ({ ...entry, rootPageNumber: 0 })), tables: database.summary.schema.tables, pageSize: undefined, usableSize: undefined, encoding: database.summary.header.encoding };
    database = undefined;
  }
  const decoding = new JournalDecoding(journal, bytes, journalFile, journalPath, database, hint, pageSize);
  options.onPageImages?.(decoding.pageImages());
  issues.push(decoding.summaryIssue());
  await sink.addIssues(issues);
  return decoding.decode(pool, sink, options.mainFreed);
}

const leftoverReason = 'a leftover of an earlier transaction (PERSIST mode reused the journal; different nonce)';

class JournalDecoding {
  readonly #journal: Journal;
  readonly #journalFile: EvidenceFile;
  readonly #journalPath: SourcePath;
  readonly #database: LogDatabase | undefined;
  readonly #pageSize: number;
  readonly #usableSize: number;
  readonly #encoding: TextEncoding;
  readonly #registry: TableRegistry;
  readonly #databaseName: string;
  readonly #leftoverSegments: ReadonlySet<number>;
  /** Record numbers applied as the journal's own transaction's pre-images (one per page). */
  readonly #preimageRecords: ReadonlySet<number>;
  readonly #transitions: TransactionTransitions | undefined;
  readonly #targets = new Map<number, RecordTarget>();
  readonly #overlayOf = new Map<number, number>();
  readonly #overlays: PageOverlaySnapshot[] = [];
  readonly #transactionOfSegment = new Map<number, string>();
  /** Root pages named by another database's schema (a stray journal without page 1): attributions through them are inferences. */
  #rootOrigin: string | undefined;

  constructor(journal: Journal, bytes: WindowedByteView, journalFile: EvidenceFile, journalPath: SourcePath, database: LogDatabase | undefined, hint: SchemaHint | undefined, pageSize: number) {
    this.#journal = journal;
    this.#journalFile = journalFile;
    this.#journalPath = journalPath;
    this.#database = database;
    this.#pageSize = pageSize;
    this.#databaseName = database?.summary.location ?? journalFile.location;
    const images = { read: (offset: number, length: number): Uint8Array => bytes.read(offset, length) };
    this.#leftoverSegments = new Set(journal.segments.filter((segment) => segment.kind === 'leftover').map((segment) => segment.segmentNumber));
    let leftoverCount = 0;
    for (const segment of journal.segments) this.#transactionOfSegment.set(segment.segmentNumber, segment.kind === 'leftover' ? `journal:${2 + leftoverCount++}` : 'journal:1');

    const registry = new TableRegistry(this.#databaseName, database?.summary.schema.tables ?? []);
    let usableSize = database?.summary.header.usableSize ?? hint?.usableSize ?? pageSize;
    let encoding: TextEncoding = database?.summary.header.encoding ?? hint?.encoding ?? 1;
    let entries = database?.summary.schema.entries ?? hint?.entries ?? [];
    const summary = summarizeJournal(journal);
    const chosen = new Set<number>();
    for (const page of summary.pages) {
      const recordNumber = page.preimageRecordNumber ?? page.recordNumbers[0];
      if (recordNumber !== undefined) chosen.add(recordNumber);
    }
    this.#preimageRecords = chosen;
    const records = journal.records;
    const pageTypeOf = (record: JournalRecord): number => bytes.at(record.pageOffset + headerOffsetOf(record.pageNumber)) ?? 0;
    const versionOf = (record: JournalRecord): LogPageVersion => ({ versionNumber: record.recordNumber, pageNumber: record.pageNumber, fileOffset: record.pageOffset, pageType: pageTypeOf(record) });

    // A stray journal: the schema from its own page-1 pre-image when it has one.
    if (database === undefined) {
      const overlay = new Map<number, number>();
      for (const record of records) if (chosen.has(record.recordNumber)) overlay.set(record.pageNumber, record.pageOffset);
      const own = readSchemaEntries(new OverlayPageReader(undefined, pageSize, images, overlay), journalPath, this.#databaseName);
      if (own !== undefined) {
        usableSize = own.usableSize;
        encoding = own.encoding;
        entries = own.entries;
        registry.registerAll(own.tables);
      } else if (hint !== undefined) {
        this.#rootOrigin = hint.origin;
      }
      if (hint !== undefined) registry.registerAll(hint.tables);
    }
    this.#usableSize = usableSize;
    this.#encoding = encoding;
    this.#registry = registry;

    const base = openBase(database);
    try {
      const timeline = new PageTimeline({
        base: base?.reader,
        baseIsPredecessor: base !== undefined,
        pageSize,
        log: images,
        ownership: baseOwnership(base?.reader, usableSize, entries),
        overlays: this.#overlays,
        readSchema: (reader) => {
          const read = readSchemaEntries(reader, database?.path ?? journalPath, this.#databaseName);
          if (read === undefined) return undefined;
          registry.registerAll(read.tables);
          return { entries: read.entries };
        },
        rootsOf: ownersFromSchema,
      });
      // The journal's own transaction: one pre-image per page, over the main file.
      const own = records.filter((record) => chosen.has(record.recordNumber));
      this.#transitions = own.length === 0 ? undefined : timeline.apply(own.map(versionOf));
      const ownOverlay = this.#transitions?.overlayIndex ?? -1;
      // Other records (repeated pages, leftovers of earlier transactions): attributed in the
      // database as it was before the journal's transaction, the nearest state known.
      for (const record of records) {
        const owner = this.#transitions?.owners.get(record.recordNumber) ?? timeline.ownership.ownerOf(record.pageNumber);
        this.#overlayOf.set(record.recordNumber, ownOverlay);
        this.#targets.set(record.recordNumber, this.#attribute(record, pageTypeOf(record), owner, bytes, chosen.has(record.recordNumber)));
      }
      // Main-file rows of the pages the transaction changed: the "after" side.
      if (base !== undefined && database !== undefined && this.#transitions !== undefined) {
        const keyColumns = registry.keyColumns();
        for (const transition of this.#transitions.pages) {
          const table = tableOfOwner(transition.ownerBefore);
          const decode = table === undefined ? undefined : registry.decodeOf(table);
          if (transition.before.kind !== 'base' || decode === undefined) continue;
          this.#mainRows.set(transition.pageNumber, mainPageRows(base.reader, database.path, this.#databaseName, usableSize, encoding, transition.pageNumber, decode, keyColumns));
        }
        // Pages the transaction freed without journaling them: their main-file content is the before side.
        for (const transition of this.#transitions.pages) {
          if (transition.change !== 'moved' || transition.before.kind !== 'base') continue;
          const table = tableOfOwner(transition.ownerAfter);
          const decode = table === undefined ? undefined : registry.decodeOf(table);
          if (decode === undefined) continue;
          this.#unjournaledRows.set(transition.pageNumber, mainPageRows(base.reader, database.path, this.#databaseName, usableSize, encoding, transition.pageNumber, decode, keyColumns));
        }
      }
    } finally {
      base?.source.close();
    }
  }

  /** Main-file rows of changed pages (page → rows, decoded with the page's owner in the main file). */
  readonly #mainRows = new Map<number, RowSnapshot[]>();
  /** Main-file rows of unjournaled pages that belonged to a table before the transaction. */
  readonly #unjournaledRows = new Map<number, RowSnapshot[]>();

  #attribute(record: JournalRecord, pageType: number, owner: BtreeOwner | undefined, bytes: WindowedByteView, applied: boolean): RecordTarget {
    const holdsRows = pageType === PageType.tableLeaf || pageType === PageType.indexLeaf || pageType === PageType.indexInterior;
    if (!holdsRows || record.pageNumber < 1) return { table: undefined, how: 'none', reason: undefined };
    if (owner !== undefined) {
      if (owner.kind !== 'table') return { table: undefined, how: 'none', reason: undefined };
      const decode = this.#registry.decodeOf(owner.name);
      if (decode === undefined || decode.withoutRowid !== (pageType !== PageType.tableLeaf)) return { table: undefined, how: 'none', reason: undefined };
      if (this.#rootOrigin !== undefined && owner.name !== 'sqlite_schema') {
        return { table: owner.name, how: 'hinted', reason: `page ${record.pageNumber} belongs to table ${owner.name} through a b-tree whose root page ${owner.rootPageNumber} ${this.#rootOrigin} names` };
      }
      return {
        table: owner.name,
        how: 'btree',
        reason: applied
          ? `page ${record.pageNumber} belongs to table ${owner.name} through the b-tree of the database before the journalled transaction`
          : `page ${record.pageNumber} attributed to table ${owner.name} through the b-tree of the database before the journal's own transaction (nearest known state)`,
      };
    }
    if (pageType !== PageType.tableLeaf) return { table: undefined, how: 'none', reason: undefined };
    const shapes = tableLeafShapes(bytes.read(record.pageOffset, this.#pageSize), record.pageNumber, this.#usableSize) ?? [];
    if (shapes.length === 0) return { table: undefined, how: 'none', reason: undefined };
    return attributeByShape(shapes, record.pageNumber, this.#registry);
  }

  /** Every record's page image, in file order (all older than the main file's pages). */
  pageImages(): LogPageImages {
    return {
      file: this.#journalFile,
      source: 'journal',
      pageSize: this.#pageSize,
      images: this.#journal.records.map((record) => ({
        pageNumber: record.pageNumber,
        number: record.recordNumber,
        fileOffset: record.pageOffset,
        state: RecordState.journalPreimage,
        transaction: this.#transactionOfSegment.get(record.segmentNumber) ?? null,
        checksum: record.checksum === 'valid' ? 'valid' : record.checksum === 'invalid' ? 'invalid' : 'not-applicable',
        beforeMain: true,
      })),
    };
  }

  summaryIssue(): Issue {
    const journal = this.#journal;
    const summary = summarizeJournal(journal);
    const states: Record<Journal['state'], string> = {
      hot: 'hot: SQLite would roll these pre-images back into the database on its next open',
      'hot-without-records': 'hot, without records: SQLite would only truncate the database on its next open',
      unsynced: 'unsynced: a transaction was writing it; SQLite would not roll it back',
      zeroed: 'committed (PERSIST mode zeroed its header); its records are stale pre-images',
      'damaged-header': 'its header is damaged',
    };
    return issue(
      'journal.decoded',
      'info',
      this.#journalPath,
      0,
      `${this.#journalFile.location}: ${states[journal.state]}; ${journal.segments.length} segment(s), ${summary.recordCount} record(s) (${summary.validRecordCount} with a valid checksum) of ${summary.pages.length} page(s), page size ${this.#pageSize}${this.#database === undefined ? '; decoded without its database' : ''}`,
      { state: journal.state, recordCount: summary.recordCount, segmentCount: journal.segments.length },
    );
  }

  #work(record: JournalRecord, table: string, tables: Map<string, number>, list: TableDecodeInfo[]): PageImageWork | undefined {
    const decode = this.#registry.decodeOf(table);
    if (decode === undefined) return undefined;
    let index = tables.get(table);
    if (index === undefined) {
      index = list.length;
      list.push(decode);
      tables.set(table, index);
    }
    const target = this.#targets.get(record.recordNumber) as RecordTarget;
    const leftover = this.#leftoverSegments.has(record.segmentNumber);
    const segment = this.#journal.segments[record.segmentNumber - 1];
    const hot = this.#journal.state === 'hot' && record.restoredByRollback;
    const reasons = [
      `journal record ${record.recordNumber} at ${formatOffset(record.recordOffset)} (segment ${record.segmentNumber}, nonce ${formatHex(segment?.nonce ?? 0, 8)}): the page as it was before ${leftover ? leftoverReason : 'the journalled transaction'}; checksum ${record.checksum}`,
    ];
    if (hot) reasons.push('hot journal: SQLite would write this pre-image back on the next open');
    if (!this.#preimageRecords.has(record.recordNumber) && !leftover) reasons.push(`page ${record.pageNumber} was journalled more than once; the first valid record is its pre-image`);
    if (target.reason !== undefined) reasons.push(target.reason);
    let level: ConfidenceLevel = 'high';
    if (record.checksum === 'invalid' || target.how === 'shape' || target.how === 'hinted') level = 'medium';
    if (target.how === 'unknown') level = 'low';
    const flags: IntegrityFlag[] = record.checksum === 'invalid' ? [Flags.checksumBad] : [];
    return {
      pageNumber: record.pageNumber,
      fileOffset: record.pageOffset,
      pagePath: extendPath(journalRecordPath(this.#journalPath, record), { kind: 'sqlite-page', pageNumber: record.pageNumber, pageSize: this.#pageSize }),
      tableIndex: index,
      state: RecordState.journalPreimage,
      foundBy: 'journal',
      frameIndex: undefined,
      journalRecordIndex: record.recordNumber,
      checksum: record.checksum === 'valid' ? 'valid' : record.checksum === 'invalid' ? 'invalid' : 'not-applicable',
      transaction: this.#transactionOfSegment.get(record.segmentNumber),
      overlayIndex: this.#overlayOf.get(record.recordNumber) ?? -1,
      confidenceLevel: level,
      reasons,
      flags,
    };
  }

  /** Freed-space carving per table: its signature and the main file's live rows of it (built on first use). */
  readonly #freedTables = new Map<string, FreedTable | null>();

  #freedTableOf(table: string, reader: PageReader | undefined): FreedTable | undefined {
    const known = this.#freedTables.get(table);
    if (known !== undefined) return known ?? undefined;
    const database = this.#database;
    const plan = database?.summary.schema.tables.find((candidate) => candidate.entry.name === table) ?? this.#registry.plans().find((candidate) => candidate.entry.name === table);
    if (!carvesFreed(plan)) {
      this.#freedTables.set(table, null);
      return undefined;
    }
    const built = buildFreedTable({
      plan,
      pages: database?.summary.tables.find((candidate) => candidate.table.entry.name === table),
      reader,
      entries: database?.summary.schema.entries ?? [],
      usableSize: this.#usableSize,
      encoding: this.#encoding,
      databaseName: this.#databaseName,
      databasePath: database?.path ?? this.#journalPath,
    });
    this.#freedTables.set(table, built);
    return built;
  }

  async decode(pool: WorkerPool, sink: EvidenceSink, mainFreed?: MainFreedKeys): Promise<TransactionRow[]> {
    const base = openBase(this.#database);
    try {
      return await this.#decode(pool, sink, base?.reader, mainFreed);
    } finally {
      base?.source.close();
    }
  }

  async #decode(pool: WorkerPool, sink: EvidenceSink, baseReader: PageReader | undefined, mainFreed: MainFreedKeys | undefined): Promise<TransactionRow[]> {
    const journal = this.#journal;
    const registry = this.#registry;
    const keyColumns = registry.keyColumns();
    const freed = new FreedSightings(this.#journalPath, this.#journalFile.location, mainFreed);
    // The database's current rows on the changed pages (status of each pre-image against them).
    const current = new Map<string, Map<string, string>>();
    for (const rows of this.#mainRows.values()) {
      for (const row of rows) {
        let table = current.get(row.table);
        if (table === undefined) current.set(row.table, (table = new Map()));
        table.set(row.key, row.fingerprint);
      }
    }
    const preimageRows = new Map<number, RowSnapshot[]>();
    const tasks: (() => Task)[] = [];
    for (let start = 0; start < journal.records.length; start += pageImagesPerBatch) {
      const batch = journal.records.slice(start, start + pageImagesPerBatch);
      tasks.push(() => {
        const tables = new Map<string, number>();
        const list: TableDecodeInfo[] = [];
        const images: PageImageWork[] = [];
        for (const record of batch) {
          const table = this.#targets.get(record.recordNumber)?.table;
          if (table === undefined) continue;
          const work = this.#work(record, table, tables, list);
          if (work !== undefined) images.push(work);
        }
        const freedSignatures: (RecordSignature | null)[] = list.map((decode) => this.#freedTableOf(decode.name, baseReader)?.signature ?? null);
        return {
          kind: 'decode-page-images',
          fileSystemPath: this.#journalFile.fileSystemPath,
          fileBaseOffset: evidenceStart(this.#journalFile),
          databaseFileSystemPath: this.#database?.file.fileSystemPath,
          databaseBaseOffset: this.#database === undefined ? 0 : evidenceStart(this.#database.file),
          databaseSizeInBytes: this.#database?.file.sizeInBytes ?? 0,
          pageSize: this.#pageSize,
          parameters: {
            deferLocators: true,
            databaseName: this.#databaseName,
            usableSize: this.#usableSize,
            encoding: this.#encoding,
            tables: list,
            freedSignatures,
            overlays: this.#overlays,
            images,
          },
        };
      });
    }
    const output = new OrderedLogOutput(pool, sink, registry);
    await runInOrder(pool, tasks, async (result, _index, task) => {
      const live: EvidenceRecord[] = [];
      const freedByRecord = new Map<number, FreedRecord[]>();
      for (const record of result.records) {
        if (isFreedRecord(record)) {
          const list = freedByRecord.get(record.journalRecordIndex ?? 0) ?? [];
          list.push(record);
          freedByRecord.set(record.journalRecordIndex ?? 0, list);
          continue;
        }
        live.push(record);
      }
      for (const [recordNumber, records] of freedByRecord) {
        const source = this.#journal.records[recordNumber - 1];
        const transaction = source === undefined ? undefined : this.#transactionOfSegment.get(source.segmentNumber);
        const sighting = `journal record ${recordNumber} (journal-preimage${transaction === undefined ? '' : `, transaction ${transaction}`})`;
        freed.add(records, this.#freedTableOf((records[0] as FreedRecord).table, baseReader), sighting, this.#database === undefined);
      }
      for (const record of live) {
        const recordNumber = record.journalRecordIndex ?? 0;
        const source = this.#journal.records[recordNumber - 1];
        const leftover = source !== undefined && this.#leftoverSegments.has(source.segmentNumber);
        const row = rowSnapshot(record, keyColumns, `journal-record#${recordNumber}`);
        if (row !== undefined && this.#preimageRecords.has(recordNumber)) {
          const list = preimageRows.get(recordNumber) ?? [];
          list.push(row);
          preimageRows.set(recordNumber, list);
        }
        const status = this.#database === undefined ? RecordStatus.unknown : statusAgainst(current, row, false, leftover ? RecordStatus.unknown : RecordStatus.deleted);
        withStatus(record, status);
      }
      if (task.kind === 'decode-page-images') {
        for (const run of runsOf(live, task.parameters.images, (work) => task.parameters.tables[work.tableIndex]?.name ?? '')) await output.add(run, task);
      }
      const issues = freed.filterIssues(result.issues);
      if (issues.length > 0) await sink.addIssues(issues);
    });
    await output.flush();
    await freed.flush(sink, registry);
    return this.#transactionRows(preimageRows);
  }

  /** The journal's own transaction's events: pre-images (before) against the main file (after). */
  #events(preimageRows: ReadonlyMap<number, RowSnapshot[]>): { events: readonly RowEvent[]; unexplained: number } | undefined {
    const transitions = this.#transitions;
    if (transitions === undefined || this.#database === undefined) return undefined;
    const rowsOf = (ref: VersionRef, pageNumber: number, forBefore: boolean): readonly RowSnapshot[] | undefined => {
      switch (ref.kind) {
        case 'log':
          return preimageRows.get(ref.versionNumber) ?? [];
        case 'base':
          return forBefore ? (this.#unjournaledRows.get(pageNumber) ?? []) : (this.#mainRows.get(pageNumber) ?? []);
        case 'absent':
          return [];
        case 'unknown':
          return undefined;
      }
    };
    const changes: PageRowsChange[] = transitions.pages.map((transition) => {
      // Reversed: the timeline went from the main file (after) to the pre-images (before).
      const tableBefore = tableOfOwner(transition.ownerAfter) ?? (transition.after.kind === 'log' ? this.#targets.get(transition.after.versionNumber)?.table : undefined);
      const tableAfter = tableOfOwner(transition.ownerBefore);
      return {
        pageNumber: transition.pageNumber,
        tableBefore,
        tableAfter,
        rowsBefore: rowsOf(transition.after, transition.pageNumber, true),
        rowsAfter: rowsOf(transition.before, transition.pageNumber, false) ?? [],
      };
    });
    const result = transactionRowEvents(changes, (table) => this.#registry.columnsOf(table));
    return { events: result.events, unexplained: result.unexplainedRowCount };
  }

  #transactionRows(preimageRows: ReadonlyMap<number, RowSnapshot[]>): TransactionRow[] {
    const journal = this.#journal;
    const rows: TransactionRow[] = [];
    const byTransaction = new Map<string, JournalRecord[]>();
    for (const segment of journal.segments) byTransaction.set(this.#transactionOfSegment.get(segment.segmentNumber) as string, []);
    for (const record of journal.records) byTransaction.get(this.#transactionOfSegment.get(record.segmentNumber) as string)?.push(record);
    let sequence = 0;
    for (const [transaction, records] of byTransaction) {
      sequence++;
      const own = transaction === 'journal:1';
      if (!own && records.length === 0) continue;
      const events = own ? this.#events(preimageRows) : undefined;
      const invalid = records.filter((record) => record.checksum === 'invalid').length;
      const valid = records.filter((record) => record.checksum === 'valid').length;
      const segments = journal.segments.filter((segment) => this.#transactionOfSegment.get(segment.segmentNumber) === transaction);
      const first = segments[0];
      const commitState = !own ? 'committed' : journal.state === 'zeroed' ? 'committed' : journal.state === 'damaged-header' ? 'unknown' : 'uncommitted';
      const list = events?.events ?? [];
      rows.push({
        transaction,
        database: this.#databaseName,
        source: 'journal',
        sequence,
        generation: null,
        commitState,
        checksumState: invalid > 0 ? 'invalid' : records.length > 0 && valid === records.length ? 'valid' : 'not-applicable',
        firstFrame: records[0]?.recordNumber ?? null,
        lastFrame: records[records.length - 1]?.recordNumber ?? null,
        pages: records.map((record) => record.pageNumber),
        insertCount: list.filter((event) => event.kind === 'insert').length,
        updateCount: list.filter((event) => event.kind === 'update').length,
        deleteCount: list.filter((event) => event.kind === 'delete').length,
        details: {
          journal: this.#journalFile.location,
          journalState: own ? journal.state : 'leftover',
          segments: segments.map((segment) => segment.segmentNumber).join(' '),
          nonce: first === undefined ? null : formatHex(first.nonce >>> 0, 8),
          nonceSource: first?.nonceSource ?? null,
          initialDatabaseSizeInPages: first?.initialDatabaseSizeInPages ?? null,
          sectorSize: journal.sectorSize ?? null,
          pageSize: this.#pageSize,
          recordsRestoredByRollback: records.filter((record) => record.restoredByRollback).length,
          checksumValid: valid,
          checksumInvalid: invalid,
          rowsWithoutKnownEarlierVersion: events?.unexplained ?? 0,
        },
        events: list,
      });
    }
    return rows;
  }
}
