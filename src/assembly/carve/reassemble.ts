/**
 * Orphan pages put back together where b-tree links allow.
 *
 * A deleted database whose first block was overwritten has lost its header, yet its other pages
 * still sit on one grid: page n at B + (n − 1) × page size, for a base B nobody wrote down. An
 * orphan interior page names its children by page number; when two or more of those children
 * are orphan pages of the right kind exactly where one base B puts them, B is that database's
 * base. Every orphan page on B's grid then joins a header-less database whose pages have real page
 * numbers: its b-trees can be walked from their roots (interior pages no other page points to),
 * overflow chains followed, and its provenance is `file:<image> > range@B+<length> >
 * sqlite-page#n > cell@…`, exact to the byte.
 *
 * A header-less database stored in pieces (file-system fragmentation) is followed across them as
 * fragments.ts follows a database with its header: the walk from the grid's interior pages names
 * pages that are not on the grid; the place most of them are names the next run's grid
 * (`locateHeaderlessRuns`). A grid that turns out to be a later run of another is taken into it,
 * not made a database of its own. What this does not do: find runs holding lower page numbers
 * than the grid its interior pages vote for (the pieces before it), nor search more than
 * `maximumSearchedGrids` grids for later runs (the rest keep one run each).
 */
import { formatOffset } from '../../bytes/offsets.js';
import { PageType } from '../../formats/sqlite/layout.js';
import type { Issue } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { extendPath } from '../../provenance/path.js';
import type { BtreePageHit } from '../../scanning/hits.js';
import type { ByteSource } from '../../sources/byte-source.js';
import type { DatabaseFragment, FragmentSearchContext } from './fragments.js';
import { candidatesByFamily, fragmentPageOffset, keyRangeReader, keysFit, linksOf, locateHeaderlessRuns } from './fragments.js';

/** Reassembly limits, with their unit and reason. */
export const reassemblyLimits = {
  /** Child pages that must land on one grid before a base is believed (one could be chance). */
  minimumLinkedChildren: 2,
  /** Pages past the highest referenced page still searched for grid members (freelist, overflow tails). */
  gridSlackInPages: 64,
  /** Child × orphan comparisons per interior page before the search gives up on it (quadratic guard). */
  maximumComparisonsPerInteriorPage: 4_000_000,
  /** Grids (strongest first) searched for later runs; each search walks and votes up to 16 times. */
  maximumSearchedGrids: 16,
} as const;

export interface HeaderlessDatabase {
  /** `<image location>@<base>-headerless`: page 1 (the header) is lost. */
  readonly name: string;
  /** Where page 1 would start on the first run's grid. */
  readonly imageOffset: number;
  readonly pageSize: number;
  /** Pages from 1 to the highest page known (referenced or found on the grid). */
  readonly pageCount: number;
  /** From page 1's place to the end of the first run. */
  readonly sizeInBytes: number;
  /** `file:<image> > range@<imageOffset>+<sizeInBytes>`: page numbers of the first run fold through it. */
  readonly path: SourcePath;
  /** Runs of consecutive pages (one unless the database is stored in pieces), as fragments.ts. */
  readonly fragments: readonly DatabaseFragment[];
  /** Orphan pages on the grid, with their page numbers. */
  readonly pages: readonly { readonly pageNumber: number; readonly hit: BtreePageHit }[];
  /** Interior pages no page of the group points to: the b-tree roots to walk. */
  readonly rootPageNumbers: readonly number[];
  /** Children that landed on the grid, over all interior pages (the evidence for the base). */
  readonly linkedChildCount: number;
}

function isTableType(type: number): boolean {
  return type === PageType.tableInterior || type === PageType.tableLeaf;
}

interface Grid {
  readonly pageSize: number;
  readonly base: number;
  linked: number;
  /** Of `linked`, the children of table interior pages, whose rowids were checked against their parent's keys. */
  keyedLinked: number;
  readonly referenced: Set<number>;
  /** The interior pages voting for this grid, with the page number it gives them. */
  readonly interiors: { readonly pageNumber: number; readonly family: 'table' | 'index'; readonly imageOffset: number }[];
}

/**
 * Finds header-less databases among orphan pages. Returns them (strongest evidence first), the
 * orphan pages none of them holds, and the issues of the run search (pieces found, runs clipped).
 */
export function reassembleOrphans(orphans: readonly BtreePageHit[], source: ByteSource, imagePath: SourcePath): { databases: HeaderlessDatabase[]; remaining: BtreePageHit[]; issues: Issue[] } {
  const byOffset = new Map(orphans.map((hit) => [hit.imageOffset, hit]));
  const interiors = orphans.filter((hit) => hit.pageType === PageType.tableInterior || hit.pageType === PageType.indexInterior);
  // Candidate grids: (page size, base) → children that landed on them, and the interior pages voting.
  const grids = new Map<string, Grid>();
  const childrenOf = new Map<number, number[]>();
  const keyRangeAt = keyRangeReader(source, imagePath);
  for (const interior of interiors) {
    const pageSize = interior.pageSize;
    const named = linksOf(source.read(interior.imageOffset, pageSize), 0, pageSize, imagePath)?.children ?? [];
    const children = named.map((child) => child.pageNumber);
    childrenOf.set(interior.imageOffset, children);
    if (children.length * orphans.length > reassemblyLimits.maximumComparisonsPerInteriorPage) continue;
    // Votes for the interior page's own page number n: a child c found at offset X means n = c − (X − offset) / size.
    // Found: a page of the child's family whose keys fit the link (table trees), so that a grid
    // shifted by a page or by a whole piece, where other leaves of the same tree sit, gets no vote.
    const votes = new Map<number, number>();
    const table = isTableType(interior.pageType);
    const seen = new Set<number>();
    for (const child of named) {
      if (seen.has(child.pageNumber)) continue;
      seen.add(child.pageNumber);
      for (const candidate of orphans) {
        const distance = candidate.imageOffset - interior.imageOffset;
        if (distance === 0 || distance % pageSize !== 0 || candidate.pageSize > pageSize || isTableType(candidate.pageType) !== table) continue;
        const own = child.pageNumber - distance / pageSize;
        if (own < 2 || !keysFit(keyRangeAt(candidate.imageOffset, pageSize), child)) continue;
        votes.set(own, (votes.get(own) ?? 0) + 1);
      }
    }
    let best: { own: number; count: number } | undefined;
    for (const [own, count] of votes) if (best === undefined || count > best.count || (count === best.count && own < best.own)) best = { own, count };
    if (best === undefined || best.count < reassemblyLimits.minimumLinkedChildren) continue;
    const base = interior.imageOffset - (best.own - 1) * pageSize;
    if (base < 0) continue;
    const key = `${pageSize}:${base}`;
    const grid = grids.get(key) ?? { pageSize, base, linked: 0, keyedLinked: 0, referenced: new Set<number>(), interiors: [] };
    grid.linked += best.count;
    if (table) grid.keyedLinked += best.count;
    grid.interiors.push({ pageNumber: best.own, family: table ? 'table' : 'index', imageOffset: interior.imageOffset });
    for (const child of children) grid.referenced.add(child);
    grids.set(key, grid);
  }
  const rootName = ((): string => {
    let node = imagePath;
    while (node.parent !== null) node = node.parent;
    return node.layer.kind === 'file' ? node.layer.location : 'image';
  })();
  // Key-checked links first: an index tree's leaves recur at regular strides, so a grid shifted by
  // a few pages can gather as many index votes as the true one, never table votes.
  const ordered = [...grids.values()].sort((a, b) => b.keyedLinked - a.keyedLinked || b.linked - a.linked || a.base - b.base);
  // Each grid's runs, searched on its own (orphans are all the candidates: databases with a
  // header and logs are already set aside); then a grid that is a later run of another is taken into it.
  const context: FragmentSearchContext = { source, btreeByOffset: byOffset, candidatesByFamily: candidatesByFamily(orphans), isForeign: () => false };
  const searched = ordered.map((grid, index) => {
    const imagePages = Math.floor((source.sizeInBytes - grid.base) / grid.pageSize);
    const input = { imageOffset: grid.base, pageSize: grid.pageSize, usableSize: grid.pageSize, declaredPageCount: imagePages, path: extendPath(imagePath, { kind: 'range', start: grid.base, length: imagePages * grid.pageSize }), name: `${rootName}@${formatOffset(grid.base)}-headerless` };
    const located = index < reassemblyLimits.maximumSearchedGrids ? locateHeaderlessRuns(input, grid.interiors, context) : undefined;
    const runs = located?.fragments ?? [{ firstPageNumber: 2, pageCount: Math.max(1, imagePages - 1), imageOffset: grid.base + grid.pageSize }];
    return { grid, runs, issues: located?.issues ?? [], takenBy: undefined as Grid | undefined };
  });
  const bySizeAndBase = new Map(searched.map((item) => [`${item.grid.pageSize}:${item.grid.base}`, item]));
  for (const item of searched) {
    if (item.takenBy !== undefined) continue;
    for (const run of item.runs.slice(1)) {
      const later = bySizeAndBase.get(`${item.grid.pageSize}:${run.imageOffset - (run.firstPageNumber - 1) * item.grid.pageSize}`);
      if (later === undefined || later === item || later.takenBy !== undefined) continue;
      later.takenBy = item.grid;
      item.grid.linked += later.grid.linked;
      item.grid.keyedLinked += later.grid.keyedLinked;
      for (const child of later.grid.referenced) item.grid.referenced.add(child);
    }
  }
  const claimed = new Set<number>();
  const databases: HeaderlessDatabase[] = [];
  const issues: Issue[] = [];
  for (const { grid, runs, issues: found, takenBy } of searched) {
    // A grid exists by its interior pages' votes: when a stronger database holds them all, it has no evidence left.
    if (takenBy !== undefined || grid.interiors.every((interior) => claimed.has(interior.imageOffset))) continue;
    const pages: { pageNumber: number; hit: BtreePageHit }[] = [];
    let highest = Math.max(...grid.referenced);
    const claim = (pageNumber: number, offset: number): boolean => {
      const hit = byOffset.get(offset);
      if (hit === undefined || claimed.has(offset) || hit.pageSize > grid.pageSize) return false;
      pages.push({ pageNumber, hit });
      return true;
    };
    const lastRun = runs[runs.length - 1] as DatabaseFragment;
    for (const run of runs.slice(0, -1)) for (let index = 0; index < run.pageCount; index++) claim(run.firstPageNumber + index, run.imageOffset + index * grid.pageSize);
    // The last run reaches the highest page referenced, and on while pages of the grid keep turning up.
    for (let pageNumber = lastRun.firstPageNumber; pageNumber < lastRun.firstPageNumber + lastRun.pageCount && pageNumber <= highest + reassemblyLimits.gridSlackInPages; pageNumber++) {
      const offset = lastRun.imageOffset + (pageNumber - lastRun.firstPageNumber) * grid.pageSize;
      if (offset >= source.sizeInBytes) break;
      if (claim(pageNumber, offset)) highest = Math.max(highest, pageNumber);
    }
    if (pages.length === 0) continue;
    for (const page of pages) claimed.add(page.hit.imageOffset);
    const pageCount = Math.max(highest, lastRun.firstPageNumber);
    const fragments = [...runs.slice(0, -1), { ...lastRun, pageCount: Math.max(1, Math.min(lastRun.pageCount, pageCount - lastRun.firstPageNumber + 1)) }];
    const first = fragments[0] as DatabaseFragment;
    const sizeInBytes = Math.min((fragments.length === 1 ? pageCount : first.firstPageNumber + first.pageCount - 1) * grid.pageSize, source.sizeInBytes - grid.base);
    const path = extendPath(imagePath, { kind: 'range', start: grid.base, length: sizeInBytes });
    const inGroup = new Set(pages.map((page) => page.pageNumber));
    const referencedInGroup = new Set<number>();
    for (const page of pages) for (const child of childrenOf.get(page.hit.imageOffset) ?? []) referencedInGroup.add(child);
    const rootPageNumbers = pages
      .filter((page) => (page.hit.pageType === PageType.tableInterior || page.hit.pageType === PageType.indexInterior) && !referencedInGroup.has(page.pageNumber))
      .map((page) => page.pageNumber)
      .filter((pageNumber) => inGroup.has(pageNumber));
    issues.push(...found.map((item) => ({ ...item, path })));
    databases.push({
      name: `${rootName}@${formatOffset(grid.base)}-headerless`,
      imageOffset: grid.base,
      pageSize: grid.pageSize,
      pageCount,
      sizeInBytes,
      path,
      fragments,
      pages,
      rootPageNumbers,
      linkedChildCount: grid.linked,
    });
  }
  return { databases, remaining: orphans.filter((hit) => !claimed.has(hit.imageOffset)), issues };
}

/** Image offset of page `pageNumber` of a header-less database, or undefined when no run holds it. */
export function headerlessPageOffset(database: HeaderlessDatabase, pageNumber: number): number | undefined {
  return fragmentPageOffset(database.fragments, database.pageSize, pageNumber);
}
