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
import { parsePayloadCell } from '../../formats/sqlite/parse-cell.js';
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

/** Bytes a listed cell occupies; undefined when it cannot be parsed. */
export function listedCellSize(page: Uint8Array, type: number, offsetInPage: number, usableSize: number): number | undefined {
  if (type === PageType.tableInterior) {
    const size = readVarintInto(page, offsetInPage + 4, Math.min(page.length, usableSize), scratch);
    return size === 0 ? undefined : 4 + size;
  }
  const kind = type === PageType.tableLeaf ? 'table-leaf' : type === PageType.indexLeaf ? 'index-leaf' : 'index-interior';
  const cell = parsePayloadCell(page, 0, offsetInPage, usableSize, kind);
  return cell.ok ? cell.cell.cellSizeInBytes : undefined;
}

/**
 * Free regions of a parsed b-tree page. Issues: the chain's (freeblocks.ts),
 * `sqlite.freeblock.overlaps-cell` (a chain block over a listed cell: clipped),
 * `sqlite.cell.unreadable-extent` (a listed cell whose size cannot be read: 4 bytes assumed).
 */
export function freeRegionsOf(page: Uint8Array, btreePage: BtreePage, usableSize: number, pagePath: SourcePath): PageFreeSpace {
  const end = Math.min(usableSize, page.length);
  const issues: Issue[] = [];
  // 0 = free, 1 = header / pointer array / listed cell, 2 = chain freeblock.
  const use = new Uint8Array(end);
  const pointerEnd = Math.min(btreePage.cellPointerArrayEndInPage, end);
  use.fill(1, 0, pointerEnd);
  const cellExtents: [number, number][] = [];
  for (const offset of btreePage.cellOffsetsInPage) {
    let size = listedCellSize(page, btreePage.type, offset, usableSize);
    if (size === undefined) {
      issues.push(issue('sqlite.cell.unreadable-extent', 'warning', pagePath, offset, `Cell at ${formatOffset(offset)}: size cannot be read; 4 bytes assumed listed`));
      size = 4;
    }
    const cellEnd = Math.min(end, offset + size);
    cellExtents.push([offset, cellEnd]);
    use.fill(1, offset, cellEnd);
  }
  const chain = walkFreeblockChain(page, btreePage, usableSize, pagePath);
  issues.push(...chain.issues);
  const regions: FreeRegion[] = [];
  for (const block of chain.blocks) {
    let blockEnd = block.startInPage + block.sizeInBytes;
    for (let position = block.startInPage; position < blockEnd; position++) {
      if (use[position] === 1) {
        issues.push(issue('sqlite.freeblock.overlaps-cell', 'warning', pagePath, block.startInPage, `Freeblock at ${formatOffset(block.startInPage)} (size ${block.sizeInBytes}) overlaps a listed cell at ${formatOffset(position)}; clipped`));
        blockEnd = position;
        break;
      }
    }
    if (blockEnd - block.startInPage < 4) continue;
    use.fill(2, block.startInPage, blockEnd);
    regions.push({ kind: 'freeblock', startInPage: block.startInPage, endInPage: blockEnd, headerStarts: [block.startInPage] });
  }
  const contentStart = Math.max(pointerEnd, Math.min(btreePage.cellContentStartInPage, end));
  const runs = (from: number, to: number, kind: FreeRegion['kind']): void => {
    let runStart = -1;
    for (let position = from; position <= to; position++) {
      const free = position < to && use[position] === 0;
      if (free && runStart < 0) runStart = position;
      if (!free && runStart >= 0) {
        regions.push({ kind, startInPage: runStart, endInPage: position, headerStarts: [] });
        runStart = -1;
      }
    }
  };
  runs(pointerEnd, contentStart, 'unallocated-gap');
  runs(contentStart, end, 'unreached');
  const stalePointers: number[] = [];
  for (let index = 0; index < maximumStalePointerCount && pointerEnd + 2 * index + 2 <= contentStart; index++) {
    const value = u16beUnchecked(page, pointerEnd + 2 * index);
    if (value < pointerEnd || value + 4 > end) break;
    if (use[value] !== 1) stalePointers.push(value);
  }
  regions.sort((a, b) => a.startInPage - b.startInPage);
  return { regions, stalePointers, cellExtents, issues };
}
