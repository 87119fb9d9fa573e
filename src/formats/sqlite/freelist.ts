/**
 * Freelist trunk and leaf lists (sqlite.md §1.9) and pointer-map page positions (§1.10).
 */
import { formatOffset } from '../../bytes/offsets.js';
import { u32beUnchecked } from '../../bytes/read.js';
import type { Issue } from '../../issues/issue.js';
import { issue } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { pagePath } from './btree.js';
import type { PageReader } from './page-reader.js';

export interface FreelistWalk {
  readonly trunkPageNumbers: readonly number[];
  readonly leafPageNumbers: readonly number[];
  readonly issues: readonly Issue[];
}

/**
 * Follows the trunk chain from `firstTrunkPageNumber`. Loop-safe; leaf counts above U/4 − 2 are
 * clamped with an issue. Issues: `sqlite.freelist.loop`, `sqlite.freelist.page-out-of-range`,
 * `sqlite.freelist.leaf-count-invalid`, `sqlite.freelist.count-mismatch`, `sqlite.freelist.truncated`.
 */
export function walkFreelist(reader: PageReader, usableSize: number, firstTrunkPageNumber: number, headerFreelistCount: number, databasePath: SourcePath): FreelistWalk {
  const trunks: number[] = [];
  const leaves: number[] = [];
  const issues: Issue[] = [];
  const seen = new Set<number>();
  const maximumLeaves = Math.floor(usableSize / 4) - 2;
  let next = firstTrunkPageNumber;
  let referencedFrom: SourcePath = databasePath;
  let referenceOffset = 32;
  while (next !== 0) {
    if (next < 1 || next > reader.pageCount) {
      issues.push(issue('sqlite.freelist.page-out-of-range', 'warning', referencedFrom, referenceOffset, `Freelist trunk page ${next} (at ${formatOffset(referenceOffset)}) is outside the ${reader.pageCount} pages present`, { value: next }));
      break;
    }
    if (seen.has(next)) {
      issues.push(issue('sqlite.freelist.loop', 'warning', referencedFrom, referenceOffset, `Freelist trunk chain loops back to page ${next}`, { value: next }));
      break;
    }
    seen.add(next);
    trunks.push(next);
    const page = reader.readPage(next);
    const path = pagePath(databasePath, next, reader.pageSize);
    if (page === undefined || page.length < 8) {
      issues.push(issue('sqlite.freelist.truncated', 'warning', path, 0, `Freelist trunk page ${next} is truncated`, { value: next }));
      break;
    }
    let leafCount = u32beUnchecked(page, 4);
    if (leafCount > maximumLeaves) {
      issues.push(issue('sqlite.freelist.leaf-count-invalid', 'warning', path, 4, `Freelist trunk page ${next}: leaf count ${leafCount} exceeds ${maximumLeaves}; clamped`, { value: leafCount }));
      leafCount = maximumLeaves;
    }
    for (let index = 0; index < leafCount && 8 + 4 * index + 4 <= page.length; index++) {
      const leaf = u32beUnchecked(page, 8 + 4 * index);
      if (leaf < 1 || leaf > reader.pageCount || seen.has(leaf)) {
        issues.push(issue('sqlite.freelist.page-out-of-range', 'warning', path, 8 + 4 * index, `Freelist trunk page ${next}: leaf ${index} = page ${leaf} is outside the pages present or listed twice`, { value: leaf }));
        continue;
      }
      seen.add(leaf);
      leaves.push(leaf);
    }
    referencedFrom = path;
    referenceOffset = 0;
    next = u32beUnchecked(page, 0);
  }
  const total = trunks.length + leaves.length;
  if (total !== headerFreelistCount) {
    issues.push(issue('sqlite.freelist.count-mismatch', 'warning', databasePath, 36, `Freelist holds ${total} pages (${trunks.length} trunk, ${leaves.length} leaf); the header at ${formatOffset(36)} says ${headerFreelistCount}`, { value: headerFreelistCount }));
  }
  return { trunkPageNumbers: trunks, leafPageNumbers: leaves, issues };
}

/** Pointer-map pages of an auto-vacuum database with `pageCount` pages: page 2, then every J + 1 pages (J = U / 5). */
export function pointerMapPageNumbers(usableSize: number, pageCount: number): number[] {
  const entriesPerPage = Math.floor(usableSize / 5);
  const out: number[] = [];
  for (let page = 2; page <= pageCount; page += entriesPerPage + 1) out.push(page);
  return out;
}

/** The lock-byte page: the page holding file offset 0x40000000 (only in databases above 1 GiB). */
export function lockBytePageNumber(pageSize: number): number {
  return Math.floor(0x40000000 / pageSize) + 1;
}
