/**
 * Where the pages of a header-anchored database really are: one run from its header, or several
 * runs when the file system stored the file in fragments.
 *
 * A header says how many pages the database has, not where they are. Carving used to take pages
 * 1…N at header + (n − 1) × page size, so a fragmented file took whatever followed its first
 * fragment (another file, an older copy, zeros) as its own pages: foreign records attributed to
 * it, and its real later pages left as orphans. The b-tree links say where each page must be:
 * the schema names every root page, every interior page names its children, and each named page
 * must be a b-tree page of the same family (table or index) where the database's grid puts it.
 *
 * 1. Walk the links on the header's grid. Where a named page is not there (no b-tree page of its
 *    family at its place, or a place inside another database's own pages or inside a WAL or
 *    journal), the first such page number m marks where the run from the header ends.
 * 2. For the pages named from m on, every b-tree page of the right family anywhere in the image
 *    votes for the grid that would put the named page there (grid = its image offset −
 *    (n − 1) × page size, any 512-byte alignment: FAT clusters need not be page-aligned). The
 *    grid named by most pages (at least `minimumLinkedChildren`, more than the header's own grid
 *    explains, and no tie) holds the next run, which starts at m. Then again from that run, up to
 *    `maximumFragmentCount` runs.
 * 3. When no grid wins, the pages from m on are not where the header says and nowhere the links
 *    can find: the database is clipped at m − 1 pages, with an issue. Their place is not read as
 *    theirs, so nothing foreign is decoded as this database's records (the pages found there are
 *    orphans, decoded on their own).
 * A failure among pages that otherwise sit where the header says (a page overwritten in place)
 * does not cut the run: a cut needs the header's grid to explain fewer of the pages named from
 * m on than it fails.
 *
 * Overflow, freelist and pointer-map pages have no type byte, so they are located only as
 * members of a run. The pages between the last b-tree page of one run and the first page the
 * links place in the next go to the run under which the overflow chains through them hold
 * together (`chainBoundary`: every next-page number names a page of the database and the last is
 * 0), when exactly one split does best; otherwise they stay with the earlier run. The issue says
 * which. Limits: a run whose grid would start before the image (page 1 of the
 * grid at a negative offset) is not taken: provenance folds page numbers through a `range` layer
 * whose start cannot be negative. Databases without a header are put together by reassemble.ts
 * (pooled votes of their interior pages); `chainBoundary` places the pages between their runs too.
 */
import { formatOffset } from '../../bytes/offsets.js';
import { u32beUnchecked } from '../../bytes/read.js';
import { PageType } from '../../formats/sqlite/layout.js';
import { parseTableInteriorCell, parsePayloadCell } from '../../formats/sqlite/parse-cell.js';
import { parseBtreePage } from '../../formats/sqlite/parse-page.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import type { DatabaseHeader } from '../../formats/sqlite/parse-header.js';
import type { Issue } from '../../issues/issue.js';
import { issue } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { extendPath, renderPath } from '../../provenance/path.js';
import { readSchema } from '../../recovery/database.js';
import type { BtreePageHit } from '../../scanning/hits.js';
import type { ByteSource } from '../../sources/byte-source.js';

/** Fragment search limits, with their unit and reason. */
export const fragmentLimits = {
  /** Named pages that must land on one grid before it is believed to hold a run (one could be chance). */
  minimumLinkedChildren: 2,
  /** Runs per database (a file system rarely splits a file more; each run costs one vote). */
  maximumFragmentCount: 16,
  /** Named page × candidate page comparisons per vote (quadratic guard). */
  maximumComparisonsPerVote: 8_000_000,
  /** Named pages that vote, the lowest page numbers first (the next run starts at the lowest). */
  maximumVotingPages: 64,
  /** Overflow chains through the pages between two runs that decide where the later run starts. */
  maximumGapChains: 256,
  /** Start pages tried for the later run, counted back from the first page its links name. */
  maximumGapStarts: 256,
  /** Overflow page reads spent deciding where the later run starts (chains × starts × pages guard). */
  maximumGapChainReads: 1_000_000,
} as const;

/** One run of consecutive pages stored contiguously in the image. */
export interface DatabaseFragment {
  readonly firstPageNumber: number;
  readonly pageCount: number;
  /** Image offset of the run's first page. */
  readonly imageOffset: number;
}

export type Family = 'table' | 'index';

type KeyRange = PageLinks['keyRange'];

/** True when a page whose keys span `range` may be the page a link names (no keys: nothing to contradict). */
function keysFit(range: KeyRange, named: { readonly low: number; readonly high: number }): boolean {
  return range === undefined || (range.minimum > named.low && range.maximum <= named.high);
}

/** The key range of the b-tree page at an image offset, each page parsed once (votes compare many pages with many links). */
function keyRangeReader(source: ByteSource, path: SourcePath): (imageOffset: number, pageSize: number) => KeyRange {
  const known = new Map<number, KeyRange>();
  return (imageOffset, pageSize) => {
    if (known.has(imageOffset)) return known.get(imageOffset);
    const range = linksOf(source.read(imageOffset, pageSize), 0, pageSize, path)?.keyRange;
    known.set(imageOffset, range);
    return range;
  };
}

function familyOf(pageType: number): Family | undefined {
  if (pageType === PageType.tableInterior || pageType === PageType.tableLeaf) return 'table';
  if (pageType === PageType.indexInterior || pageType === PageType.indexLeaf) return 'index';
  return undefined;
}

/** Image offset of page `pageNumber` through the runs, or undefined when no run holds it. */
export function fragmentPageOffset(fragments: readonly DatabaseFragment[], pageSize: number, pageNumber: number): number | undefined {
  for (const fragment of fragments) {
    if (pageNumber >= fragment.firstPageNumber && pageNumber < fragment.firstPageNumber + fragment.pageCount) return fragment.imageOffset + (pageNumber - fragment.firstPageNumber) * pageSize;
  }
  return undefined;
}

/** A PageReader over runs of pages (page numbers mapped through the runs). */
export class FragmentPageReader implements PageReader {
  readonly pageSize: number;
  readonly pageCount: number;
  readonly #source: ByteSource;
  readonly #fragments: readonly DatabaseFragment[];

  constructor(source: ByteSource, pageSize: number, fragments: readonly DatabaseFragment[]) {
    this.#source = source;
    this.pageSize = pageSize;
    this.#fragments = fragments;
    this.pageCount = Math.max(0, ...fragments.map((fragment) => fragment.firstPageNumber + fragment.pageCount - 1));
  }

  readPage(pageNumber: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(pageNumber) || pageNumber < 1 || pageNumber > this.pageCount) return undefined;
    const offset = fragmentPageOffset(this.#fragments, this.pageSize, pageNumber);
    return offset === undefined ? undefined : this.#source.read(offset, this.pageSize);
  }
}

/** A page named by a link, with the rowid range its parent's keys allow (table trees: (low, high]). */
export interface NamedPage {
  readonly pageNumber: number;
  readonly family: Family;
  readonly low: number;
  readonly high: number;
}

export interface PageLinks {
  readonly family: Family;
  /** Children with the key range each may hold (table trees; index trees get the whole range). */
  readonly children: NamedPage[];
  /** Smallest and largest rowid or key on a table page (undefined on index pages and empty pages). */
  readonly keyRange: { readonly minimum: number; readonly maximum: number } | undefined;
}

/**
 * The links of a b-tree page whose header is at `headerOffset` (100 on page 1): its family, its
 * children with their key ranges, and its own key range. A table page's keys are what tells a
 * database's page from a page of the same family that sits there by chance (another file, or the
 * same database's page shifted by a fragment): a child must hold rowids its parent's keys allow.
 */
export function linksOf(page: Uint8Array, headerOffset: number, usableSize: number, path: SourcePath): PageLinks | undefined {
  const pageType = page[headerOffset];
  if (pageType === undefined) return undefined;
  const family = familyOf(pageType);
  if (family === undefined) return undefined;
  const parsed = parseBtreePage(page, 0, headerOffset, usableSize, path);
  if (parsed.kind !== 'parsed') return { family, children: [], keyRange: undefined };
  const children: NamedPage[] = [];
  let minimum = Number.POSITIVE_INFINITY;
  let maximum = Number.NEGATIVE_INFINITY;
  let low = Number.NEGATIVE_INFINITY;
  // A leaf's cell pointers are in key order: its first and last cells give its key range.
  const offsets = parsed.value.cellOffsetsInPage;
  const visited = pageType === PageType.tableLeaf && offsets.length > 2 ? [offsets[0] as number, offsets[offsets.length - 1] as number] : offsets;
  for (const offset of visited) {
    if (pageType === PageType.tableInterior) {
      const cell = parseTableInteriorCell(page, 0, offset, usableSize);
      if (cell === undefined) continue;
      if (cell.leftChildPageNumber > 0) children.push({ pageNumber: cell.leftChildPageNumber, family, low, high: cell.rowid });
      low = cell.rowid;
      minimum = Math.min(minimum, cell.rowid);
      maximum = Math.max(maximum, cell.rowid);
    } else if (pageType === PageType.tableLeaf) {
      const cell = parsePayloadCell(page, 0, offset, usableSize, 'table-leaf');
      if (!cell.ok || cell.cell.rowid === undefined) continue;
      minimum = Math.min(minimum, cell.cell.rowid);
      maximum = Math.max(maximum, cell.cell.rowid);
    } else if (pageType === PageType.indexInterior) {
      const cell = parsePayloadCell(page, 0, offset, usableSize, 'index-interior');
      if (cell.ok && cell.cell.leftChildPageNumber !== undefined && cell.cell.leftChildPageNumber > 0) children.push({ pageNumber: cell.cell.leftChildPageNumber, family, low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY });
    }
  }
  if (parsed.value.rightChildPageNumber > 0) children.push({ pageNumber: parsed.value.rightChildPageNumber, family, low: pageType === PageType.tableInterior ? low : Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY });
  return { family, children, keyRange: minimum <= maximum ? { minimum, maximum } : undefined };
}

interface LinkWalk {
  /** Pages found where the runs put them, with their family. */
  readonly accepted: Map<number, Family>;
  /** Named pages not found where the runs put them (or beyond every run). */
  readonly failed: Map<number, Family>;
  /** Every page named by an accepted page or the schema, with the page naming it (0: the schema). */
  readonly named: (NamedPage & { readonly namedBy: number })[];
}

export interface FragmentSearchInput {
  /** Where page 1 is (a database with its header), or where page 1 would be on the first run's grid (header-less). */
  readonly imageOffset: number;
  readonly pageSize: number;
  readonly usableSize: number;
  /** Absent when page 1 is lost (reassemble.ts places such a database's runs; `chainBoundary` serves both). */
  readonly header?: DatabaseHeader;
  /** Pages the header declares, or what the image can hold when there is no header (the search never maps more). */
  readonly declaredPageCount: number;
  readonly path: SourcePath;
  readonly name: string;
}

export interface FragmentSearchContext {
  readonly source: ByteSource;
  readonly btreeByOffset: ReadonlyMap<number, BtreePageHit>;
  /** B-tree pages by family (the voters). */
  readonly candidatesByFamily: ReadonlyMap<Family, readonly BtreePageHit[]>;
  /** True where a page of this database cannot be: inside a WAL or journal, or inside another database's own pages. */
  readonly isForeign: (imageOffset: number, pageSize: number) => boolean;
}

/** Groups b-tree hits by family, for `FragmentSearchContext.candidatesByFamily`. */
export function candidatesByFamily(hits: Iterable<BtreePageHit>): Map<Family, BtreePageHit[]> {
  const out = new Map<Family, BtreePageHit[]>([
    ['table', []],
    ['index', []],
  ]);
  for (const hit of hits) {
    const family = familyOf(hit.pageType);
    if (family !== undefined) out.get(family)?.push(hit);
  }
  return out;
}

function walkLinks(database: FragmentSearchInput, fragments: readonly DatabaseFragment[], roots: readonly NamedPage[], context: FragmentSearchContext): LinkWalk {
  const pageSize = database.pageSize;
  const usableSize = database.usableSize;
  const accepted = new Map<number, Family>();
  const failed = new Map<number, Family>();
  const named: LinkWalk['named'] = roots.map((root) => ({ ...root, namedBy: 0 }));
  const queue: NamedPage[] = [...roots];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const next = queue.pop() as NamedPage;
    if (seen.has(next.pageNumber) || seen.size >= database.declaredPageCount) continue;
    seen.add(next.pageNumber);
    if (next.pageNumber < 1 || next.pageNumber > database.declaredPageCount) continue; // a corrupt link: not a place
    const offset = fragmentPageOffset(fragments, pageSize, next.pageNumber);
    let page: Uint8Array | undefined;
    let headerOffset = 0;
    if (next.pageNumber === 1) {
      page = offset === undefined ? undefined : context.source.read(offset, pageSize);
      headerOffset = 100;
    } else if (offset !== undefined && !context.isForeign(offset, pageSize)) {
      const hit = context.btreeByOffset.get(offset);
      if (hit !== undefined && hit.pageSize <= pageSize && familyOf(hit.pageType) === next.family) page = context.source.read(offset, pageSize);
    }
    const links = page === undefined ? undefined : linksOf(page, headerOffset, usableSize, database.path);
    if (links === undefined || links.family !== next.family || !keysFit(links.keyRange, next)) {
      failed.set(next.pageNumber, next.family);
      continue;
    }
    accepted.set(next.pageNumber, next.family);
    for (const child of links.children) {
      named.push({ ...child, namedBy: next.pageNumber });
      queue.push(child);
    }
  }
  return { accepted, failed, named };
}

/**
 * The runs of one header-anchored database (module comment), with issues for a clipped or
 * fragmented extent. One run from the header when the links find nothing wrong.
 */
export function locateFragments(database: FragmentSearchInput & { readonly header: DatabaseHeader }, context: FragmentSearchContext): { fragments: DatabaseFragment[]; issues: Issue[] } {
  const pageSize = database.pageSize;
  const available = Math.max(1, Math.ceil((context.source.sizeInBytes - database.imageOffset) / pageSize));
  const whole: DatabaseFragment = { firstPageNumber: 1, pageCount: Math.min(database.declaredPageCount, available), imageOffset: database.imageOffset };
  if (database.declaredPageCount < 2) return { fragments: [whole], issues: [] };
  // Roots: page 1 (sqlite_schema) and every root page the schema names, read on the header's grid.
  const reader = new FragmentPageReader(context.source, pageSize, [whole]);
  const schema = readSchema(reader, database.header, database.path, database.name);
  const roots: NamedPage[] = [{ pageNumber: 1, family: 'table', ...anyKey }];
  for (const entry of schema.entries) {
    if (entry.rootPageNumber > 1 && (entry.type === 'table' || entry.type === 'index')) roots.push({ pageNumber: entry.rootPageNumber, family: entry.type, ...anyKey });
  }
  return searchRuns(database, whole, roots, context);
}

const anyKey = { low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY } as const;

/** From a first run, the runs the links find (module comment, steps 1–3). */
function searchRuns(database: FragmentSearchInput & { readonly header: DatabaseHeader }, firstRun: DatabaseFragment, roots: readonly NamedPage[], context: FragmentSearchContext): { fragments: DatabaseFragment[]; issues: Issue[] } {
  const pageSize = database.pageSize;
  const anchor = `Database at ${formatOffset(database.imageOffset)}`;
  const fragments: DatabaseFragment[] = [{ ...firstRun }];
  const issues: Issue[] = [];
  const keyRangeAt = keyRangeReader(context.source, database.path);
  for (let round = 0; round < fragmentLimits.maximumFragmentCount; round++) {
    const last = fragments[fragments.length - 1] as DatabaseFragment;
    const walk = walkLinks(database, fragments, roots, context);
    // A page the image end cuts short is truncated (carriers.ts says so), not missing.
    const wholeInImage = (pageNumber: number): boolean => {
      const offset = fragmentPageOffset(fragments, pageSize, pageNumber);
      return offset === undefined || offset + pageSize <= context.source.sizeInBytes;
    };
    const failedHere = [...walk.failed.keys()].filter((pageNumber) => pageNumber >= last.firstPageNumber && wholeInImage(pageNumber));
    if (failedHere.length === 0) break;
    const cut = Math.min(...failedHere);
    // Pages named from the cut on, by pages before it (or by the schema): the evidence for where the rest is.
    const beyond = new Map<number, NamedPage>();
    for (const item of walk.named) if (item.pageNumber >= cut && item.pageNumber <= database.declaredPageCount && item.namedBy < cut && !beyond.has(item.pageNumber)) beyond.set(item.pageNumber, item);
    const explainedHere = [...beyond.keys()].filter((pageNumber) => walk.accepted.has(pageNumber)).length;
    const failedBeyond = beyond.size - explainedHere;
    if (explainedHere >= failedBeyond) {
      // The header's grid explains the pages after the cut as well as it fails them: a damaged page, not the end of the run.
      issues.push(
        issue('carve.database.page-missing', 'warning', database.path, 0, `${anchor}: page ${cut} is not a b-tree page where its page number puts it (${formatOffset(fragmentPageOffset(fragments, pageSize, cut) ?? 0)}), while later pages are: kept in place`, {
          pageNumber: cut,
        }),
      );
      break;
    }
    const currentBase = last.imageOffset - (last.firstPageNumber - 1) * pageSize;
    let vote = voteForGrid(beyond, cut, pageSize, fragments, context, keyRangeAt);
    if (vote !== undefined && vote.reason === undefined) {
      if (vote.base === currentBase) vote = undefined;
      else if (vote.base < 0) vote = { base: -1, votes: 0, reason: `${vote.votes} of them lie where page 1 would sit before the image start` };
    }
    const lastEnd = cut - 1;
    if (vote === undefined || vote.reason !== undefined) {
      // Only pages past the image end are missing: the carrier already says it is truncated.
      if (lastEnd >= last.firstPageNumber + last.pageCount - 1) break;
      fragments[fragments.length - 1] = { ...last, pageCount: Math.max(1, lastEnd - last.firstPageNumber + 1) };
      issues.push(
        issue(
          'carve.database.clipped',
          'warning',
          database.path,
          0,
          `${anchor}: header declares ${database.declaredPageCount} pages of ${pageSize} bytes, but ${failedBeyond} of the ${beyond.size} pages its b-tree links name from page ${cut} on are not where the header puts them, and no other place in the image holds them${vote?.reason === undefined ? '' : ` (${vote.reason})`}: pages ${cut}–${database.declaredPageCount} are missing (a fragmented or overwritten file); the bytes after page ${lastEnd} are not read as this database's`,
          { declaredPageCount: database.declaredPageCount, firstMissingPageNumber: cut },
        ),
      );
      break;
    }
    const lastAccepted = Math.max(0, ...[...walk.accepted.keys()].filter((pageNumber) => pageNumber < cut));
    // Pages between the last b-tree page of this run and the cut have no type byte: overflow
    // chains that pass through them say which run holds them.
    const boundary = lastAccepted + 1 < cut ? chainBoundary(database, fragments, walk.accepted.keys(), lastAccepted, cut, currentBase, vote.base, context.source) : { start: cut, chains: 0 };
    const start = Math.max(last.firstPageNumber + 1, boundary.start);
    const pageCountLeft = database.declaredPageCount - start + 1;
    const runImageOffset = vote.base + (start - 1) * pageSize;
    const runPageCount = Math.max(1, Math.min(pageCountLeft, Math.ceil((context.source.sizeInBytes - runImageOffset) / pageSize)));
    fragments[fragments.length - 1] = { ...last, pageCount: Math.max(1, start - last.firstPageNumber) };
    fragments.push({ firstPageNumber: start, pageCount: runPageCount, imageOffset: runImageOffset });
    const note = gapNote(start, cut, lastAccepted, boundary.chains);
    issues.push(
      issue(
        'carve.database.fragment',
        'info',
        database.path,
        0,
        `${anchor}: pages from ${start} on are not after page ${start - 1} but at ${formatOffset(runImageOffset)} (${vote.votes} of the ${Math.min(beyond.size, fragmentLimits.maximumVotingPages)} lowest pages its b-tree links name from page ${cut} on are there; of all ${beyond.size}, ${explainedHere} are where ${fragments.length === 2 ? "the header's grid" : `run ${fragments.length - 1}'s grid`} puts them): the file is fragmented; read as run ${fragments.length}${note}`,
        { firstPageNumber: start, imageOffset: runImageOffset, votes: vote.votes },
      ),
    );
  }
  return { fragments, issues };
}

/** What an issue says of the pages between two runs that no link names (`chainBoundary` placed them). */
export function gapNote(start: number, cut: number, lastAccepted: number, chains: number): string {
  if (start < cut) return `; pages ${start}–${cut - 1}, named by no b-tree link, are taken from this run too: ${chains} overflow chain(s) through them continue only there`;
  if (lastAccepted + 1 < cut) return `; pages ${lastAccepted + 1}–${cut - 1} are named by no b-tree link and are taken from the earlier run${chains > 0 ? ` (${chains} overflow chain(s) through them continue there)` : ''}`;
  return '';
}

/** An overflow chain named by a cell of an accepted page: its first page and how many pages it has. */
interface OverflowChain {
  readonly firstPageNumber: number;
  readonly pageCount: number;
}

/** Overflow chains started by the cells of the accepted pages before `cut` (bounded by their cells). */
function overflowChainsBefore(database: FragmentSearchInput, fragments: readonly DatabaseFragment[], accepted: Iterable<number>, cut: number, source: ByteSource): OverflowChain[] {
  const pageSize = database.pageSize;
  const usableSize = database.usableSize;
  const chains: OverflowChain[] = [];
  for (const pageNumber of [...accepted].filter((page) => page < cut).sort((a, b) => a - b)) {
    const offset = fragmentPageOffset(fragments, pageSize, pageNumber);
    if (offset === undefined) continue;
    const page = source.read(offset, pageSize);
    const headerOffset = pageNumber === 1 ? 100 : 0;
    const type = page[headerOffset];
    const kind = type === PageType.tableLeaf ? 'table-leaf' : type === PageType.indexLeaf ? 'index-leaf' : type === PageType.indexInterior ? 'index-interior' : undefined;
    if (kind === undefined) continue;
    const parsed = parseBtreePage(page, 0, headerOffset, usableSize, database.path);
    if (parsed.kind !== 'parsed') continue;
    for (const cellOffset of parsed.value.cellOffsetsInPage) {
      const cell = parsePayloadCell(page, 0, cellOffset, usableSize, kind);
      if (!cell.ok || cell.cell.firstOverflowPageNumber === 0) continue;
      chains.push({ firstPageNumber: cell.cell.firstOverflowPageNumber, pageCount: Math.ceil((cell.cell.payloadSize - cell.cell.localPayloadSize) / (usableSize - 4)) });
    }
  }
  return chains;
}

/**
 * Where the next run starts, between the page after the last b-tree page of the current run
 * (`lastAccepted + 1`) and the first named page that failed (`cut`): the start under which the
 * most overflow chains through those pages hold together (every page's next-page number names a
 * page of the database, the last one's is 0), when exactly one start does best and it beats
 * `cut`; otherwise `cut` (the gap stays with the earlier run). `chains`: the chains through the gap
 * that hold together at the chosen start.
 */
export function chainBoundary(
  database: FragmentSearchInput,
  fragments: readonly DatabaseFragment[],
  accepted: Iterable<number>,
  lastAccepted: number,
  cut: number,
  currentBase: number,
  nextBase: number,
  source: ByteSource,
): { start: number; chains: number } {
  const pageSize = database.pageSize;
  const declared = database.declaredPageCount;
  const placeOf = (pageNumber: number, start: number): number => (pageNumber < start ? currentBase : nextBase) + (pageNumber - 1) * pageSize;
  // Every page read counts against one budget (hostile chains, many starts): spent, the gap stays with the earlier run.
  let readsLeft = fragmentLimits.maximumGapChainReads;
  /** The pages of the chain visited under `start`, and whether it holds together there. */
  const walkChain = (chain: OverflowChain, start: number): { pages: number[]; holds: boolean } => {
    const pages: number[] = [];
    const seen = new Set<number>();
    let pageNumber = chain.firstPageNumber;
    for (let index = 0; index < chain.pageCount; index++) {
      if (--readsLeft < 0) return { pages, holds: false };
      if (pageNumber < 2 || pageNumber > declared || seen.has(pageNumber)) break;
      const offset = placeOf(pageNumber, start);
      if (offset < 0 || offset + pageSize > source.sizeInBytes) break;
      seen.add(pageNumber);
      pages.push(pageNumber);
      const next = u32beUnchecked(source.read(offset, 4), 0);
      if (index === chain.pageCount - 1) return { pages, holds: next === 0 };
      pageNumber = next;
    }
    return { pages, holds: false };
  };
  const inGap = (pageNumber: number): boolean => pageNumber > lastAccepted && pageNumber < cut;
  // Chains that reach the gap (the page numbers they visit before it are read in the same place
  // whatever the start, so the two extreme starts tell), and the starts that split their pages.
  const relevant: OverflowChain[] = [];
  const starts = new Set<number>();
  for (const chain of overflowChainsBefore(database, fragments, accepted, cut, source)) {
    if (relevant.length >= fragmentLimits.maximumGapChains) break;
    if (chain.pageCount > declared) continue;
    const gapPages = [cut, lastAccepted + 1].flatMap((start) => walkChain(chain, start).pages.filter(inGap));
    if (gapPages.length === 0) continue;
    relevant.push(chain);
    for (const pageNumber of gapPages) for (const start of [pageNumber, pageNumber + 1]) if (start > lastAccepted && start < cut) starts.add(start);
  }
  if (relevant.length === 0) return { start: cut, chains: 0 };
  const scoreOf = (start: number): number =>
    relevant.filter((chain) => {
      const walked = walkChain(chain, start);
      return walked.holds && walked.pages.some(inGap);
    }).length;
  let best = { start: cut, chains: scoreOf(cut) };
  const atCut = best.chains;
  let tie = false;
  for (const start of [...starts].sort((a, b) => b - a).slice(0, fragmentLimits.maximumGapStarts)) {
    const chains = scoreOf(start);
    if (chains > best.chains) {
      best = { start, chains };
      tie = false;
    } else if (chains === best.chains && chains > atCut) tie = true;
  }
  return tie || readsLeft < 0 || best.chains <= atCut ? { start: cut, chains: atCut } : best;
}

/**
 * The grid most of `beyond` (pages named from `cut` on) land on, counting each named page once per
 * grid: a page of the named family whose keys fit the link (table trees) votes for the grid that
 * would put the named page there. Undefined (with why) when no grid has enough votes or two tie.
 */
function voteForGrid(
  beyond: ReadonlyMap<number, NamedPage>,
  cut: number,
  pageSize: number,
  fragments: readonly DatabaseFragment[],
  context: FragmentSearchContext,
  keyRangeAt: (imageOffset: number, pageSize: number) => KeyRange,
): { base: number; votes: number; reason?: undefined } | { base: -1; votes: 0; reason: string } | undefined {
  const votes = new Map<number, number>();
  const candidateCount = Math.max(1, ...[...new Set([...beyond.values()].map((named) => named.family))].map((family) => context.candidatesByFamily.get(family)?.length ?? 0));
  const votingPageCount = Math.min(fragmentLimits.maximumVotingPages, Math.floor(fragmentLimits.maximumComparisonsPerVote / candidateCount));
  if (votingPageCount < fragmentLimits.minimumLinkedChildren) return { base: -1, votes: 0, reason: `${candidateCount} candidate pages are too many to compare` };
  const voting = [...beyond].sort((a, b) => a[0] - b[0]).slice(0, votingPageCount);
  const taken = (offset: number): boolean => fragments.some((fragment) => offset >= fragment.imageOffset && offset < fragment.imageOffset + Math.min(fragment.pageCount, cut - fragment.firstPageNumber) * pageSize);
  for (const [pageNumber, named] of voting) {
    const candidates = context.candidatesByFamily.get(named.family) ?? [];
    for (const candidate of candidates) {
      if (candidate.pageSize > pageSize || context.isForeign(candidate.imageOffset, pageSize) || taken(candidate.imageOffset)) continue;
      if (!keysFit(keyRangeAt(candidate.imageOffset, pageSize), named)) continue;
      const base = candidate.imageOffset - (pageNumber - 1) * pageSize;
      votes.set(base, (votes.get(base) ?? 0) + 1);
    }
  }
  let best: { base: number; votes: number } | undefined;
  let tie = false;
  for (const [base, count] of votes) {
    if (best === undefined || count > best.votes) {
      best = { base, votes: count };
      tie = false;
    } else if (count === best.votes) tie = true;
  }
  if (best === undefined || best.votes < fragmentLimits.minimumLinkedChildren) return undefined;
  if (tie) return { base: -1, votes: 0, reason: `two places hold ${best.votes} of them each` };
  return best;
}

/**
 * A record of a fragmented database decoded through its first run's `range` layer, moved to the
 * run that holds its page: the `range` above its `sqlite-page` layer becomes the run's own grid
 * (`range@<where page 1 would be on that grid>+…`), so `toImageOffset` folds its page number to
 * where the page really is, and its image offset moves by the same amount. Records of the first
 * run, and records whose chain names no page of this database, come back unchanged.
 */
export function relocateToFragment<T extends { readonly path: SourcePath; readonly imageOffset: number | undefined }>(
  record: T,
  database: { readonly path: SourcePath; readonly pageSize: number; readonly imageOffset: number; readonly fragments: readonly DatabaseFragment[] },
): T {
  if (database.fragments.length < 2) return record;
  const layers: SourcePath['layer'][] = [];
  const databaseRange = renderPath(database.path);
  const isDatabaseRange = (candidate: SourcePath): boolean => candidate === database.path || (candidate.layer.kind === 'range' && renderPath(candidate) === databaseRange);
  let node: SourcePath | null = record.path;
  while (node !== null && !isDatabaseRange(node)) {
    layers.push(node.layer);
    node = node.parent;
  }
  const pageLayer = layers[layers.length - 1];
  if (node === null || pageLayer === undefined || pageLayer.kind !== 'sqlite-page') return record;
  const fragment = database.fragments.find((run) => pageLayer.pageNumber >= run.firstPageNumber && pageLayer.pageNumber < run.firstPageNumber + run.pageCount);
  if (fragment === undefined || fragment === database.fragments[0]) return record;
  const base = fragment.imageOffset - (fragment.firstPageNumber - 1) * database.pageSize;
  const image = database.path.parent;
  if (image === null || base < 0) return record;
  let path = extendPath(image, { kind: 'range', start: base, length: (fragment.firstPageNumber + fragment.pageCount - 1) * database.pageSize });
  for (let index = layers.length - 1; index >= 0; index--) path = extendPath(path, layers[index] as SourcePath['layer']);
  const shift = base - database.imageOffset;
  return { ...record, path, imageOffset: record.imageOffset === undefined ? undefined : record.imageOffset + shift };
}
