/**
 * Hits → carriers: the byte ranges of an image that hold one SQLite structure each.
 *
 * - Databases are anchored on their header: page size and page count from the header at any
 *   512-byte boundary; when the in-header size cannot be used (never written), the extent follows
 *   the b-tree pages found on the database's page grid. An extent past the image end is clipped
 *   and flagged `truncated`.
 * - WALs are anchored on their header and follow frames at 24 + page size strides while a frame
 *   is there: a frame the scan linked by salt and checksum, or a frame header with a page number
 *   and the salts of the header or of the frame before (stale generations), or zero salts (frames
 *   appended before a commit, sqlite.md §2.5). Frames the scan linked that no WAL header reaches
 *   form headerless WAL fragments.
 * - Journals are anchored on their header (record count, or the run of linked records); linked
 *   records no header reaches form journal fragments (a PERSIST journal's zeroed header leaves
 *   exactly that).
 * - B-tree pages inside none of these are orphan pages; freelist-trunk candidates outside every
 *   database are kept as candidates.
 *
 * Every carrier keeps its absolute image offset, and its provenance is `file:<image> >
 * range@<start>+<length>`, which `toImageOffset` folds back. Nothing found is dropped: a carrier
 * that is implausible is still reported, with an issue.
 */
import { formatOffset } from '../../bytes/offsets.js';
import { u32beUnchecked } from '../../bytes/read.js';
import type { DatabaseHeader } from '../../formats/sqlite/parse-header.js';
import { parseDatabaseHeader } from '../../formats/sqlite/parse-header.js';
import type { Issue } from '../../issues/issue.js';
import { issue } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { extendPath, filePath } from '../../provenance/path.js';
import type { BtreePageHit, FreelistTrunkHit, Hit, JournalHeaderHit, JournalRecordHit, SqliteHeaderHit, WalFrameHit, WalHeaderHit } from '../../scanning/hits.js';
import type { ByteSource } from '../../sources/byte-source.js';
import type { DatabaseFragment, FragmentSearchContext } from './fragments.js';
import { candidatesByFamily, locateFragments } from './fragments.js';
import type { HeaderlessDatabase } from './reassemble.js';
import { reassembleOrphans } from './reassemble.js';

/** Carving heuristics, with their unit and reason. */
export const carveLimits = {
  /**
   * Pages on a database's grid without a b-tree page (overflow, freelist leaves, pointer maps)
   * tolerated before a header-less extent is called ended.
   */
  maximumGridGapInPages: 64,
  /** Frames without a scan link followed after a WAL's last linked frame (zero-salt tails). */
  maximumUnlinkedWalFrames: 4096,
} as const;

export interface CarvedDatabase {
  /** `<image location>@<image offset>`: the name records carry as their database. */
  readonly name: string;
  readonly imageOffset: number;
  readonly pageSize: number;
  /** Pages present in the image (clipped at its end; with fragments, the pages the runs hold). */
  readonly pageCount: number;
  /** Pages the header declares (undefined when it does not say). */
  readonly declaredPageCount: number | undefined;
  /** How the extent was decided. */
  readonly extentFrom: 'trusted-header-size' | 'header-size' | 'page-grid';
  /** Bytes of the first run (the whole database when it is stored in one piece). */
  readonly sizeInBytes: number;
  /** The declared extent runs past the image end. */
  readonly truncated: boolean;
  readonly header: DatabaseHeader;
  /** `file:<image> > range@<imageOffset>+<sizeInBytes>`. */
  readonly path: SourcePath;
  /**
   * Where its pages are (fragments.ts): one run from the header, or several when the b-tree links
   * found the file fragmented; the pages of a declared extent the links showed not to be its
   * pages are in no run.
   */
  readonly fragments: readonly DatabaseFragment[];
}

export interface CarvedWal {
  readonly imageOffset: number;
  readonly sizeInBytes: number;
  readonly pageSize: number;
  /** Complete frames after the header. */
  readonly frameCount: number;
  readonly salt1: number;
  readonly salt2: number;
  readonly checkpointSequence: number;
  readonly checksumValid: boolean;
  readonly path: SourcePath;
}

export interface WalFragment {
  /** Image offset of the first frame's header. */
  readonly imageOffset: number;
  readonly sizeInBytes: number;
  readonly pageSize: number;
  readonly frames: readonly WalFrameHit[];
  readonly bigEndianChecksumWords: boolean;
  readonly path: SourcePath;
}

export interface CarvedJournal {
  readonly imageOffset: number;
  readonly sizeInBytes: number;
  /** From the header, or undefined when the header does not give it (0). */
  readonly pageSize: number | undefined;
  readonly sectorSize: number;
  readonly nonce: number;
  readonly recordCountField: number;
  /** Linked page records inside the extent. */
  readonly recordCount: number;
  readonly path: SourcePath;
}

export interface JournalFragment {
  /** Image offset of the first record. */
  readonly imageOffset: number;
  readonly sizeInBytes: number;
  readonly pageSize: number;
  readonly nonce: number;
  readonly records: readonly JournalRecordHit[];
  /**
   * Where the journal probably starts: the first record minus a sector size, when that position
   * holds a zeroed header (PERSIST mode). `parseJournal` at this offset with the page size reads it.
   */
  readonly zeroedHeaderImageOffset: number | undefined;
  readonly path: SourcePath;
}

export interface CarrierSet {
  readonly databases: readonly CarvedDatabase[];
  readonly wals: readonly CarvedWal[];
  readonly walFragments: readonly WalFragment[];
  readonly journals: readonly CarvedJournal[];
  readonly journalFragments: readonly JournalFragment[];
  /** Orphan pages put back on one grid by b-tree links: databases whose header is lost (reassemble.ts). */
  readonly headerlessDatabases: readonly HeaderlessDatabase[];
  /** B-tree pages no carrier holds, by image offset. */
  readonly orphanPages: readonly BtreePageHit[];
  /** Freelist-trunk candidates outside every database. */
  readonly freelistTrunkCandidates: readonly FreelistTrunkHit[];
  readonly issues: readonly Issue[];
}

interface Extent {
  readonly start: number;
  readonly end: number;
}

function rangePath(image: SourcePath, start: number, length: number): SourcePath {
  return extendPath(image, { kind: 'range', start, length });
}

/**
 * Builds carriers from the hits of one image (any order). `source` is read for database headers
 * (100 bytes each) and WAL frame headers (24 bytes each); nothing else.
 */
export function assembleCarriers(hits: readonly Hit[], source: ByteSource, imagePath: SourcePath = filePath(source.location)): CarrierSet {
  const sorted = [...hits].sort((a, b) => a.imageOffset - b.imageOffset);
  const issues: Issue[] = [];
  const imageSize = source.sizeInBytes;
  const btreeByOffset = new Map<number, BtreePageHit>();
  const walFrames = new Map<number, WalFrameHit>();
  const journalRecords = new Map<number, JournalRecordHit>();
  for (const hit of sorted) {
    if (hit.kind === 'btree-page') btreeByOffset.set(hit.imageOffset, hit);
    else if (hit.kind === 'wal-frame') walFrames.set(hit.imageOffset, hit);
    else if (hit.kind === 'journal-record') journalRecords.set(hit.imageOffset, hit);
  }

  // WALs and journals first: the pages inside their frames and records are theirs, even when one
  // happens to start at a 512-byte boundary and looks like a database header or b-tree page.
  const claimedFrames = new Set<number>();
  const claimedRecords = new Set<number>();
  const logExtents: Extent[] = [];
  const wals: CarvedWal[] = [];
  for (const hit of sorted) {
    if (hit.kind !== 'wal-header') continue;
    const wal = followWal(hit, source, walFrames, claimedFrames, imagePath);
    wals.push(wal);
    logExtents.push({ start: wal.imageOffset, end: wal.imageOffset + wal.sizeInBytes });
    if (!hit.checksumValid) {
      issues.push(issue('carve.wal.header-checksum', 'warning', wal.path, 0, `WAL header at ${formatOffset(hit.imageOffset)}: checksum does not verify; SQLite would ignore its frames`));
    }
  }
  const journals: CarvedJournal[] = [];
  for (const hit of sorted) {
    if (hit.kind !== 'journal-header') continue;
    const journal = followJournal(hit, journalRecords, claimedRecords, imageSize, imagePath);
    journals.push(journal);
    logExtents.push({ start: journal.imageOffset, end: journal.imageOffset + journal.sizeInBytes });
  }
  const walFragments = walFragmentsOf(sorted, claimedFrames, imagePath);
  for (const fragment of walFragments) logExtents.push({ start: fragment.imageOffset, end: fragment.imageOffset + fragment.sizeInBytes });
  const journalFragments = journalFragmentsOf(sorted, claimedRecords, source, imagePath);
  for (const fragment of journalFragments) logExtents.push({ start: fragment.zeroedHeaderImageOffset ?? fragment.imageOffset, end: fragment.imageOffset + fragment.sizeInBytes });
  const insideLogExtent = extentIndex(logExtents);
  // Strictly inside: a log's own first byte is not "inside" it.
  const insideLog = (offset: number): boolean => insideLogExtent(offset, false);

  const declaredDatabases: CarvedDatabase[] = [];
  for (const hit of sorted) {
    if (hit.kind !== 'sqlite-header' || insideLog(hit.imageOffset)) continue;
    const carved = carveDatabase(hit, source, btreeByOffset, imagePath, issues);
    if (carved !== undefined) declaredDatabases.push(carved);
  }
  const databases = placePages(declaredDatabases, source, btreeByOffset, insideLog, issues);
  const databaseExtents: Extent[] = databases.flatMap((database) =>
    database.fragments.map((fragment) => ({ start: fragment.imageOffset, end: Math.min(source.sizeInBytes, fragment.imageOffset + fragment.pageCount * database.pageSize) })),
  );
  const insideDatabaseExtent = extentIndex(databaseExtents);
  const insideDatabase = (offset: number): boolean => insideDatabaseExtent(offset, true);

  const loosePages: BtreePageHit[] = [];
  const freelistTrunkCandidates: FreelistTrunkHit[] = [];
  for (const hit of sorted) {
    if (hit.kind === 'btree-page' && !insideDatabase(hit.imageOffset) && !insideLog(hit.imageOffset)) loosePages.push(hit);
    else if (hit.kind === 'freelist-trunk' && !insideDatabase(hit.imageOffset) && !insideLog(hit.imageOffset)) freelistTrunkCandidates.push(hit);
  }
  const reassembled = reassembleOrphans(loosePages, source, imagePath);
  issues.push(...reassembled.issues);
  return { databases, wals, walFragments, journals, journalFragments, headerlessDatabases: reassembled.databases, orphanPages: reassembled.remaining, freelistTrunkCandidates, issues };
}

/**
 * Puts each database whose header declares its size on the pages its b-tree links find
 * (fragments.ts). Twice: first each alone (only WALs and journals are foreign), then each with
 * the first run of every other database as foreign ground, so a database whose declared extent
 * runs into another file (an older copy, another database) neither takes that file's pages nor
 * lends it its own. A database whose header lies inside another's first run keeps its own
 * ground: the other's run counts as foreign only up to that header.
 */
function placePages(databases: readonly CarvedDatabase[], source: ByteSource, btreeByOffset: ReadonlyMap<number, BtreePageHit>, insideLog: (offset: number) => boolean, issues: Issue[]): CarvedDatabase[] {
  const voters = candidatesByFamily(btreeByOffset.values());
  const searched = databases.filter((database) => database.declaredPageCount !== undefined);
  if (searched.length === 0) return [...databases];
  const logsOnly: FragmentSearchContext = { source, btreeByOffset, candidatesByFamily: voters, isForeign: (offset) => insideLog(offset) };
  const firstRuns = new Map<CarvedDatabase, Extent>();
  const alone = new Map<CarvedDatabase, ReturnType<typeof locateFragments>>();
  for (const database of searched) {
    const located = locateFragments(searchInput(database), logsOnly);
    alone.set(database, located);
    const first = located.fragments[0] as DatabaseFragment;
    firstRuns.set(database, { start: first.imageOffset, end: first.imageOffset + first.pageCount * database.pageSize });
  }
  return databases.map((database) => {
    if (database.declaredPageCount === undefined) return database;
    const grounds: Extent[] = [];
    for (const [other, run] of firstRuns) {
      if (other === database) continue;
      const end = run.start < database.imageOffset ? Math.min(run.end, database.imageOffset) : run.end;
      if (end > run.start) grounds.push({ start: run.start, end });
    }
    const insideOther = extentIndex(grounds);
    // The search alone stands when no other database's ground touches the pages it used (the
    // declared extent and every run it found): the second search would see the same image.
    const own = (alone.get(database) as ReturnType<typeof locateFragments>).fragments;
    const used: Extent[] = [{ start: database.imageOffset, end: database.imageOffset + (database.declaredPageCount ?? database.pageCount) * database.pageSize }, ...own.map((fragment) => ({ start: fragment.imageOffset, end: fragment.imageOffset + fragment.pageCount * database.pageSize }))];
    const touched = grounds.some((ground) => used.some((extent) => ground.start < extent.end && extent.start < ground.end));
    const context: FragmentSearchContext = { source, btreeByOffset, candidatesByFamily: voters, isForeign: (offset) => insideLog(offset) || insideOther(offset, true) };
    const located = touched ? locateFragments(searchInput(database), context) : (alone.get(database) as ReturnType<typeof locateFragments>);
    issues.push(...located.issues);
    const fragments = located.fragments;
    const first = fragments[0] as DatabaseFragment;
    if (fragments.length === 1 && first.pageCount === database.pageCount) return { ...database, fragments };
    const sizeInBytes = Math.min(first.pageCount * database.pageSize, source.sizeInBytes - database.imageOffset);
    const pageCount = fragments.reduce((sum, fragment) => sum + fragment.pageCount, 0);
    return { ...database, pageCount, sizeInBytes, path: rangePath(rootPathOf(database.path), database.imageOffset, sizeInBytes), fragments };
  });
}

function searchInput(database: CarvedDatabase): Parameters<typeof locateFragments>[0] {
  return { imageOffset: database.imageOffset, pageSize: database.header.pageSize, usableSize: database.header.usableSize, header: database.header, declaredPageCount: database.declaredPageCount ?? database.pageCount, path: database.path, name: database.name };
}

function rootPathOf(path: SourcePath): SourcePath {
  let node = path;
  while (node.parent !== null) node = node.parent;
  return node;
}

/**
 * Membership test over extents that may overlap, in O(log n): extents sorted by start with a
 * running maximum of their ends, so the candidates for an offset are found by binary search.
 */
function extentIndex(extents: readonly Extent[]): (offset: number, includeStart: boolean) => boolean {
  const sorted = [...extents].sort((a, b) => a.start - b.start);
  const runningEnd: number[] = [];
  let maximum = Number.NEGATIVE_INFINITY;
  for (const extent of sorted) {
    maximum = Math.max(maximum, extent.end);
    runningEnd.push(maximum);
  }
  return (offset: number, includeStart: boolean): boolean => {
    // Last extent starting at or before the offset.
    let low = 0;
    let high = sorted.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((sorted[middle] as Extent).start <= offset) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    for (let index = found; index >= 0 && (runningEnd[index] as number) > offset; index--) {
      const extent = sorted[index] as Extent;
      if (offset < extent.end && (includeStart ? offset >= extent.start : offset > extent.start)) return true;
    }
    return false;
  };
}

function carveDatabase(hit: SqliteHeaderHit, source: ByteSource, btreeByOffset: ReadonlyMap<number, BtreePageHit>, imagePath: SourcePath, issues: Issue[]): CarvedDatabase | undefined {
  const headerBytes = source.read(hit.imageOffset, 100);
  const provisional = rangePath(imagePath, hit.imageOffset, Math.max(headerBytes.length, 0));
  const outcome = parseDatabaseHeader(headerBytes, 0, provisional);
  if (outcome.kind !== 'parsed') {
    if (outcome.kind === 'malformed') issues.push(...outcome.issues);
    return undefined;
  }
  const header = outcome.value;
  const pageSize = header.pageSize;
  const available = Math.floor((source.sizeInBytes - hit.imageOffset) / pageSize) + ((source.sizeInBytes - hit.imageOffset) % pageSize === 0 ? 0 : 1);
  let declared: number | undefined;
  let extentFrom: CarvedDatabase['extentFrom'];
  if (header.trustedDatabaseSizeInPages !== undefined) {
    declared = header.trustedDatabaseSizeInPages;
    extentFrom = 'trusted-header-size';
  } else if (header.databaseSizeInPagesField !== 0) {
    // Written by a SQLite older than 3.7.0 (which did not keep version-valid-for): still the best size there is.
    declared = header.databaseSizeInPagesField;
    extentFrom = 'header-size';
  } else {
    extentFrom = 'page-grid';
  }
  let pageCount: number;
  if (declared !== undefined) {
    pageCount = Math.min(declared, available);
  } else {
    pageCount = 1;
    let gap = 0;
    for (let pageNumber = 2; pageNumber <= available && gap <= carveLimits.maximumGridGapInPages; pageNumber++) {
      const page = btreeByOffset.get(hit.imageOffset + (pageNumber - 1) * pageSize);
      if (page !== undefined && page.pageSize <= pageSize) {
        pageCount = pageNumber;
        gap = 0;
      } else gap++;
    }
  }
  const sizeInBytes = Math.min(pageCount * pageSize, source.sizeInBytes - hit.imageOffset);
  const truncated = declared !== undefined && declared > available;
  const path = rangePath(imagePath, hit.imageOffset, sizeInBytes);
  const name = `${rootName(imagePath)}@${formatOffset(hit.imageOffset)}`;
  issues.push(...outcome.issues);
  if (truncated) {
    issues.push(
      issue('carve.database.truncated', 'warning', path, 0, `Database at ${formatOffset(hit.imageOffset)}: header declares ${declared} pages of ${pageSize} bytes, the image holds ${pageCount}`, {
        declaredPageCount: declared ?? 0,
        pageCount,
      }),
    );
  }
  return { name, imageOffset: hit.imageOffset, pageSize, pageCount, declaredPageCount: declared, extentFrom, sizeInBytes, truncated, header, path, fragments: [{ firstPageNumber: 1, pageCount, imageOffset: hit.imageOffset }] };
}

function rootName(path: SourcePath): string {
  let node = path;
  while (node.parent !== null) node = node.parent;
  return node.layer.kind === 'file' ? node.layer.location : 'image';
}

function followWal(hit: WalHeaderHit, source: ByteSource, walFrames: ReadonlyMap<number, WalFrameHit>, claimed: Set<number>, imagePath: SourcePath): CarvedWal {
  const pageSize = hit.pageSize;
  const stride = 24 + pageSize;
  let frameCount = 0;
  let unlinked = 0;
  let salt1 = hit.salt1;
  let salt2 = hit.salt2;
  for (let frameOffset = hit.imageOffset + 32; frameOffset + stride <= source.sizeInBytes; frameOffset += stride) {
    const linked = walFrames.get(frameOffset);
    if (linked !== undefined && linked.pageSize === pageSize) {
      frameCount = (frameOffset - hit.imageOffset - 32) / stride + 1;
      claimed.add(frameOffset);
      salt1 = linked.salt1;
      salt2 = linked.salt2;
      unlinked = 0;
      continue;
    }
    const frame = source.read(frameOffset, 24);
    if (frame.length < 24) break;
    const pageNumber = u32beUnchecked(frame, 0);
    const frameSalt1 = u32beUnchecked(frame, 8);
    const frameSalt2 = u32beUnchecked(frame, 12);
    const zeroed = (frameSalt1 | frameSalt2 | u32beUnchecked(frame, 16) | u32beUnchecked(frame, 20)) === 0;
    const sameGeneration = (frameSalt1 === salt1 && frameSalt2 === salt2) || (frameSalt1 === hit.salt1 && frameSalt2 === hit.salt2);
    if (pageNumber === 0 || (!zeroed && !sameGeneration) || ++unlinked > carveLimits.maximumUnlinkedWalFrames) break;
    frameCount = (frameOffset - hit.imageOffset - 32) / stride + 1;
  }
  // A last frame cut by the image end stays in the extent (the WAL reader reports it truncated).
  let sizeInBytes = 32 + frameCount * stride;
  const tailStart = hit.imageOffset + sizeInBytes;
  if (tailStart < source.sizeInBytes && tailStart + stride > source.sizeInBytes) {
    const tail = source.read(tailStart, 24);
    if (tail.length >= 16 && u32beUnchecked(tail, 0) !== 0 && ((u32beUnchecked(tail, 8) === salt1 && u32beUnchecked(tail, 12) === salt2) || (u32beUnchecked(tail, 8) === hit.salt1 && u32beUnchecked(tail, 12) === hit.salt2))) {
      sizeInBytes = source.sizeInBytes - hit.imageOffset;
    }
  }
  return {
    imageOffset: hit.imageOffset,
    sizeInBytes,
    pageSize,
    frameCount,
    salt1: hit.salt1,
    salt2: hit.salt2,
    checkpointSequence: hit.checkpointSequence,
    checksumValid: hit.checksumValid,
    path: rangePath(imagePath, hit.imageOffset, sizeInBytes),
  };
}

function walFragmentsOf(sorted: readonly Hit[], claimed: ReadonlySet<number>, imagePath: SourcePath): WalFragment[] {
  const fragments: WalFragment[] = [];
  let current: WalFrameHit[] = [];
  const flush = (): void => {
    const first = current[0];
    const last = current[current.length - 1];
    if (first !== undefined && last !== undefined) {
      const sizeInBytes = last.imageOffset + 24 + last.pageSize - first.imageOffset;
      fragments.push({
        imageOffset: first.imageOffset,
        sizeInBytes,
        pageSize: first.pageSize,
        frames: current,
        bigEndianChecksumWords: first.bigEndianChecksumWords,
        path: rangePath(imagePath, first.imageOffset, sizeInBytes),
      });
    }
    current = [];
  };
  for (const hit of sorted) {
    if (hit.kind !== 'wal-frame' || claimed.has(hit.imageOffset)) continue;
    const last = current[current.length - 1];
    if (last !== undefined && !(hit.pageSize === last.pageSize && hit.imageOffset === last.imageOffset + 24 + last.pageSize)) flush();
    current.push(hit);
  }
  flush();
  return fragments;
}

function followJournal(hit: JournalHeaderHit, records: ReadonlyMap<number, JournalRecordHit>, claimed: Set<number>, imageSize: number, imagePath: SourcePath): CarvedJournal {
  const pageSize = hit.pageSize === 0 ? undefined : hit.pageSize;
  let end = hit.imageOffset + hit.sectorSize;
  let recordCount = 0;
  if (pageSize !== undefined) {
    const stride = pageSize + 8;
    const counted = hit.recordCountField !== 0 && hit.recordCountField !== 0xffff_ffff ? hit.recordCountField : 0;
    for (let index = 0, offset = end; offset + stride <= imageSize; index++, offset += stride) {
      const record = records.get(offset);
      if (record !== undefined && record.pageSize === pageSize) {
        claimed.add(offset);
        recordCount = index + 1;
      } else if (index >= counted) break;
    }
    end = Math.min(imageSize, Math.max(end + counted * stride, end + recordCount * stride));
  }
  const sizeInBytes = Math.max(0, Math.min(end, imageSize) - hit.imageOffset);
  return {
    imageOffset: hit.imageOffset,
    sizeInBytes,
    pageSize,
    sectorSize: hit.sectorSize,
    nonce: hit.nonce,
    recordCountField: hit.recordCountField,
    recordCount,
    path: rangePath(imagePath, hit.imageOffset, sizeInBytes),
  };
}

function journalFragmentsOf(sorted: readonly Hit[], claimed: ReadonlySet<number>, source: ByteSource, imagePath: SourcePath): JournalFragment[] {
  const fragments: JournalFragment[] = [];
  let current: JournalRecordHit[] = [];
  const flush = (): void => {
    const first = current[0];
    const last = current[current.length - 1];
    if (first !== undefined && last !== undefined) {
      const sizeInBytes = last.imageOffset + last.pageSize + 8 - first.imageOffset;
      fragments.push({
        imageOffset: first.imageOffset,
        sizeInBytes,
        pageSize: first.pageSize,
        nonce: first.nonce,
        records: current,
        zeroedHeaderImageOffset: zeroedHeaderBefore(first.imageOffset, source),
        path: rangePath(imagePath, first.imageOffset, sizeInBytes),
      });
    }
    current = [];
  };
  for (const hit of sorted) {
    if (hit.kind !== 'journal-record' || claimed.has(hit.imageOffset)) continue;
    const last = current[current.length - 1];
    if (last !== undefined && !(hit.pageSize === last.pageSize && hit.imageOffset === last.imageOffset + last.pageSize + 8)) flush();
    current.push(hit);
  }
  flush();
  return fragments;
}

/** A PERSIST journal: its first record follows a sector whose first 28 bytes are zero. */
function zeroedHeaderBefore(firstRecordOffset: number, source: ByteSource): number | undefined {
  for (const sectorSize of [512, 1024, 2048, 4096, 8192, 16_384, 32_768, 65_536]) {
    const start = firstRecordOffset - sectorSize;
    if (start < 0) break;
    if (start % 512 !== 0) continue;
    const header = source.read(start, 28);
    if (header.length === 28 && header.every((byte) => byte === 0)) return start;
  }
  return undefined;
}
