/**
 * Is there a b-tree page at this 512-byte boundary, and at what page size? The page size of a
 * carved page is unknown, so the test runs at the smallest power of two above its highest cell
 * pointer and grows it until the page is plausible (cells that spill to overflow pages only parse
 * at the true usable size). The structural test is recovery/headerless.ts `isPlausibleBtreePage`
 * (sqlite.md §1.3: type byte, cell count, content start, every pointer inside the content area,
 * table-leaf cells and their record headers parse), plus what a scan over arbitrary bytes needs
 * on top: every cell of every page type parses, cells do not overlap, and the freeblock chain
 * ascends inside the page.
 *
 * One more shape is kept on purpose: an emptied leaf. When its last cell is deleted SQLite resets
 * the header (no freeblock, no cell, content start = usable size) but leaves the old cells in the
 * content area, so the page holds deleted rows and nothing else says so.
 */
import { u16beUnchecked, u32beUnchecked } from '../bytes/read.js';
import { readVarintInto } from '../bytes/varint.js';
import { INTERIOR_HEADER_SIZE_IN_BYTES, LEAF_HEADER_SIZE_IN_BYTES, PageType } from '../formats/sqlite/layout.js';
import { parsePayloadCell } from '../formats/sqlite/parse-cell.js';
import { parseRecordHeader } from '../formats/sqlite/record.js';
import type { SourcePath } from '../provenance/path.js';
import { isPlausibleBtreePage } from '../recovery/headerless.js';
import { largestPageSizeInBytes, scanLimits } from './signatures.js';

export interface BtreeCandidate {
  readonly pageType: number;
  readonly pageSize: number;
  readonly cellCount: number;
  readonly emptied: boolean;
}

const scratch = { value: 0, big: undefined as bigint | undefined };

/** Smallest power of two ≥ 512 strictly above `value`. */
function pageSizeAbove(value: number): number {
  let size = 512;
  while (size <= value) size *= 2;
  return size;
}

/**
 * Checks the page starting at `bytes[at]`; `end` bounds the bytes that may be read (the window's
 * margin, or the image end). `path` only feeds the parser's issue constructor (never returned).
 */
export function checkBtreeCandidate(bytes: Uint8Array, at: number, end: number, path: SourcePath): BtreeCandidate | undefined {
  const type = bytes[at] as number;
  const leaf = type === PageType.tableLeaf || type === PageType.indexLeaf;
  if (!leaf && type !== PageType.tableInterior && type !== PageType.indexInterior) return undefined;
  const headerSize = leaf ? LEAF_HEADER_SIZE_IN_BYTES : INTERIOR_HEADER_SIZE_IN_BYTES;
  if (at + headerSize > end) return undefined;
  const firstFreeblock = u16beUnchecked(bytes, at + 1);
  const cellCount = u16beUnchecked(bytes, at + 3);
  const contentField = u16beUnchecked(bytes, at + 5);
  const contentStart = contentField === 0 ? 65_536 : contentField;
  const fragmented = bytes[at + 7] as number;
  if (fragmented > scanLimits.maximumFragmentedFreeBytes) return undefined;
  if (cellCount === 0) return emptiedLeaf(bytes, at, end, type, leaf, firstFreeblock, contentStart, fragmented);
  const pointerArrayEnd = headerSize + 2 * cellCount;
  if (pointerArrayEnd > contentStart || at + pointerArrayEnd > end) return undefined;
  if (!leaf && u32beUnchecked(bytes, at + 8) === 0) return undefined; // right-most child 0: never written
  let highest = 0;
  for (let pointer = at + headerSize; pointer < at + pointerArrayEnd; pointer += 2) {
    const cellOffset = u16beUnchecked(bytes, pointer);
    if (cellOffset < contentStart) return undefined;
    if (cellOffset > highest) highest = cellOffset;
  }
  if (firstFreeblock !== 0 && firstFreeblock < contentStart) return undefined;
  for (let pageSize = pageSizeAbove(Math.max(highest, contentStart - 1)); pageSize <= largestPageSizeInBytes; pageSize *= 2) {
    const available = Math.min(pageSize, end - at);
    const page = bytes.subarray(at, at + available);
    if (!isPlausibleBtreePage(page, 0, pageSize, path)) continue;
    if (!cellsFit(page, type, cellCount, headerSize, pageSize)) continue;
    if (!freeblocksFit(page, firstFreeblock, pageSize)) continue;
    return { pageType: type, pageSize, cellCount, emptied: false };
  }
  return undefined;
}

/**
 * A leaf without cells is kept when its header is exactly what SQLite leaves after deleting the
 * last cell (content start = a page size, nothing else set), or when it still has a valid
 * freeblock chain.
 */
function emptiedLeaf(bytes: Uint8Array, at: number, end: number, type: number, leaf: boolean, firstFreeblock: number, contentStart: number, fragmented: number): BtreeCandidate | undefined {
  if (!leaf) return undefined;
  if (firstFreeblock === 0) {
    if (fragmented !== 0 || contentStart < 512 || (contentStart & (contentStart - 1)) !== 0) return undefined;
    // The content area must hold something: an all-zero page after the header is not evidence.
    const limit = Math.min(end, at + contentStart);
    let nonZero = false;
    for (let index = at + LEAF_HEADER_SIZE_IN_BYTES; index < limit; index++) {
      if (bytes[index] !== 0) {
        nonZero = true;
        break;
      }
    }
    return nonZero ? { pageType: type, pageSize: contentStart, cellCount: 0, emptied: true } : undefined;
  }
  if (firstFreeblock < LEAF_HEADER_SIZE_IN_BYTES) return undefined;
  // The chain decides the size: the smallest page that holds every freeblock.
  let last = 0;
  let offset = firstFreeblock;
  let steps = 0;
  while (offset !== 0) {
    if (++steps > scanLimits.maximumFreeblocksPerPage || offset <= last || at + offset + 4 > end) return undefined;
    const size = u16beUnchecked(bytes, at + offset + 2);
    if (size < scanLimits.minimumFreeblockSizeInBytes) return undefined;
    last = offset + size;
    if (last > largestPageSizeInBytes) return undefined;
    offset = u16beUnchecked(bytes, at + offset);
    if (offset !== 0 && offset < last) return undefined;
  }
  const pageSize = pageSizeAbove(last - 1);
  return at + Math.min(pageSize, 512) <= end ? { pageType: type, pageSize, cellCount: 0, emptied: true } : undefined;
}

/** Every cell parses at this page size and no two cells overlap. */
function cellsFit(page: Uint8Array, type: number, cellCount: number, headerSize: number, pageSize: number): boolean {
  const starts: number[] = new Array<number>(cellCount);
  const ends = new Map<number, number>();
  for (let index = 0; index < cellCount; index++) {
    const cellOffset = u16beUnchecked(page, headerSize + 2 * index);
    let cellEnd: number;
    if (type === PageType.tableInterior) {
      if (cellOffset + 5 > page.length) return false;
      if (u32beUnchecked(page, cellOffset) === 0) return false;
      const size = readVarintInto(page, cellOffset + 4, Math.min(page.length, pageSize), scratch);
      if (size === 0) return false;
      cellEnd = cellOffset + 4 + size;
    } else {
      const kind = type === PageType.tableLeaf ? 'table-leaf' : type === PageType.indexLeaf ? 'index-leaf' : 'index-interior';
      const cell = parsePayloadCell(page, 0, cellOffset, pageSize, kind);
      if (!cell.ok) return false;
      if (kind === 'index-interior' && cell.cell.leftChildPageNumber === 0) return false;
      if (kind !== 'table-leaf') {
        const localEnd = cell.cell.localPayloadStartInPage + Math.min(cell.cell.localPayloadSize, cell.cell.payloadSize);
        if (!parseRecordHeader(page, cell.cell.localPayloadStartInPage, localEnd).ok) return false;
      }
      cellEnd = cellOffset + cell.cell.cellSizeInBytes;
    }
    if (cellEnd > pageSize) return false;
    starts[index] = cellOffset;
    const previous = ends.get(cellOffset);
    if (previous !== undefined) return false; // two pointers to one cell
    ends.set(cellOffset, cellEnd);
  }
  starts.sort((a, b) => a - b);
  for (let index = 1; index < starts.length; index++) {
    if ((ends.get(starts[index - 1] as number) as number) > (starts[index] as number)) return false;
  }
  return true;
}

/** The freeblock chain ascends, stays inside the page and has sizes ≥ 4 (sqlite.md §1.3). */
function freeblocksFit(page: Uint8Array, firstFreeblock: number, pageSize: number): boolean {
  let offset = firstFreeblock;
  let last = 0;
  let steps = 0;
  while (offset !== 0) {
    if (++steps > scanLimits.maximumFreeblocksPerPage || offset < last || offset + 4 > Math.min(pageSize, page.length)) return false;
    const size = u16beUnchecked(page, offset + 2);
    if (size < scanLimits.minimumFreeblockSizeInBytes || offset + size > pageSize) return false;
    last = offset + size;
    offset = u16beUnchecked(page, offset);
  }
  return true;
}
