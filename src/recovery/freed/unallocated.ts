/**
 * Where a b-tree page's free bytes are: the unallocated gap between the cell-pointer array and the
 * cell content area, the freeblocks of the chain, and whatever else no live cell covers (fragments,
 * and older freeblocks the chain no longer reaches). Every free byte of the page lands in exactly
 * one region, so nothing is skipped silently.
 */
import { readVarintInto } from '../../bytes/varint.js';
import { formatOffset } from '../../bytes/offsets.js';
import { u16beUnchecked } from '../../bytes/read.js';
import type { Issue } from '../../issues/issue.js';
import { issue } from '../../issues/issue.js';
import { PageType } from '../../formats/sqlite/layout.js';
import { localPayloadSize } from '../../formats/sqlite/payload.js';
import type { BtreePage } from '../../formats/sqlite/parse-page.js';
import type { SourcePath } from '../../provenance/path.js';
import type { FreeRegion } from './carve-region.js';
import { walkFreeblockChain } from './freeblocks.js';

/** Stale cell-pointer entries read from the start of the gap (SQLite leaves the old last entry there). */
export const maximumStalePointerCount = 16;

export interface PageFreeSpace {
  readonly regions: readonly FreeRegion[];
  /** Values of stale cell-pointer entries in the gap that point into free space: hints of cell starts. */
  readonly stalePointers: readonly number[];
  /** Extents of the cells the page lists, [start, end) in page. */
  readonly cellExtents: readonly (readonly [number, number])[];
  readonly issues: readonly Issue[];
}

const scratch = { value: 0, big: undefined as bigint | undefined };

/** Bytes a listed cell occupies (sqlite.md §1.4, §1.7); undefined when it cannot be read. */
export function listedCellSize(page: Uint8Array, type: number, offsetInPage: number, usableSize: number): number | undefined {
  const end = Math.min(page.length, usableSize);
  let at = offsetInPage;
  if (type === PageType.tableInterior) {
    const size = readVarintInto(page, at + 4, end, scratch);
    return size === 0 ? undefined : 4 + size;
  }
  if (type === PageType.indexInterior) at += 4;
  const payloadVarint = readVarintInto(page, at, end, scratch);
  if (payloadVarint === 0 || scratch.big !== undefined || scratch.value < 0) return undefined;
  const payloadSize = scratch.value;
  at += payloadVarint;
  if (type === PageType.tableLeaf) {
    const rowidVarint = readVarintInto(page, at, end, scratch);
    if (rowidVarint === 0) return undefined;
    at += rowidVarint;
  }
  const local = localPayloadSize(payloadSize, usableSize, type === PageType.tableLeaf);
  const cellEnd = at + local + (local < payloadSize ? 4 : 0);
  return cellEnd > end ? undefined : cellEnd - offsetInPage;
}

/**
 * Free regions of a parsed b-tree page. Issues: the chain's (freeblocks.ts),
 * `sqlite.freeblock.overlaps-cell` (a chain block over a listed cell: clipped),
 * `sqlite.cell.unreadable-extent` (a listed cell whose size cannot be read: 4 bytes assumed).
 */
export function freeRegionsOf(page: Uint8Array, btreePage: BtreePage, usableSize: number, pagePath: SourcePath): PageFreeSpace {
  const end = Math.min(usableSize, page.length);
  const issues: Issue[] = [];
  const pointerEnd = Math.min(btreePage.cellPointerArrayEndInPage, end);
  // Listed cells as sorted intervals (a page holds at most a few hundred: intervals beat a byte map).
  const cellExtents: [number, number][] = [];
  for (const offset of btreePage.cellOffsetsInPage) {
    let size = listedCellSize(page, btreePage.type, offset, usableSize);
    if (size === undefined) {
      issues.push(issue('sqlite.cell.unreadable-extent', 'warning', pagePath, offset, `Cell at ${formatOffset(offset)}: size cannot be read; 4 bytes assumed listed`));
      size = 4;
    }
    cellExtents.push([offset, Math.min(end, offset + size)]);
  }
  const listed = [...cellExtents].sort((a, b) => a[0] - b[0]);
  const firstListedAtOrAfter = (position: number): number => {
    let low = 0;
    let high = listed.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((listed[middle] as [number, number])[1] <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  const chain = walkFreeblockChain(page, btreePage, usableSize, pagePath);
  issues.push(...chain.issues);
  const regions: FreeRegion[] = [];
  const taken: [number, number][] = [];
  for (const block of chain.blocks) {
    let blockEnd = block.startInPage + block.sizeInBytes;
    const overlap = listed[firstListedAtOrAfter(block.startInPage)];
    if (overlap !== undefined && overlap[0] < blockEnd) {
      const position = Math.max(overlap[0], block.startInPage);
      issues.push(issue('sqlite.freeblock.overlaps-cell', 'warning', pagePath, block.startInPage, `Freeblock at ${formatOffset(block.startInPage)} (size ${block.sizeInBytes}) overlaps a listed cell at ${formatOffset(position)}; clipped`));
      blockEnd = position;
    }
    if (blockEnd - block.startInPage < 4) continue;
    taken.push([block.startInPage, blockEnd]);
    regions.push({ kind: 'freeblock', startInPage: block.startInPage, endInPage: blockEnd, headerStarts: [block.startInPage] });
  }
  // Whatever neither a listed cell nor a chain block covers: the gap before the content start,
  // fragments and unreached free space after it.
  const occupied = [[0, pointerEnd] as [number, number], ...listed, ...taken].sort((a, b) => a[0] - b[0]);
  const contentStart = Math.max(pointerEnd, Math.min(btreePage.cellContentStartInPage, end));
  let position = 0;
  const free = (from: number, to: number): void => {
    if (from >= to) return;
    if (from < contentStart) regions.push({ kind: 'unallocated-gap', startInPage: from, endInPage: Math.min(to, contentStart), headerStarts: [] });
    if (to > contentStart) regions.push({ kind: 'unreached', startInPage: Math.max(from, contentStart), endInPage: to, headerStarts: [] });
  };
  for (const [start, stop] of occupied) {
    free(position, Math.min(start, end));
    position = Math.max(position, stop);
  }
  free(position, end);
  const stalePointers: number[] = [];
  const isListed = (value: number): boolean => {
    const at = listed[firstListedAtOrAfter(value)];
    return at !== undefined && at[0] <= value;
  };
  for (let index = 0; index < maximumStalePointerCount && pointerEnd + 2 * index + 2 <= contentStart; index++) {
    const value = u16beUnchecked(page, pointerEnd + 2 * index);
    if (value < pointerEnd || value + 4 > end) break;
    if (!isListed(value)) stalePointers.push(value);
  }
  regions.sort((a, b) => a.startInPage - b.startInPage);
  return { regions, stalePointers, cellExtents, issues };
}
