/**
 * The window scan: every structure of signatures.ts that starts inside one window, as compact
 * hits. Three entry points over one implementation:
 * - `scanBytes(bytes, …)`: pure, over bytes already in memory (the loop itself);
 * - `scanSourceWindow(source, window)`: reads the window from any ByteSource (tests use a
 *   MemorySource) and scans it, reporting unreadable ranges as issues;
 * - `scanWindow(task)`: THE worker entry. The task is plain data (paths and a range, and with
 *   the `shared` read strategy a SharedArrayBuffer slot the main thread read the window into);
 *   the worker scans the shared slot in place, or opens its own read-only view of the image and
 *   reads its own window. Either way evidence bytes are never copied between threads.
 *
 * Two loops run over the window: one over 512-byte boundaries (database headers, b-tree pages,
 * freelist trunks, WAL and journal headers) and one over 8-byte boundaries (WAL frames and journal
 * page records, whose positions inside their files are multiples of 8 but not of 512). The
 * 8-byte loop rejects almost every position on one byte (a page number's top byte must be 0)
 * before reading anything else, which is what keeps the scan near memory speed.
 */
import { formatOffset } from '../bytes/offsets.js';
import { u32beUnchecked } from '../bytes/read.js';
import { hasSqliteMagic, pageSizeFromField } from '../formats/sqlite/parse-header.js';
import { continueWalChecksum, viewOf } from '../formats/wal/checksum.js';
import { WAL_FORMAT_VERSION, WAL_MAGIC_BIG_ENDIAN, WAL_MAGIC_LITTLE_ENDIAN } from '../formats/wal/layout.js';
import { parseWalHeader } from '../formats/wal/parse-wal.js';
import { JOURNAL_MAGIC, isValidJournalSectorSize } from '../formats/journal/layout.js';
import { journalSampleSum } from '../formats/journal/parse-journal.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { filePath } from '../provenance/path.js';
import type { ByteSource } from '../sources/byte-source.js';
import { openSegments } from '../sources/split-raw.js';
import { checkBtreeCandidate } from './btree-candidate.js';
import type { PackedHits } from './hits.js';
import { HitBuilder } from './hits.js';
import type { ScanWindow } from './plan-windows.js';
import type { UnreadableRange } from './read-window.js';
import { readWindowBytes } from './read-window.js';
import { HitKind, candidatePageSizesInBytes, scanLimits } from './signatures.js';

/** The pool task: plain data only (no functions, class instances or Errors). */
export interface ScanWindowTask {
  readonly kind: 'scan-window';
  /** The image as reports name it (the `file:` layer of provenance). */
  readonly location: string;
  /** File system paths to open read-only: one file, or the segments of a split image in order. */
  readonly fileSystemPaths: readonly string[];
  readonly start: number;
  readonly pageLength: number;
  readonly marginLength: number;
  readonly leadLength: number;
  /**
   * The window's bytes, already read by the main thread into shared memory (the `shared` read
   * strategy of scan-image.ts): scanned in place, never copied. Absent: the worker reads its
   * window from `fileSystemPaths` itself.
   */
  readonly shared?: SharedWindowBytes;
}

/** Bytes of a window in a SharedArrayBuffer: `length` bytes at `byteOffset`, the first at image offset `imageOffset`. */
export interface SharedWindowBytes {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly length: number;
  readonly imageOffset: number;
}

export interface ScanWindowResult {
  readonly start: number;
  readonly pageLength: number;
  readonly hits: PackedHits;
  /** `scan.read-error` issues, one per unreadable range. */
  readonly issues: readonly Issue[];
  readonly unreadable: readonly UnreadableRange[];
  /** CPU time the scan itself took (reading excluded), for benchmarks. */
  readonly scanMilliseconds: number;
  readonly readMilliseconds: number;
}

/**
 * Scans `bytes`, whose first byte is at image offset `bytesImageOffset`, for structures starting
 * in `[ownedStart, ownedEnd)`. Bytes past `ownedEnd` (the margin) are read, never owned.
 */
export function scanBytes(bytes: Uint8Array, bytesImageOffset: number, ownedStart: number, ownedEnd: number, path: SourcePath): PackedHits {
  const builder = new HitBuilder();
  const end = bytes.length;
  const first = Math.max(0, ownedStart - bytesImageOffset);
  const last = Math.min(end, ownedEnd - bytesImageOffset);
  scanSectors(bytes, bytesImageOffset, first, last, end, path, builder);
  scanFramesAndRecords(bytes, bytesImageOffset, first, last, end, builder);
  return builder.finish();
}

// ---------------------------------------------------------------------------------------------
// 512-byte boundaries

function scanSectors(bytes: Uint8Array, base: number, first: number, last: number, end: number, path: SourcePath, builder: HitBuilder): void {
  // Start positions are image offsets that are multiples of 512.
  const firstAligned = first + ((512 - ((base + first) % 512)) % 512);
  for (let at = firstAligned; at < last; at += 512) {
    const lead = bytes[at] as number;
    const imageOffset = base + at;
    if (lead === 0x53) {
      if (hasSqliteMagic(bytes, at)) sqliteHeader(bytes, at, end, imageOffset, builder);
    } else if (lead === 0x02 || lead === 0x05 || lead === 0x0a || lead === 0x0d) {
      const candidate = checkBtreeCandidate(bytes, at, end, path);
      if (candidate !== undefined) builder.add(HitKind.btreePage, imageOffset, candidate.pageType, candidate.pageSize, candidate.cellCount, candidate.emptied ? 1 : 0);
    } else if (lead === 0xd9) {
      journalHeader(bytes, at, end, imageOffset, builder);
    } else if (lead === 0x00) {
      freelistTrunk(bytes, at, end, imageOffset, builder);
    }
    // A WAL header: its magic, or a damaged magic followed by the format version.
    if (at + 32 <= end && (lead === 0x37 || u32beUnchecked(bytes, at + 4) === WAL_FORMAT_VERSION)) walHeader(bytes, at, imageOffset, path, builder);
  }
}

function sqliteHeader(bytes: Uint8Array, at: number, end: number, imageOffset: number, builder: HitBuilder): void {
  if (at + 100 > end) return;
  const pageSize = pageSizeFromField(((bytes[at + 16] as number) << 8) | (bytes[at + 17] as number));
  if (pageSize === undefined) return;
  const sizeField = u32beUnchecked(bytes, at + 28);
  const changeCounter = u32beUnchecked(bytes, at + 24);
  const sizeTrusted = sizeField !== 0 && changeCounter === u32beUnchecked(bytes, at + 92);
  builder.add(HitKind.sqliteHeader, imageOffset, pageSize, sizeField, sizeTrusted ? 1 : 0, bytes[at + 20], u32beUnchecked(bytes, at + 56), changeCounter);
}

function walHeader(bytes: Uint8Array, at: number, imageOffset: number, path: SourcePath, builder: HitBuilder): void {
  const magic = u32beUnchecked(bytes, at);
  if (magic !== WAL_MAGIC_LITTLE_ENDIAN && magic !== WAL_MAGIC_BIG_ENDIAN && u32beUnchecked(bytes, at + 4) !== WAL_FORMAT_VERSION) return;
  const outcome = parseWalHeader(bytes, at, path);
  if (outcome.kind !== 'parsed') return;
  const header = outcome.value;
  // A damaged magic is only believed when the checksum repaired it (parseWalHeader's rule).
  const magicValid = magic === WAL_MAGIC_LITTLE_ENDIAN || magic === WAL_MAGIC_BIG_ENDIAN;
  const flags = (header.bigEndianChecksumWords ? 1 : 0) | (header.checksumValid ? 2 : 0) | (magicValid ? 4 : 0);
  builder.add(HitKind.walHeader, imageOffset, header.pageSize, header.salt1, header.salt2, header.checkpointSequence, flags, header.checksum1, header.checksum2);
}

function journalHeader(bytes: Uint8Array, at: number, end: number, imageOffset: number, builder: HitBuilder): void {
  if (at + 28 > end) return;
  for (let index = 0; index < JOURNAL_MAGIC.length; index++) if (bytes[at + index] !== JOURNAL_MAGIC[index]) return;
  const sectorSize = u32beUnchecked(bytes, at + 20);
  const pageSize = u32beUnchecked(bytes, at + 24);
  if (!isValidJournalSectorSize(sectorSize) || (pageSize !== 0 && pageSizeFromField(pageSize === 65_536 ? 1 : pageSize) === undefined)) return;
  builder.add(HitKind.journalHeader, imageOffset, u32beUnchecked(bytes, at + 8), u32beUnchecked(bytes, at + 12), u32beUnchecked(bytes, at + 16), sectorSize, pageSize);
}

/**
 * A freelist trunk candidate: next trunk and every leaf number are page numbers (< 2^24, leaves
 * non-zero and distinct), with at least one leaf. Zero-filled space (no leaf) is not a trunk.
 */
function freelistTrunk(bytes: Uint8Array, at: number, end: number, imageOffset: number, builder: HitBuilder): void {
  if (at + 12 > end) return;
  const next = u32beUnchecked(bytes, at);
  const leafCount = u32beUnchecked(bytes, at + 4);
  if (next > scanLimits.maximumCarvedPageNumber || leafCount === 0 || leafCount > scanLimits.maximumFreelistLeafCount) return;
  if (at + 8 + 4 * leafCount > end) return;
  // Cheap pass first: every leaf's top byte is 0 and the leaf is not 0.
  for (let index = 0; index < leafCount; index++) {
    const position = at + 8 + 4 * index;
    if (bytes[position] !== 0 || u32beUnchecked(bytes, position) === 0) return;
  }
  const seen = new Set<number>();
  for (let index = 0; index < leafCount; index++) {
    const leaf = u32beUnchecked(bytes, at + 8 + 4 * index);
    if (seen.has(leaf) || leaf === next) return;
    seen.add(leaf);
  }
  builder.add(HitKind.freelistTrunk, imageOffset, next, leafCount, u32beUnchecked(bytes, at + 8));
}

// ---------------------------------------------------------------------------------------------
// 8-byte boundaries: WAL frames and journal page records

const checksumOut = new Uint32Array(2);

/** Per-thread scratch, reused window after window (bounded by the window size). */
let slotBitmap = new Uint32Array(0);
let candidateSlots = new Int32Array(1024);

/**
 * Two passes. Pass 1 marks every 8-byte slot that starts with a page number (top byte 0, not 0)
 * in a bitmap, four slots per step. Pass 2 looks at the candidates inside the
 * owned range: a frame or record needs a neighbour candidate exactly one stride away, which the
 * bitmap answers without touching the bytes (looking the neighbours up in the bytes themselves
 * cost most of the scan: 16 scattered reads up to 64 KiB away per candidate).
 */
function scanFramesAndRecords(bytes: Uint8Array, base: number, first: number, last: number, end: number, builder: HitBuilder): void {
  // Slot k is bytes[shift + 8k]: the image offsets that are multiples of 8.
  const shift = (8 - (base % 8)) % 8;
  const slotCount = end > shift ? (end - shift) >> 3 : 0;
  if (slotCount === 0) return;
  const bitmapWords = (slotCount + 31) >> 5;
  if (slotBitmap.length < bitmapWords) slotBitmap = new Uint32Array(bitmapWords);
  const bitmap = slotBitmap;
  bitmap.fill(0, 0, bitmapWords);
  const firstSlot = Math.max(0, Math.ceil((first - shift) / 8));
  const lastSlot = Math.min(slotCount, Math.ceil((last - shift) / 8)); // exclusive
  let candidateCount = 0;
  const mark = (slot: number): void => {
    bitmap[slot >> 5] = (bitmap[slot >> 5] as number) | (1 << (slot & 31));
    if (slot >= firstSlot && slot < lastSlot) {
      if (candidateCount === candidateSlots.length) {
        const grown = new Int32Array(candidateSlots.length * 2);
        grown.set(candidateSlots);
        candidateSlots = grown;
      }
      candidateSlots[candidateCount++] = slot;
    }
  };
  // Four slots per step, one byte each: a page number's top byte is 0, and 255 of 256 random
  // positions stop at that test. (Byte loads need no alignment and measured as fast as 32-bit
  // word loads: about 0.25 s of CPU per GiB for the whole 8-byte pass.)
  let slot = 0;
  for (; slot + 3 < slotCount; slot += 4) {
    const at = shift + 8 * slot;
    if (bytes[at] !== 0 && bytes[at + 8] !== 0 && bytes[at + 16] !== 0 && bytes[at + 24] !== 0) continue;
    for (let step = 0; step < 4; step++) if (isPageNumberAt(bytes, at + 8 * step)) mark(slot + step);
  }
  for (; slot < slotCount; slot++) if (isPageNumberAt(bytes, shift + 8 * slot)) mark(slot);
  const has = (slot: number): boolean => slot >= 0 && slot < slotCount && ((bitmap[slot >> 5] as number) & (1 << (slot & 31))) !== 0;
  const view = viewOf(bytes);
  for (let index = 0; index < candidateCount; index++) {
    const slot = candidateSlots[index] as number;
    const at = shift + 8 * slot;
    if (at + 24 > end) continue;
    // WAL frame: commit size below 2^24, salts not both zero, a neighbour frame one stride away.
    if (bytes[at + 4] === 0 && (u32beUnchecked(bytes, at + 8) | u32beUnchecked(bytes, at + 12)) !== 0) {
      for (const pageSize of candidatePageSizesInBytes) {
        const strideSlots = (24 + pageSize) >> 3;
        if ((has(slot - strideSlots) || has(slot + strideSlots)) && walFrame(bytes, view, at, pageSize, base, end, builder)) break;
      }
    }
    for (const pageSize of candidatePageSizesInBytes) {
      const strideSlots = (8 + pageSize) >> 3;
      if ((has(slot - strideSlots) || has(slot + strideSlots)) && journalRecord(bytes, at, pageSize, base, end, builder)) break;
    }
  }
}

function saltsEqual(bytes: Uint8Array, a: number, b: number): boolean {
  for (let index = 8; index < 16; index++) if (bytes[a + index] !== bytes[b + index]) return false;
  return true;
}

/** Does the frame at `frame` continue the checksum stored in the frame header at `previous`? */
function continuesChecksum(bytes: Uint8Array, view: DataView, previous: number, frame: number, pageSize: number, bigEndian: boolean): boolean {
  continueWalChecksum(view, frame, 8, bigEndian, u32beUnchecked(bytes, previous + 16), u32beUnchecked(bytes, previous + 20), checksumOut);
  continueWalChecksum(view, frame + 24, pageSize, bigEndian, checksumOut[0] as number, checksumOut[1] as number, checksumOut);
  return checksumOut[0] === u32beUnchecked(bytes, frame + 16) && checksumOut[1] === u32beUnchecked(bytes, frame + 20);
}

/**
 * A WAL frame is recognised without its WAL header when a neighbour frame, 24 + page size bytes
 * before or after, has the same salts and the checksum chain links the two (a 64-bit match).
 * Zero salts (frames appended before a commit, sqlite.md §2.5) cannot be linked and are left to
 * assembly, which reaches them from the WAL header.
 */
function walFrame(bytes: Uint8Array, view: DataView, at: number, pageSize: number, base: number, end: number, builder: HitBuilder): boolean {
  const stride = 24 + pageSize;
  let linkedToPrevious = false;
  let linkedToNext = false;
  let bigEndian = false;
  const previous = at - stride;
  if (previous >= 0 && at + stride <= end && saltsEqual(bytes, previous, at)) {
    if (continuesChecksum(bytes, view, previous, at, pageSize, false)) linkedToPrevious = true;
    else if (continuesChecksum(bytes, view, previous, at, pageSize, true)) linkedToPrevious = bigEndian = true;
  }
  const next = at + stride;
  if (next + stride <= end && saltsEqual(bytes, at, next)) {
    if ((!linkedToPrevious || !bigEndian) && continuesChecksum(bytes, view, at, next, pageSize, false)) linkedToNext = true;
    else if ((!linkedToPrevious || bigEndian) && continuesChecksum(bytes, view, at, next, pageSize, true)) {
      linkedToNext = true;
      bigEndian = true;
    }
  }
  if (!linkedToPrevious && !linkedToNext) return false;
  const flags = (bigEndian ? 1 : 0) | (linkedToPrevious ? 2 : 0) | (linkedToNext ? 4 : 0);
  builder.add(
    HitKind.walFrame,
    base + at,
    pageSize,
    u32beUnchecked(bytes, at),
    u32beUnchecked(bytes, at + 4),
    u32beUnchecked(bytes, at + 8),
    u32beUnchecked(bytes, at + 12),
    u32beUnchecked(bytes, at + 16),
    u32beUnchecked(bytes, at + 20),
    flags,
  );
  return true;
}

/** The nonce a record at `at` implies: stored checksum − sampled page bytes (sqlite.md §3.2). */
function impliedNonce(bytes: Uint8Array, at: number, pageSize: number): number {
  return (u32beUnchecked(bytes, at + 4 + pageSize) - journalSampleSum(bytes, at + 4, pageSize)) >>> 0;
}

function isPageNumberAt(bytes: Uint8Array, at: number): boolean {
  return bytes[at] === 0 && ((bytes[at + 1] as number) | (bytes[at + 2] as number) | (bytes[at + 3] as number)) !== 0;
}

/**
 * A journal page record is recognised when the record before or after it (page size + 8 bytes
 * away) starts with a page number too and both imply the same non-zero nonce: a 32-bit match, as
 * SQLite's own checksum gives. A zero nonce is refused: zero-filled pages with a stray page number
 * would all "agree" on it.
 */
function journalRecord(bytes: Uint8Array, at: number, pageSize: number, base: number, end: number, builder: HitBuilder): boolean {
  const stride = pageSize + 8;
  if (at + stride > end) return false;
  const nonce = impliedNonce(bytes, at, pageSize);
  if (nonce === 0) return false;
  const previous = at - stride;
  const next = at + stride;
  const linkedToPrevious = previous >= 0 && isPageNumberAt(bytes, previous) && impliedNonce(bytes, previous, pageSize) === nonce;
  const linkedToNext = next + stride <= end && isPageNumberAt(bytes, next) && impliedNonce(bytes, next, pageSize) === nonce;
  if (!linkedToPrevious && !linkedToNext) return false;
  builder.add(HitKind.journalRecord, base + at, pageSize, u32beUnchecked(bytes, at), nonce, u32beUnchecked(bytes, at + 4 + pageSize), (linkedToPrevious ? 2 : 0) | (linkedToNext ? 4 : 0));
  return true;
}

// ---------------------------------------------------------------------------------------------
// Windows over a ByteSource, and the worker entry

/** Reads `window` (with its lead and margin) from `source` and scans it. */
export function scanSourceWindow(source: ByteSource, window: Pick<ScanWindow, 'start' | 'pageLength' | 'marginLength' | 'leadLength'>, path: SourcePath = filePath(source.location)): ScanWindowResult {
  const readStarted = performance.now();
  const read = readWindowBytes(source, window.start - window.leadLength, window.leadLength + window.pageLength + window.marginLength, { reuseBuffer: true });
  const scanStarted = performance.now();
  const hits = scanBytes(read.bytes, read.imageOffset, window.start, window.start + window.pageLength, path);
  const scanMilliseconds = performance.now() - scanStarted;
  const issues = read.unreadable
    .filter((range) => range.imageOffset < window.start + window.pageLength && range.imageOffset + range.lengthInBytes > window.start)
    .map((range) =>
      issue('scan.read-error', 'error', path, range.imageOffset, `Read error at ${formatOffset(range.imageOffset)}, ${range.lengthInBytes} bytes: ${range.message}; scanned as zeros`, {
        imageOffset: range.imageOffset,
        lengthInBytes: range.lengthInBytes,
        message: range.message,
      }),
    );
  return {
    start: window.start,
    pageLength: window.pageLength,
    hits,
    issues,
    unreadable: read.unreadable,
    scanMilliseconds,
    readMilliseconds: scanStarted - readStarted,
  };
}

/**
 * THE worker entry point for `scan-window` tasks: scans the shared bytes it is given, or opens the
 * image read-only, reads its own window, scans it and closes. Never throws for bad bytes; an image
 * that cannot be opened throws (the pool reports it).
 */
export function scanWindow(task: ScanWindowTask): ScanWindowResult {
  if (task.shared !== undefined) {
    const started = performance.now();
    const bytes = new Uint8Array(task.shared.buffer, task.shared.byteOffset, task.shared.length);
    const hits = scanBytes(bytes, task.shared.imageOffset, task.start, task.start + task.pageLength, filePath(task.location));
    return { start: task.start, pageLength: task.pageLength, hits, issues: [], unreadable: [], scanMilliseconds: performance.now() - started, readMilliseconds: 0 };
  }
  const source = openSegments(task.fileSystemPaths, task.location);
  try {
    return scanSourceWindow(source, task, filePath(task.location));
  } finally {
    source.close();
  }
}

export default scanWindow;
