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
 * What this does not do: put a header-less database stored in fragments back together (pages on
 * two grids). A page whose grid disagrees with its parent's stays an orphan page, decoded alone.
 * (A fragmented database whose header survives is put together by fragments.ts.)
 */
import { formatOffset } from '../../bytes/offsets.js';
import { PageType } from '../../formats/sqlite/layout.js';
import { interiorChildPageNumbers } from '../../formats/sqlite/btree.js';
import type { SourcePath } from '../../provenance/path.js';
import { extendPath } from '../../provenance/path.js';
import type { BtreePageHit } from '../../scanning/hits.js';
import type { ByteSource } from '../../sources/byte-source.js';

/** Reassembly limits, with their unit and reason. */
export const reassemblyLimits = {
  /** Child pages that must land on one grid before a base is believed (one could be chance). */
  minimumLinkedChildren: 2,
  /** Pages past the highest referenced page still searched for grid members (freelist, overflow tails). */
  gridSlackInPages: 64,
  /** Child × orphan comparisons per interior page before the search gives up on it (quadratic guard). */
  maximumComparisonsPerInteriorPage: 4_000_000,
} as const;

export interface HeaderlessDatabase {
  /** `<image location>@<base>-headerless`: page 1 (the header) is lost. */
  readonly name: string;
  /** Where page 1 would start. */
  readonly imageOffset: number;
  readonly pageSize: number;
  /** Pages from 1 to the highest page known (referenced or found on the grid). */
  readonly pageCount: number;
  readonly sizeInBytes: number;
  /** `file:<image> > range@<imageOffset>+<sizeInBytes>`. */
  readonly path: SourcePath;
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

/**
 * Finds header-less databases among orphan pages. Returns them (strongest evidence first) and
 * the orphan pages none of them holds.
 */
export function reassembleOrphans(orphans: readonly BtreePageHit[], source: ByteSource, imagePath: SourcePath): { databases: HeaderlessDatabase[]; remaining: BtreePageHit[] } {
  const byOffset = new Map(orphans.map((hit) => [hit.imageOffset, hit]));
  const interiors = orphans.filter((hit) => hit.pageType === PageType.tableInterior || hit.pageType === PageType.indexInterior);
  // Candidate grids: (page size, base) → children that landed on them, and the interior pages voting.
  const grids = new Map<string, { pageSize: number; base: number; linked: number; referenced: Set<number>; interiors: Set<number> }>();
  const childrenOf = new Map<number, number[]>();
  for (const interior of interiors) {
    const pageSize = interior.pageSize;
    const children = (interiorChildPageNumbers(source.read(interior.imageOffset, pageSize), 0, pageSize) ?? []).filter((child) => child > 0);
    childrenOf.set(interior.imageOffset, children);
    if (children.length * orphans.length > reassemblyLimits.maximumComparisonsPerInteriorPage) continue;
    // Votes for the interior page's own page number n: a child c found at offset X means n = c − (X − offset) / size.
    const votes = new Map<number, number>();
    const table = isTableType(interior.pageType);
    for (const child of new Set(children)) {
      for (const candidate of orphans) {
        const distance = candidate.imageOffset - interior.imageOffset;
        if (distance === 0 || distance % pageSize !== 0 || candidate.pageSize > pageSize || isTableType(candidate.pageType) !== table) continue;
        const own = child - distance / pageSize;
        if (own >= 2) votes.set(own, (votes.get(own) ?? 0) + 1);
      }
    }
    let best: { own: number; count: number } | undefined;
    for (const [own, count] of votes) if (best === undefined || count > best.count || (count === best.count && own < best.own)) best = { own, count };
    if (best === undefined || best.count < reassemblyLimits.minimumLinkedChildren) continue;
    const base = interior.imageOffset - (best.own - 1) * pageSize;
    if (base < 0) continue;
    const key = `${pageSize}:${base}`;
    const grid = grids.get(key) ?? { pageSize, base, linked: 0, referenced: new Set<number>(), interiors: new Set<number>() };
    grid.linked += best.count;
    grid.interiors.add(interior.imageOffset);
    for (const child of children) grid.referenced.add(child);
    grids.set(key, grid);
  }
  const claimed = new Set<number>();
  const databases: HeaderlessDatabase[] = [];
  const rootName = ((): string => {
    let node = imagePath;
    while (node.parent !== null) node = node.parent;
    return node.layer.kind === 'file' ? node.layer.location : 'image';
  })();
  for (const grid of [...grids.values()].sort((a, b) => b.linked - a.linked || a.base - b.base)) {
    const highestReferenced = Math.max(...grid.referenced);
    const pages: { pageNumber: number; hit: BtreePageHit }[] = [];
    let highest = highestReferenced;
    for (let pageNumber = 2; pageNumber <= highest + reassemblyLimits.gridSlackInPages; pageNumber++) {
      const offset = grid.base + (pageNumber - 1) * grid.pageSize;
      if (offset >= source.sizeInBytes) break;
      const hit = byOffset.get(offset);
      if (hit === undefined || claimed.has(offset) || hit.pageSize > grid.pageSize) continue;
      pages.push({ pageNumber, hit });
      highest = Math.max(highest, pageNumber);
    }
    if (pages.length === 0) continue;
    for (const page of pages) claimed.add(page.hit.imageOffset);
    const pageCount = highest;
    const sizeInBytes = Math.min(pageCount * grid.pageSize, source.sizeInBytes - grid.base);
    const inGroup = new Set(pages.map((page) => page.pageNumber));
    const referencedInGroup = new Set<number>();
    for (const page of pages) for (const child of childrenOf.get(page.hit.imageOffset) ?? []) referencedInGroup.add(child);
    const rootPageNumbers = pages
      .filter((page) => (page.hit.pageType === PageType.tableInterior || page.hit.pageType === PageType.indexInterior) && !referencedInGroup.has(page.pageNumber))
      .map((page) => page.pageNumber)
      .filter((pageNumber) => inGroup.has(pageNumber));
    databases.push({
      name: `${rootName}@${formatOffset(grid.base)}-headerless`,
      imageOffset: grid.base,
      pageSize: grid.pageSize,
      pageCount,
      sizeInBytes,
      path: extendPath(imagePath, { kind: 'range', start: grid.base, length: sizeInBytes }),
      pages,
      rootPageNumbers,
      linkedChildCount: grid.linked,
    });
  }
  return { databases, remaining: orphans.filter((hit) => !claimed.has(hit.imageOffset)) };
}
