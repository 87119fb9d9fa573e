/**
 * B-tree walking and overflow chains over a PageReader. Loop-safe (every page is visited at most
 * once per walk), depth-bounded, and every page number read from evidence is range-checked.
 */
import { maximumBtreeDepth, maximumOverflowChainLength } from '../../bytes/limits.js';
import { formatOffset } from '../../bytes/offsets.js';
import { u32beUnchecked } from '../../bytes/read.js';
import type { Issue } from '../../issues/issue.js';
import { issue } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { extendPath } from '../../provenance/path.js';
import type { PageType } from './layout.js';
import { PageType as PageTypes, isTablePage } from './layout.js';
import { parsePayloadCell, parseTableInteriorCell } from './parse-cell.js';
import type { BtreePage } from './parse-page.js';
import { parseBtreePage } from './parse-page.js';
import type { PageReader } from './page-reader.js';

export interface LeafPageReference {
  readonly pageNumber: number;
  readonly type: PageType;
}

export interface BtreeWalk {
  /** Leaf pages in key order. */
  readonly leaves: readonly LeafPageReference[];
  /** Interior pages visited (with their parsed headers), in visit order. */
  readonly interiorPageNumbers: readonly number[];
  /** For index b-trees (and WITHOUT ROWID tables): interior cells carry keys too. */
  readonly indexInteriorCells: readonly { readonly pageNumber: number; readonly offsetInPage: number }[];
  readonly issues: readonly Issue[];
}

export function pagePath(databasePath: SourcePath, pageNumber: number, pageSize: number): SourcePath {
  return extendPath(databasePath, { kind: 'sqlite-page', pageNumber, pageSize });
}

export function headerOffsetOf(pageNumber: number): number {
  return pageNumber === 1 ? 100 : 0;
}

/** Only satisfies parseBtreePage's issue paths in `interiorChildPageNumbers`; its issues are never reported. */
const childListPath: SourcePath = { layer: { kind: 'file', location: 'interior-children' }, parent: null };

/**
 * Child page numbers an interior b-tree page names (left children in cell order, then the
 * right-most child), as stored (0 included); undefined when the bytes at `headerOffset` (100 on
 * page 1, else 0) are not an interior page that parses. Pure, bounded by the cell count.
 */
export function interiorChildPageNumbers(page: Uint8Array, headerOffset: number, usableSize: number): number[] | undefined {
  const type = page[headerOffset];
  if (type !== PageTypes.tableInterior && type !== PageTypes.indexInterior) return undefined;
  const parsed = parseBtreePage(page, 0, headerOffset, usableSize, childListPath);
  if (parsed.kind !== 'parsed') return undefined;
  const children: number[] = [];
  for (const cellOffset of parsed.value.cellOffsetsInPage) {
    if (type === PageTypes.tableInterior) {
      if (cellOffset + 4 <= page.length) children.push(u32beUnchecked(page, cellOffset));
    } else {
      const cell = parsePayloadCell(page, 0, cellOffset, usableSize, 'index-interior');
      if (cell.ok) children.push(cell.cell.leftChildPageNumber);
    }
  }
  if (parsed.value.rightChildPageNumber !== 0) children.push(parsed.value.rightChildPageNumber);
  return children;
}

/**
 * Walks the b-tree rooted at `rootPageNumber`. `visited` may be shared across walks of one database
 * so that two trees claiming the same page are reported (`sqlite.btree.page-shared`).
 * Issues: `sqlite.btree.page-out-of-range`, `sqlite.btree.loop`, `sqlite.btree.page-shared`, `sqlite.btree.too-deep`,
 * `sqlite.btree.wrong-page-type`, `sqlite.btree.page-unreadable`, and the page-header issues.
 */
export function walkBtree(
  reader: PageReader,
  usableSize: number,
  rootPageNumber: number,
  databasePath: SourcePath,
  visited: Set<number> = new Set(),
): BtreeWalk {
  const leaves: LeafPageReference[] = [];
  const interior: number[] = [];
  const indexInteriorCells: { pageNumber: number; offsetInPage: number }[] = [];
  const issues: Issue[] = [];
  let expectTable: boolean | undefined;
  const visitedHere = new Set<number>();

  const visit = (pageNumber: number, depth: number, referencedFrom: SourcePath, referenceOffset: number): void => {
    if (pageNumber < 1 || pageNumber > reader.pageCount) {
      issues.push(
        issue('sqlite.btree.page-out-of-range', 'warning', referencedFrom, referenceOffset, `B-tree child page ${pageNumber} (referenced at ${formatOffset(referenceOffset)}) is outside the ${reader.pageCount} pages present`, {
          value: pageNumber,
        }),
      );
      return;
    }
    if (visited.has(pageNumber)) {
      if (visitedHere.has(pageNumber)) {
        issues.push(issue('sqlite.btree.loop', 'warning', referencedFrom, referenceOffset, `B-tree page ${pageNumber} (referenced at ${formatOffset(referenceOffset)}) was already visited in this tree: loop`, { value: pageNumber }));
      } else {
        issues.push(issue('sqlite.btree.page-shared', 'warning', referencedFrom, referenceOffset, `B-tree page ${pageNumber} (referenced at ${formatOffset(referenceOffset)}) already belongs to another b-tree`, { value: pageNumber }));
      }
      return;
    }
    visitedHere.add(pageNumber);
    if (depth > maximumBtreeDepth) {
      issues.push(issue('sqlite.btree.too-deep', 'warning', referencedFrom, referenceOffset, `B-tree deeper than ${maximumBtreeDepth} levels at page ${pageNumber}`, { value: pageNumber }));
      return;
    }
    visited.add(pageNumber);
    const page = reader.readPage(pageNumber);
    const path = pagePath(databasePath, pageNumber, reader.pageSize);
    if (page === undefined || page.length === 0) {
      issues.push(issue('sqlite.btree.page-unreadable', 'warning', path, 0, `B-tree page ${pageNumber} could not be read`, { value: pageNumber }));
      return;
    }
    const outcome = parseBtreePage(page, 0, headerOffsetOf(pageNumber), usableSize, path);
    if (outcome.kind === 'not-this-format') {
      issues.push(
        issue('sqlite.btree.wrong-page-type', 'warning', path, headerOffsetOf(pageNumber), `Page ${pageNumber}: type byte 0x${(page[headerOffsetOf(pageNumber)] ?? 0).toString(16).padStart(2, '0')} is not a b-tree page type`, {
          value: page[headerOffsetOf(pageNumber)] ?? 0,
        }),
      );
      return;
    }
    issues.push(...outcome.issues);
    if (outcome.kind === 'malformed') return;
    const btreePage: BtreePage = outcome.value;
    const isTable = isTablePage(btreePage.type);
    if (expectTable === undefined) expectTable = isTable;
    else if (expectTable !== isTable) {
      issues.push(issue('sqlite.btree.wrong-page-type', 'warning', path, headerOffsetOf(pageNumber), `Page ${pageNumber}: ${isTable ? 'table' : 'index'} page inside ${expectTable ? 'a table' : 'an index'} b-tree`, { value: btreePage.type }));
      return;
    }
    if (btreePage.type === PageTypes.tableLeaf || btreePage.type === PageTypes.indexLeaf) {
      leaves.push({ pageNumber, type: btreePage.type });
      return;
    }
    interior.push(pageNumber);
    for (const cellOffset of btreePage.cellOffsetsInPage) {
      let child: number | undefined;
      if (btreePage.type === PageTypes.tableInterior) {
        child = parseTableInteriorCell(page, 0, cellOffset, usableSize)?.leftChildPageNumber;
      } else {
        const cell = parsePayloadCell(page, 0, cellOffset, usableSize, 'index-interior');
        if (cell.ok) {
          child = cell.cell.leftChildPageNumber;
          indexInteriorCells.push({ pageNumber, offsetInPage: cellOffset });
        }
      }
      if (child === undefined) {
        issues.push(issue('sqlite.btree.cell-unreadable', 'warning', path, cellOffset, `Interior page ${pageNumber}: cell at ${formatOffset(cellOffset)} cannot be read`));
        continue;
      }
      visit(child, depth + 1, path, cellOffset);
    }
    visit(btreePage.rightChildPageNumber, depth + 1, path, btreePage.headerOffsetInPage + 8);
  };

  visit(rootPageNumber, 0, databasePath, 0);
  return { leaves, interiorPageNumbers: interior, indexInteriorCells, issues };
}

export interface OverflowRead {
  /** The reassembled payload; shorter than asked when the chain breaks. */
  readonly payload: Uint8Array;
  readonly complete: boolean;
  readonly pageNumbers: readonly number[];
  readonly problem: string | undefined;
}

/**
 * Reassembles a payload: `localPart` followed by the chain starting at `firstOverflowPageNumber`
 * until `payloadSize` bytes are gathered. Each overflow page holds a 4-byte next-page number and
 * U − 4 bytes of payload. Loops, out-of-range pages and early chain ends give a partial payload with
 * a problem description, never a silently shortened value.
 */
export function readOverflowPayload(
  reader: PageReader,
  usableSize: number,
  localPart: Uint8Array,
  payloadSize: number,
  firstOverflowPageNumber: number,
): OverflowRead {
  let filled = Math.min(localPart.length, payloadSize);
  const perPage = usableSize - 4;
  // The payload size comes from evidence (up to 2^31 − 1): allocate no more than a loop-free chain
  // can deliver, the local part plus one page's worth per page present.
  const payload = new Uint8Array(Math.min(payloadSize, filled + reader.pageCount * perPage));
  payload.set(localPart.subarray(0, filled), 0);
  const pageNumbers: number[] = [];
  const seen = new Set<number>();
  let next = firstOverflowPageNumber;
  while (filled < payloadSize) {
    if (next === 0) return { payload: payload.subarray(0, filled), complete: false, pageNumbers, problem: `overflow chain ended after ${pageNumbers.length} pages with ${payloadSize - filled} bytes missing` };
    if (seen.has(next) || pageNumbers.length >= maximumOverflowChainLength) {
      return { payload: payload.subarray(0, filled), complete: false, pageNumbers, problem: `overflow chain loops at page ${next}` };
    }
    const page = reader.readPage(next);
    if (page === undefined || page.length < 4) {
      return { payload: payload.subarray(0, filled), complete: false, pageNumbers, problem: `overflow page ${next} is outside the ${reader.pageCount} pages present` };
    }
    seen.add(next);
    pageNumbers.push(next);
    const take = Math.min(perPage, payloadSize - filled, page.length - 4);
    payload.set(page.subarray(4, 4 + take), filled);
    filled += take;
    if (take < Math.min(perPage, payloadSize - filled + take)) {
      return { payload: payload.subarray(0, filled), complete: false, pageNumbers, problem: `overflow page ${next} is truncated` };
    }
    next = u32beUnchecked(page, 0);
  }
  return { payload, complete: true, pageNumbers, problem: undefined };
}
