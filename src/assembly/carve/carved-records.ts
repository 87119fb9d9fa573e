/**
 * Records of carved carriers, de-duplicated by page content.
 *
 * A raw image often holds the same page several times: the live database and a deleted older
 * copy share every page the later writes did not touch, a deleted fragment may repeat live pages,
 * and a WAL frame or journal record may hold a page the database also holds. Decoding each copy
 * would report every such row several times, and a later step would have to guess which is
 * which. Instead, every page is identified by the SHA-256 of its bytes; the first place it is
 * found decodes it (header-anchored databases in image order, then header-less databases
 * reassembled by b-tree links, then orphan pages), and every other place becomes one more
 * sighting of the same records. A record thus has one provenance chain (its first sighting) and
 * a list of sightings, each with its image offset. WAL frames and journal records only add
 * sightings: their own versions are decoded by the WAL and journal assembly, whose states differ.
 *
 * Orphan pages (b-tree pages no carved database holds) are decoded with the schema of a carved
 * sqlite_master table that their records fit (schema-match.ts), or with an inferred schema named
 * by field count. Their provenance is `file:<image> > range@<page offset>+<page size> > cell@…`:
 * the page number is unknown, the image offset is exact.
 */
import { formatOffset } from '../../bytes/offsets.js';
import { u32beUnchecked } from '../../bytes/read.js';
import { sha256Hex } from '../../bytes/sha256.js';
import type { EvidenceRecord } from '../../evidence/record.js';
import { RecordState, RecordStatus } from '../../evidence/record.js';
import { headerOffsetOf, pagePath as pagePathOf, walkBtree } from '../../formats/sqlite/btree.js';
import { PageType } from '../../formats/sqlite/layout.js';
import type { TextEncoding } from '../../formats/sqlite/layout.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import { parsePayloadCell } from '../../formats/sqlite/parse-cell.js';
import { parseBtreePage } from '../../formats/sqlite/parse-page.js';
import { parseRecordHeader } from '../../formats/sqlite/record.js';
import type { Issue } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { extendPath, toImageOffset } from '../../provenance/path.js';
import type { DatabaseSchema } from '../../recovery/database.js';
import { planTablePages, readSchema } from '../../recovery/database.js';
import type { PageDecodeContext } from '../../recovery/decode-cells.js';
import { decodeCells } from '../../recovery/decode-cells.js';
import type { PageWork } from '../../recovery/live-records.js';
import { decodeLivePages, pageWorkOf } from '../../recovery/live-records.js';
import type { TableDecodeInfo } from '../../recovery/table-info.js';
import { unknownTable } from '../../recovery/table-info.js';
import type { BtreePageHit } from '../../scanning/hits.js';
import type { ByteSource } from '../../sources/byte-source.js';
import { SourcePageReader } from '../../sources/page-reader.js';
import type { CarvedDatabase, CarvedJournal, CarvedWal, JournalFragment, WalFragment } from './carriers.js';
import { FragmentPageReader, fragmentPageOffset, relocateToFragment } from './fragments.js';
import type { HeaderlessDatabase } from './reassemble.js';
import type { SchemaCandidate } from './schema-match.js';
import { matchPage, schemaCandidate } from './schema-match.js';

/** One place a page (and so each of its records) was found. */
export interface PageSighting {
  /** What holds the page there. */
  readonly carrier: 'database' | 'headerless-database' | 'orphan-page' | 'wal-frame' | 'journal-record';
  /** Image offset of the page's first byte. */
  readonly imageOffset: number;
  /** The carved database holding it (undefined for an orphan page, a WAL frame or a journal record). */
  readonly database: string | undefined;
  /** Page number in that database, or the page number a WAL frame or journal record names (undefined for an orphan page). */
  readonly pageNumber: number | undefined;
}

/** A distinct page content and every place it was found. */
export interface DistinctPage {
  readonly sha256: string;
  readonly pageSize: number;
  readonly sightings: PageSighting[];
  /** Indexes into `CarvedRecords.records` of the records decoded from this page. */
  readonly recordIndexes: number[];
}

export interface SightedRecord {
  /** Decoded at the first sighting (its provenance names that carrier and image offset). */
  readonly record: EvidenceRecord;
  /** The page the record was decoded from, with every place that page was found. */
  readonly page: DistinctPage;
}

export interface CarvedRecords {
  readonly records: readonly SightedRecord[];
  readonly pages: readonly DistinctPage[];
  /** Schemas read from each carved database (for orphan matching and reports). */
  readonly schemas: ReadonlyMap<string, DatabaseSchema>;
  readonly issues: readonly Issue[];
}

/** A PageReader that has no page: orphan pages cannot follow overflow chains (page numbers are relative to an unknown base). */
class NoPages implements PageReader {
  readonly pageSize: number;
  readonly pageCount = 0;
  constructor(pageSize: number) {
    this.pageSize = pageSize;
  }
  readPage(): undefined {
    return undefined;
  }
}

/** Pages of a carved database: read in place, or through its runs when it is fragmented (fragments.ts). */
export function databaseReader(source: ByteSource, database: CarvedDatabase): PageReader {
  if (database.fragments.length > 1) return new FragmentPageReader(source, database.pageSize, database.fragments);
  return new SourcePageReader(source, database.pageSize, database.imageOffset, database.sizeInBytes);
}

/**
 * Decodes every carved database's live b-trees and every orphan page, de-duplicated by page
 * content (module comment). Databases are taken in the order given (image order).
 */
/** The carriers records are collected from (a CarrierSet fits). */
export interface RecordCarriers {
  readonly databases: readonly CarvedDatabase[];
  readonly headerlessDatabases?: readonly HeaderlessDatabase[];
  readonly orphanPages: readonly BtreePageHit[];
  readonly wals?: readonly CarvedWal[];
  readonly walFragments?: readonly WalFragment[];
  readonly journals?: readonly CarvedJournal[];
  readonly journalFragments?: readonly JournalFragment[];
}

export function collectCarvedRecords(source: ByteSource, carriers: RecordCarriers): CarvedRecords {
  const { databases, orphanPages } = carriers;
  const headerlessDatabases = carriers.headerlessDatabases ?? [];
  const records: SightedRecord[] = [];
  const pages: DistinctPage[] = [];
  const byHash = new Map<string, DistinctPage>();
  const schemas = new Map<string, DatabaseSchema>();
  const issues: Issue[] = [];
  const candidates: SchemaCandidate[] = [];

  const register = (sha256: string, pageSize: number, sighting: PageSighting): DistinctPage | undefined => {
    const known = byHash.get(sha256);
    if (known !== undefined) {
      known.sightings.push(sighting);
      return undefined;
    }
    const page: DistinctPage = { sha256, pageSize, sightings: [sighting], recordIndexes: [] };
    byHash.set(sha256, page);
    pages.push(page);
    return page;
  };
  const keep = (page: DistinctPage, decoded: readonly EvidenceRecord[]): void => {
    for (const record of decoded) {
      page.recordIndexes.push(records.length);
      records.push({ record, page });
    }
  };

  for (const database of databases) {
    const reader = databaseReader(source, database);
    const schema = readSchema(reader, database.header, database.path, database.name);
    schemas.set(database.name, schema);
    issues.push(...schema.issues);
    for (const table of schema.tables) if (table.schema !== undefined) candidates.push(schemaCandidate(database.name, table.schema));
    const plan = planTablePages(reader, database.header, schema, database.path);
    issues.push(...plan.issues);
    for (const table of plan.tables) {
      for (const work of pageWorkOf(table)) {
        const bytes = reader.readPage(work.pageNumber);
        if (bytes === undefined) continue;
        // Interior-cell work and leaf work on one page decode different cells: keep them apart.
        const key = work.interiorCellOffsets === undefined ? sha256Hex(bytes) : `${sha256Hex(bytes)}:interior`;
        const sighting: PageSighting = {
          carrier: 'database',
          imageOffset: fragmentPageOffset(database.fragments, database.pageSize, work.pageNumber) ?? database.imageOffset + (work.pageNumber - 1) * database.pageSize,
          database: database.name,
          pageNumber: work.pageNumber,
        };
        const page = register(key, database.pageSize, sighting);
        if (page === undefined) continue;
        const batch = decodeLivePages(reader, {
          databaseName: database.name,
          databasePath: database.path,
          usableSize: database.header.usableSize,
          encoding: database.header.encoding,
          table: table.table.decode,
          pages: [work] as readonly PageWork[],
        });
        keep(
          page,
          batch.records.map((record) => relocateToFragment(record, database)),
        );
        issues.push(...batch.issues);
      }
    }
  }

  for (const headerless of headerlessDatabases) decodeHeaderless(source, headerless, candidates, encodingOf(databases), register, keep, issues);

  const imagePath = rootPath(databases[0]?.path ?? headerlessDatabases[0]?.path);
  for (const orphan of orphanPages) {
    const bytes = source.read(orphan.imageOffset, orphan.pageSize);
    const sighting: PageSighting = { carrier: 'orphan-page', imageOffset: orphan.imageOffset, database: undefined, pageNumber: undefined };
    const page = register(sha256Hex(bytes), orphan.pageSize, sighting);
    if (page === undefined || orphan.emptied) continue;
    const pagePath = extendPath(imagePath ?? { layer: { kind: 'file', location: source.location }, parent: null }, { kind: 'range', start: orphan.imageOffset, length: bytes.length });
    const decoded = decodeOrphanPage(bytes, orphan, pagePath, candidates, encodingOf(databases));
    keep(page, decoded.records);
    issues.push(...decoded.issues);
  }
  // WAL frames and journal records are decoded by the WAL and journal assembly (their states differ);
  // here a frame or record whose page equals a page found above is one more sighting of it.
  const sightOnly = (pageOffset: number, pageSize: number, carrier: 'wal-frame' | 'journal-record', pageNumber: number): void => {
    const known = byHash.get(sha256Hex(source.read(pageOffset, pageSize)));
    if (known !== undefined && known.pageSize === pageSize) known.sightings.push({ carrier, imageOffset: pageOffset, database: undefined, pageNumber });
  };
  if (byHash.size > 0) {
    for (const wal of carriers.wals ?? []) {
      for (let index = 0; index < wal.frameCount; index++) {
        const frameOffset = wal.imageOffset + 32 + index * (24 + wal.pageSize);
        sightOnly(frameOffset + 24, wal.pageSize, 'wal-frame', u32beUnchecked(source.read(frameOffset, 4), 0));
      }
    }
    for (const fragment of carriers.walFragments ?? []) for (const frame of fragment.frames) sightOnly(frame.imageOffset + 24, frame.pageSize, 'wal-frame', frame.pageNumber);
    for (const journal of carriers.journals ?? []) {
      if (journal.pageSize === undefined) continue;
      for (let offset = journal.imageOffset + journal.sectorSize; offset + journal.pageSize + 8 <= journal.imageOffset + journal.sizeInBytes; offset += journal.pageSize + 8) {
        const pageNumber = u32beUnchecked(source.read(offset, 4), 0);
        if (pageNumber !== 0) sightOnly(offset + 4, journal.pageSize, 'journal-record', pageNumber);
      }
    }
    for (const fragment of carriers.journalFragments ?? []) for (const record of fragment.records) sightOnly(record.imageOffset + 4, record.pageSize, 'journal-record', record.pageNumber);
  }
  return { records, pages, schemas, issues };
}

function rootPath(path: SourcePath | undefined): SourcePath | undefined {
  let node = path;
  while (node !== undefined && node.parent !== null) node = node.parent;
  return node;
}

/** The text encoding orphan pages are read with: the carved databases' (they agree in practice), else UTF-8. */
function encodingOf(databases: readonly CarvedDatabase[]): TextEncoding {
  return databases[0]?.header.encoding ?? 1;
}

/**
 * Decodes the live cells of one orphan page: table leaves always, index leaves when a WITHOUT
 * ROWID table fits them (an ordinary index's entries repeat rows found elsewhere).
 */
export function decodeOrphanPage(
  bytes: Uint8Array,
  orphan: BtreePageHit,
  pagePath: SourcePath,
  candidates: readonly SchemaCandidate[],
  encoding: TextEncoding,
): { records: EvidenceRecord[]; issues: Issue[] } {
  const isTable = orphan.pageType === PageType.tableLeaf;
  if (!isTable && orphan.pageType !== PageType.indexLeaf) return { records: [], issues: [] };
  const usableSize = orphan.pageSize;
  const parsed = parseBtreePage(bytes, 0, 0, usableSize, pagePath);
  if (parsed.kind !== 'parsed') return { records: [], issues: [] };
  const kind = isTable ? 'table-leaf' : 'index-leaf';
  const shapes: number[][] = [];
  const offsetsByCount = new Map<number, number[]>();
  for (const offset of parsed.value.cellOffsetsInPage) {
    const cell = parsePayloadCell(bytes, 0, offset, usableSize, kind);
    if (!cell.ok) continue;
    const end = cell.cell.localPayloadStartInPage + Math.min(cell.cell.localPayloadSize, cell.cell.payloadSize);
    const header = parseRecordHeader(bytes, cell.cell.localPayloadStartInPage, end);
    if (!header.ok) continue;
    shapes.push([...header.header.serialTypes]);
    const count = header.header.serialTypes.length;
    offsetsByCount.set(count, [...(offsetsByCount.get(count) ?? []), offset]);
  }
  const match = matchPage(shapes, candidates, !isTable);
  const reader = new NoPages(orphan.pageSize);
  const where = `${isTable ? 'table' : 'index'}-leaf page at ${formatOffset(orphan.imageOffset)} found by page scan`;
  const imageName = rootLocationOf(pagePath);
  const context = { databaseName: `${imageName}@orphan-pages`, usableSize, encoding, reader, state: RecordState.orphan, status: RecordStatus.unknown, foundBy: 'page-scan' as const };
  const records: EvidenceRecord[] = [];
  const issues: Issue[] = [];
  if (match !== undefined) {
    const reason = `${where}; schema of table ${match.candidate.schema.name} from the sqlite_master carved at ${match.candidate.database} (records fit ${(match.fit * 100).toFixed(0)}%${match.tiedWith.length > 0 ? `, ${match.tiedWith.length} other table(s) fit as well` : ''})`;
    const decoded = decodeCells(bytes, 0, pagePath, kind, parsed.value.cellOffsetsInPage, match.candidate.decode, context);
    for (const record of decoded.records) records.push(withOrphanFacts(record, reason));
    issues.push(...decoded.issues);
    return { records, issues };
  }
  if (!isTable) return { records, issues };
  for (const [count, offsets] of [...offsetsByCount].sort((a, b) => a[0] - b[0])) {
    const table = unknownTable(`orphan-${count}-columns`, count, false);
    const reason = `${where}; no carved schema fits its records: columns inferred (c0…c${count - 1})`;
    const decoded = decodeCells(bytes, 0, pagePath, kind, offsets, table, context);
    for (const record of decoded.records) records.push(withOrphanFacts(record, reason));
    issues.push(...decoded.issues);
  }
  return { records, issues };
}

function rootLocationOf(path: SourcePath): string {
  let node = path;
  while (node.parent !== null) node = node.parent;
  return node.layer.kind === 'file' ? node.layer.location : 'image';
}

function withOrphanFacts(record: EvidenceRecord, reason: string): EvidenceRecord {
  return { ...record, imageOffset: toImageOffset(record.path, 0), confidence: { level: 'medium', reasons: [reason, ...record.confidence.reasons.slice(1)] } };
}

/** Shapes (serial types) of up to `limit` records on the given pages: what schema matching compares. */
function shapesOf(reader: PageReader, pageNumbers: readonly number[], usableSize: number, kind: 'table-leaf' | 'index-leaf', limit = 256): number[][] {
  const shapes: number[][] = [];
  for (const pageNumber of pageNumbers) {
    const page = reader.readPage(pageNumber);
    if (page === undefined) continue;
    const parsed = parseBtreePage(page, 0, headerOffsetOf(pageNumber), usableSize, { layer: { kind: 'file', location: 'shape' }, parent: null });
    if (parsed.kind !== 'parsed') continue;
    for (const offset of parsed.value.cellOffsetsInPage) {
      const cell = parsePayloadCell(page, 0, offset, usableSize, kind);
      if (!cell.ok) continue;
      const header = parseRecordHeader(page, cell.cell.localPayloadStartInPage, cell.cell.localPayloadStartInPage + Math.min(cell.cell.localPayloadSize, cell.cell.payloadSize));
      if (header.ok) shapes.push([...header.header.serialTypes]);
      if (shapes.length >= limit) return shapes;
    }
  }
  return shapes;
}

/**
 * A header-less database: each b-tree is walked from its root, its records matched to a carved
 * schema as a whole (all its leaves' shapes), decoded with real page numbers; grid pages no walk
 * reaches are decoded alone, as orphan pages that know their page number.
 */
function decodeHeaderless(
  source: ByteSource,
  database: HeaderlessDatabase,
  candidates: readonly SchemaCandidate[],
  encoding: TextEncoding,
  register: (sha256: string, pageSize: number, sighting: PageSighting) => DistinctPage | undefined,
  keep: (page: DistinctPage, decoded: readonly EvidenceRecord[]) => void,
  issues: Issue[],
): void {
  // Through the runs always: pages before the first run are not the database's.
  const reader = new FragmentPageReader(source, database.pageSize, database.fragments);
  const usableSize = database.pageSize;
  const context: PageDecodeContext = { databaseName: database.name, usableSize, encoding, reader, state: RecordState.orphan, status: RecordStatus.unknown, foundBy: 'page-scan' };
  const visited = new Set<number>();
  const reached = new Set<number>();
  const where = `header-less database reassembled at ${formatOffset(database.imageOffset)} by b-tree links (${database.linkedChildCount} child pages on its grid${database.fragments.length > 1 ? `; stored in ${database.fragments.length} pieces` : ''})`;
  const decodePage = (pageNumber: number, kind: 'table-leaf' | 'index-leaf' | 'index-interior', offsets: readonly number[] | undefined, table: TableDecodeInfo, reason: string): void => {
    const bytes = reader.readPage(pageNumber);
    if (bytes === undefined) return;
    const path = pagePathOf(database.path, pageNumber, database.pageSize);
    const sighting: PageSighting = { carrier: 'headerless-database', imageOffset: fragmentPageOffset(database.fragments, database.pageSize, pageNumber) ?? database.imageOffset + (pageNumber - 1) * database.pageSize, database: database.name, pageNumber };
    const distinct = register(offsets === undefined ? sha256Hex(bytes) : `${sha256Hex(bytes)}:interior`, database.pageSize, sighting);
    if (distinct === undefined) return;
    const parsed = parseBtreePage(bytes, 0, 0, usableSize, path);
    if (parsed.kind !== 'parsed') return;
    const decoded = decodeCells(bytes, pageNumber, path, kind, offsets ?? parsed.value.cellOffsetsInPage, table, context);
    keep(
      distinct,
      decoded.records.map((record) => relocateToFragment({ ...record, confidence: { level: 'medium' as const, reasons: [`page ${pageNumber} of a ${where}; ${reason}`, ...record.confidence.reasons.slice(1)] } }, database)),
    );
    issues.push(...decoded.issues);
  };
  for (const root of database.rootPageNumbers) {
    const walk = walkBtree(reader, usableSize, root, database.path, visited);
    issues.push(...walk.issues);
    const leaves = walk.leaves.map((leaf) => leaf.pageNumber);
    for (const leaf of leaves) reached.add(leaf);
    const isIndex = walk.leaves[0]?.type === PageType.indexLeaf;
    const shapes = shapesOf(reader, leaves, usableSize, isIndex ? 'index-leaf' : 'table-leaf');
    const match = matchPage(shapes, candidates, isIndex);
    if (isIndex && match === undefined) continue; // an ordinary index: its entries repeat rows found elsewhere
    const fieldCount = Math.max(0, ...shapes.map((shape) => shape.length));
    const table = match?.candidate.decode ?? unknownTable(`orphan-${fieldCount}-columns`, fieldCount, false);
    const reason =
      match === undefined
        ? `b-tree rooted at page ${root}; no carved schema fits its records: columns inferred (c0…c${fieldCount - 1})`
        : `b-tree rooted at page ${root}; schema of table ${match.candidate.schema.name} from the sqlite_master carved at ${match.candidate.database} (records fit ${(match.fit * 100).toFixed(0)}%)`;
    for (const leaf of leaves) decodePage(leaf, isIndex ? 'index-leaf' : 'table-leaf', undefined, table, reason);
    const interiorByPage = new Map<number, number[]>();
    for (const cell of walk.indexInteriorCells) interiorByPage.set(cell.pageNumber, [...(interiorByPage.get(cell.pageNumber) ?? []), cell.offsetInPage]);
    for (const [pageNumber, offsets] of interiorByPage) decodePage(pageNumber, 'index-interior', offsets, table, reason);
  }
  // Grid pages no walk reached (freelist leaves, a lost subtree): alone, but with their page number.
  for (const page of database.pages) {
    if (reached.has(page.pageNumber) || visited.has(page.pageNumber) || page.hit.emptied) continue;
    if (page.hit.pageType !== PageType.tableLeaf && page.hit.pageType !== PageType.indexLeaf) continue;
    const isIndex = page.hit.pageType === PageType.indexLeaf;
    const shapes = shapesOf(reader, [page.pageNumber], usableSize, isIndex ? 'index-leaf' : 'table-leaf');
    const match = matchPage(shapes, candidates, isIndex);
    if (isIndex && match === undefined) continue;
    const fieldCount = Math.max(0, ...shapes.map((shape) => shape.length));
    const table = match?.candidate.decode ?? unknownTable(`orphan-${fieldCount}-columns`, fieldCount, false);
    decodePage(page.pageNumber, isIndex ? 'index-leaf' : 'table-leaf', undefined, table, match === undefined ? 'reached by no b-tree walk; columns inferred' : `reached by no b-tree walk; schema of table ${match.candidate.schema.name}`);
  }
}
