/**
 * Rollback-journal parsing: segment headers at sector boundaries and the page records (pre-images)
 * after them, each checked against its segment's nonce.
 *
 * What SQLite writes, and what this parser therefore accepts as a segment header (sqlite.md §3,
 * pager.c, observed with 3.40.1):
 * - `intact`: the magic and every field. SQLite writes a header with the magic and record count
 *   zeroed and fills them in when it syncs the journal, so an intact header means "synced".
 * - `unsynced`: magic and record count zero, nonce, sizes present: the last segment of a
 *   transaction that was still writing. SQLite would not roll it back (its first byte is 0, or its
 *   magic check fails), yet its records are valid pre-images.
 * - `zeroed`: the first 28 bytes zero: PERSIST mode after commit. Page size comes from the caller
 *   (or a header copy, or a search), the record start and the nonce are recovered from the
 *   records (nonce = stored checksum − sampled bytes; a second record must agree).
 * - `damaged-magic`: one or two magic bytes differ, sector and page size fit.
 *
 * Records of a segment with a record count are read up to that count. Segments without a usable
 * count (0, unsynced, zeroed, damaged) are read up to the next header, a zero record, or the end.
 * After the last segment, page records that agree on a different nonce (at least two) form a
 * `leftover` segment: an earlier, larger transaction's records that PERSIST mode left in place.
 * Those records are evidence, so they are kept and labelled rather than reported as damage.
 *
 * Not handled: the super-journal name record of multi-database transactions (single-database POS
 * apps do not write it); its bytes end the last segment like any non-record bytes.
 */
import { formatHex, formatOffset } from '../../bytes/offsets.js';
import type { Issue, ParseOutcome } from '../../issues/issue.js';
import { issue, malformed, notThisFormat, parsed } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { extendPath } from '../../provenance/path.js';
import { JournalIssueCode } from './issue-codes.js';
import {
  JOURNAL_CHECKSUM_SAMPLE_STRIDE_IN_BYTES,
  JOURNAL_HEADER_FIELDS_SIZE_IN_BYTES,
  JOURNAL_MAGIC,
  JOURNAL_RECORD_COUNT_TO_END_OF_FILE,
  JournalHeaderField,
  candidateJournalPageSizesInBytes,
  candidateJournalSectorSizesInBytes,
  isValidJournalPageSize,
  isValidJournalSectorSize,
  journalRecordSizeInBytes,
} from './layout.js';

export type JournalHeaderForm = 'intact' | 'unsynced' | 'zeroed' | 'damaged-magic';

/**
 * - `hot`: intact first header with a non-zero record count; SQLite would roll the records back
 *   into the database on its next open.
 * - `hot-without-records`: intact first header with record count 0; SQLite treats the journal as
 *   hot but restores no page (it only truncates the database to its initial size).
 * - `unsynced`: the first header was never synced (a transaction in progress).
 * - `zeroed`: the first header is zeroed: committed in PERSIST mode (stale).
 * - `damaged-header`: the first header's magic is damaged.
 */
export type JournalState = 'hot' | 'hot-without-records' | 'unsynced' | 'zeroed' | 'damaged-header';

/** Where a segment's nonce came from. */
export type JournalNonceSource = 'header' | 'header-copy' | 'records';

/**
 * - `valid`: stored checksum = nonce + sampled bytes, with a nonce from a header or shared by two
 *   or more records.
 * - `invalid`: it does not.
 * - `unverifiable`: the nonce was recovered from this record alone.
 */
export type JournalRecordChecksum = 'valid' | 'invalid' | 'unverifiable';

export interface JournalSegment {
  /** 1-based, in file order. */
  readonly segmentNumber: number;
  /** `header`: starts with a segment header; `leftover`: records after the segments with their own nonce. */
  readonly kind: 'header' | 'leftover';
  readonly headerForm: JournalHeaderForm | undefined;
  /** Absolute offset of the segment header; undefined for a leftover segment. */
  readonly headerOffset: number | undefined;
  /** Spec "number of pages in the next segment of the journal"; undefined when zeroed or leftover. */
  readonly recordCountField: number | undefined;
  readonly nonce: number;
  readonly nonceSource: JournalNonceSource;
  /** Spec "initial size of the database in pages"; undefined when unknown. */
  readonly initialDatabaseSizeInPages: number | undefined;
  readonly firstRecordOffset: number;
  /** 1-based number of the segment's first record (records are numbered across the journal). */
  readonly firstRecordNumber: number;
  readonly recordCount: number;
  /** Offset just after the segment's last record (or header, when it has none). */
  readonly endOffset: number;
}

export interface JournalRecord {
  /** 1-based, across the whole journal. */
  readonly recordNumber: number;
  readonly segmentNumber: number;
  /** Absolute offset of the record (its page-number field). */
  readonly recordOffset: number;
  /** Absolute offset of the page image: `recordOffset + 4`. */
  readonly pageOffset: number;
  readonly pageNumber: number;
  readonly storedChecksum: number;
  /** Nonce + sampled bytes, mod 2^32. */
  readonly computedChecksum: number;
  readonly checksum: JournalRecordChecksum;
  /** Non-zero and, when the segment gives one, not above the initial database size. */
  readonly pageNumberValid: boolean;
  /** SQLite's hot-journal rollback would write this pre-image back into the database. */
  readonly restoredByRollback: boolean;
}

export interface Journal {
  /** Absolute offset of the first header. */
  readonly journalOffset: number;
  readonly state: JournalState;
  readonly sectorSize: number | undefined;
  readonly pageSize: number | undefined;
  /** `header` (a header field), `caller` (options.pageSize), `header-copy`, or `search` (zeroed header, inferred from records). */
  readonly pageSizeSource: 'header' | 'caller' | 'header-copy' | 'search' | undefined;
  readonly segments: readonly JournalSegment[];
  readonly records: readonly JournalRecord[];
  /** Offset just after the last byte interpreted (the last record, header, or the end). */
  readonly endOffset: number;
}

export interface ParseJournalOptions {
  /** The database's page size: needed for a zeroed header or a page-size field of 0. */
  readonly pageSize?: number;
  /** End of the journal bytes (exclusive, absolute); defaults to `bytes.length`. */
  readonly end?: number;
}

/**
 * What the parser reads the journal through: a `Uint8Array` (the whole journal in memory) or a
 * windowed view over a file (sources/windowed-view.ts), so a journal of any size is parsed with
 * bounded memory. `at(offset)` is the byte at an absolute offset, undefined past the end.
 */
export interface ByteView {
  readonly length: number;
  at(offset: number): number | undefined;
}

/** Big-endian 32-bit value at `offset` (callers check the bounds). */
function u32(bytes: ByteView, offset: number): number {
  // As bytes/read.ts u32beUnchecked (NaN past the end, like reading undefined there).
  return (bytes.at(offset) as number) * 0x1000000 + (((bytes.at(offset + 1) as number) << 16) | ((bytes.at(offset + 2) as number) << 8) | (bytes.at(offset + 3) as number));
}

/** Sum of the page bytes at offsets size−200, size−400, … (> 0): the nonce-free part of the checksum. */
export function journalSampleSum(bytes: ByteView, pageOffset: number, pageSize: number): number {
  let sum = 0;
  // Plain indexing for arrays: the raw-image scanner calls this for every candidate record.
  if (bytes instanceof Uint8Array) {
    for (let index = pageSize - JOURNAL_CHECKSUM_SAMPLE_STRIDE_IN_BYTES; index > 0; index -= JOURNAL_CHECKSUM_SAMPLE_STRIDE_IN_BYTES) sum += bytes[pageOffset + index] as number;
    return sum;
  }
  for (let index = pageSize - JOURNAL_CHECKSUM_SAMPLE_STRIDE_IN_BYTES; index > 0; index -= JOURNAL_CHECKSUM_SAMPLE_STRIDE_IN_BYTES) {
    sum += bytes.at(pageOffset + index) as number;
  }
  return sum;
}

/** The record checksum SQLite writes: nonce + sampled bytes, mod 2^32. */
export function journalRecordChecksum(bytes: ByteView, pageOffset: number, pageSize: number, nonce: number): number {
  return (nonce + journalSampleSum(bytes, pageOffset, pageSize)) >>> 0;
}

function hex32(value: number): string {
  return formatHex(value >>> 0, 8);
}

function allZero(bytes: ByteView, from: number, to: number): boolean {
  for (let index = from; index < to; index++) if (bytes.at(index) !== 0) return false;
  return true;
}

function magicMatchCount(bytes: ByteView, at: number): number {
  let count = 0;
  for (let index = 0; index < JOURNAL_MAGIC.length; index++) if (bytes.at(at + index) === JOURNAL_MAGIC[index]) count++;
  return count;
}

function roundUp(value: number, base: number, multiple: number): number {
  const relative = value - base;
  return base + Math.ceil(relative / multiple) * multiple;
}

/** Mutable while a segment is read; frozen into `JournalSegment` when it ends. */
interface OpenSegment {
  segmentNumber: number;
  kind: 'header' | 'leftover';
  headerForm: JournalHeaderForm | undefined;
  headerOffset: number | undefined;
  recordCountField: number | undefined;
  nonce: number | undefined;
  nonceSource: JournalNonceSource;
  initialDatabaseSizeInPages: number | undefined;
  firstRecordOffset: number;
  firstRecordNumber: number;
  endOffset: number;
  records: RawRecord[];
}

interface RawRecord {
  readonly recordOffset: number;
  readonly pageNumber: number;
  readonly storedChecksum: number;
  /** stored − sampled bytes: the nonce this record implies. */
  readonly impliedNonce: number;
}

/** Header fields at a sector boundary. */
interface HeaderFields {
  readonly form: JournalHeaderForm;
  readonly recordCountField: number;
  readonly nonce: number;
  readonly initialDatabaseSizeInPages: number;
  readonly sectorSizeField: number;
  readonly pageSizeField: number;
}

class JournalParser {
  readonly #bytes: ByteView;
  readonly #at: number;
  readonly #end: number;
  readonly #path: SourcePath;
  readonly #issues: Issue[] = [];
  readonly #segments: OpenSegment[] = [];
  #recordCount = 0;
  #sectorSize = 0;
  #pageSize = 0;
  #recordSize = 0;

  constructor(bytes: ByteView, at: number, end: number, path: SourcePath) {
    this.#bytes = bytes;
    this.#at = at;
    this.#end = end;
    this.#path = path;
  }

  get issues(): Issue[] {
    return this.#issues;
  }

  readHeader(position: number): HeaderFields | undefined {
    const bytes = this.#bytes;
    if (position + JOURNAL_HEADER_FIELDS_SIZE_IN_BYTES > this.#end) return undefined;
    const fields = {
      recordCountField: u32(bytes, position + JournalHeaderField.recordCount),
      nonce: u32(bytes, position + JournalHeaderField.nonce),
      initialDatabaseSizeInPages: u32(bytes, position + JournalHeaderField.initialDatabaseSizeInPages),
      sectorSizeField: u32(bytes, position + JournalHeaderField.sectorSize),
      pageSizeField: u32(bytes, position + JournalHeaderField.pageSize),
    };
    const matches = magicMatchCount(bytes, position);
    if (matches === JOURNAL_MAGIC.length) return { form: 'intact', ...fields };
    if (allZero(bytes, position, position + 12)) {
      if (allZero(bytes, position + 12, position + JOURNAL_HEADER_FIELDS_SIZE_IN_BYTES)) return { form: 'zeroed', ...fields };
      if (isValidJournalSectorSize(fields.sectorSizeField)) return { form: 'unsynced', ...fields };
      return undefined;
    }
    if (matches >= JOURNAL_MAGIC.length - 2 && isValidJournalSectorSize(fields.sectorSizeField) && isValidJournalPageSize(fields.pageSizeField)) {
      return { form: 'damaged-magic', ...fields };
    }
    return undefined;
  }

  /** A later segment header: intact, or unsynced with the first header's sector and page size. */
  laterHeaderAt(position: number): HeaderFields | undefined {
    const header = this.readHeader(position);
    if (header === undefined || position + this.#sectorSize > this.#end) return undefined;
    if (header.form === 'intact') return header;
    if (header.form === 'unsynced' && header.sectorSizeField === this.#sectorSize && header.pageSizeField === this.#pageSize) return header;
    return undefined;
  }

  setGeometry(sectorSize: number, pageSize: number): void {
    this.#sectorSize = sectorSize;
    this.#pageSize = pageSize;
    this.#recordSize = journalRecordSizeInBytes(pageSize);
  }

  readRecord(position: number): RawRecord {
    const bytes = this.#bytes;
    const pageSize = this.#pageSize;
    const storedChecksum = u32(bytes, position + 4 + pageSize);
    return {
      recordOffset: position,
      pageNumber: u32(bytes, position),
      storedChecksum,
      impliedNonce: (storedChecksum - journalSampleSum(bytes, position + 4, pageSize)) >>> 0,
    };
  }

  /**
   * How well records at `position` fit a layout: the most records, among the first `cap` with a
   * non-zero page number, that imply one and the same nonce. Garbage scores 1 at most; a real
   * run scores its length, less any damaged record.
   */
  static layoutScore(bytes: ByteView, position: number, end: number, pageSize: number, cap: number): number {
    const recordSize = journalRecordSizeInBytes(pageSize);
    const counts = new Map<number, number>();
    let best = 0;
    let read = 0;
    for (let at = position; at + recordSize <= end && read < cap; at += recordSize, read++) {
      if (u32(bytes, at) === 0) break;
      const implied = (u32(bytes, at + 4 + pageSize) - journalSampleSum(bytes, at + 4, pageSize)) >>> 0;
      const count = (counts.get(implied) ?? 0) + 1;
      counts.set(implied, count);
      if (count > best) best = count;
    }
    return best;
  }

  /**
   * The nonce of a run of records whose header lost it (zeroed) or that has none (leftover):
   * record 1's, when record 2 agrees. When they disagree, record 1 is either damaged or a
   * transaction of its own before an earlier one's leftovers. A transaction journals each page
   * once, so if record 1's page number appears among the records sharing the next agreeing
   * nonce, record 1 is another transaction (its nonce is kept); otherwise it is damaged and the
   * next agreeing nonce is the run's.
   */
  chooseRunNonce(position: number): number | undefined {
    const records: RawRecord[] = [];
    const cap = 16;
    for (let at = position; at + this.#recordSize <= this.#end && records.length < cap; at += this.#recordSize) {
      const record = this.readRecord(at);
      if (record.pageNumber === 0 && allZero(this.#bytes, at, at + this.#recordSize)) break;
      records.push(record);
    }
    const first = records[0];
    if (first === undefined) return undefined;
    if (records.length === 1 || records[1]?.impliedNonce === first.impliedNonce) return first.impliedNonce;
    for (let index = 1; index + 1 < records.length; index++) {
      const nonce = (records[index] as RawRecord).impliedNonce;
      if ((records[index + 1] as RawRecord).impliedNonce !== nonce) continue;
      const pages = records.slice(index).filter((record) => record.impliedNonce === nonce).map((record) => record.pageNumber);
      return pages.includes(first.pageNumber) ? first.impliedNonce : nonce;
    }
    return first.impliedNonce;
  }

  openSegment(segment: Omit<OpenSegment, 'segmentNumber' | 'firstRecordNumber' | 'records' | 'endOffset'>): OpenSegment {
    const open: OpenSegment = {
      ...segment,
      segmentNumber: this.#segments.length + 1,
      firstRecordNumber: this.#recordCount + 1,
      endOffset: segment.firstRecordOffset,
      records: [],
    };
    this.#segments.push(open);
    return open;
  }

  addRecord(segment: OpenSegment, record: RawRecord): void {
    segment.records.push(record);
    segment.endOffset = record.recordOffset + this.#recordSize;
    this.#recordCount++;
  }

  /**
   * Reads exactly `count` records (or as many as the bytes hold) at `position` into `segment`;
   * returns the offset after the last one.
   */
  readCounted(segment: OpenSegment, position: number, count: number): number {
    const recordSize = this.#recordSize;
    let at = position;
    for (let index = 0; index < count; index++) {
      if (at + recordSize > this.#end) {
        this.truncated(at, ` (header at ${formatOffset(segment.headerOffset ?? 0)} declares ${count} records)`);
        return this.#end;
      }
      this.addRecord(segment, this.readRecord(at));
      at += recordSize;
    }
    return at;
  }

  truncated(position: number, suffix: string): void {
    const available = this.#end - position;
    this.#issues.push(
      issue(
        JournalIssueCode.recordTruncated,
        'warning',
        this.#path,
        position,
        `journal record ${this.#recordCount + 1} at ${formatOffset(position)}: only ${available} of ${this.#recordSize} bytes present${suffix}`,
        { availableSizeInBytes: available },
      ),
    );
  }

  /**
   * Reads records from `position` while they last: stops at a later segment header (when
   * `detectHeaders`), at an all-zero record, or at the end. A record that disagrees with the
   * segment's nonce starts a leftover segment when the record after it shares its implied nonce.
   * Returns the header found, if any, and the position reached.
   */
  readOpen(segment: OpenSegment, position: number, detectHeaders: boolean): { header: HeaderFields | undefined; headerOffset: number; position: number } {
    const recordSize = this.#recordSize;
    const bytes = this.#bytes;
    let current = segment;
    let at = position;
    while (at + recordSize <= this.#end) {
      if (detectHeaders) {
        const boundary = roundUp(at, this.#at, this.#sectorSize);
        const header = this.laterHeaderAt(boundary);
        if (header !== undefined) return { header, headerOffset: boundary, position: at };
      }
      const record = this.readRecord(at);
      // An all-zero record is where written records stop (SQLite also stops at page number 0).
      if (record.pageNumber === 0 && allZero(bytes, at, at + recordSize)) return { header: undefined, headerOffset: 0, position: at };
      if (current.nonce === undefined) current.nonce = this.chooseRunNonce(at);
      if (current.nonce === undefined) {
        current.nonce = record.impliedNonce;
      } else if (record.impliedNonce !== current.nonce && (this.nextImpliesNonce(at + recordSize, record.impliedNonce) || current.records.some((earlier) => earlier.pageNumber === record.pageNumber))) {
        // Another transaction's record: the next record shares its nonce, or (a lone trailing
        // record, as PERSIST mode leaves after a shorter transaction) its page was already
        // journalled in this segment, which one transaction never does. A lone record's nonce is
        // its own: its checksum is then unverifiable, not invalid.
        current = this.openSegment({
          kind: 'leftover',
          headerForm: undefined,
          headerOffset: undefined,
          recordCountField: undefined,
          nonce: record.impliedNonce,
          nonceSource: 'records',
          initialDatabaseSizeInPages: undefined,
          firstRecordOffset: at,
        });
      }
      this.addRecord(current, record);
      at += recordSize;
    }
    return { header: undefined, headerOffset: 0, position: at };
  }

  /** The record at `position` exists, has a non-zero page number and implies `nonce`. */
  nextImpliesNonce(position: number, nonce: number): boolean {
    if (position + this.#recordSize > this.#end) return false;
    const record = this.readRecord(position);
    return record.pageNumber !== 0 && record.impliedNonce === nonce;
  }

  /** After the last segment: records sharing a nonce of their own (two or more) are leftovers. */
  readLeftovers(position: number): number {
    if (JournalParser.layoutScore(this.#bytes, position, this.#end, this.#pageSize, 2) < 2) return position;
    const leftover = this.openSegment({
      kind: 'leftover',
      headerForm: undefined,
      headerOffset: undefined,
      recordCountField: undefined,
      nonce: undefined,
      nonceSource: 'records',
      initialDatabaseSizeInPages: undefined,
      firstRecordOffset: position,
    });
    return this.readOpen(leftover, position, false).position;
  }

  /** Trailing bytes that hold no whole record and are not zero padding. */
  reportTail(position: number): void {
    if (position < this.#end && !allZero(this.#bytes, position, this.#end) && this.#end - position < this.#recordSize) this.truncated(position, '');
  }

  get segments(): OpenSegment[] {
    return this.#segments;
  }

  get recordSize(): number {
    return this.#recordSize;
  }
}

/** A header copy inside the first sector: SQLite writes the header once per min(page, sector) bytes, and only the first copy gets the magic and is zeroed at commit. */
function findHeaderCopy(bytes: ByteView, at: number, end: number): HeaderFields | undefined {
  for (const stride of candidateJournalPageSizesInBytes) {
    const position = at + stride;
    if (position + JOURNAL_HEADER_FIELDS_SIZE_IN_BYTES > end) break;
    if (!allZero(bytes, position, position + 12)) continue;
    const pageSizeField = u32(bytes, position + JournalHeaderField.pageSize);
    const sectorSizeField = u32(bytes, position + JournalHeaderField.sectorSize);
    if (pageSizeField === stride && isValidJournalSectorSize(sectorSizeField) && sectorSizeField > stride) {
      return {
        form: 'zeroed',
        recordCountField: 0,
        nonce: u32(bytes, position + JournalHeaderField.nonce),
        initialDatabaseSizeInPages: u32(bytes, position + JournalHeaderField.initialDatabaseSizeInPages),
        sectorSizeField,
        pageSizeField,
      };
    }
  }
  return undefined;
}

/** Most consecutive records any (page size, sector size) layout yields after a zeroed header. */
function searchZeroedLayout(bytes: ByteView, at: number, end: number, pageSize: number | undefined): { pageSize: number; sectorSize: number; score: number } | undefined {
  const pageSizes = pageSize === undefined ? candidateJournalPageSizesInBytes : [pageSize];
  // One record "agrees" with itself: a guessed page size needs a second record to confirm it.
  const minimumScore = pageSize === undefined ? 2 : 1;
  let best: { pageSize: number; sectorSize: number; score: number } | undefined;
  for (const candidatePage of pageSizes) {
    for (const sectorSize of candidateJournalSectorSizesInBytes) {
      const score = JournalParser.layoutScore(bytes, at + sectorSize, end, candidatePage, 16);
      if (score >= minimumScore && (best === undefined || score > best.score)) best = { pageSize: candidatePage, sectorSize, score };
    }
  }
  return best;
}

/**
 * Parses a rollback journal whose first header is at `at`.
 *
 * Outcomes:
 * - not-this-format: no magic, no zeroed or unsynced header, nothing at `at`.
 * - malformed: `journal.header.truncated`, `journal.header.sector-size-invalid`,
 *   `journal.header.page-size-invalid`.
 * - parsed, with `journal.header.zeroed` (info), `journal.header.unsynced` (info),
 *   `journal.header.bad-magic` (warning), `journal.record.checksum-mismatch`,
 *   `journal.record.truncated`, `journal.record.page-number-invalid` (warnings),
 *   `journal.record.unsynced` and `journal.segment.leftover` (info).
 * @throws Error when `options.pageSize` is not a valid page size (a caller bug: it comes from a
 * parsed database header).
 */
export function parseJournal(bytes: ByteView, at: number, path: SourcePath, options: ParseJournalOptions = {}): ParseOutcome<Journal> {
  if (options.pageSize !== undefined && !isValidJournalPageSize(options.pageSize)) throw new Error(`parseJournal: options.pageSize ${options.pageSize} is not a power of two in 512..65536`);
  const end = Math.min(options.end ?? bytes.length, bytes.length);
  if (!Number.isSafeInteger(at) || at < 0 || at >= end) return notThisFormat;
  const where = `journal header at ${formatOffset(at)}`;
  const available = end - at;
  if (available < JOURNAL_HEADER_FIELDS_SIZE_IN_BYTES) {
    const prefix = Math.min(available, JOURNAL_MAGIC.length);
    let isPrefix = true;
    for (let index = 0; index < prefix; index++) if (bytes.at(at + index) !== JOURNAL_MAGIC[index]) isPrefix = false;
    if (!isPrefix) return notThisFormat;
    return malformed(
      issue(JournalIssueCode.headerTruncated, 'error', path, at, `${where}: needs ${JOURNAL_HEADER_FIELDS_SIZE_IN_BYTES} bytes, ${available} available`, {
        availableSizeInBytes: available,
      }),
    );
  }

  const parser = new JournalParser(bytes, at, end, path);
  const first = parser.readHeader(at);
  if (first === undefined) return notThisFormat;
  const issues = parser.issues;

  let pageSize: number | undefined;
  let sectorSize: number | undefined;
  let pageSizeSource: Journal['pageSizeSource'];
  let firstNonce: number | undefined;
  let firstNonceSource: JournalNonceSource = 'header';
  let firstInitialSize: number | undefined;

  if (first.form === 'zeroed') {
    const copy = findHeaderCopy(bytes, at, end);
    if (copy !== undefined && (options.pageSize === undefined || options.pageSize === copy.pageSizeField)) {
      pageSize = copy.pageSizeField;
      sectorSize = copy.sectorSizeField;
      pageSizeSource = 'header-copy';
      firstNonce = copy.nonce;
      firstNonceSource = 'header-copy';
      firstInitialSize = copy.initialDatabaseSizeInPages;
    } else {
      const layout = searchZeroedLayout(bytes, at, end, options.pageSize);
      if (layout === undefined) {
        issues.push(
          issue(JournalIssueCode.headerZeroed, 'info', path, at, `${where}: the first 28 bytes are zero (committed in PERSIST mode); no page records found`),
        );
        return parsed(
          { journalOffset: at, state: 'zeroed', sectorSize: undefined, pageSize: options.pageSize, pageSizeSource: options.pageSize === undefined ? undefined : 'caller', segments: [], records: [], endOffset: at + JOURNAL_HEADER_FIELDS_SIZE_IN_BYTES },
          issues,
        );
      }
      pageSize = layout.pageSize;
      sectorSize = layout.sectorSize;
      pageSizeSource = options.pageSize === undefined ? 'search' : 'caller';
      firstNonceSource = 'records';
    }
  } else {
    if (!isValidJournalSectorSize(first.sectorSizeField)) {
      return malformed(
        issue(JournalIssueCode.headerSectorSizeInvalid, 'error', path, at + JournalHeaderField.sectorSize, `${where}: sector size ${first.sectorSizeField} is not a power of two in 32..65536`, {
          value: first.sectorSizeField,
        }),
      );
    }
    // Page size 0: written before SQLite 3.5.8, which used the database's page size.
    const candidatePage = first.pageSizeField === 0 ? options.pageSize : first.pageSizeField;
    if (candidatePage === undefined || !isValidJournalPageSize(candidatePage)) {
      const problem =
        first.pageSizeField !== 0
          ? `page size ${first.pageSizeField} is not a power of two in 512..65536`
          : 'page size field is 0 (written before SQLite 3.5.8) and the caller gave no page size';
      return malformed(issue(JournalIssueCode.headerPageSizeInvalid, 'error', path, at + JournalHeaderField.pageSize, `${where}: ${problem}`, { value: first.pageSizeField }));
    }
    pageSize = candidatePage;
    sectorSize = first.sectorSizeField;
    pageSizeSource = first.pageSizeField === 0 ? 'caller' : 'header';
    firstNonce = first.nonce;
    firstInitialSize = first.initialDatabaseSizeInPages;
  }
  parser.setGeometry(sectorSize, pageSize);
  const geometry = { sectorSize, pageSize };

  // Segment loop: each iteration reads one header segment; at most one per sector, so it is
  // bounded by the bytes.
  let header: HeaderFields = first;
  let headerOffset = at;
  let position = at;
  for (;;) {
    const isFirst = headerOffset === at;
    const recordsStart = headerOffset + sectorSize;
    const segment = parser.openSegment({
      kind: 'header',
      headerForm: header.form,
      headerOffset,
      recordCountField: header.form === 'zeroed' ? undefined : header.recordCountField,
      nonce: isFirst ? firstNonce : header.nonce,
      nonceSource: isFirst ? firstNonceSource : 'header',
      initialDatabaseSizeInPages: isFirst ? firstInitialSize : header.initialDatabaseSizeInPages,
      firstRecordOffset: recordsStart,
    });
    segment.endOffset = Math.min(recordsStart, end);
    const segmentWhere = `journal header at ${formatOffset(headerOffset)}`;
    if (header.form === 'unsynced') {
      issues.push(
        issue(JournalIssueCode.headerUnsynced, 'info', path, headerOffset, `${segmentWhere}: magic and record count are zero (not yet synced); nonce ${hex32(header.nonce)}`, {
          nonce: header.nonce,
        }),
      );
    } else if (header.form === 'damaged-magic') {
      const magic = Array.from({ length: JOURNAL_MAGIC.length }, (_, index) => (bytes.at(headerOffset + index) ?? 0).toString(16).padStart(2, '0')).join('');
      issues.push(
        issue(
          JournalIssueCode.headerBadMagic,
          'warning',
          path,
          headerOffset,
          `${segmentWhere}: magic ${magic} differs from d9d505f920a163d7 in ${JOURNAL_MAGIC.length - magicMatchCount(bytes, headerOffset)} byte(s); sector size ${header.sectorSizeField} and page size ${header.pageSizeField} fit`,
          { value: magic },
        ),
      );
    }

    if (header.form === 'intact' && header.recordCountField !== 0 && header.recordCountField !== JOURNAL_RECORD_COUNT_TO_END_OF_FILE) {
      // The count is bounded by the bytes inside readCounted (it stops at the end).
      position = parser.readCounted(segment, recordsStart, header.recordCountField);
      const boundary = roundUp(position, at, sectorSize);
      const next = position < end ? parser.laterHeaderAt(boundary) : undefined;
      if (next !== undefined) {
        header = next;
        headerOffset = boundary;
        continue;
      }
      position = parser.readLeftovers(position);
      break;
    }
    const toEnd = header.form === 'intact' && header.recordCountField === JOURNAL_RECORD_COUNT_TO_END_OF_FILE;
    const result = parser.readOpen(segment, recordsStart, !toEnd);
    position = result.position;
    if (header.form === 'intact' && header.recordCountField === 0 && segment.records.length > 0) {
      issues.push(
        issue(
          JournalIssueCode.recordUnsynced,
          'info',
          path,
          headerOffset + JournalHeaderField.recordCount,
          `${segmentWhere}: record count is 0, yet ${segment.records.length} page records follow (not synced; SQLite would not roll them back)`,
          { recordCount: segment.records.length },
        ),
      );
    }
    if (result.header === undefined) break;
    header = result.header;
    headerOffset = result.headerOffset;
  }
  parser.reportTail(position);

  // Freeze segments and records, label checksums, and replay SQLite's hot rollback.
  const segments: JournalSegment[] = [];
  const records: JournalRecord[] = [];
  const firstSegment = parser.segments[0];
  const hot = first.form === 'intact';
  let rollbackStopped = !hot;
  for (const open of parser.segments) {
    const nonce = open.nonce ?? 0;
    const agreeing = open.records.filter((record) => record.impliedNonce === nonce).length;
    const nonceConfirmed = open.nonceSource !== 'records' || agreeing >= 2;
    if (open.kind === 'leftover' && open.records.length > 0) {
      const firstRecord = open.records[0] as RawRecord;
      issues.push(
        issue(
          JournalIssueCode.segmentLeftover,
          'info',
          path,
          open.firstRecordOffset,
          open.records.length === 1
            ? `journal record ${open.firstRecordNumber} at ${formatOffset(firstRecord.recordOffset)}: its checksum implies nonce ${hex32(nonce)}, not the preceding segment's, and its page ${firstRecord.pageNumber} was already journalled there (one transaction journals a page once): left over from an earlier transaction; its nonce rests on this record alone (checksum unverifiable)`
            : `journal records ${open.firstRecordNumber}–${open.firstRecordNumber + open.records.length - 1} at ${formatOffset(firstRecord.recordOffset)}: they share nonce ${hex32(nonce)}, not the preceding segment's (left over from an earlier transaction)`,
          { nonce, recordCount: open.records.length },
        ),
      );
    }
    // SQLite replays intact segments in order, each up to its record count.
    const replayable = !rollbackStopped && open.kind === 'header' && open.headerForm === 'intact';
    if (!replayable) rollbackStopped = true;
    const replayCount =
      open.recordCountField === JOURNAL_RECORD_COUNT_TO_END_OF_FILE ? open.records.length : Math.min(open.recordCountField ?? 0, open.records.length);
    const rollbackSize = firstSegment?.initialDatabaseSizeInPages ?? 0;
    open.records.forEach((raw, index) => {
      const recordNumber = open.firstRecordNumber + index;
      const recordWhere = `journal record ${recordNumber} at ${formatOffset(raw.recordOffset)}`;
      const checksum: JournalRecordChecksum = raw.impliedNonce !== nonce ? 'invalid' : nonceConfirmed ? 'valid' : 'unverifiable';
      const computedChecksum = (nonce + ((raw.storedChecksum - raw.impliedNonce) >>> 0)) >>> 0;
      const limit = open.initialDatabaseSizeInPages;
      const pageNumberValid = raw.pageNumber !== 0 && (limit === undefined || raw.pageNumber <= limit);
      if (checksum === 'invalid') {
        issues.push(
          issue(
            JournalIssueCode.recordChecksumMismatch,
            'warning',
            path,
            raw.recordOffset + 4 + geometry.pageSize,
            `${recordWhere}: checksum ${hex32(raw.storedChecksum)} differs from computed ${hex32(computedChecksum)} (nonce ${hex32(nonce)} of segment ${open.segmentNumber})`,
            { stored: hex32(raw.storedChecksum), computed: hex32(computedChecksum), recordNumber },
          ),
        );
      }
      if (!pageNumberValid) {
        const problem = raw.pageNumber === 0 ? 'page number 0 is invalid' : `page number ${raw.pageNumber} is above the initial database size of ${limit} pages`;
        issues.push(issue(JournalIssueCode.recordPageNumberInvalid, 'warning', path, raw.recordOffset, `${recordWhere}: ${problem}`, { pageNumber: raw.pageNumber, recordNumber }));
      }
      let restoredByRollback = false;
      if (!rollbackStopped && index < replayCount) {
        // pager_playback_one_page: page 0 or a bad checksum ends the rollback; pages beyond the
        // initial size are skipped (the database is truncated to it).
        if (raw.pageNumber === 0 || checksum === 'invalid') rollbackStopped = true;
        else restoredByRollback = raw.pageNumber <= rollbackSize;
      }
      records.push({
        recordNumber,
        segmentNumber: open.segmentNumber,
        recordOffset: raw.recordOffset,
        pageOffset: raw.recordOffset + 4,
        pageNumber: raw.pageNumber,
        storedChecksum: raw.storedChecksum,
        computedChecksum,
        checksum,
        pageNumberValid,
        restoredByRollback,
      });
    });
    if (replayCount < open.records.length) rollbackStopped = true;
    segments.push({
      segmentNumber: open.segmentNumber,
      kind: open.kind,
      headerForm: open.headerForm,
      headerOffset: open.headerOffset,
      recordCountField: open.recordCountField,
      nonce,
      nonceSource: open.nonceSource,
      initialDatabaseSizeInPages: open.initialDatabaseSizeInPages,
      firstRecordOffset: open.firstRecordOffset,
      firstRecordNumber: open.firstRecordNumber,
      recordCount: open.records.length,
      endOffset: open.endOffset,
    });
  }

  if (first.form === 'zeroed') {
    const firstSegmentValue = segments[0];
    const how =
      firstSegmentValue === undefined
        ? ''
        : firstSegmentValue.nonceSource === 'header-copy'
          ? `; page size ${pageSize}, sector size ${sectorSize} and nonce ${hex32(firstSegmentValue.nonce)} from the header copy at ${formatOffset(at + geometry.pageSize)}`
          : `; page records start at ${formatOffset(firstSegmentValue.firstRecordOffset)} (page size ${pageSize}), nonce ${hex32(firstSegmentValue.nonce)} recovered from their checksums`;
    issues.unshift(issue(JournalIssueCode.headerZeroed, 'info', path, at, `${where}: the first 28 bytes are zero (committed in PERSIST mode)${how}`));
  }

  const state: JournalState =
    first.form === 'zeroed'
      ? 'zeroed'
      : first.form === 'unsynced'
        ? 'unsynced'
        : first.form === 'damaged-magic'
          ? 'damaged-header'
          : first.recordCountField === 0
            ? 'hot-without-records'
            : 'hot';
  const lastSegment = segments[segments.length - 1];
  const ordered = issues
    .map((value, order) => ({ value, order }))
    .sort((a, b) => a.value.offsetInLeaf - b.value.offsetInLeaf || a.order - b.order)
    .map(({ value }) => value);
  return parsed(
    {
      journalOffset: at,
      state,
      sectorSize,
      pageSize,
      pageSizeSource,
      segments,
      records,
      endOffset: Math.max(lastSegment?.endOffset ?? at, Math.min(position, end)),
    },
    ordered,
  );
}

/** The page image of a record parsed from `bytes` (a subarray: no copy). */
export function journalRecordPage(bytes: Uint8Array, record: JournalRecord, pageSize: number): Uint8Array {
  return bytes.subarray(record.pageOffset, record.pageOffset + pageSize);
}

/**
 * Provenance of a record's page image: `journalPath` (the chain to the bytes the journal was
 * parsed from) extended by a `journal-record` layer. `recordIndex` holds the 1-based record
 * number; `fileOffset` the record's offset in `journalPath`'s last layer.
 */
export function journalRecordPath(journalPath: SourcePath, record: JournalRecord): SourcePath {
  return extendPath(journalPath, { kind: 'journal-record', recordIndex: record.recordNumber, pageNumber: record.pageNumber, fileOffset: record.recordOffset });
}
