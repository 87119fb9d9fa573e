/**
 * The freeblock chain of a b-tree page (sqlite.md §1.8): starts at header offset 1, each block holds
 * the offset of the next (0 = last) and its own size (≥ 4, including these 4 bytes); the chain
 * ascends, and blocks less than 4 bytes apart are merged by SQLite. The walk is bounded (at most
 * U / 4 blocks) and loop-safe (offsets must strictly ascend); it stops at the first block that
 * breaks a rule, with an issue. Free space the chain no longer reaches is found by unallocated.ts.
 */
import { formatOffset } from '../../bytes/offsets.js';
import { u16beUnchecked } from '../../bytes/read.js';
import type { Issue } from '../../issues/issue.js';
import { issue } from '../../issues/issue.js';
import type { BtreePage } from '../../formats/sqlite/parse-page.js';
import type { SourcePath } from '../../provenance/path.js';

export interface Freeblock {
  readonly startInPage: number;
  readonly sizeInBytes: number;
  /** Offset of the next block as stored (0 = last). */
  readonly nextInPage: number;
}

export interface FreeblockChain {
  readonly blocks: readonly Freeblock[];
  readonly issues: readonly Issue[];
}

/**
 * Issues: `sqlite.freeblock.out-of-range` (a block outside [pointer-array end, U − 4]),
 * `sqlite.freeblock.size-invalid` (size < 4 or past U), `sqlite.freeblock.not-ascending` (a next
 * pointer that does not move past the block: a loop or overlap).
 */
export function walkFreeblockChain(page: Uint8Array, btreePage: BtreePage, usableSize: number, pagePath: SourcePath): FreeblockChain {
  const blocks: Freeblock[] = [];
  const issues: Issue[] = [];
  const end = Math.min(usableSize, page.length);
  const lowest = btreePage.cellPointerArrayEndInPage;
  const maximumBlocks = Math.floor(usableSize / 4);
  let offset = btreePage.firstFreeblockOffsetInPage;
  let referencedAt = btreePage.headerOffsetInPage + 1;
  while (offset !== 0 && blocks.length < maximumBlocks) {
    if (offset < lowest || offset + 4 > end) {
      issues.push(issue('sqlite.freeblock.out-of-range', 'warning', pagePath, referencedAt, `Freeblock pointer at ${formatOffset(referencedAt)} = ${formatOffset(offset)} is outside [${formatOffset(lowest)}, ${formatOffset(end - 4)}]`, { value: offset }));
      break;
    }
    const next = u16beUnchecked(page, offset);
    const size = u16beUnchecked(page, offset + 2);
    if (size < 4 || offset + size > end) {
      issues.push(issue('sqlite.freeblock.size-invalid', 'warning', pagePath, offset + 2, `Freeblock at ${formatOffset(offset)}: size ${size} is below 4 or runs past ${formatOffset(end)}`, { value: size }));
      break;
    }
    blocks.push({ startInPage: offset, sizeInBytes: size, nextInPage: next });
    if (next !== 0 && next < offset + size) {
      issues.push(issue('sqlite.freeblock.not-ascending', 'warning', pagePath, offset, `Freeblock at ${formatOffset(offset)} (size ${size}) points back to ${formatOffset(next)}: chain loops or overlaps`, { value: next }));
      break;
    }
    referencedAt = offset;
    offset = next;
  }
  return { blocks, issues };
}
