/**
 * Orphan pages put back together where b-tree links allow.
 *
 * A deleted database whose first block was overwritten has lost its header, yet its pages still
 * sit on grids: page n at B + (n − 1) × page size, for a base B nobody wrote down: one grid when
 * the file was stored in one piece, one per piece when the file system fragmented it.
 *
 * 1. Votes. An orphan table interior page names its children by page number, each with the rowids
 *    its keys allow. An orphan page of the table family whose rowids fit that range, at offset X,
 *    puts child c on the grid B = X − (c − 1) × page size. Votes are pooled over every interior
 *    page, wherever it lies (a root in one piece names children in another): a grid on which
 *    `minimumLinkedChildren` or more named pages are found holds a piece of a database, the
 *    strongest grid first keeping the pages it found. A link whose range more than
 *    `maximumCandidatesPerLink` pages fit (a first or last child's half-open range, a subtree's
 *    wide one) is too vague to vote. Index trees do not vote: without their keys compared, an
 *    index's leaves recur at strides, and a grid shifted by a few pages would gather as many
 *    votes as the true one.
 * 2. Pieces. Grids joined by an interior page (it names pages on both, or lies on one and names
 *    pages on the other) are pieces of one database. A piece whose page numbers overlap another's
 *    is a database of its own (an older copy), and so is that other piece unless it is more than
 *    twice as strong: which version's pieces go together the links cannot tell, and pairing the
 *    wrong ones would make a state that never existed. The pieces in page-number order are the
 *    database's runs: the first reaches down to page 2 (page 1 is lost), the last on past its
 *    highest named page while b-tree pages of its grid keep turning up (`gridSlackInPages`).
 *    Pages between the last named page of one run and the first of the next are named by no link
 *    (overflow, freelist pages, leaves whose parent is lost): they go to the run under which the
 *    overflow chains through them hold together (fragments.ts `chainBoundary`), else to the
 *    earlier run, and the issue says which.
 * 3. Pages. Every orphan page on a run joins the header-less database with its real page number:
 *    its b-trees are walked from their roots (interior pages no page of the database points to),
 *    overflow chains followed through the runs, and its provenance is `file:<image> >
 *    range@B+<length> > sqlite-page#n > cell@…` with B the grid of the page's run, exact to the byte.
 *
 * Not done: a database whose table interior pages are all lost (or index-only, WITHOUT ROWID)
 * forms no grid; its pages stay orphans, decoded alone.
 */
import { formatOffset } from '../../bytes/offsets.js';
import { interiorChildPageNumbers } from '../../formats/sqlite/btree.js';
import { PageType } from '../../formats/sqlite/layout.js';
import type { Issue } from '../../issues/issue.js';
import { issue } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { extendPath } from '../../provenance/path.js';
import type { BtreePageHit } from '../../scanning/hits.js';
import type { ByteSource } from '../../sources/byte-source.js';
import type { DatabaseFragment } from './fragments.js';
import { chainBoundary, fragmentLimits, gapNote, linksOf } from './fragments.js';

/** Reassembly limits, with their unit and reason. */
export const reassemblyLimits = {
  /** Named pages that must be found on one grid before it is believed (one could be chance). */
  minimumLinkedChildren: 2,
  /** Pages past the highest referenced page still searched for grid members (freelist, overflow tails). */
  gridSlackInPages: 64,
  /** Pages whose rowids fit one link, beyond which the link is too vague to vote. */
  maximumCandidatesPerLink: 16,
  /** Pages looked at per link in the key index before the link is given up (hostile key ranges). */
  maximumScannedPerLink: 4096,
} as const;

export interface HeaderlessDatabase {
  /** `<image location>@<base>-headerless`: page 1 (the header) is lost. */
  readonly name: string;
  /** Where page 1 would start on the first run's grid. */
  readonly imageOffset: number;
  readonly pageSize: number;
  /** Pages from 1 to the highest page known (referenced or found on a run). */
  readonly pageCount: number;
  /** From page 1's place to the end of the first run (to `pageCount` when there is one run). */
  readonly sizeInBytes: number;
  /** `file:<image> > range@<imageOffset>+<sizeInBytes>`: page numbers of the first run fold through it. */
  readonly path: SourcePath;
  /** Runs of consecutive pages (one unless the database is stored in pieces), as fragments.ts. */
  readonly fragments: readonly DatabaseFragment[];
  /** Orphan pages on the runs, with their page numbers. */
  readonly pages: readonly { readonly pageNumber: number; readonly hit: BtreePageHit }[];
  /** Interior pages no page of the database points to: the b-tree roots to walk. */
  readonly rootPageNumbers: readonly number[];
  /** Named pages found on the runs' grids (the evidence for them). */
  readonly linkedChildCount: number;
}

interface Grid {
  readonly key: string;
  readonly pageSize: number;
  readonly base: number;
  /** Page number → image offset of the named pages found on this grid. */
  readonly found: Map<number, number>;
  /** Page number → the interior pages (image offsets) naming it. */
  readonly namedBy: Map<number, Set<number>>;
}

/** A grid's share of a database: the named pages it keeps, and their lowest and highest page numbers. */
interface Piece {
  readonly grid: Grid;
  readonly numbers: ReadonlyMap<number, number>;
  readonly low: number;
  readonly high: number;
}

interface KeyedPage {
  readonly imageOffset: number;
  readonly minimum: number;
  readonly maximum: number;
}

function pieceOf(grid: Grid, numbers: ReadonlyMap<number, number>): Piece {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const pageNumber of numbers.keys()) {
    low = Math.min(low, pageNumber);
    high = Math.max(high, pageNumber);
  }
  return { grid, numbers, low, high };
}

function isInterior(hit: BtreePageHit): boolean {
  return hit.pageType === PageType.tableInterior || hit.pageType === PageType.indexInterior;
}

/** Table-family orphans of at most `pageSize` bytes with their rowid range, by smallest rowid. */
function keyIndex(orphans: readonly BtreePageHit[], pageSize: number, source: ByteSource, path: SourcePath): KeyedPage[] {
  const out: KeyedPage[] = [];
  for (const hit of orphans) {
    if (hit.pageSize > pageSize || (hit.pageType !== PageType.tableLeaf && hit.pageType !== PageType.tableInterior)) continue;
    const range = linksOf(source.read(hit.imageOffset, pageSize), 0, pageSize, path)?.keyRange;
    if (range !== undefined) out.push({ imageOffset: hit.imageOffset, minimum: range.minimum, maximum: range.maximum });
  }
  return out.sort((a, b) => a.minimum - b.minimum || a.imageOffset - b.imageOffset);
}

/** Image offsets of the pages whose rowids all lie in (low, high], or undefined when too many do (a vague link). */
function fittingPages(index: readonly KeyedPage[], low: number, high: number): number[] | undefined {
  let first = 0;
  let end = index.length;
  while (first < end) {
    const middle = (first + end) >> 1;
    if ((index[middle] as KeyedPage).minimum > low) end = middle;
    else first = middle + 1;
  }
  const out: number[] = [];
  for (let position = first, scanned = 0; position < index.length && (index[position] as KeyedPage).minimum <= high; position++) {
    if (++scanned > reassemblyLimits.maximumScannedPerLink) return undefined;
    const page = index[position] as KeyedPage;
    if (page.maximum > high) continue;
    out.push(page.imageOffset);
    if (out.length > reassemblyLimits.maximumCandidatesPerLink) return undefined;
  }
  return out;
}

/** Union-find over string keys (grids and interior pages). */
function disjointSets(): { join: (a: string, b: string) => void; find: (key: string) => string } {
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root) as string;
    // Path compression: every key on the way points at the root.
    let node = key;
    while (node !== root) {
      const next = parent.get(node) as string;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  return {
    join: (a, b) => {
      const rootA = find(a);
      const rootB = find(b);
      if (rootA !== rootB) parent.set(rootB, rootA);
    },
    find,
  };
}

/**
 * Finds header-less databases among orphan pages (module comment). Returns them (strongest
 * evidence first), the orphan pages none of them holds, and an issue for each run after the first.
 */
export function reassembleOrphans(orphans: readonly BtreePageHit[], source: ByteSource, imagePath: SourcePath): { databases: HeaderlessDatabase[]; remaining: BtreePageHit[]; issues: Issue[] } {
  const byOffset = new Map(orphans.map((hit) => [hit.imageOffset, hit]));
  const childrenOf = new Map<number, number[]>();
  const grids = new Map<string, Grid>();
  const indexes = new Map<number, KeyedPage[]>();
  // 1. Votes: every named child found where its rowids fit, for the grid that puts it there.
  for (const interior of orphans) {
    if (!isInterior(interior)) continue;
    const pageSize = interior.pageSize;
    const page = source.read(interior.imageOffset, pageSize);
    if (interior.pageType === PageType.indexInterior) {
      childrenOf.set(interior.imageOffset, (interiorChildPageNumbers(page, 0, pageSize) ?? []).filter((child) => child > 0));
      continue;
    }
    const named = linksOf(page, 0, pageSize, imagePath)?.children ?? [];
    childrenOf.set(interior.imageOffset, named.map((child) => child.pageNumber));
    let index = indexes.get(pageSize);
    if (index === undefined) {
      index = keyIndex(orphans, pageSize, source, imagePath);
      indexes.set(pageSize, index);
    }
    const seen = new Set<number>();
    for (const child of named) {
      if (child.pageNumber < 2 || seen.has(child.pageNumber)) continue;
      seen.add(child.pageNumber);
      for (const offset of fittingPages(index, child.low, child.high) ?? []) {
        const base = offset - (child.pageNumber - 1) * pageSize;
        if (offset === interior.imageOffset || base < 0) continue;
        const key = `${pageSize}:${base}`;
        let grid = grids.get(key);
        if (grid === undefined) {
          grid = { key, pageSize, base, found: new Map(), namedBy: new Map() };
          grids.set(key, grid);
        }
        grid.found.set(child.pageNumber, offset);
        const namers = grid.namedBy.get(child.pageNumber) ?? new Set<number>();
        namers.add(interior.imageOffset);
        grid.namedBy.set(child.pageNumber, namers);
      }
    }
  }
  // The strongest grid keeps the named pages it found; a grid left with too few is no evidence.
  const owner = new Map<number, Grid>();
  const kept = new Map<Grid, Map<number, number>>();
  const ordered = [...grids.values()].filter((grid) => grid.found.size >= reassemblyLimits.minimumLinkedChildren).sort((a, b) => b.found.size - a.found.size || a.pageSize - b.pageSize || a.base - b.base);
  for (const grid of ordered) {
    const mine = [...grid.found].filter(([, offset]) => !owner.has(offset));
    if (mine.length < reassemblyLimits.minimumLinkedChildren) continue;
    for (const [, offset] of mine) owner.set(offset, grid);
    kept.set(grid, new Map(mine));
  }
  // 2. Pieces: grids joined by an interior page.
  const sets = disjointSets();
  for (const [grid, numbers] of kept) {
    for (const pageNumber of numbers.keys()) {
      for (const namer of grid.namedBy.get(pageNumber) ?? []) {
        sets.join(grid.key, `page@${namer}`);
        const home = owner.get(namer);
        if (home !== undefined && kept.has(home)) sets.join(grid.key, home.key);
      }
    }
  }
  const groups = new Map<string, Grid[]>();
  for (const grid of kept.keys()) {
    const root = sets.find(grid.key);
    groups.set(root, [...(groups.get(root) ?? []), grid]);
  }
  const databasesPieces: Piece[][] = [];
  for (const group of groups.values()) {
    // `kept` and so each group are in `ordered` order: strongest first.
    const candidates = group.map((grid) => pieceOf(grid, kept.get(grid) as Map<number, number>));
    const pieces: Piece[] = [];
    for (const piece of candidates) {
      const overlaps = (other: Piece): boolean => other.grid.pageSize !== piece.grid.pageSize || (piece.low <= other.high && other.low <= piece.high);
      // Two pieces holding the same page numbers, the other at least half as strong: versions of
      // one database (an older copy). Which of them goes with the other pieces the links cannot
      // tell, so neither does: pairing the wrong ones would make a state that never existed.
      const contested = candidates.some((other) => other !== piece && overlaps(other) && other.numbers.size * 2 >= piece.numbers.size);
      if (contested || pieces.some(overlaps) || pieces.length >= fragmentLimits.maximumFragmentCount) databasesPieces.push([piece]);
      else pieces.push(piece);
    }
    if (pieces.length > 0) databasesPieces.push(pieces);
  }
  const strength = (pieces: readonly Piece[]): number => pieces.reduce((sum, piece) => sum + piece.numbers.size, 0);
  databasesPieces.sort((a, b) => strength(b) - strength(a) || (a[0] as Piece).grid.base - (b[0] as Piece).grid.base);
  // 3. Pages.
  const rootName = ((): string => {
    let node = imagePath;
    while (node.parent !== null) node = node.parent;
    return node.layer.kind === 'file' ? node.layer.location : 'image';
  })();
  const claimed = new Set<number>();
  const databases: HeaderlessDatabase[] = [];
  const issues: Issue[] = [];
  for (const pieces of databasesPieces) {
    const database = assemble(
      pieces.sort((a, b) => a.low - b.low),
      { source, byOffset, childrenOf, owner, claimed, imagePath, rootName },
      issues,
    );
    if (database !== undefined) databases.push(database);
  }
  return { databases, remaining: orphans.filter((hit) => !claimed.has(hit.imageOffset)), issues };
}

interface AssemblyContext {
  readonly source: ByteSource;
  readonly byOffset: ReadonlyMap<number, BtreePageHit>;
  readonly childrenOf: ReadonlyMap<number, readonly number[]>;
  /** Image offset → the grid that found it as a named page: no other grid takes it. */
  readonly owner: ReadonlyMap<number, Grid>;
  /** Orphan pages already in a database (filled as databases are made). */
  readonly claimed: Set<number>;
  readonly imagePath: SourcePath;
  readonly rootName: string;
}

/** One header-less database from its pieces (in page-number order), or undefined when no page is left for it. */
function assemble(pieces: readonly Piece[], context: AssemblyContext, issues: Issue[]): HeaderlessDatabase | undefined {
  const { source, byOffset, childrenOf, owner, claimed } = context;
  const first = pieces[0] as Piece;
  const pageSize = first.grid.pageSize;
  const name = `${context.rootName}@${formatOffset(first.grid.base)}-headerless`;
  const imagePages = Math.floor((source.sizeInBytes - first.grid.base) / pageSize);
  const searchInput = { imageOffset: first.grid.base, pageSize, usableSize: pageSize, declaredPageCount: Math.max(imagePages, (pieces[pieces.length - 1] as Piece).high), path: extendPath(context.imagePath, { kind: 'range', start: first.grid.base, length: imagePages * pageSize }), name };
  // Where each run starts: page 2, then between the last named page of one piece and the first of the next.
  const starts: number[] = [2];
  const notes: string[] = [''];
  const named = new Set<number>();
  for (let index = 1; index < pieces.length; index++) {
    const previous = pieces[index - 1] as Piece;
    const piece = pieces[index] as Piece;
    for (const pageNumber of previous.numbers.keys()) named.add(pageNumber);
    const runsSoFar = starts.map((start, run) => ({ firstPageNumber: start, pageCount: (run + 1 < starts.length ? (starts[run + 1] as number) : piece.low) - start, imageOffset: (pieces[run] as Piece).grid.base + (start - 1) * pageSize }));
    const boundary = previous.high + 1 < piece.low ? chainBoundary(searchInput, runsSoFar, named, previous.high, piece.low, previous.grid.base, piece.grid.base, source) : { start: piece.low, chains: 0 };
    const start = Math.max((starts[index - 1] as number) + 1, boundary.start);
    starts.push(start);
    notes.push(gapNote(start, piece.low, previous.high, boundary.chains));
  }
  const pages: { pageNumber: number; hit: BtreePageHit }[] = [];
  const take = (grid: Grid, pageNumber: number): boolean => {
    const offset = grid.base + (pageNumber - 1) * pageSize;
    const hit = byOffset.get(offset);
    const holder = owner.get(offset);
    if (hit === undefined || claimed.has(offset) || hit.pageSize > pageSize || (holder !== undefined && holder !== grid)) return false;
    pages.push({ pageNumber, hit });
    return true;
  };
  // The last run reaches its highest named page, and on while pages of its grid keep turning up
  // (overflow, freelist tails), up to a page another grid holds (another database's, or the same
  // database's found elsewhere: a piece that became a database of its own) or an interior page
  // (its children would have been named on this grid: it roots another database's tree).
  const namedHigh = (pieces[pieces.length - 1] as Piece).high;
  let highest = namedHigh;
  const fragments: DatabaseFragment[] = [];
  for (let index = 0; index < pieces.length; index++) {
    const grid = (pieces[index] as Piece).grid;
    const start = starts[index] as number;
    const isLast = index === pieces.length - 1;
    let end = isLast ? start - 1 : (starts[index + 1] as number) - 1;
    if (isLast) {
      for (let pageNumber = start; pageNumber <= highest + reassemblyLimits.gridSlackInPages; pageNumber++) {
        const offset = grid.base + (pageNumber - 1) * pageSize;
        const holder = owner.get(offset);
        const found = byOffset.get(offset);
        if (offset >= source.sizeInBytes || (holder !== undefined && holder !== grid) || (pageNumber > namedHigh && found !== undefined && isInterior(found))) break;
        end = pageNumber;
        if (take(grid, pageNumber)) highest = Math.max(highest, pageNumber);
      }
      end = Math.max(start, Math.min(end, highest));
    } else {
      for (let pageNumber = start; pageNumber <= end; pageNumber++) take(grid, pageNumber);
    }
    fragments.push({ firstPageNumber: start, pageCount: end - start + 1, imageOffset: grid.base + (start - 1) * pageSize });
  }
  if (pages.length === 0) return undefined;
  for (const page of pages) claimed.add(page.hit.imageOffset);
  // The first run starts at its first b-tree page: what lies before it on the grid (noise, when the
  // piece holding pages from 2 on is elsewhere or lost) is not read as this database's.
  const opening = fragments[0] as DatabaseFragment;
  const openingEnd = opening.firstPageNumber + opening.pageCount - 1;
  let firstHeld = openingEnd;
  for (const page of pages) if (page.pageNumber >= opening.firstPageNumber && page.pageNumber <= openingEnd) firstHeld = Math.min(firstHeld, page.pageNumber);
  if (firstHeld > opening.firstPageNumber) fragments[0] = { firstPageNumber: firstHeld, pageCount: openingEnd - firstHeld + 1, imageOffset: opening.imageOffset + (firstHeld - opening.firstPageNumber) * pageSize };
  const last = fragments[fragments.length - 1] as DatabaseFragment;
  const pageCount = last.firstPageNumber + last.pageCount - 1;
  const firstRun = fragments[0] as DatabaseFragment;
  const sizeInBytes = Math.min((firstRun.firstPageNumber + firstRun.pageCount - 1) * pageSize, source.sizeInBytes - first.grid.base);
  const path = extendPath(context.imagePath, { kind: 'range', start: first.grid.base, length: sizeInBytes });
  for (let index = 1; index < fragments.length; index++) {
    const run = fragments[index] as DatabaseFragment;
    const piece = pieces[index] as Piece;
    issues.push(
      issue(
        'carve.database.fragment',
        'info',
        path,
        0,
        `Header-less database at ${formatOffset(first.grid.base)}: pages from ${run.firstPageNumber} on are not after page ${run.firstPageNumber - 1} but at ${formatOffset(run.imageOffset)} (${piece.numbers.size} pages its b-tree links name, from page ${piece.low} to ${piece.high}, are there, rowids fitting their links): the file is fragmented; read as run ${index + 1}${notes[index] as string}`,
        { firstPageNumber: run.firstPageNumber, imageOffset: run.imageOffset, votes: piece.numbers.size },
      ),
    );
  }
  const referenced = new Set<number>();
  for (const page of pages) for (const child of childrenOf.get(page.hit.imageOffset) ?? []) referenced.add(child);
  const rootPageNumbers = pages.filter((page) => isInterior(page.hit) && !referenced.has(page.pageNumber)).map((page) => page.pageNumber);
  return {
    name,
    imageOffset: first.grid.base,
    pageSize,
    pageCount,
    sizeInBytes,
    path,
    fragments,
    pages,
    rootPageNumbers,
    linkedChildCount: pieces.reduce((sum, piece) => sum + piece.numbers.size, 0),
  };
}
