/**
 * The page-by-page part of freed-space recovery as plain-data jobs (recover-database.ts
 * `recoverSteps` hands them out, `recoverFromReader` runs them). A job names pages of one database
 * and what to do with them:
 * - `live-digests`: digests of every live cell (classification) and the live overflow chains
 *   (page roles), plus the fewest fields any live record has (ALTER TABLE ADD COLUMN);
 * - `carve-pages`: freed cells of live b-tree pages (freeblocks, gap, unreached space) for one
 *   table's signature;
 * - `carve-freelist`: freelist trunk and leaf pages, every candidate signature competing.
 * Pure over a PageReader: results are plain data (typed arrays, records, issues), so the jobs can
 * cross a worker boundary. They ran in the pool once and it did not pay on 2 cores (records cost as
 * much to move as to carve: see src/pipeline/scan-freed.ts); the seam stays for machines where it
 * may. Classification against the live rows stays with the caller, which sees every table's live
 * digests.
 */
import type { Issue } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { headerOffsetOf, pagePath } from '../../formats/sqlite/btree.js';
import type { TextEncoding } from '../../formats/sqlite/layout.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import type { BtreePage } from '../../formats/sqlite/parse-page.js';
import { parseBtreePage } from '../../formats/sqlite/parse-page.js';
import type { PageWork } from '../live-records.js';
import type { FreedCarveContext, FreedRecord } from './build-record.js';
import { carveFreedCells } from './carve-page.js';
import type { FreelistPageCarve, FreelistRole } from './freelist-pages.js';
import { carveFreelistPage } from './freelist-pages.js';
import type { PageRoles } from './overflow.js';
import { liveDigestsOfPage } from './record-digest.js';
import type { RecordSignature } from './signature.js';

/** What every job needs to know of its database (plain data). */
export interface FreedJobDatabase {
  readonly databaseName: string;
  readonly databasePath: SourcePath;
  readonly usableSize: number;
  readonly encoding: TextEncoding;
  /** Current role of every page (shared memory); undefined while still being learned. */
  readonly pageRoles: PageRoles | undefined;
}

export interface LiveDigestJob {
  readonly kind: 'live-digests';
  readonly database: FreedJobDatabase;
  readonly pages: readonly PageWork[];
  /** Field sets digested besides the whole record (recovery/freed/signature.ts `digestFieldSets`). */
  readonly fieldSets: readonly (readonly number[])[];
}

export interface CarvePagesJob {
  readonly kind: 'carve-pages';
  readonly database: FreedJobDatabase;
  readonly pageNumbers: readonly number[];
  readonly signature: RecordSignature;
}

export interface FreelistPageWork {
  readonly pageNumber: number;
  readonly role: FreelistRole;
  /** Table a dropped-table root link gives the page to, if any. */
  readonly attributedTo: string | undefined;
}

export interface CarveFreelistJob {
  readonly kind: 'carve-freelist';
  readonly database: FreedJobDatabase;
  readonly pages: readonly FreelistPageWork[];
  readonly candidates: readonly RecordSignature[];
}

export type FreedJob = LiveDigestJob | CarvePagesJob | CarveFreelistJob;

/** Overflow chain of a live cell: its first page, every page, and the local payload's fingerprint. */
export interface LiveChain {
  readonly firstPageNumber: number;
  readonly pageNumbers: readonly number[];
  readonly localFingerprint: number;
}

export interface LiveDigestResult {
  readonly kind: 'live-digests';
  readonly count: number;
  /** Per live record: rowid (NaN for WITHOUT ROWID), full digest, and `setCount` set digests. */
  readonly rowids: Float64Array;
  readonly full: Float64Array;
  readonly sets: Float64Array;
  readonly setCount: number;
  /** Fewest fields seen in a live record; MAX_SAFE_INTEGER when none. */
  readonly minimumFieldCount: number;
  readonly chains: readonly LiveChain[];
}

export interface CarvePagesResult {
  readonly kind: 'carve-pages';
  readonly records: FreedRecord[];
  readonly issues: Issue[];
}

export interface CarveFreelistResult {
  readonly kind: 'carve-freelist';
  /** One entry per job page, in order; undefined for a page that could not be read. */
  readonly pages: readonly (FreelistPageCarve | undefined)[];
}

export type FreedJobResult = LiveDigestResult | CarvePagesResult | CarveFreelistResult;

/** Pages read ahead per run (one read call for each run of consecutive page numbers). */
const prefetchPageCount = 256;

/** A reader that can hold a batch of pages read ahead with few read calls. */
export interface PrefetchingReader extends PageReader {
  /** Reads these pages ahead (runs of consecutive numbers in one read each), replacing the previous batch. */
  prefetch(pageNumbers: readonly number[]): void;
}

/** Wraps a reader so that batches of pages are read with few calls; falls back to page reads. */
export function prefetching(reader: PageReader): PrefetchingReader {
  if ('prefetch' in reader) return reader as PrefetchingReader;
  let batch = new Map<number, Uint8Array>();
  const readRun = (reader as { readPages?: (first: number, count: number) => Uint8Array }).readPages?.bind(reader);
  return {
    pageSize: reader.pageSize,
    pageCount: reader.pageCount,
    readPage: (pageNumber: number): Uint8Array | undefined => batch.get(pageNumber) ?? reader.readPage(pageNumber),
    prefetch(pageNumbers: readonly number[]): void {
      batch = new Map();
      if (readRun === undefined) return;
      const sorted = [...new Set(pageNumbers)].filter((pageNumber) => pageNumber >= 1 && pageNumber <= reader.pageCount).sort((a, b) => a - b);
      for (let at = 0; at < sorted.length; ) {
        let stop = at + 1;
        while (stop < sorted.length && sorted[stop] === (sorted[stop - 1] as number) + 1) stop++;
        const first = sorted[at] as number;
        const bytes = readRun(first, stop - at);
        for (let index = 0; index < stop - at; index++) {
          const page = bytes.subarray(index * reader.pageSize, (index + 1) * reader.pageSize);
          if (page.length > 0) batch.set(first + index, page);
        }
        at = stop;
      }
    },
  };
}

/** Calls `visit` for every page number, prefetching them in batches. */
export function forEachPrefetched(reader: PrefetchingReader, pageNumbers: readonly number[], visit: (pageNumber: number, index: number) => void): void {
  for (let start = 0; start < pageNumbers.length; start += prefetchPageCount) {
    const chunk = pageNumbers.slice(start, start + prefetchPageCount);
    reader.prefetch(chunk);
    chunk.forEach((pageNumber, offset) => visit(pageNumber, start + offset));
  }
  reader.prefetch([]);
}

export function parsedPage(reader: PageReader, pageNumber: number, usableSize: number, path: SourcePath): { page: Uint8Array; btreePage: BtreePage } | undefined {
  const page = reader.readPage(pageNumber);
  if (page === undefined) return undefined;
  const parsed = parseBtreePage(page, 0, headerOffsetOf(pageNumber), usableSize, path);
  return parsed.kind === 'parsed' ? { page, btreePage: parsed.value } : undefined;
}

function carveContext(database: FreedJobDatabase, reader: PageReader): FreedCarveContext {
  return { databaseName: database.databaseName, usableSize: database.usableSize, encoding: database.encoding, reader, pageRoles: database.pageRoles };
}

function liveDigests(reader: PrefetchingReader, job: LiveDigestJob): LiveDigestResult {
  const { usableSize, databasePath } = job.database;
  const setCount = job.fieldSets.length;
  let rowids = new Float64Array(256);
  let full = new Float64Array(256);
  let sets = new Float64Array(256 * setCount);
  let count = 0;
  let minimumFieldCount = Number.MAX_SAFE_INTEGER;
  const chains: LiveChain[] = [];
  const works = new Map(job.pages.map((work) => [work.pageNumber, work]));
  forEachPrefetched(reader, [...works.keys()], (pageNumber) => {
    const work = works.get(pageNumber) as PageWork;
    const loaded = parsedPage(reader, pageNumber, usableSize, pagePath(databasePath, pageNumber, reader.pageSize));
    if (loaded === undefined) return;
    const digests = liveDigestsOfPage(reader, loaded.page, loaded.btreePage, usableSize, job.fieldSets, work.interiorCellOffsets);
    const needed = count + digests.digests.length;
    if (needed > rowids.length) {
      const size = Math.max(needed, rowids.length * 2);
      rowids = grown(rowids, size);
      full = grown(full, size);
      sets = grown(sets, size * setCount);
    }
    digests.digests.forEach((digest, at) => {
      rowids[count] = digests.rowids[at] as number;
      full[count] = digest.full;
      for (let set = 0; set < setCount; set++) sets[count * setCount + set] = digest.sets[set] ?? Number.NaN;
      count++;
    });
    minimumFieldCount = Math.min(minimumFieldCount, digests.minimumFieldCount);
    for (const chain of digests.overflowChains) chains.push(chain);
  });
  return { kind: 'live-digests', count, rowids: rowids.slice(0, count), full: full.slice(0, count), sets: sets.slice(0, count * setCount), setCount, minimumFieldCount, chains };
}

function grown(array: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(size);
  next.set(array);
  return next;
}

function carvePages(reader: PrefetchingReader, job: CarvePagesJob): CarvePagesResult {
  const { usableSize, databasePath } = job.database;
  const context = carveContext(job.database, reader);
  const records: FreedRecord[] = [];
  const issues: Issue[] = [];
  forEachPrefetched(reader, job.pageNumbers, (pageNumber) => {
    const path = pagePath(databasePath, pageNumber, reader.pageSize);
    const loaded = parsedPage(reader, pageNumber, usableSize, path);
    if (loaded === undefined) return;
    const result = carveFreedCells(loaded.page, pageNumber, path, loaded.btreePage, job.signature, context);
    for (const record of result.records) records.push(record);
    for (const problem of result.issues) issues.push(problem);
  });
  return { kind: 'carve-pages', records, issues };
}

function carveFreelist(reader: PrefetchingReader, job: CarveFreelistJob): CarveFreelistResult {
  const context = carveContext(job.database, reader);
  const pages: (FreelistPageCarve | undefined)[] = [];
  forEachPrefetched(
    reader,
    job.pages.map((work) => work.pageNumber),
    (pageNumber, index) => {
      const work = job.pages[index] as FreelistPageWork;
      const page = reader.readPage(pageNumber);
      if (page === undefined || page.length < 8) {
        pages.push(undefined);
        return;
      }
      const path = pagePath(job.database.databasePath, pageNumber, reader.pageSize);
      pages.push(carveFreelistPage(page, pageNumber, path, work.role, job.candidates, context, work.attributedTo));
    },
  );
  return { kind: 'carve-freelist', pages };
}

/** Runs one job over `reader` (the caller's on this thread, the worker's own over the evidence file). */
export function runFreedJob(pageReader: PageReader, job: FreedJob): FreedJobResult {
  const reader = prefetching(pageReader);
  switch (job.kind) {
    case 'live-digests':
      return liveDigests(reader, job);
    case 'carve-pages':
      return carvePages(reader, job);
    case 'carve-freelist':
      return carveFreelist(reader, job);
  }
}
