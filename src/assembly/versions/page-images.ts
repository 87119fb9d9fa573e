/**
 * Page images held by a log (WAL frames, journal pre-images) → EvidenceRecords, through the same
 * cell decoding as the main file's pages. This is the body of the `decode-page-images` pool task;
 * tests call it directly.
 *
 * A frame's or record's page is an ordinary b-tree page: its live cells are decoded with the
 * table the planner attributed the page to, and each record carries the image's state (WAL label or
 * journal pre-image), frame or record number, checksum result and transaction. Overflow pages are
 * read as of the image's point in time through an `OverlayPageReader` (log pages the planner lists
 * for that moment, over the base database).
 *
 * `recoverPageImage` is the one place where everything recovered from one page image is gathered:
 * its live cells, then (when the task carries the table's `RecordSignature`) the records its freed
 * space still holds (freeblocks, the unallocated gap, free space the chain no longer reaches),
 * carved exactly as the main file's pages are (recovery/freed/carve-page.ts). Freed records keep
 * `foundBy: page-scan` and their region in the reasons; they get the image's state, frame or
 * journal record, checksum result and transaction like the live ones, status `unknown` (the
 * pipeline classifies them against the committed view, then de-duplicates them across images).
 */
import type { Confidence, EvidenceRecord, FoundBy, IntegrityFlag, RecordState } from '../../evidence/record.js';
import type { RecordStatus as RecordStatusType } from '../../evidence/record.js';
import { RecordStatus } from '../../evidence/record.js';
import type { Issue } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { renderPath } from '../../provenance/path.js';
import { headerOffsetOf } from '../../formats/sqlite/btree.js';
import type { TextEncoding } from '../../formats/sqlite/layout.js';
import { PageType } from '../../formats/sqlite/layout.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import { parseBtreePage } from '../../formats/sqlite/parse-page.js';
import type { DecodedCells, PageDecodeContext } from '../../recovery/decode-cells.js';
import { decodeCells } from '../../recovery/decode-cells.js';
import type { DecodedBatch } from '../../recovery/live-records.js';
import type { TableDecodeInfo } from '../../recovery/table-info.js';
import { carveFreedCells } from '../../recovery/freed/carve-page.js';
import type { RecordSignature } from '../../recovery/freed/signature.js';
import type { PageImageSource } from './overlay-page-reader.js';
import { OverlayPageReader } from './overlay-page-reader.js';

export type ConfidenceLevel = 'high' | 'medium' | 'low';

/** One page image to decode. Plain data (crosses the worker boundary). */
export interface PageImageWork {
  readonly pageNumber: number;
  /** Offset of the page image in the log file. */
  readonly fileOffset: number;
  /** Provenance of the page image: `file:… > wal-frame#k(…) > sqlite-page#n` or `… > journal-record#i(…) > sqlite-page#n`. */
  readonly pagePath: SourcePath;
  /** Index into `PageImageDecodeParameters.tables`; -1 when the page holds no rows to decode. */
  readonly tableIndex: number;
  readonly state: RecordState;
  readonly foundBy: FoundBy;
  /** 1-based WAL frame number, or undefined. */
  readonly frameIndex: number | undefined;
  /** 1-based journal record number, or undefined. */
  readonly journalRecordIndex: number | undefined;
  readonly checksum: 'valid' | 'invalid' | 'not-applicable';
  readonly transaction: string | undefined;
  /** Index into `overlays` for overflow pages as of this image's time; -1 for the base alone. */
  readonly overlayIndex: number;
  /** Highest confidence the image's records can have (lowered for a damaged chain or a guessed table). */
  readonly confidenceLevel: ConfidenceLevel;
  /** Why the records are what they are: the image's state, how the table was attributed. */
  readonly reasons: readonly string[];
  readonly flags: readonly IntegrityFlag[];
}

/** Log pages (page number → file offset of its image) visible at one moment; non-b-tree pages only in practice. */
export interface PageOverlaySnapshot {
  readonly pageNumbers: readonly number[];
  readonly fileOffsets: readonly number[];
  /** Pages the database had at that moment, when known. */
  readonly pageCount: number | undefined;
}

export interface PageImageDecodeParameters {
  /**
   * Leave `frameIndex`, `journalRecordIndex`, `checksum` and `transaction` to the caller
   * (`stampLocators` after the records crossed the worker boundary): records without them pack
   * and unpack as plain records, several times faster for a WAL's hundreds of thousands.
   */
  readonly deferLocators?: boolean;
  /**
   * Statuses the caller already decided for these images' records (codes into
   * `recordStatusCodes`, in decode order): a second decode in a worker, to render the records'
   * report text there, gives them the statuses the first pass found.
   */
  readonly statuses?: Uint8Array;
  readonly databaseName: string;
  readonly usableSize: number;
  readonly encoding: TextEncoding;
  readonly tables: readonly TableDecodeInfo[];
  /**
   * Freed-space carving: the signature of each table of `tables` (same index; null where the table
   * has none, e.g. an `unknown-<N>` table), built once per table on the main thread (plain data,
   * structured-clone safe). Absent: live cells only (the render pass, the committed-view pass).
   */
  readonly freedSignatures?: readonly (RecordSignature | null)[];
  readonly overlays: readonly PageOverlaySnapshot[];
  readonly images: readonly PageImageWork[];
}

/** Status codes for `PageImageDecodeParameters.statuses`. */
export const recordStatusCodes: readonly RecordStatusType[] = [RecordStatus.live, RecordStatus.deleted, RecordStatus.staleCopy, RecordStatus.superseded, RecordStatus.unknown];

export function recordStatusCode(status: RecordStatusType): number {
  return recordStatusCodes.indexOf(status);
}

/** Above this span, a batch's images are read one by one instead of with one read. */
const maximumBatchReadSpanInBytes = 8 * 1024 * 1024;

const liveCellReason = 'cell reached through the live b-tree';

const levelRank: Readonly<Record<ConfidenceLevel, number>> = { high: 2, medium: 1, low: 0 };

/** Reads the batch's images with one read when they lie close together (consecutive frames do). */
function imageReader(images: PageImageSource, works: readonly PageImageWork[], pageSize: number): (work: PageImageWork) => Uint8Array {
  if (works.length === 0) return () => new Uint8Array(0);
  let low = Number.POSITIVE_INFINITY;
  let high = 0;
  for (const work of works) {
    low = Math.min(low, work.fileOffset);
    high = Math.max(high, work.fileOffset + pageSize);
  }
  if (high - low > maximumBatchReadSpanInBytes) return (work) => images.read(work.fileOffset, pageSize);
  const span = images.read(low, high - low);
  return (work) => span.subarray(work.fileOffset - low, Math.min(span.length, work.fileOffset - low + pageSize));
}

/**
 * Decodes every listed page image. `images` reads the log file; `base` is the database the log
 * belongs to (undefined for a stray log), used for overflow pages the log does not hold.
 */
export function decodePageImages(images: PageImageSource, base: PageReader | undefined, pageSize: number, parameters: PageImageDecodeParameters): DecodedBatch {
  const records: EvidenceRecord[] = [];
  const issues: Issue[] = [];
  const readers = new Map<number, PageReader>();
  const readerFor = (overlayIndex: number): PageReader => {
    let reader = readers.get(overlayIndex);
    if (reader === undefined) {
      const snapshot = parameters.overlays[overlayIndex];
      const overlay = new Map<number, number>();
      if (snapshot !== undefined) snapshot.pageNumbers.forEach((pageNumber, index) => overlay.set(pageNumber, snapshot.fileOffsets[index] as number));
      const pageCount = snapshot?.pageCount;
      reader = new OverlayPageReader(base, pageSize, images, overlay, pageCount === undefined ? {} : { pageCount });
      readers.set(overlayIndex, reader);
    }
    return reader;
  };
  const read = imageReader(images, parameters.images, pageSize);
  for (const work of parameters.images) {
    const table = parameters.tables[work.tableIndex];
    if (table === undefined) continue;
    const page = read(work);
    if (page.length === 0) continue;
    const context: PageDecodeContext = {
      databaseName: parameters.databaseName,
      usableSize: parameters.usableSize,
      encoding: parameters.encoding,
      reader: readerFor(work.overlayIndex),
      state: work.state,
      status: RecordStatus.unknown,
      foundBy: work.foundBy,
    };
    const signature = parameters.freedSignatures?.[work.tableIndex] ?? undefined;
    const decoded = recoverPageImage(page, work, table, context, signature);
    const defer = parameters.deferLocators === true;
    for (const record of decoded.records) records.push(defer ? stampState(record, work) : stampLocator(stampState(record, work), work));
    for (const problem of decoded.issues) issues.push(problem);
  }
  const statuses = parameters.statuses;
  if (statuses !== undefined) {
    for (let index = 0; index < records.length && index < statuses.length; index++) {
      (records[index] as { status: RecordStatusType }).status = recordStatusCodes[statuses[index] as number] ?? RecordStatus.unknown;
    }
  }
  return { records, issues };
}

/**
 * Everything recovered from one page image: its live cells, then with `signature` its freed
 * records (same `context`, so they get the image's state, transaction and provenance through the
 * stamps like the live ones). Live records come first, freed ones after, both in page order.
 */
export function recoverPageImage(page: Uint8Array, work: PageImageWork, table: TableDecodeInfo, context: PageDecodeContext, signature?: RecordSignature): DecodedCells {
  const parsed = parseBtreePage(page, 0, headerOffsetOf(work.pageNumber), context.usableSize, work.pagePath);
  if (parsed.kind !== 'parsed') return { records: [], issues: parsed.kind === 'malformed' ? [...parsed.issues] : [] };
  const issues: Issue[] = [...parsed.issues];
  const cells = parsed.value.cellOffsetsInPage;
  let decoded: DecodedCells | undefined;
  switch (parsed.value.type) {
    case PageType.tableLeaf:
      if (!table.withoutRowid) decoded = decodeCells(page, work.pageNumber, work.pagePath, 'table-leaf', cells, table, context);
      break;
    case PageType.indexLeaf:
      if (table.withoutRowid) decoded = decodeCells(page, work.pageNumber, work.pagePath, 'index-leaf', cells, table, context);
      break;
    case PageType.indexInterior:
      // WITHOUT ROWID rows live in interior cells too.
      if (table.withoutRowid) decoded = decodeCells(page, work.pageNumber, work.pagePath, 'index-interior', cells, table, context);
      break;
    default:
      break;
  }
  // decodeCells' array is fresh: freed records are appended to it rather than copied.
  const records: EvidenceRecord[] = decoded === undefined ? [] : decoded.records;
  if (decoded !== undefined) for (const problem of decoded.issues) issues.push(problem);
  if (signature !== undefined) {
    // Overflow pages of a freed record are read as of the image's time; no page roles are known
    // there, so every page is accepted (the chain's own checks still apply).
    const freed = carveFreedCells(page, work.pageNumber, work.pagePath, parsed.value, signature, { databaseName: context.databaseName, usableSize: context.usableSize, encoding: context.encoding, reader: context.reader, pageRoles: undefined }, work.state);
    for (const record of freed.records) records.push(record);
    for (const problem of freed.issues) issues.push(problem);
  }
  return { records, issues };
}

/**
 * Adds the image's confidence and flags to a record decoded from it. The record was created by
 * this call (decodeCells), so it is completed in place rather than copied: a WAL yields records by
 * the hundred thousand.
 */
function stampState(record: EvidenceRecord, work: PageImageWork): EvidenceRecord {
  const out = record as Mutable<EvidenceRecord>;
  const own = record.confidence.reasons.length === 1 && record.confidence.reasons[0] === liveCellReason ? [] : record.confidence.reasons.filter((reason) => reason !== liveCellReason);
  const level = levelRank[record.confidence.level] < levelRank[work.confidenceLevel] ? record.confidence.level : work.confidenceLevel;
  out.confidence = own.length === 0 && level === work.confidenceLevel ? confidenceOf(work) : { level, reasons: [...work.reasons, ...own] };
  if (work.flags.length > 0) out.flags = [...work.flags, ...record.flags.filter((flag) => !work.flags.includes(flag))];
  return record;
}

/** Adds the image's frame or journal record, checksum result and transaction (in place, see `stampState`). */
function stampLocator(record: EvidenceRecord, work: PageImageWork): EvidenceRecord {
  const out = record as Mutable<EvidenceRecord>;
  out.checksum = work.checksum;
  if (work.frameIndex !== undefined) out.frameIndex = work.frameIndex;
  if (work.journalRecordIndex !== undefined) out.journalRecordIndex = work.journalRecordIndex;
  if (work.transaction !== undefined) out.transaction = work.transaction;
  return record;
}

/**
 * Completes records decoded with `deferLocators` (in place: they are the caller's fresh objects).
 * A record's image is the one whose page path is its cell's parent: the same object in-process,
 * an equal chain after the worker boundary.
 */
export function stampLocators(records: readonly EvidenceRecord[], images: readonly PageImageWork[]): void {
  const byParent = new Map<SourcePath, PageImageWork>();
  let byRendered: Map<string, PageImageWork> | undefined;
  for (const work of images) byParent.set(work.pagePath, work);
  for (const record of records) {
    const parent = record.path.parent;
    if (parent === null) continue;
    let work = byParent.get(parent);
    if (work === undefined) {
      if (byRendered === undefined) {
        byRendered = new Map();
        for (const image of images) byRendered.set(renderPath(image.pagePath), image);
      }
      work = byRendered.get(renderPath(parent));
      if (work === undefined) continue;
      byParent.set(parent, work);
    }
    stampLocator(record, work);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One confidence object per image, shared by its records (the pool packs shared objects once). */
const confidences = new WeakMap<PageImageWork, Confidence>();
function confidenceOf(work: PageImageWork): Confidence {
  let confidence = confidences.get(work);
  if (confidence === undefined) {
    confidence = { level: work.confidenceLevel, reasons: work.reasons };
    confidences.set(work, confidence);
  }
  return confidence;
}
