/**
 * A WAL through the pipeline, with its database or on its own.
 *
 * Phase 1 (`prepareWal`, main thread, before the main file is decoded): the header and every
 * frame are read in chunks of whole frames (the last complete frame included) and checked by
 * `WalFrameReader`; frames are labelled and grouped into generations and transactions. Each
 * generation is replayed over the main file as a `PageTimeline`, which says which b-tree every
 * frame's page belonged to at its own point in time (pages no tree reaches are matched to a table
 * by record shape, else named `unknown-<N>`). The committed view (main file + newest committed
 * frames) is planned and its WAL-sourced rows decoded, so every record can be placed against what
 * SQLite would show.
 *
 * The main file is decoded next, as it always is; `mainSink` only sets the status of main-file
 * records the WAL changed (`superseded`, `deleted`, `stale-copy`): their state stays `db-live`.
 *
 * Phase 2 (`decodeFrames`): every frame's page image is decoded in the pool, in file order, with
 * state `wal-committed` / `wal-uncommitted` / `wal-stale-generation` / `wal-checksum-invalid`, its
 * frame number, checksum result and transaction (`wal:<generation>.<sequence>`). Transactions
 * get their row-level events from the rows of the page versions they changed; each goes to the
 * sink as a transactions.csv row when its last frame is decoded, in WAL order, and only the rows
 * of every page's current version are kept, so memory follows the database, not the WAL.
 */
import { formatHex, formatOffset } from '../bytes/offsets.js';
import type { EvidenceRecord, IntegrityFlag, RecordState, TableDescriptor } from '../evidence/record.js';
import { IntegrityFlag as Flags, RecordState as States, RecordStatus } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { extendPath } from '../provenance/path.js';
import { headerOffsetOf } from '../formats/sqlite/btree.js';
import type { TextEncoding } from '../formats/sqlite/layout.js';
import { PageType } from '../formats/sqlite/layout.js';
import type { PageReader } from '../formats/sqlite/page-reader.js';
import type { WalFrame, WalFrameSummary, WalHeader } from '../formats/wal/parse-wal.js';
import { WalFrameReader, lostWalHeader, parseWalHeader, walFramePath } from '../formats/wal/parse-wal.js';
import { WalFrameList } from '../formats/wal/frame-list.js';
import { WAL_HEADER_SIZE_IN_BYTES } from '../formats/wal/layout.js';
import type { WalAssembly, WalTransaction } from '../assembly/wal-transactions.js';
import { assembleWalTransactions } from '../assembly/wal-transactions.js';
import type { BtreeOwner } from '../assembly/versions/btree-ownership.js';
import { ownersFromSchema } from '../assembly/versions/btree-ownership.js';
import type { CommittedViewPlan } from '../assembly/versions/committed-view.js';
import { planCommittedView } from '../assembly/versions/committed-view.js';
import { OverlayPageReader } from '../assembly/versions/overlay-page-reader.js';
import type { ConfidenceLevel, PageImageWork, PageOverlaySnapshot } from '../assembly/versions/page-images.js';
import type { LogPageVersion, PageTransition, VersionRef } from '../assembly/versions/page-timeline.js';
import { PageTimeline } from '../assembly/versions/page-timeline.js';
import type { PageRowsChange, RowEvent, RowSnapshot } from '../assembly/versions/row-events.js';
import { rowIdentity, rowSnapshot, transactionRowEvents } from '../assembly/versions/row-events.js';
import { commonFieldCount, matchTableByShape, tableLeafShapes } from '../assembly/versions/shape-match.js';
import type { ByteSource } from '../sources/byte-source.js';
import { evidencePath, evidenceStart, openEvidence } from '../sources/inputs.js';
import type { EvidenceFile } from '../sources/inputs.js';
import type { WorkerPool } from '../pool/pool.js';
import type { Task } from '../pool/tasks.js';
import type { RecordSignature } from '../recovery/freed/signature.js';
import type { TransactionRow } from '../reports/types.js';
import type { LogDatabase, SchemaHint } from './scan-log.js';
import type { FreedTable, MainFreedKeys } from './log-freed.js';
import type { LogPageImage, LogPageImages } from './page-versions.js';
import { FreedSightings, buildFreedTable, carvesFreed } from './log-freed.js';
import type { FreedRecord } from '../recovery/freed/build-record.js';
import type { TablePages } from '../recovery/database.js';
import { OrderedLogOutput, TableRegistry, isFreedRecord, baseOwnership, mainPageRows, openBase, pageImagesPerBatch, readSchemaEntries, runInOrder, runsOf, statusAgainst, tableOfOwner, withStatus } from './scan-log.js';
import type { EvidenceSink } from './sink.js';

/** Bytes of whole frames read per chunk while checking the chain. */
const walChunkSizeInBytes = 4 * 1024 * 1024;

const stateOfLabel: Readonly<Record<WalFrame['label'], RecordState>> = {
  committed: States.walCommitted,
  uncommitted: States.walUncommitted,
  'stale-generation': States.walStaleGeneration,
  'checksum-invalid': States.walChecksumInvalid,
};

function hex32(value: number): string {
  return formatHex(value >>> 0, 8);
}

/** How a frame's (or journal record's) page was attributed to a table. */
export interface FrameTarget {
  /** Table name, or undefined when the page holds no rows to decode (interior, index, overflow, freelist pages). */
  readonly table: string | undefined;
  /** `hinted`: through a tree whose root page another database's schema named (a stray WAL). */
  readonly how: 'btree' | 'hinted' | 'shape' | 'unknown' | 'none';
  readonly reason: string | undefined;
}

const targetHows: readonly FrameTarget['how'][] = ['btree', 'hinted', 'shape', 'unknown', 'none'];

function btreeReason(pageNumber: number, table: string): string {
  return `page ${pageNumber} belongs to table ${table} through the b-tree as of its transaction`;
}

/**
 * Every frame's target, by frame number, in columns: a table index and how, with the reason text
 * kept only where it is not the b-tree sentence (built again on `get`). A Map of objects held
 * about 190 bytes a frame for the whole decode.
 */
export class FrameTargets {
  readonly #tableIndex: Int32Array;
  readonly #how: Uint8Array;
  readonly #tables: string[] = [];
  readonly #tableNumbers = new Map<string, number>();
  readonly #otherReasons = new Map<number, string>();
  readonly #pageNumberOf: (frameNumber: number) => number;

  constructor(frameCount: number, pageNumberOf: (frameNumber: number) => number) {
    this.#tableIndex = new Int32Array(frameCount + 1).fill(-1);
    this.#how = new Uint8Array(frameCount + 1).fill(targetHows.indexOf('none'));
    this.#pageNumberOf = pageNumberOf;
  }

  set(frameNumber: number, target: FrameTarget): void {
    if (target.table !== undefined) {
      let number = this.#tableNumbers.get(target.table);
      if (number === undefined) {
        number = this.#tables.length;
        this.#tables.push(target.table);
        this.#tableNumbers.set(target.table, number);
      }
      this.#tableIndex[frameNumber] = number;
    }
    this.#how[frameNumber] = targetHows.indexOf(target.how);
    const rebuilt = target.how === 'btree' && target.table !== undefined ? btreeReason(this.#pageNumberOf(frameNumber), target.table) : undefined;
    if (target.reason !== undefined && target.reason !== rebuilt) this.#otherReasons.set(frameNumber, target.reason);
  }

  get(frameNumber: number): FrameTarget | undefined {
    if (!(frameNumber >= 0 && frameNumber < this.#how.length)) return undefined;
    const table = this.#tables[this.#tableIndex[frameNumber] ?? -1];
    const how = targetHows[this.#how[frameNumber] as number] as FrameTarget['how'];
    const reason = this.#otherReasons.get(frameNumber) ?? (how === 'btree' && table !== undefined ? btreeReason(this.#pageNumberOf(frameNumber), table) : undefined);
    return { table, how, reason };
  }

  /** Every table some frame is attributed to. */
  tables(): ReadonlySet<string> {
    return new Set(this.#tables);
  }
}

export interface PreparedWal {
  readonly walFile: EvidenceFile;
  readonly header: WalHeader;
  readonly summary: WalFrameSummary;
  readonly frames: WalFrameList;
  readonly assembly: WalAssembly;
  /** The committed view (undefined when no page 1 is readable through it). */
  readonly view: CommittedViewPlan | undefined;
  /** Page → file offset of the newest committed frame. */
  readonly committedOverlay: ReadonlyMap<number, number>;
  /** Decodes the committed view's WAL pages; must run before the main file is decoded through `mainSink`. */
  prepareStatuses(pool: WorkerPool): Promise<void>;
  /** Wraps the sink the main file's records go to, to set their status against the committed view. */
  mainSink(sink: EvidenceSink): EvidenceSink;
  /** Every frame's page image for page-versions.csv: older generations first, then the current one, each in file order. */
  pageImages(): LogPageImages;
  /**
   * Decodes every frame (phase 2), live cells and freed space, and hands each transaction's row to
   * `sink.addTransactions` as soon as its last frame is decoded, in WAL order; returns how many.
   * `mainFreed`: the main file's freed records (a log image holding the same freed cell is a
   * sighting of it, not a new record).
   */
  decodeFrames(pool: WorkerPool, sink: EvidenceSink, mainFreed?: MainFreedKeys): Promise<number>;
  close(): void;
}

export interface PrepareWalOptions {
  /** The database the WAL belongs to; undefined for a stray WAL. */
  readonly database: LogDatabase | undefined;
  /** Schema for a stray WAL (or one whose page size differs from its database's). */
  readonly hint: SchemaHint | undefined;
  /**
   * The frames' header is lost (a WAL fragment carved from a raw image): the item's first 32 bytes
   * are not read; frames are checked under `lostWalHeader` with the page size and checksum byte
   * order the scanner found in them.
   */
  readonly lostHeader?: { readonly pageSize: number; readonly bigEndianChecksumWords: boolean };
}

/** Transaction id as records and transactions.csv show it. */
export function walTransactionId(transaction: WalTransaction): string {
  return `wal:${transaction.generationIndex + 1}.${transaction.sequenceNumber}`;
}

/**
 * Phase 1. Returns undefined (after reporting issues) when the file is not a usable WAL.
 */
export async function prepareWal(walFile: EvidenceFile, options: PrepareWalOptions, sink: EvidenceSink): Promise<PreparedWal | undefined> {
  const walPath = evidencePath(walFile);
  let source: ByteSource;
  try {
    source = openEvidence(walFile);
  } catch (error) {
    await sink.addIssues([issue('input.unreadable', 'error', walPath, 0, `${walFile.location}: ${(error as Error).message}`)]);
    return undefined;
  }
  let keep = false;
  try {
    const prepared = await prepare(source, walFile, walPath, options, sink);
    keep = prepared !== undefined;
    return prepared;
  } finally {
    if (!keep) source.close();
  }
}

async function prepare(source: ByteSource, walFile: EvidenceFile, walPath: SourcePath, options: PrepareWalOptions, sink: EvidenceSink): Promise<PreparedWal | undefined> {
  const size = source.sizeInBytes;
  if (size === 0) {
    await sink.addIssues([issue('wal.empty', 'info', walPath, 0, `${walFile.location}: empty WAL (0 bytes): nothing written since the last checkpoint that truncated it`)]);
    return undefined;
  }
  let header: WalHeader;
  const issues: Issue[] = [];
  if (options.lostHeader !== undefined) {
    header = lostWalHeader(0, options.lostHeader.pageSize, options.lostHeader.bigEndianChecksumWords);
    issues.push(
      issue(
        'wal.header.lost',
        'warning',
        walPath,
        0,
        `${walFile.location}: WAL frames without their header (the ${WAL_HEADER_SIZE_IN_BYTES} bytes before the first frame, at ${formatOffset(0)}, are not it): decoded as generations of their own, page size ${header.pageSize} and ${header.bigEndianChecksumWords ? 'big' : 'little'}-endian checksum words from the frames, the first frame's checksum taken as given and the next ones chained from it; SQLite could not read these frames, and whether they were its current generation is not known`,
        { pageSize: header.pageSize },
      ),
    );
  } else {
    const headerOutcome = parseWalHeader(source.read(0, WAL_HEADER_SIZE_IN_BYTES), 0, walPath);
    if (headerOutcome.kind === 'not-this-format') {
      await sink.addIssues([issue('wal.header.missing', 'warning', walPath, 0, `${walFile.location}: no WAL header at ${formatOffset(0)} (${size} bytes); not decoded as a WAL`)]);
      return undefined;
    }
    if (headerOutcome.kind === 'malformed') {
      await sink.addIssues(headerOutcome.issues);
      return undefined;
    }
    header = headerOutcome.value;
    issues.push(...headerOutcome.issues);
  }

  // A database whose page size differs cannot be the WAL's base: the WAL is then decoded alone,
  // with the database's schema as a hint.
  let database = options.database;
  let hint = options.hint;
  if (database !== undefined && database.summary.header.pageSize !== header.pageSize) {
    issues.push(
      issue(
        'wal.page-size-mismatch',
        'error',
        walPath,
        8,
        `${walFile.location}: WAL page size ${header.pageSize} differs from ${database.summary.header.pageSize} in ${database.file.location}'s header; frames decoded without the database (its schema used by record shape only)`,
        { walPageSize: header.pageSize, databasePageSize: database.summary.header.pageSize },
      ),
    );
    hint = { origin: `database ${database.file.location}`, entries: database.summary.schema.entries.map((entry) => ({ ...entry, rootPageNumber: 0 })), tables: database.summary.schema.tables, pageSize: undefined, usableSize: undefined, encoding: database.summary.header.encoding };
    database = undefined;
  }

  // Every frame, checked in file order, kept in columns; only the type byte of each page image is kept.
  const reader = new WalFrameReader(header, walPath);
  const frameSize = reader.frameSizeInBytes;
  const frameCapacity = Math.max(0, Math.floor((size - WAL_HEADER_SIZE_IN_BYTES) / frameSize));
  const frames = new WalFrameList(frameCapacity);
  const pageTypes = new Uint8Array(frameCapacity);
  const framesPerChunk = Math.max(1, Math.floor(walChunkSizeInBytes / frameSize));
  // Bounded by the file size: every pass consumes at least one whole frame or stops.
  while (reader.nextFrameOffset + frameSize <= size) {
    const chunkStart = reader.nextFrameOffset;
    const chunk = source.read(chunkStart, frameSize * framesPerChunk);
    const whole = chunk.length - (chunk.length % frameSize);
    if (whole === 0) break;
    for (const frame of reader.readFrames(chunk, 0, whole)) {
      if (frames.length >= pageTypes.length) throw new Error(`prepareWal: more whole frames than ${pageTypes.length} fit in ${size} bytes`);
      pageTypes[frames.length] = chunk[frame.pageOffset - chunkStart + headerOffsetOf(frame.pageNumber)] ?? 0;
      frames.push(frame);
    }
  }
  const finished = reader.finish(size - reader.nextFrameOffset < frameSize ? size : reader.nextFrameOffset);
  issues.push(...finished.issues);
  const summary = finished.summary;
  frames.label(summary);
  const assembly = assembleWalTransactions(header, frames);

  const databaseName = database?.summary.location ?? walFile.location;
  const databasePath = database?.path ?? walPath;
  const base = openBase(database);
  try {
    const baseReader: PageReader | undefined = base?.reader;

    // Starting schema: the main file's; for a stray WAL its own newest page 1, else the hint.
    let usableSize = database?.summary.header.usableSize ?? hint?.usableSize ?? header.pageSize;
    let encoding: TextEncoding = database?.summary.header.encoding ?? hint?.encoding ?? 1;
    let startEntries = database?.summary.schema.entries ?? hint?.entries ?? [];
    const registry = new TableRegistry(databaseName, database?.summary.schema.tables ?? []);
    // Root pages named by another database's schema: attributions through them are inferences.
    let rootOrigin: string | undefined;
    if (database === undefined) {
      const own = strayWalSchema(frames, source, header.pageSize, walPath, databaseName);
      if (own !== undefined) {
        usableSize = own.usableSize;
        encoding = own.encoding;
        startEntries = own.entries;
        registry.registerAll(own.tables);
      } else if (hint !== undefined) {
        rootOrigin = hint.origin;
      }
      if (hint !== undefined) registry.registerAll(hint.tables);
    }

    // Replay every generation over the base.
    const overlays: PageOverlaySnapshot[] = [];
    const ownership = baseOwnership(baseReader, usableSize, startEntries);
    const frameOwner = new Map<number, BtreeOwner | undefined>();
    // Overlay snapshot index by frame number (-1: the base alone).
    const frameOverlay = new Int32Array(frames.length + 1).fill(-1);
    const transitions: (readonly PageTransition[] | undefined)[] = [];
    let committedOverlay = new Map<number, number>();
    let committedPageCount: number | undefined;
    const readSchemaAt = (at: PageReader) => {
      const read = readSchemaEntries(at, databasePath, databaseName);
      if (read === undefined) return undefined;
      registry.registerAll(read.tables);
      return { entries: read.entries };
    };
    // The view is the current generation's timeline after its last committed transaction.
    let lastCommitted = -1;
    for (const transaction of assembly.transactions) {
      if (transaction.state === 'committed' && assembly.generations[transaction.generationIndex]?.isCurrent === true) lastCommitted = Math.max(lastCommitted, transaction.transactionIndex);
    }
    for (const generation of assembly.generations) {
      const timeline = new PageTimeline({
        base: baseReader,
        baseIsPredecessor: generation.isCurrent && baseReader !== undefined,
        pageSize: header.pageSize,
        log: source,
        ownership: ownership.clone(),
        overlays,
        readSchema: readSchemaAt,
        rootsOf: ownersFromSchema,
      });
      for (const transactionIndex of generation.transactionIndices) {
        const transaction = assembly.transactions[transactionIndex] as WalTransaction;
        const versions: LogPageVersion[] = transaction.frameNumbers.map((frameNumber) => ({
          versionNumber: frameNumber,
          pageNumber: frames.pageNumberAt(frameNumber - 1),
          fileOffset: frames.pageOffsetAt(frameNumber - 1),
          pageType: pageTypes[frameNumber - 1] ?? 0,
        }));
        const applied = timeline.apply(versions);
        // Only the page transitions are needed after this loop (for the events): not the owners map.
        transitions[transactionIndex] = applied.pages;
        for (const frameNumber of transaction.frameNumbers) {
          frameOwner.set(frameNumber, applied.owners.get(frameNumber));
          frameOverlay[frameNumber] = applied.overlayIndex;
        }
        if (transactionIndex === lastCommitted) {
          committedOverlay = timeline.overlaySnapshot();
          committedPageCount = transaction.databaseSizeInPages;
        }
      }
    }

    // The committed view: what SQLite would show.
    const viewOutcome = planCommittedView({ base: baseReader, pageSize: header.pageSize, wal: source, committedOverlay, committedPageCount, databasePath, databaseName });
    const view = viewOutcome.plan;
    if (view !== undefined) registry.registerAll(view.schema.tables);
    if (view !== undefined && view.issues.length > 0 && committedOverlay.size > 0) {
      issues.push(
        issue('wal.view.btree-issues', 'info', walPath, 0, `${walFile.location}: walking the committed view (main file + committed frames) raised ${view.issues.length} b-tree issue(s); first: ${view.issues[0]?.message ?? ''}`, {
          count: view.issues.length,
        }),
      );
    }

    // Which table each frame's page holds: its tree at its time, else its records' shape.
    const targets = new FrameTargets(frames.length, (frameNumber) => frames.pageNumberAt(frameNumber - 1));
    for (const frame of frames) {
      targets.set(frame.frameNumber, attributeFrame(frame, pageTypes[frame.frameNumber - 1] ?? 0, frameOwner.get(frame.frameNumber), registry, source, header.pageSize, usableSize, rootOrigin));
    }

    const prepared = new WalDecoding({
      walFile,
      walPath,
      source,
      header,
      summary,
      frames,
      pageTypes,
      assembly,
      transitions,
      targets,
      frameOverlay,
      overlays,
      committedOverlay,
      committedPageCount,
      view,
      registry,
      database,
      databaseName,
      databasePath,
      usableSize,
      encoding,
    });
    issues.push(prepared.summaryIssue());
    await sink.addIssues(issues);
    return prepared;
  } finally {
    base?.source.close();
  }
}

/** A stray WAL's own schema: sqlite_schema through its newest committed page 1 (else its newest page 1 of any state). */
function strayWalSchema(frames: Iterable<WalFrame>, source: ByteSource, pageSize: number, walPath: SourcePath, databaseName: string) {
  let chosen: WalFrame | undefined;
  for (const frame of frames) {
    if (frame.pageNumber !== 1) continue;
    if (chosen === undefined || frame.label === 'committed' || chosen.label !== 'committed') chosen = frame;
  }
  if (chosen === undefined) return undefined;
  // Every page's newest frame up to the chosen page 1, so the schema's other pages are found too.
  const overlay = new Map<number, number>();
  for (const frame of frames) {
    if (frame.frameNumber > chosen.frameNumber && frame.pageNumber !== 1) continue;
    if (frame.generationSalt1 !== chosen.generationSalt1 || frame.generationSalt2 !== chosen.generationSalt2) continue;
    if (frame.frameNumber <= chosen.frameNumber) overlay.set(frame.pageNumber, frame.pageOffset);
  }
  return readSchemaEntries(new OverlayPageReader(undefined, pageSize, source, overlay), walPath, databaseName);
}

function attributeFrame(
  frame: WalFrame,
  pageType: number,
  owner: BtreeOwner | undefined,
  registry: TableRegistry,
  source: ByteSource,
  pageSize: number,
  usableSize: number,
  rootOrigin: string | undefined,
): FrameTarget {
  if (frame.pageNumber < 1) return { table: undefined, how: 'none', reason: undefined };
  const holdsRows = pageType === PageType.tableLeaf || pageType === PageType.indexLeaf || pageType === PageType.indexInterior;
  if (!holdsRows) return { table: undefined, how: 'none', reason: undefined };
  if (owner !== undefined) {
    if (owner.kind !== 'table') return { table: undefined, how: 'none', reason: undefined };
    const decode = registry.decodeOf(owner.name);
    // An index-format page in a rowid table's tree (or the reverse) holds no rows of it.
    const indexFormat = pageType !== PageType.tableLeaf;
    if (decode === undefined || decode.withoutRowid !== indexFormat) return { table: undefined, how: 'none', reason: undefined };
    if (rootOrigin !== undefined && owner.name !== 'sqlite_schema') {
      return { table: owner.name, how: 'hinted', reason: `page ${frame.pageNumber} belongs to table ${owner.name} through a b-tree whose root page ${owner.rootPageNumber} ${rootOrigin} names` };
    }
    return { table: owner.name, how: 'btree', reason: btreeReason(frame.pageNumber, owner.name) };
  }
  if (pageType !== PageType.tableLeaf) return { table: undefined, how: 'none', reason: undefined };
  const page = source.read(frame.pageOffset, pageSize);
  const shapes = tableLeafShapes(page, frame.pageNumber, usableSize) ?? [];
  if (shapes.length === 0) return { table: undefined, how: 'none', reason: undefined };
  return attributeByShape(shapes, frame.pageNumber, registry);
}

/** A table-leaf page no tree reaches: the schema table its records fit, else `unknown-<N>`. */
export function attributeByShape(shapes: readonly (readonly number[])[], pageNumber: number, registry: TableRegistry): FrameTarget {
  const match = matchTableByShape(shapes, registry.plans());
  if (match !== undefined) {
    return {
      table: match.plan.entry.name,
      how: 'shape',
      reason: `page ${pageNumber} is reached by no b-tree at its time; table ${match.plan.entry.name} chosen by record shape (${match.matchedRecordCount} of ${match.recordCount} records fit)`,
    };
  }
  const fieldCount = commonFieldCount(shapes);
  const name = registry.unknown(fieldCount);
  return { table: name, how: 'unknown', reason: `page ${pageNumber} is reached by no b-tree and its records fit no known table; columns named c0, c1, … (${fieldCount} fields)` };
}

interface WalDecodingState {
  readonly walFile: EvidenceFile;
  readonly walPath: SourcePath;
  readonly source: ByteSource;
  readonly header: WalHeader;
  readonly summary: WalFrameSummary;
  readonly frames: WalFrameList;
  readonly pageTypes: Uint8Array;
  readonly assembly: WalAssembly;
  /** Page transitions per transaction; decodeFrames releases each entry once the transaction's events are known. */
  readonly transitions: (readonly PageTransition[] | undefined)[];
  readonly targets: FrameTargets;
  readonly frameOverlay: Int32Array;
  readonly overlays: readonly PageOverlaySnapshot[];
  readonly committedOverlay: ReadonlyMap<number, number>;
  readonly committedPageCount: number | undefined;
  readonly view: CommittedViewPlan | undefined;
  readonly registry: TableRegistry;
  readonly database: LogDatabase | undefined;
  readonly databaseName: string;
  readonly databasePath: SourcePath;
  readonly usableSize: number;
  readonly encoding: TextEncoding;
}

/** Rows of the current version of a page in one timeline (generation). */
interface TimelinePage {
  readonly ref: VersionRef;
  readonly rows: readonly RowSnapshot[];
}

class WalDecoding implements PreparedWal {
  readonly #state: WalDecodingState;
  /** The committed view's rows by table and key (fingerprints): WAL-sourced pages, then main-file pages as the main decode passes them. */
  readonly #viewRows = new Map<string, Map<string, string>>();
  #viewRowsReady = false;
  readonly #transactionOfFrame: Int32Array;
  /** Freed-space carving per table (signature and the committed view's live rows), built on first use. */
  readonly #freedTables = new Map<string, FreedTable | null>();
  /** Reads the committed view while frames are decoded (set by decodeFrames). */
  #viewReader: PageReader | undefined;

  constructor(state: WalDecodingState) {
    this.#state = state;
    this.#transactionOfFrame = new Int32Array(state.frames.length + 1).fill(-1);
    for (const transaction of state.assembly.transactions) for (const frameNumber of transaction.frameNumbers) this.#transactionOfFrame[frameNumber] = transaction.transactionIndex;
  }

  get walFile(): EvidenceFile {
    return this.#state.walFile;
  }
  get header(): WalHeader {
    return this.#state.header;
  }
  get summary(): WalFrameSummary {
    return this.#state.summary;
  }
  get frames(): WalFrameList {
    return this.#state.frames;
  }
  get assembly(): WalAssembly {
    return this.#state.assembly;
  }
  get view(): CommittedViewPlan | undefined {
    return this.#state.view;
  }
  get committedOverlay(): ReadonlyMap<number, number> {
    return this.#state.committedOverlay;
  }

  close(): void {
    this.#state.source.close();
  }

  summaryIssue(): Issue {
    const state = this.#state;
    const counts = new Map<string, number>();
    for (const frame of state.frames) counts.set(frame.label, (counts.get(frame.label) ?? 0) + 1);
    const labels = [...counts].map(([label, count]) => `${count} ${label}`).join(', ');
    return issue(
      'wal.decoded',
      'info',
      state.walPath,
      0,
      `${state.walFile.location}: ${state.frames.length} frame(s) (${labels || 'none'}) in ${state.assembly.generations.length} generation(s), ${state.assembly.transactions.length} transaction(s); ${state.committedOverlay.size} page(s) of the committed view come from the WAL${state.database === undefined ? '; decoded without its database' : ''}`,
      { frameCount: state.frames.length, transactionCount: state.assembly.transactions.length, generationCount: state.assembly.generations.length },
    );
  }

  /** Is `frame` the committed view's version of its page, in the tree of `table`? */
  #inView(frame: WalFrame, table: string): boolean {
    const view = this.#state.view;
    return view !== undefined && this.#state.committedOverlay.get(frame.pageNumber) === frame.pageOffset && view.tableOfPage.get(frame.pageNumber) === table;
  }

  #viewRowsOf(table: string): Map<string, string> {
    let rows = this.#viewRows.get(table);
    if (rows === undefined) this.#viewRows.set(table, (rows = new Map()));
    return rows;
  }

  /** Decodes the committed view's WAL-sourced pages (once) so statuses can be placed. */
  async #prepareViewRows(pool: WorkerPool): Promise<void> {
    if (this.#viewRowsReady) return;
    this.#viewRowsReady = true;
    const state = this.#state;
    const view = state.view;
    if (view === undefined) return;
    const frameOfOffset = new Map<number, WalFrame>();
    for (const frame of state.frames) if (state.committedOverlay.get(frame.pageNumber) === frame.pageOffset) frameOfOffset.set(frame.pageOffset, frame);
    const works: WalFrame[] = [];
    for (const [pageNumber, fileOffset] of [...state.committedOverlay].sort((a, b) => a[0] - b[0])) {
      const table = view.tableOfPage.get(pageNumber);
      const frame = frameOfOffset.get(fileOffset);
      if (table === undefined || frame === undefined) continue;
      works.push(frame);
    }
    const keyColumns = state.registry.keyColumns();
    const tasks: (() => Task)[] = [];
    for (let start = 0; start < works.length; start += pageImagesPerBatch) {
      const batch = works.slice(start, start + pageImagesPerBatch);
      tasks.push(() => this.#task(batch.map((frame) => ({ frame, table: view.tableOfPage.get(frame.pageNumber) as string, reasons: [] as string[], level: 'high' as ConfidenceLevel }))));
    }
    await runInOrder(pool, tasks, async (result) => {
      for (const record of result.records) {
        const row = rowIdentity(record, keyColumns);
        if (row !== undefined) this.#viewRowsOf(row.table).set(row.key, row.fingerprint);
      }
    });
  }

  pageImages(): LogPageImages {
    const state = this.#state;
    const generations = state.assembly.generations;
    // Oldest generation first: the one with the most restarts since it was written.
    const older = generations
      .filter((generation) => !generation.isCurrent)
      .sort((a, b) => (b.restartsBeforeCurrent ?? -1) - (a.restartsBeforeCurrent ?? -1) || a.generationIndex - b.generationIndex);
    const rank = new Map(older.map((generation, index) => [generation.generationIndex, index]));
    const before: { rank: number; image: LogPageImage }[] = [];
    const after: LogPageImage[] = [];
    for (const frame of state.frames) {
      const transaction = state.assembly.transactions[this.#transactionOfFrame[frame.frameNumber] ?? -1];
      const generationRank = transaction === undefined ? undefined : rank.get(transaction.generationIndex);
      const image: LogPageImage = {
        pageNumber: frame.pageNumber,
        number: frame.frameNumber,
        fileOffset: frame.pageOffset,
        state: stateOfLabel[frame.label],
        transaction: transaction === undefined ? null : walTransactionId(transaction),
        checksum: frame.checksum === 'valid' || frame.checksum === 'linked' ? 'valid' : frame.checksum === 'mismatch' ? 'invalid' : 'not-applicable',
        beforeMain: generationRank !== undefined,
      };
      if (generationRank === undefined) after.push(image);
      else before.push({ rank: generationRank, image });
    }
    before.sort((a, b) => a.rank - b.rank || a.image.number - b.image.number);
    return { file: state.walFile, source: 'wal', pageSize: state.header.pageSize, images: [...before.map((entry) => entry.image), ...after] };
  }

  mainSink(sink: EvidenceSink): EvidenceSink {
    const state = this.#state;
    const view = state.view;
    // Without a base (a page size mismatch), the view is the WAL's alone: main records keep their status.
    if (view === undefined || state.database === undefined) return sink;
    const keyColumns = state.registry.keyColumns();
    // Tables whose main-file rows the WAL's records may need to be compared with.
    const walTables = new Set<string>();
    for (const table of state.targets.tables()) walTables.add(table);
    const pageCount = state.committedPageCount;
    const inViewUnchanged = (page: number, table: string): boolean =>
      !state.committedOverlay.has(page) && view.tableOfPage.get(page) === table && (pageCount === undefined || page <= pageCount);
    // A table the WAL never touched keeps every main-file row live: its records can be rendered in
    // the pool as usual. The others come here as records, to get their status against the view.
    const untouched = new Set<string>();
    for (const table of state.database.summary.tables) {
      const name = table.table.entry.name;
      if (walTables.has(name)) continue;
      const pages = [...table.leaves.map((leaf) => leaf.pageNumber), ...table.interiorCells.map((cell) => cell.pageNumber)];
      if (pages.every((page) => inViewUnchanged(page, name))) untouched.add(name);
    }
    const renderSpecFor = sink.renderSpecFor?.bind(sink);
    const addRendered = sink.addRendered?.bind(sink);
    return {
      addTable: (descriptor) => sink.addTable(descriptor),
      addIssues: (issues) => sink.addIssues(issues),
      ...(renderSpecFor === undefined || addRendered === undefined
        ? {}
        : { renderSpecFor: (descriptor: TableDescriptor) => (untouched.has(descriptor.table) ? renderSpecFor(descriptor) : undefined), addRendered }),
      addRecords: async (records: readonly EvidenceRecord[]) => {
        if (!this.#viewRowsReady) throw new Error('WalDecoding.mainSink: call prepareStatuses(pool) before decoding the main file');
        const out: EvidenceRecord[] = new Array<EvidenceRecord>(records.length);
        records.forEach((record, index) => {
          if (inViewUnchanged(record.pageNumber, record.table)) {
            if (walTables.has(record.table)) {
              const row = rowIdentity(record, keyColumns);
              if (row !== undefined) this.#viewRowsOf(row.table).set(row.key, row.fingerprint);
            }
            out[index] = record;
            return;
          }
          out[index] = withStatus(record, statusAgainst(this.#viewRows, rowIdentity(record, keyColumns), false));
        });
        await sink.addRecords(out);
      },
    };
  }

  /** Must run before the main file is decoded through `mainSink`. */
  async prepareStatuses(pool: WorkerPool): Promise<void> {
    await this.#prepareViewRows(pool);
  }

  #task(items: readonly { frame: WalFrame; table: string; reasons: readonly string[]; level: ConfidenceLevel }[], carveFreed = false): Task {
    const state = this.#state;
    const tableIndex = new Map<string, number>();
    const tables = [];
    const freedSignatures: (RecordSignature | null)[] = [];
    const overlayIndex = new Map<number, number>();
    const overlays: PageOverlaySnapshot[] = [];
    const images: PageImageWork[] = [];
    for (const { frame, table, reasons, level } of items) {
      const decode = state.registry.decodeOf(table);
      if (decode === undefined) continue;
      let index = tableIndex.get(table);
      if (index === undefined) {
        index = tables.length;
        tables.push(decode);
        if (carveFreed) freedSignatures.push(this.#freedTableOf(table)?.signature ?? null);
        tableIndex.set(table, index);
      }
      const shared = state.frameOverlay[frame.frameNumber] ?? -1;
      let local = -1;
      if (shared >= 0) {
        local = overlayIndex.get(shared) ?? -1;
        if (local < 0) {
          local = overlays.length;
          overlays.push(state.overlays[shared] as PageOverlaySnapshot);
          overlayIndex.set(shared, local);
        }
      }
      const transactionIndex = this.#transactionOfFrame[frame.frameNumber] ?? -1;
      const transaction = state.assembly.transactions[transactionIndex];
      const flags: IntegrityFlag[] = frame.checksum === 'mismatch' ? [Flags.checksumBad] : [];
      images.push({
        pageNumber: frame.pageNumber,
        fileOffset: frame.pageOffset,
        pagePath: extendPath(walFramePath(state.walPath, state.summary, frame), { kind: 'sqlite-page', pageNumber: frame.pageNumber, pageSize: state.header.pageSize }),
        tableIndex: index,
        state: stateOfLabel[frame.label],
        foundBy: 'wal',
        frameIndex: frame.frameNumber,
        journalRecordIndex: undefined,
        checksum: frame.checksum === 'valid' || frame.checksum === 'linked' ? 'valid' : frame.checksum === 'mismatch' ? 'invalid' : 'not-applicable',
        transaction: transaction === undefined ? undefined : walTransactionId(transaction),
        overlayIndex: local,
        confidenceLevel: level,
        reasons,
        flags,
      });
    }
    return {
      kind: 'decode-page-images',
      fileSystemPath: state.walFile.fileSystemPath,
      fileBaseOffset: evidenceStart(state.walFile),
      databaseFileSystemPath: state.database?.file.fileSystemPath,
      databaseBaseOffset: state.database === undefined ? 0 : evidenceStart(state.database.file),
      databaseSizeInBytes: state.database?.file.sizeInBytes ?? 0,
      pageSize: state.header.pageSize,
      parameters: { deferLocators: true, databaseName: state.databaseName, usableSize: state.usableSize, encoding: state.encoding, tables, ...(carveFreed ? { freedSignatures } : {}), overlays, images },
    };
  }

  /**
   * The table's freed-space signature and the committed view's live rows of it (built once, on
   * first use); null for tables without known columns. Without its database the view is partial.
   */
  #freedTableOf(table: string): FreedTable | undefined {
    const known = this.#freedTables.get(table);
    if (known !== undefined) return known ?? undefined;
    const state = this.#state;
    const view = state.view;
    const plan = view?.schema.tables.find((candidate) => candidate.entry.name === table) ?? state.registry.plans().find((candidate) => candidate.entry.name === table);
    if (!carvesFreed(plan)) {
      this.#freedTables.set(table, null);
      return undefined;
    }
    const pages: TablePages | undefined = view?.tables.find((candidate) => candidate.table.entry.name === table);
    const built = buildFreedTable({
      plan,
      pages,
      reader: this.#viewReader,
      entries: view?.schema.entries ?? [],
      usableSize: state.usableSize,
      encoding: state.encoding,
      databaseName: state.databaseName,
      databasePath: state.databasePath,
    });
    this.#freedTables.set(table, built);
    return built;
  }

  #frameReasons(frame: WalFrame, target: FrameTarget): { reasons: string[]; level: ConfidenceLevel } {
    const state = this.#state;
    const transaction = state.assembly.transactions[this.#transactionOfFrame[frame.frameNumber] ?? -1];
    const generation = transaction === undefined ? undefined : state.assembly.generations[transaction.generationIndex];
    const what: Record<WalFrame['label'], string> = {
      committed: 'committed',
      uncommitted: 'written after the last commit SQLite accepts: never committed',
      'stale-generation': state.header.lost === true ? 'a generation whose WAL header is lost (invisible to SQLite; whether it was current is not known)' : 'a stale generation left behind by a WAL restart (invisible to SQLite)',
      'checksum-invalid': 'committed by its writer but rejected by SQLite (checksum chain broken before its commit frame)',
    };
    const reasons = [
      `WAL frame ${frame.frameNumber} at ${formatOffset(frame.frameOffset)}: ${what[frame.label]}; transaction ${transaction === undefined ? '?' : walTransactionId(transaction)}${generation === undefined ? '' : `, generation ${generation.generationIndex + 1} (salts ${hex32(generation.salt1)}/${hex32(generation.salt2)})`}; checksum ${frame.checksum}`,
    ];
    if (target.reason !== undefined) reasons.push(target.reason);
    let level: ConfidenceLevel = 'high';
    if (frame.checksum === 'mismatch' || target.how === 'shape' || target.how === 'hinted') level = 'medium';
    if (target.how === 'unknown') level = 'low';
    return { reasons, level };
  }

  async decodeFrames(pool: WorkerPool, sink: EvidenceSink, mainFreed?: MainFreedKeys): Promise<number> {
    await this.#prepareViewRows(pool);
    const state = this.#state;
    const registry = state.registry;
    const keyColumns = registry.keyColumns();
    const base = openBase(state.database);
    const freed = new FreedSightings(state.walPath, state.walFile.location, mainFreed);
    try {
      if (state.view !== undefined) {
        this.#viewReader = new OverlayPageReader(base?.reader, state.header.pageSize, state.source, state.committedOverlay, state.committedPageCount === undefined ? {} : { pageCount: state.committedPageCount });
      }
      // Rows of each page's current version, per generation (timeline), for the events.
      const timelinePages = new Map<number, Map<number, TimelinePage>>();
      const pendingRows = new Map<number, RowSnapshot[]>();
      // A transaction's row goes to the sink once it and every transaction numbered before it
      // have closed: transactions are runs of consecutive frames numbered in file order, so in
      // practice each waits only for the end of the batch that closed it.
      const output = new OrderedLogOutput(pool, sink, registry);
      const closed = new Map<number, TransactionRow>();
      let handedOver = 0;
      const handOver = async (): Promise<void> => {
        const ready: TransactionRow[] = [];
        for (let row = closed.get(handedOver); row !== undefined; row = closed.get(handedOver)) {
          closed.delete(handedOver++);
          ready.push(row);
        }
        await output.addTransactions(ready);
      };
      const baseRows = (pageNumber: number, table: string | undefined): RowSnapshot[] => {
        if (base === undefined || table === undefined || state.database === undefined) return [];
        const decode = registry.decodeOf(table);
        if (decode === undefined) return [];
        return mainPageRows(base.reader, state.database.path, state.databaseName, state.usableSize, state.encoding, pageNumber, decode, keyColumns);
      };
      const finishTransaction = (transaction: WalTransaction): void => {
        const applied = state.transitions[transaction.transactionIndex];
        state.transitions[transaction.transactionIndex] = undefined;
        if (applied === undefined) {
          closed.set(transaction.transactionIndex, this.#transactionRow(transaction, undefined));
          return;
        }
        let pages = timelinePages.get(transaction.generationIndex);
        if (pages === undefined) timelinePages.set(transaction.generationIndex, (pages = new Map()));
        const rowsOf = (ref: VersionRef, pageNumber: number, table: string | undefined): readonly RowSnapshot[] | undefined => {
          switch (ref.kind) {
            case 'absent':
              return [];
            case 'unknown':
              return undefined;
            case 'base':
              return baseRows(pageNumber, table);
            case 'log': {
              const pending = pendingRows.get(ref.versionNumber);
              if (pending !== undefined) return pending;
              const known = pages.get(pageNumber);
              return known !== undefined && known.ref.kind === 'log' && known.ref.versionNumber === ref.versionNumber ? known.rows : undefined;
            }
          }
        };
        // The current generation over its database knows every page's tree: a page without an
        // owner has left its table. Elsewhere (stale generations, stray WALs) trees are partial,
        // and a page no tree reaches keeps the table its records were attributed to.
        const generation = state.assembly.generations[transaction.generationIndex];
        const treesComplete = generation?.isCurrent === true && state.database !== undefined;
        const attributed = (ref: VersionRef): string | undefined => (treesComplete || ref.kind !== 'log' ? undefined : state.targets.get(ref.versionNumber)?.table);
        const changes: PageRowsChange[] = [];
        for (const transition of applied) {
          const tableBefore = transition.ownerBefore === undefined ? attributed(transition.before) : tableOfOwner(transition.ownerBefore);
          const tableAfter = transition.ownerAfter === undefined ? attributed(transition.after) : tableOfOwner(transition.ownerAfter);
          const rowsBefore = rowsOf(transition.before, transition.pageNumber, tableBefore);
          const rowsAfter = rowsOf(transition.after, transition.pageNumber, tableAfter) ?? [];
          changes.push({ pageNumber: transition.pageNumber, tableBefore, tableAfter, rowsBefore, rowsAfter });
          if (transition.change === 'written') pages.set(transition.pageNumber, { ref: transition.after, rows: rowsAfter });
        }
        const result = transactionRowEvents(changes, (table) => registry.columnsOf(table));
        closed.set(transaction.transactionIndex, this.#transactionRow(transaction, { events: result.events, unexplained: result.unexplainedRowCount }));
        for (const frameNumber of transaction.frameNumbers) pendingRows.delete(frameNumber);
      };

      const frames = state.frames;
      const tasks: (() => Task)[] = [];
      const batchRanges: { start: number; end: number }[] = [];
      for (let start = 0; start < frames.length; start += pageImagesPerBatch) {
        const end = Math.min(frames.length, start + pageImagesPerBatch);
        batchRanges.push({ start, end });
        // Built when the pool asks for the batch: a frame's reasons are text, not kept for the whole WAL.
        tasks.push(() => {
          const items: { frame: WalFrame; table: string; reasons: readonly string[]; level: ConfidenceLevel }[] = [];
          for (let index = start; index < end; index++) {
            const frame = frames.at(index) as WalFrame;
            const target = state.targets.get(frame.frameNumber);
            if (target?.table === undefined) continue;
            const { reasons, level } = this.#frameReasons(frame, target);
            items.push({ frame, table: target.table, reasons, level });
          }
          return this.#task(items, true);
        });
      }
      await runInOrder(pool, tasks, async (result, batchIndex, task) => {
        const range = batchRanges[batchIndex] as { start: number; end: number };
        const byFrame = new Map<number, EvidenceRecord[]>();
        const freedByFrame = new Map<number, FreedRecord[]>();
        const live: EvidenceRecord[] = [];
        for (const record of result.records) {
          if (isFreedRecord(record)) {
            const list = freedByFrame.get(record.frameIndex ?? 0) ?? [];
            list.push(record);
            freedByFrame.set(record.frameIndex ?? 0, list);
            continue;
          }
          live.push(record);
          const list = byFrame.get(record.frameIndex ?? 0) ?? [];
          list.push(record);
          byFrame.set(record.frameIndex ?? 0, list);
        }
        for (let index = range.start; index < range.end; index++) {
          const frame = frames.at(index) as WalFrame;
          const records = byFrame.get(frame.frameNumber) ?? [];
          const rows: RowSnapshot[] = [];
          const tentative = frame.label === 'uncommitted' || frame.label === 'checksum-invalid';
          const source = `wal-frame#${frame.frameNumber}`;
          for (const record of records) {
            const row = rowSnapshot(record, keyColumns, source);
            if (row !== undefined) rows.push(row);
            // Without its database the view is partial: a row not found in it may still be live.
            const status = this.#inView(frame, record.table) ? RecordStatus.live : statusAgainst(this.#viewRows, row, tentative, state.database === undefined ? RecordStatus.unknown : RecordStatus.deleted);
            withStatus(record, status);
          }
          pendingRows.set(frame.frameNumber, rows);
          const freedRecords = freedByFrame.get(frame.frameNumber);
          if (freedRecords !== undefined) {
            const transactionOfFrame = state.assembly.transactions[this.#transactionOfFrame[frame.frameNumber] ?? -1];
            const sighting = `WAL frame ${frame.frameNumber} (${stateOfLabel[frame.label]}${transactionOfFrame === undefined ? '' : `, transaction ${walTransactionId(transactionOfFrame)}`})`;
            const table = (freedRecords[0] as FreedRecord).table;
            freed.add(freedRecords, this.#freedTableOf(table), sighting, state.database === undefined);
          }
          const transaction = state.assembly.transactions[this.#transactionOfFrame[frame.frameNumber] ?? -1];
          if (transaction !== undefined && transaction.frameNumbers[transaction.frameNumbers.length - 1] === frame.frameNumber) finishTransaction(transaction);
        }
        if (task.kind === 'decode-page-images') {
          const images = task.parameters.images;
          for (const run of runsOf(live, images, (work) => task.parameters.tables[work.tableIndex]?.name ?? '')) await output.add(run, task);
        }
        const issues = freed.filterIssues(result.issues);
        if (issues.length > 0) await sink.addIssues(issues);
        await handOver();
      });
      await handOver();
      await output.flush();
      // Distinct freed records last, each once, with the other frames that hold it as sightings.
      await freed.flush(sink, registry);
      if (handedOver !== state.assembly.transactions.length) throw new Error(`WalDecoding.decodeFrames: ${handedOver} of ${state.assembly.transactions.length} transactions handed over`);
      return handedOver;
    } finally {
      this.#viewReader = undefined;
      base?.source.close();
    }
  }

  #transactionRow(transaction: WalTransaction, events: { events: readonly RowEvent[]; unexplained: number } | undefined): TransactionRow {
    const state = this.#state;
    const generation = state.assembly.generations[transaction.generationIndex];
    const counts = transaction.checksumCounts;
    const frameCount = transaction.frameNumbers.length;
    const checksumState = counts.mismatch > 0 ? 'invalid' : counts.valid + counts.linked === frameCount ? 'valid' : 'not-applicable';
    const list = events?.events ?? [];
    return {
      transaction: walTransactionId(transaction),
      database: state.databaseName,
      source: 'wal',
      sequence: transaction.transactionIndex + 1,
      generation: transaction.generationIndex + 1,
      commitState: transaction.state,
      checksumState,
      firstFrame: transaction.frameNumbers[0] ?? null,
      lastFrame: transaction.frameNumbers[frameCount - 1] ?? null,
      pages: transaction.pageNumbers,
      insertCount: list.filter((event) => event.kind === 'insert').length,
      updateCount: list.filter((event) => event.kind === 'update').length,
      deleteCount: list.filter((event) => event.kind === 'delete').length,
      details: {
        wal: state.walFile.location,
        sequenceInGeneration: transaction.sequenceNumber,
        salt1: generation?.salt1 ?? null,
        salt2: generation?.salt2 ?? null,
        currentGeneration: generation?.isCurrent ?? false,
        restartsBeforeCurrent: generation?.restartsBeforeCurrent ?? null,
        commitFrame: transaction.commitFrameNumber ?? null,
        databaseSizeInPages: transaction.databaseSizeInPages ?? null,
        startKnown: transaction.startKnown,
        checksumValid: counts.valid,
        checksumLinked: counts.linked,
        checksumMismatch: counts.mismatch,
        checksumUnverifiable: counts.unverifiable,
        checksumZeroed: counts.zeroed,
        rowsWithoutKnownEarlierVersion: events?.unexplained ?? 0,
      },
      events: list,
    };
  }
}
