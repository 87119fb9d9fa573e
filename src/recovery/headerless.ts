/**
 * Databases whose header (page 1) is lost: infer the page size from page structure, as SQLite's
 * .recover does, infer table shapes from the records themselves (field count and type pattern),
 * name them from a schema file when exactly one table fits, guess the text encoding. A partial
 * result, flagged as such. (The scan reaches such files through raw-image carving, which finds
 * their pages with the same plausibility test.)
 */
import type { EvidenceRecord } from '../evidence/record.js';
import { issue } from '../issues/issue.js';
import { serialTypeSize } from '../formats/sqlite/record.js';
import type { FreedCarveContext, FreedRecord } from './freed/build-record.js';
import { carveFreedCells } from './freed/carve-page.js';
import { carveFreelistPage } from './freed/freelist-pages.js';
import { u32beUnchecked } from '../bytes/read.js';
import type { LivePageDigests } from './freed/record-digest.js';
import { liveDigestsOfPage } from './freed/record-digest.js';
import type { SchemaFile, SchemaFileTable } from './freed/schema-file.js';
import { parseSchemaFile } from './freed/schema-file.js';
import type { RecordSignature } from './freed/signature.js';
import { ClassBit, classBitOfSerialType, indexSignature, inferredSignature, withProfile, withUniqueKeys } from './freed/signature.js';
import { RecordState, RecordStatus } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { interiorChildPageNumbers, pagePath, walkBtree } from '../formats/sqlite/btree.js';
import type { TextEncoding } from '../formats/sqlite/layout.js';
import { PageType } from '../formats/sqlite/layout.js';
import type { PageReader } from '../formats/sqlite/page-reader.js';
import { parseBtreePage } from '../formats/sqlite/parse-page.js';
import { parsePayloadCell } from '../formats/sqlite/parse-cell.js';
import { parseRecordHeader } from '../formats/sqlite/record.js';
import { decodeCells } from './decode-cells.js';
import { sqliteSchemaTable, unknownTable } from './table-info.js';

const candidatePageSizes = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

/** True when `page` (at page offset `headerOffset`) is a b-tree page whose every cell pointer and cell parses. */
export function isPlausibleBtreePage(page: Uint8Array, headerOffset: number, usableSize: number, path: SourcePath): boolean {
  const outcome = parseBtreePage(page, 0, headerOffset, usableSize, path);
  if (outcome.kind !== 'parsed' || outcome.issues.length > 0) return false;
  const value = outcome.value;
  if (value.cellCount === 0 || value.cellOffsetsInPage.length !== value.cellCount) return false;
  if (value.type === PageType.tableLeaf) {
    for (const offset of value.cellOffsetsInPage) {
      const cell = parsePayloadCell(page, 0, offset, usableSize, 'table-leaf');
      if (!cell.ok) return false;
      const end = cell.cell.localPayloadStartInPage + Math.min(cell.cell.localPayloadSize, cell.cell.payloadSize);
      if (!parseRecordHeader(page, cell.cell.localPayloadStartInPage, end).ok) return false;
    }
  }
  return true;
}

export interface PageSizeGuess {
  readonly pageSize: number;
  /** Pages, among those sampled, that are plausible b-tree pages at this size. */
  readonly plausiblePageCount: number;
}

/**
 * Tries each page size on up to `samplePages` pages and keeps the one with the most plausible
 * b-tree pages; multiples of the true size find fewer (their page starts skip real pages).
 */
export function inferPageSize(read: (offset: number, length: number) => Uint8Array, sizeInBytes: number, path: SourcePath, samplePages = 256): PageSizeGuess | undefined {
  let best: PageSizeGuess | undefined;
  for (const pageSize of candidatePageSizes) {
    let plausible = 0;
    const pages = Math.min(samplePages, Math.floor(sizeInBytes / pageSize));
    for (let index = 1; index < pages; index++) {
      const page = read(index * pageSize, pageSize);
      if (page.length === pageSize && isPlausibleBtreePage(page, 0, pageSize, path)) plausible++;
    }
    if (plausible > 0 && (best === undefined || plausible > best.plausiblePageCount)) best = { pageSize, plausiblePageCount: plausible };
  }
  return best;
}

/** Storage-class pattern letter of each class set, for shape names and messages. */
const patternLetters: readonly (readonly [number, string])[] = [
  [ClassBit.integer | ClassBit.real, 'n'],
  [ClassBit.text, 't'],
  [ClassBit.blob, 'b'],
];

/** Classes treated as one for grouping: SQLite stores whole REALs as integers. */
function groupClass(classBit: number): number {
  return classBit === ClassBit.real ? ClassBit.integer : classBit;
}

export interface TableShape {
  /** `unknown-N` (N from 1, by descending record count), or the schema table it was matched to. */
  readonly name: string;
  readonly fieldCount: number;
  /** Per field: the classes seen (ClassBit set, NULL included when seen). */
  readonly classes: readonly number[];
  readonly recordCount: number;
  /** Letters per field: n number, t text, b blob, ? only NULL seen. */
  readonly pattern: string;
}

export interface ShapedCell {
  readonly pageNumber: number;
  readonly offsetInPage: number;
  /** ClassBit of each field's serial type. */
  readonly fieldClasses: readonly number[];
}

function patternOf(classes: readonly number[]): string {
  return classes.map((set) => patternLetters.find(([bits]) => (set & bits) !== 0)?.[1] ?? '?').join('');
}

/**
 * Groups cells into table shapes: same field count and, field by field, the same class where both
 * are non-NULL (integer and real count as one). Cells are placed most-constrained first, so a
 * record with NULLs joins the group its other fields fit. Returns the shapes (largest first) and the
 * shape index of each cell.
 */
export function inferTableShapes(cells: readonly ShapedCell[]): { shapes: TableShape[]; shapeOfCell: number[] } {
  interface Group {
    fieldCount: number;
    definite: number[];
    seen: number[];
    count: number;
  }
  const groups: Group[] = [];
  const order = cells.map((_, index) => index).sort((a, b) => nullCount(cells[a] as ShapedCell) - nullCount(cells[b] as ShapedCell));
  const groupOfCell = new Array<number>(cells.length).fill(-1);
  for (const index of order) {
    const cell = cells[index] as ShapedCell;
    const classes = cell.fieldClasses.map(groupClass);
    let found = groups.findIndex(
      (group) => group.fieldCount === classes.length && classes.every((set, field) => set === ClassBit.null || group.definite[field] === 0 || group.definite[field] === set),
    );
    if (found < 0) {
      groups.push({ fieldCount: classes.length, definite: classes.map(() => 0), seen: classes.map(() => 0), count: 0 });
      found = groups.length - 1;
    }
    const group = groups[found] as Group;
    classes.forEach((set, field) => {
      if (set !== ClassBit.null && group.definite[field] === 0) group.definite[field] = set;
      group.seen[field] = (group.seen[field] as number) | (cell.fieldClasses[field] as number);
    });
    group.count++;
    groupOfCell[index] = found;
  }
  const ranked = groups.map((group, index) => ({ group, index })).sort((a, b) => b.group.count - a.group.count || a.index - b.index);
  const rename = new Map(ranked.map((entry, rank) => [entry.index, rank]));
  const shapes = ranked.map((entry, rank) => ({ name: `unknown-${rank + 1}`, fieldCount: entry.group.fieldCount, classes: entry.group.seen, recordCount: entry.group.count, pattern: patternOf(entry.group.seen) }));
  return { shapes, shapeOfCell: groupOfCell.map((group) => rename.get(group) ?? -1) };
}

function nullCount(cell: ShapedCell): number {
  let count = 0;
  for (const set of cell.fieldClasses) if (set === ClassBit.null) count++;
  return count;
}

/**
 * The schema tables a shape fits: same number of stored fields (or more, for rows written before
 * ALTER TABLE ADD COLUMN), every class seen storable in its column, the INTEGER PRIMARY KEY field
 * only ever NULL.
 */
export function tablesFittingShape(shape: TableShape, tables: readonly SchemaFileTable[]): SchemaFileTable[] {
  return tables.filter((table) => {
    const fields = table.signature.fields;
    if (shape.fieldCount > fields.length || shape.fieldCount < 1) return false;
    return shape.classes.every((set, index) => {
      const field = fields[index];
      if (field === undefined) return false;
      if (field.storedAsNull) return set === ClassBit.null;
      return (set & ~ClassBit.null & ~field.storable) === 0;
    });
  });
}

export interface HeaderlessTable {
  readonly name: string;
  readonly columns: readonly string[];
  readonly shape: TableShape;
  /** True when a `--schema` table named it. */
  readonly fromSchema: boolean;
  /** What the freed records are compared on: rowid, and the UNIQUE column sets of a named table. */
  readonly keyInfo: { readonly name: string; readonly withoutRowid: boolean; readonly uniqueSetLabels: readonly string[] };
  /** Cells listed by orphan pages (live or freed pages: the tree that would tell is lost). */
  readonly orphans: readonly EvidenceRecord[];
  /** Records carved from the free space of those pages (status unknown: the caller classifies them against `listed`). */
  readonly freed: readonly FreedRecord[];
  /** Digests of the listed cells, page by page: what the freed records are compared with. */
  readonly listed: readonly LivePageDigests[];
  /** Freed-page records several shapes fit equally: nothing to compare them with, their status stays unknown. */
  readonly unattributed?: boolean;
}

export interface HeaderlessRecovery {
  readonly pageSize: number;
  readonly encoding: TextEncoding;
  readonly tables: readonly HeaderlessTable[];
  readonly issues: readonly Issue[];
}

/** Guesses the text encoding from the zero bytes of sampled TEXT bodies (UTF-16 puts them on one side). */
export function inferEncoding(samples: readonly Uint8Array[]): TextEncoding {
  let even = 0;
  let odd = 0;
  let total = 0;
  for (const sample of samples) {
    for (let index = 0; index + 1 < sample.length; index += 2) {
      if (sample[index] === 0) even++;
      if (sample[index + 1] === 0) odd++;
      total++;
    }
  }
  if (total === 0) return 1;
  if (odd > total * 0.3 && odd > even * 4) return 2;
  if (even > total * 0.3 && even > odd * 4) return 3;
  return 1;
}

interface TrunkList {
  readonly next: number;
  readonly leaves: readonly number[];
}

/**
 * The trunk list page `pageNumber` would hold (next trunk, leaf numbers), or undefined when its
 * first bytes cannot be one: a leaf count over (usable size / 4) − 2, a number naming no other page
 * of the file, or (with `requireLeaves`) no leaf at all.
 */
function trunkListOf(page: Uint8Array, pageNumber: number, pageCount: number, usableSize: number, requireLeaves: boolean): TrunkList | undefined {
  if (page.length < Math.min(usableSize, 8)) return undefined;
  const inFile = (value: number): boolean => value >= 2 && value <= pageCount && value !== pageNumber;
  const next = u32beUnchecked(page, 0);
  const count = u32beUnchecked(page, 4);
  if ((next !== 0 && !inFile(next)) || count > Math.floor(usableSize / 4) - 2 || (requireLeaves && count === 0) || 8 + 4 * count > page.length) return undefined;
  const leaves: number[] = [];
  for (let index = 0; index < count; index++) {
    const leaf = u32beUnchecked(page, 8 + 4 * index);
    if (!inFile(leaf)) return undefined;
    leaves.push(leaf);
  }
  return { next, leaves };
}

/**
 * Freelist trunk pages of a database whose header (and so its first-trunk pointer) is lost, found
 * by their structure: a trunk starts with the next trunk's page number and a leaf count L, then L
 * leaf page numbers (sqlite.md §1.9). A page is taken as a trunk when L fits the page, L ≥ 1 and
 * every number (next and leaves) is another page of the file; or, whatever its L, when a trunk so
 * taken names it as the next trunk. `candidates` are the pages of the first kind when the caller
 * already read every page (trunkListOf with leaves required); otherwise every page is read here.
 * Returns the trunks in page order and the leaf pages they list.
 */
export function freelistTrunksOf(reader: PageReader, usableSize: number, candidates?: ReadonlyMap<number, TrunkList>, links?: PageLinks): FreelistFound {
  const pageCount = reader.pageCount;
  const listAt = (pageNumber: number, requireLeaves: boolean): TrunkList | undefined => {
    const page = reader.readPage(pageNumber);
    return page === undefined ? undefined : trunkListOf(page, pageNumber, pageCount, usableSize, requireLeaves);
  };
  const firstKind = new Map<number, TrunkList>();
  if (candidates !== undefined) for (const [pageNumber, list] of [...candidates].sort((a, b) => a[0] - b[0])) firstKind.set(pageNumber, list);
  else {
    for (let pageNumber = 2; pageNumber <= pageCount; pageNumber++) {
      const list = listAt(pageNumber, true);
      if (list !== undefined) firstKind.set(pageNumber, list);
    }
  }
  const rejected: RejectedTrunk[] = [];
  const excluded = new Set<number>();
  // Each round excludes at least one trunk; a cascade longer than the limit (hostile pages) ends
  // with no trunk believed at all.
  for (let round = 0; ; round++) {
    const trunks = new Map<number, readonly number[]>();
    const pending: number[] = [];
    const take = (pageNumber: number, list: TrunkList): void => {
      trunks.set(pageNumber, list.leaves);
      if (list.next !== 0) pending.push(list.next);
    };
    for (const [pageNumber, list] of firstKind) if (!excluded.has(pageNumber)) take(pageNumber, list);
    // Trunks named as the next trunk by another (bounded: each page is taken at most once).
    while (pending.length > 0) {
      const pageNumber = pending.pop() as number;
      if (trunks.has(pageNumber) || excluded.has(pageNumber)) continue;
      const list = listAt(pageNumber, false);
      if (list !== undefined) take(pageNumber, list);
    }
    const leaves = new Set<number>();
    for (const listed of trunks.values()) for (const leaf of listed) if (!trunks.has(leaf)) leaves.add(leaf);
    const conflicts = links === undefined ? [] : trunkConflicts(trunks, leaves, links, reader);
    if (conflicts.length === 0) return { trunks: [...trunks.keys()].sort((a, b) => a - b), leaves, rejected, gaveUp: false };
    if (round >= maximumTrunkRejectionRounds) return { trunks: [], leaves: new Set(), rejected: [...rejected, ...conflicts], gaveUp: true };
    for (const conflict of conflicts) {
      excluded.add(conflict.trunkPageNumber);
      rejected.push(conflict);
    }
  }
}

/** What the pages that are not free point to: interior pages' children and the overflow chains of leaf cells. */
export interface PageLinks {
  /** Interior page → its children. */
  readonly childrenOf: ReadonlyMap<number, readonly number[]>;
  /** Table-leaf page → the first overflow page of each of its cells that overflow. */
  readonly overflowOf: ReadonlyMap<number, readonly number[]>;
}

export interface RejectedTrunk {
  readonly trunkPageNumber: number;
  /** The page it names (itself or a listed leaf) that a page in use points to. */
  readonly linkedPageNumber: number;
  /** The interior or leaf page (not free) that points to it. */
  readonly byPageNumber: number;
}

export interface FreelistFound {
  readonly trunks: number[];
  readonly leaves: Set<number>;
  /** Pages whose first bytes read as a trunk list but that list (or are) pages still in use. */
  readonly rejected: readonly RejectedTrunk[];
  /** Rejections kept cascading past `maximumTrunkRejectionRounds`: no trunk is believed. */
  readonly gaveUp: boolean;
}

/** Rounds of trunk rejection (each may free pages whose links reject more) before none is believed. */
export const maximumTrunkRejectionRounds = 64;

/**
 * Trunks that cannot be free: the trunk itself, or a leaf it lists, is a child of an interior page
 * that is not free, or a page of an overflow chain a cell of a leaf that is not free starts. (A
 * binary overflow page or a BLOB can start with bytes that read as a trunk list.)
 */
function trunkConflicts(trunks: ReadonlyMap<number, readonly number[]>, leaves: ReadonlySet<number>, links: PageLinks, reader: PageReader): RejectedTrunk[] {
  const isFree = (pageNumber: number): boolean => trunks.has(pageNumber) || leaves.has(pageNumber);
  const inUseBy = new Map<number, number>();
  const note = (pageNumber: number, by: number): void => {
    if (!inUseBy.has(pageNumber)) inUseBy.set(pageNumber, by);
  };
  for (const [interior, children] of links.childrenOf) if (!isFree(interior)) for (const child of children) note(child, interior);
  for (const [leaf, heads] of links.overflowOf) {
    if (isFree(leaf)) continue;
    for (const head of heads) {
      // Bounded by the page count, and loop-safe.
      const seen = new Set<number>();
      for (let pageNumber = head; pageNumber >= 2 && pageNumber <= reader.pageCount && !seen.has(pageNumber); ) {
        seen.add(pageNumber);
        note(pageNumber, leaf);
        const page = reader.readPage(pageNumber);
        if (page === undefined || page.length < 4) break;
        pageNumber = u32beUnchecked(page, 0);
      }
    }
  }
  const conflicts: RejectedTrunk[] = [];
  for (const [trunk, listed] of [...trunks].sort((a, b) => a[0] - b[0])) {
    const linked = [trunk, ...listed].find((pageNumber) => inUseBy.has(pageNumber));
    if (linked !== undefined) conflicts.push({ trunkPageNumber: trunk, linkedPageNumber: linked, byPageNumber: inUseBy.get(linked) as number });
  }
  return conflicts;
}

/**
 * A database whose page 1 is lost: every plausible table-leaf page is read as an orphan (unless a
 * freelist trunk recognised by its structure lists it: then it is carved as freed), its cells
 * grouped into table shapes, the shapes named from `schema` when exactly one table fits, and the
 * free space of each page carved with the signature of the shape most of its cells belong to.
 * Issues: `sqlite.headerless.shape-ambiguous` (several schema tables fit a shape),
 * `sqlite.headerless.encoding-guessed` (info), `sqlite.headerless.freelist-rejected` (info: pages
 * that read as trunk lists but name pages in use), `sqlite.headerless.freelist-found` (info: trunks
 * recognised, their pages carved as freed), and the carvers' issues.
 */
export function recoverHeaderless(reader: PageReader, databasePath: SourcePath, databaseName: string, options: { readonly schema?: SchemaFile; readonly encoding?: TextEncoding } = {}): HeaderlessRecovery {
  const usableSize = reader.pageSize;
  const issues: Issue[] = [];
  const cells: ShapedCell[] = [];
  const textSamples: Uint8Array[] = [];
  const leafPages: number[] = [];
  const trunkCandidates = new Map<number, TrunkList>();
  // What pages point to, to reject "trunks" that list pages still in use (freelistTrunksOf).
  const childrenOf = new Map<number, readonly number[]>();
  const overflowOf = new Map<number, number[]>();
  for (let pageNumber = 1; pageNumber <= reader.pageCount; pageNumber++) {
    const page = reader.readPage(pageNumber);
    if (page !== undefined && pageNumber >= 2) {
      const trunk = trunkListOf(page, pageNumber, reader.pageCount, usableSize, true);
      if (trunk !== undefined) trunkCandidates.set(pageNumber, trunk);
      if (page.length >= usableSize && (page[0] === PageType.tableInterior || page[0] === PageType.indexInterior) && isPlausibleBtreePage(page, 0, usableSize, pagePath(databasePath, pageNumber, reader.pageSize))) {
        const children = interiorChildPageNumbers(page, 0, usableSize);
        if (children !== undefined && children.length > 0) childrenOf.set(pageNumber, children);
      }
    }
    if (page === undefined || page.length < usableSize || page[0] !== PageType.tableLeaf) continue;
    const path = pagePath(databasePath, pageNumber, reader.pageSize);
    if (!isPlausibleBtreePage(page, 0, usableSize, path)) continue;
    const parsed = parseBtreePage(page, 0, 0, usableSize, path);
    if (parsed.kind !== 'parsed') continue;
    leafPages.push(pageNumber);
    for (const offset of parsed.value.cellOffsetsInPage) {
      const cell = parsePayloadCell(page, 0, offset, usableSize, 'table-leaf');
      if (!cell.ok) continue;
      if (cell.cell.firstOverflowPageNumber !== 0) {
        const heads = overflowOf.get(pageNumber) ?? [];
        heads.push(cell.cell.firstOverflowPageNumber);
        overflowOf.set(pageNumber, heads);
      }
      const end = cell.cell.localPayloadStartInPage + Math.min(cell.cell.localPayloadSize, cell.cell.payloadSize);
      const header = parseRecordHeader(page, cell.cell.localPayloadStartInPage, end);
      if (!header.ok) continue;
      cells.push({ pageNumber, offsetInPage: offset, fieldClasses: header.header.serialTypes.map(classBitOfSerialType) });
      if (textSamples.length < 256) {
        let at = cell.cell.localPayloadStartInPage + header.header.headerSizeInBytes;
        for (const type of header.header.serialTypes) {
          const size = serialTypeSize(type);
          if (type >= 13 && type % 2 === 1 && size >= 4 && at + size <= end) textSamples.push(page.subarray(at, at + size));
          at += Math.max(0, size);
        }
      }
    }
  }
  // Pages a surviving freelist trunk lists are free: their cells are freed rows, not orphans.
  const freelist = freelistTrunksOf(reader, usableSize, trunkCandidates, { childrenOf, overflowOf });
  if (freelist.rejected.length > 0) {
    const named = freelist.rejected.slice(0, 8).map((entry) => `page ${entry.trunkPageNumber} (names page ${entry.linkedPageNumber}, which page ${entry.byPageNumber} points to)`);
    issues.push(
      issue(
        'sqlite.headerless.freelist-rejected',
        'info',
        databasePath,
        0,
        `${databaseName}: header lost; ${freelist.rejected.length} page(s) whose first bytes read as a freelist trunk list name pages still in use, so they are not taken as free: ${named.join('; ')}${freelist.rejected.length > 8 ? '; …' : ''}${freelist.gaveUp ? `; rejections kept cascading past ${maximumTrunkRejectionRounds} rounds, so no page is taken as a freelist trunk` : ''}`,
        { rejected: freelist.rejected.length, gaveUp: freelist.gaveUp },
      ),
    );
  }
  const encoding = options.encoding ?? inferEncoding(textSamples);
  if (options.encoding === undefined && encoding !== 1) {
    issues.push(issue('sqlite.headerless.encoding-guessed', 'info', databasePath, 0, `${databaseName}: header lost; text decoded as ${encoding === 2 ? 'UTF-16le' : 'UTF-16be'} (zero bytes in ${textSamples.length} sampled text values)`));
  }
  // sqlite_schema rows that survived on other pages (a schema larger than page 1) give the tables
  // and their root pages: every leaf reached from a root belongs to that table, named, whatever
  // its records look like. What no root reaches is grouped by shape.
  const surviving = survivingSchema(reader, cells, usableSize, encoding, databasePath, databaseName);
  issues.push(...surviving.issues);
  const schema = options.schema ?? surviving.schemaFile;
  const pre = surviving.attributed;
  const preOfPage = new Map<number, number>();
  pre.forEach((entry, index) => {
    for (const pageNumber of entry.pageNumbers) preOfPage.set(pageNumber, index);
  });
  const looseIndexes: number[] = [];
  cells.forEach((cell, index) => {
    if (!preOfPage.has(cell.pageNumber)) looseIndexes.push(index);
  });
  const loose = inferTableShapes(looseIndexes.map((index) => cells[index] as ShapedCell));
  const preShapes: TableShape[] = pre.map((entry) => {
    const classes = entry.table.signature.fields.map((field) => field.storable);
    return { name: entry.table.name, fieldCount: classes.length, classes, recordCount: cells.filter((cell) => preOfPage.get(cell.pageNumber) === pre.indexOf(entry)).length, pattern: patternOf(classes) };
  });
  const shapes: TableShape[] = [...preShapes, ...loose.shapes];
  const shapeOfCell = new Array<number>(cells.length).fill(-1);
  cells.forEach((cell, index) => {
    const preIndex = preOfPage.get(cell.pageNumber);
    if (preIndex !== undefined) shapeOfCell[index] = preIndex;
  });
  looseIndexes.forEach((cellIndex, at) => {
    shapeOfCell[cellIndex] = pre.length + (loose.shapeOfCell[at] as number);
  });
  // Name shapes from the schema file: a table is used for one shape at most.
  const schemaTables = schema?.tables ?? [];
  const named = new Map<number, SchemaFileTable>();
  const claimed = new Set<string>(pre.map((entry) => entry.table.name));
  pre.forEach((entry, index) => named.set(index, entry.table));
  shapes.forEach((shape, index) => {
    if (index < pre.length) return;
    const fitting = tablesFittingShape(shape, schemaTables).filter((table) => !claimed.has(table.name));
    if (fitting.length === 1) {
      named.set(index, fitting[0] as SchemaFileTable);
      claimed.add((fitting[0] as SchemaFileTable).name);
    } else if (fitting.length > 1) {
      issues.push(
        issue('sqlite.headerless.shape-ambiguous', 'warning', databasePath, 0, `${databaseName}: ${shape.recordCount} records of ${shape.fieldCount} fields (pattern ${shape.pattern}) fit tables ${fitting.map((table) => table.name).join(', ')}; reported as ${shape.name}`, {
          tables: fitting.map((table) => table.name).join(','),
        }),
      );
    }
  });
  const decodeInfos = shapes.map((shape, index) => named.get(index)?.decode ?? { ...unknownTable(shape.name, shape.fieldCount, false) });
  // Named tables are compared on their UNIQUE keys too (CREATE TABLE constraints and UNIQUE
  // indexes of the schema file), as live databases are: a freed older version of a live row is
  // then superseded, not deleted.
  const keyed = shapes.map((_, index) => {
    const table = named.get(index);
    if (table === undefined) return undefined;
    const uniqueIndexes = (schema?.indexes ?? []).filter((index) => index.unique && index.tableName.toLowerCase() === table.name.toLowerCase()).map((index) => [...index.columnNames]);
    return withUniqueKeys(table.signature, table.sql, uniqueIndexes);
  });
  const signatures = shapes.map((shape, index) => {
    const table = keyed[index];
    if (table !== undefined) return table.signature;
    // Inferred: each field admits the classes seen, and NULL (a deleted row may hold one).
    return inferredSignature(decodeInfos[index] as ReturnType<typeof unknownTable>, shape.classes.map((set) => set | ClassBit.null | (set & (ClassBit.integer | ClassBit.real) ? ClassBit.integer | ClassBit.real : 0)));
  });
  const orphans = shapes.map(() => [] as EvidenceRecord[]);
  const freed = shapes.map(() => [] as FreedRecord[]);
  const listed = shapes.map(() => [] as LivePageDigests[]);
  const cellsByPage = new Map<number, number[]>();
  cells.forEach((cell, index) => cellsByPage.set(cell.pageNumber, [...(cellsByPage.get(cell.pageNumber) ?? []), index]));
  const context: FreedCarveContext = { databaseName, usableSize, encoding, reader, pageRoles: undefined };
  const dominantShape = new Map<number, number>();
  for (const pageNumber of leafPages) {
    if (freelist.leaves.has(pageNumber)) continue;
    const page = reader.readPage(pageNumber);
    if (page === undefined) continue;
    const path = pagePath(databasePath, pageNumber, reader.pageSize);
    const parsed = parseBtreePage(page, 0, 0, usableSize, path);
    if (parsed.kind !== 'parsed') continue;
    const onPage = cellsByPage.get(pageNumber) ?? [];
    const byShape = new Map<number, number[]>();
    for (const index of onPage) {
      const shape = shapeOfCell[index] as number;
      byShape.set(shape, [...(byShape.get(shape) ?? []), (cells[index] as ShapedCell).offsetInPage]);
    }
    for (const [shape, offsets] of byShape) {
      const decoded = decodeCells(page, pageNumber, path, 'table-leaf', offsets, decodeInfos[shape] as ReturnType<typeof unknownTable>, {
        databaseName,
        usableSize,
        encoding,
        reader,
        state: RecordState.orphan,
        status: RecordStatus.unknown,
        foundBy: 'page-scan',
      });
      const attribution =
        shape < pre.length
          ? (pre[shape] as SurvivingTable).reason
          : named.has(shape)
            ? `shape ${shapes[shape]?.pattern ?? ''} matched to table ${decodeInfos[shape]?.name ?? ''} of the ${options.schema === undefined ? 'sqlite_schema rows that survived' : 'schema file'}`
            : `table shape inferred from ${shapes[shape]?.recordCount ?? 0} records (pattern ${shapes[shape]?.pattern ?? ''})`;
      const reason = `table-leaf page ${pageNumber} found by page scan; database header lost; ${attribution}`;
      for (const record of decoded.records) (orphans[shape] as EvidenceRecord[]).push({ ...record, confidence: { level: 'medium', reasons: [reason] } });
      issues.push(...decoded.issues);
      (listed[shape] as LivePageDigests[]).push(liveDigestsOfPage(reader, page, { ...parsed.value, cellOffsetsInPage: offsets }, usableSize, (signatures[shape] as RecordSignature).digestFieldSets));
    }
    // The page's free space belongs to the shape most of its cells have.
    const dominant = [...byShape].sort((a, b) => b[1].length - a[1].length)[0]?.[0];
    if (dominant !== undefined) dominantShape.set(pageNumber, dominant);
  }
  // Named shapes learn their type pattern from their records, as live tables do.
  const profiled = signatures.map((signature, index) => (named.has(index) ? withProfile(signature, orphans[index] as EvidenceRecord[], encoding) : signature));
  for (const [pageNumber, dominant] of dominantShape) {
    const page = reader.readPage(pageNumber);
    if (page === undefined) continue;
    const path = pagePath(databasePath, pageNumber, reader.pageSize);
    const parsed = parseBtreePage(page, 0, 0, usableSize, path);
    if (parsed.kind !== 'parsed') continue;
    const carved = carveFreedCells(page, pageNumber, path, parsed.value, profiled[dominant] as RecordSignature, context);
    for (const record of carved.records) (freed[dominant] as FreedRecord[]).push({ ...record, table: (decodeInfos[dominant] as ReturnType<typeof unknownTable>).name });
    issues.push(...carved.issues);
  }
  // Freelist pages (trunks found by structure, the leaves they list), as an intact database's:
  // every shape's signature competes for each page; a tie keeps the records unattributed.
  const tied = new Map<string, { shape: number; records: FreedRecord[] }>();
  const shapeOfName = new Map(profiled.map((signature, index) => [signature.name, index]));
  const freePages = [...freelist.trunks.map((pageNumber) => ({ pageNumber, role: 'trunk' as const })), ...[...freelist.leaves].sort((a, b) => a - b).map((pageNumber) => ({ pageNumber, role: 'leaf' as const }))];
  if (freelist.trunks.length > 0) {
    issues.push(
      issue('sqlite.headerless.freelist-found', 'info', databasePath, 0, `${databaseName}: header lost; ${freelist.trunks.length} freelist trunk page(s) recognised by their structure (${freelist.trunks.slice(0, 8).join(', ')}${freelist.trunks.length > 8 ? ', …' : ''}), listing ${freelist.leaves.size} free page(s)`, {
        trunks: freelist.trunks.length,
        leaves: freelist.leaves.size,
      }),
    );
  }
  for (const { pageNumber, role } of freePages) {
    const page = reader.readPage(pageNumber);
    if (page === undefined) continue;
    const path = pagePath(databasePath, pageNumber, reader.pageSize);
    const carve = carveFreelistPage(page, pageNumber, path, role, profiled, context);
    issues.push(...carve.issues);
    const owner = carve.attributedTo === undefined ? undefined : shapeOfName.get(carve.attributedTo);
    if (owner !== undefined) {
      for (const record of carve.records) (freed[owner] as FreedRecord[]).push(record);
      continue;
    }
    const first = carve.records[0];
    const firstShape = shapeOfName.get(carve.tied[0]?.signatureName ?? '');
    if (first === undefined || firstShape === undefined) continue;
    const bucket = tied.get(first.table) ?? { shape: firstShape, records: [] };
    bucket.records.push(...carve.records);
    tied.set(first.table, bucket);
  }
  const tables: HeaderlessTable[] = shapes.map((shape, index) => ({
    name: (decodeInfos[index] as ReturnType<typeof unknownTable>).name,
    columns: (decodeInfos[index] as ReturnType<typeof unknownTable>).columns,
    shape,
    fromSchema: named.has(index),
    keyInfo: keyed[index]?.keyInfo ?? { name: (decodeInfos[index] as ReturnType<typeof unknownTable>).name, withoutRowid: false, uniqueSetLabels: [] },
    orphans: orphans[index] as EvidenceRecord[],
    freed: (freed[index] as FreedRecord[]).map((record) => ({
      ...record,
      confidence: { level: record.confidence.level === 'high' ? 'medium' : record.confidence.level, reasons: [...record.confidence.reasons, 'database header lost: compared with every cell listed by the orphan pages, live or not'] },
    })),
    listed: listed[index] as LivePageDigests[],
  }));
  for (const [name, bucket] of tied) {
    const decode = decodeInfos[bucket.shape] as ReturnType<typeof unknownTable>;
    tables.push({ name, columns: decode.columns, shape: shapes[bucket.shape] as TableShape, fromSchema: false, keyInfo: { name, withoutRowid: false, uniqueSetLabels: [] }, orphans: [], freed: bucket.records, listed: [], unattributed: true });
  }
  const withoutRowid = recoverWithoutRowidPages(reader, databasePath, databaseName, encoding, schema, issues);
  return { pageSize: reader.pageSize, encoding, tables: [...tables, ...withoutRowid], issues };
}

/** A record's field classes fit a signature exactly: same field count, every class storable there. */
function fitsExactly(classes: readonly number[], signature: RecordSignature): boolean {
  if (classes.length !== signature.fields.length) return false;
  return classes.every((set, index) => (set & ~ClassBit.null & ~(signature.fields[index] as RecordSignature['fields'][number]).storable) === 0);
}

/**
 * WITHOUT ROWID tables keep their rows in index b-tree pages, which an ordinary index's pages
 * resemble: without a schema such pages are not decoded (an ordinary index repeats rows found
 * elsewhere). With `--schema`, an index page every cell of which fits exactly one WITHOUT ROWID
 * table (all its fields), and no ordinary index of the schema, is decoded as that table's rows
 * (leaf and interior cells), its free space carved with the table's signature. Pages several
 * tables fit are reported (`sqlite.headerless.shape-ambiguous`) and left undecoded.
 */
function recoverWithoutRowidPages(reader: PageReader, databasePath: SourcePath, databaseName: string, encoding: TextEncoding, schema: SchemaFile | undefined, issues: Issue[]): HeaderlessTable[] {
  const tables = (schema?.tables ?? []).filter((table) => table.schema.withoutRowid);
  if (schema === undefined || tables.length === 0) return [];
  const usableSize = reader.pageSize;
  const indexes = schema.indexes.flatMap((definition) => {
    const owner = schema.tables.find((table) => table.name.toLowerCase() === definition.tableName.toLowerCase());
    const signature = owner === undefined ? undefined : indexSignature(definition, owner.signature);
    return signature === undefined ? [] : [signature];
  });
  const keyed = tables.map((table) => {
    const uniqueIndexes = schema.indexes.filter((index) => index.unique && index.tableName.toLowerCase() === table.name.toLowerCase()).map((index) => [...index.columnNames]);
    return withUniqueKeys(table.signature, table.sql, uniqueIndexes);
  });
  const pagesOf = tables.map(() => [] as { pageNumber: number; kind: 'index-leaf' | 'index-interior'; offsets: number[] }[]);
  for (let pageNumber = 2; pageNumber <= reader.pageCount; pageNumber++) {
    const page = reader.readPage(pageNumber);
    if (page === undefined || page.length < usableSize || (page[0] !== PageType.indexLeaf && page[0] !== PageType.indexInterior)) continue;
    const path = pagePath(databasePath, pageNumber, reader.pageSize);
    const parsed = parseBtreePage(page, 0, 0, usableSize, path);
    if (parsed.kind !== 'parsed' || parsed.issues.length > 0 || parsed.value.cellOffsetsInPage.length === 0) continue;
    const kind = parsed.value.type === PageType.indexLeaf ? 'index-leaf' : 'index-interior';
    const shapes: number[][] = [];
    for (const offset of parsed.value.cellOffsetsInPage) {
      const cell = parsePayloadCell(page, 0, offset, usableSize, kind);
      if (!cell.ok) continue;
      const header = parseRecordHeader(page, cell.cell.localPayloadStartInPage, cell.cell.localPayloadStartInPage + Math.min(cell.cell.localPayloadSize, cell.cell.payloadSize));
      if (header.ok) shapes.push(header.header.serialTypes.map(classBitOfSerialType));
    }
    if (shapes.length !== parsed.value.cellOffsetsInPage.length) continue;
    const fitting = keyed.map((entry, at) => ({ entry, at })).filter(({ entry }) => shapes.every((classes) => fitsExactly(classes, entry.signature)));
    if (fitting.length === 0 || indexes.some((signature) => shapes.every((classes) => fitsExactly(classes, signature)))) continue;
    if (fitting.length > 1) {
      issues.push(
        issue('sqlite.headerless.shape-ambiguous', 'warning', path, 0, `${databaseName}: index page ${pageNumber} fits WITHOUT ROWID tables ${fitting.map(({ at }) => (tables[at] as SchemaFileTable).name).join(', ')}; not decoded`, {
          tables: fitting.map(({ at }) => (tables[at] as SchemaFileTable).name).join(','),
        }),
      );
      continue;
    }
    (pagesOf[(fitting[0] as { at: number }).at] as { pageNumber: number; kind: 'index-leaf' | 'index-interior'; offsets: number[] }[]).push({ pageNumber, kind, offsets: [...parsed.value.cellOffsetsInPage] });
  }
  const context: FreedCarveContext = { databaseName, usableSize, encoding, reader, pageRoles: undefined };
  const out: HeaderlessTable[] = [];
  tables.forEach((table, at) => {
    const pages = pagesOf[at] as { pageNumber: number; kind: 'index-leaf' | 'index-interior'; offsets: number[] }[];
    if (pages.length === 0) return;
    const signature = (keyed[at] as ReturnType<typeof withUniqueKeys>).signature;
    const orphans: EvidenceRecord[] = [];
    const listed: LivePageDigests[] = [];
    for (const work of pages) {
      const page = reader.readPage(work.pageNumber) as Uint8Array;
      const path = pagePath(databasePath, work.pageNumber, reader.pageSize);
      const parsed = parseBtreePage(page, 0, 0, usableSize, path);
      if (parsed.kind !== 'parsed') continue;
      const decoded = decodeCells(page, work.pageNumber, path, work.kind, work.offsets, table.decode, { databaseName, usableSize, encoding, reader, state: RecordState.orphan, status: RecordStatus.unknown, foundBy: 'page-scan' });
      const reason = `${work.kind === 'index-leaf' ? 'index-leaf' : 'index-interior'} page ${work.pageNumber} found by page scan; database header lost; every record fits WITHOUT ROWID table ${table.name} of the schema file, and no ordinary index`;
      for (const record of decoded.records) orphans.push({ ...record, confidence: { level: 'medium', reasons: [reason] } });
      issues.push(...decoded.issues);
      listed.push(liveDigestsOfPage(reader, page, parsed.value, usableSize, signature.digestFieldSets, work.kind === 'index-interior' ? work.offsets : undefined));
    }
    const profiled = withProfile(signature, orphans, encoding);
    const freed: FreedRecord[] = [];
    for (const work of pages) {
      if (work.kind !== 'index-leaf') continue;
      const page = reader.readPage(work.pageNumber) as Uint8Array;
      const path = pagePath(databasePath, work.pageNumber, reader.pageSize);
      const parsed = parseBtreePage(page, 0, 0, usableSize, path);
      if (parsed.kind !== 'parsed') continue;
      const carved = carveFreedCells(page, work.pageNumber, path, parsed.value, profiled, context);
      for (const record of carved.records) {
        freed.push({ ...record, confidence: { level: record.confidence.level === 'high' ? 'medium' : record.confidence.level, reasons: [...record.confidence.reasons, 'database header lost: compared with every cell listed by the orphan pages, live or not'] } });
      }
      issues.push(...carved.issues);
    }
    const fieldClasses = signature.fields.map((field) => field.storable);
    out.push({
      name: table.name,
      columns: table.decode.columns,
      shape: { name: table.name, fieldCount: fieldClasses.length, classes: fieldClasses, recordCount: orphans.length, pattern: patternOf(fieldClasses) },
      fromSchema: true,
      keyInfo: (keyed[at] as ReturnType<typeof withUniqueKeys>).keyInfo,
      orphans,
      freed,
      listed,
    });
  });
  return out;
}

interface SurvivingTable {
  readonly table: SchemaFileTable;
  /** Leaf pages reached from its root page (or holding the surviving sqlite_schema rows). */
  readonly pageNumbers: readonly number[];
  readonly reason: string;
}

const schemaTypes = new Set(['table', 'index', 'view', 'trigger']);

/**
 * sqlite_schema rows among the orphan cells: five fields (type, name, tbl_name, rootpage, sql)
 * whose type is one of SQLite's four and whose sql is a CREATE statement. A schema larger than
 * page 1 keeps its leaves elsewhere, so they survive page 1's loss. From them: a schema file
 * (named tables and their indexes) and, for each rowid table whose root page is not page 1, the
 * leaves its b-tree walk reaches. The pages holding the rows are attributed to sqlite_schema.
 * Issues: `sqlite.headerless.schema-recovered` (info) and the b-tree walks'.
 */
function survivingSchema(reader: PageReader, cells: readonly ShapedCell[], usableSize: number, encoding: TextEncoding, databasePath: SourcePath, databaseName: string): { schemaFile: SchemaFile | undefined; attributed: SurvivingTable[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const { integer, text } = ClassBit;
  const byPage = new Map<number, number[]>();
  for (const cell of cells) {
    const [type, name, tableName, root, sql] = cell.fieldClasses;
    if (cell.fieldClasses.length !== 5 || type !== text || name !== text || tableName !== text || (root !== integer && root !== ClassBit.null) || (sql !== text && sql !== ClassBit.null)) continue;
    byPage.set(cell.pageNumber, [...(byPage.get(cell.pageNumber) ?? []), cell.offsetInPage]);
  }
  const entries: { type: string; name: string; rootPageNumber: number; sql: string }[] = [];
  const schemaPages: number[] = [];
  for (const [pageNumber, offsets] of byPage) {
    const page = reader.readPage(pageNumber);
    if (page === undefined) continue;
    const decoded = decodeCells(page, pageNumber, pagePath(databasePath, pageNumber, reader.pageSize), 'table-leaf', offsets, sqliteSchemaTable, {
      databaseName,
      usableSize,
      encoding,
      reader,
      state: RecordState.orphan,
      status: RecordStatus.unknown,
      foundBy: 'page-scan',
    });
    let rows = 0;
    for (const record of decoded.records) {
      const [type, name, , root, sql] = record.values;
      if (type === null || type === undefined || !schemaTypes.has(type) || name === null || name === undefined || sql === null || sql === undefined || !/^\s*create\s/i.test(sql)) continue;
      entries.push({ type, name, rootPageNumber: Number(root ?? 0), sql });
      rows++;
    }
    // A page is sqlite_schema's only when every listed cell is a schema row.
    if (rows > 0 && rows === cells.filter((cell) => cell.pageNumber === pageNumber).length) schemaPages.push(pageNumber);
  }
  const tableEntries = entries.filter((entry) => entry.type === 'table' || entry.type === 'index');
  if (tableEntries.length === 0) return { schemaFile: undefined, attributed: [], issues };
  const schemaFile = parseSchemaFile(tableEntries.map((entry) => entry.sql).join(';\n'));
  const attributed: SurvivingTable[] = [];
  const schemaTable = parseSchemaFile('CREATE TABLE sqlite_schema (type text, name text, tbl_name text, rootpage integer, sql text)').tables[0] as SchemaFileTable;
  if (schemaPages.length > 0) {
    attributed.push({ table: { ...schemaTable, decode: sqliteSchemaTable }, pageNumbers: schemaPages.sort((a, b) => a - b), reason: 'every cell of the page is a sqlite_schema row' });
  }
  const visited = new Set<number>(schemaPages);
  const named: string[] = [];
  for (const entry of tableEntries) {
    if (entry.type !== 'table' || entry.rootPageNumber < 2 || entry.rootPageNumber > reader.pageCount) continue;
    const table = schemaFile.tables.find((candidate) => candidate.name === entry.name);
    if (table === undefined || table.schema.withoutRowid) continue;
    const walk = walkBtree(reader, usableSize, entry.rootPageNumber, databasePath, visited);
    issues.push(...walk.issues);
    const leaves = walk.leaves.filter((leaf) => leaf.type === PageType.tableLeaf).map((leaf) => leaf.pageNumber);
    if (leaves.length === 0) continue;
    named.push(`${table.name} (root page ${entry.rootPageNumber}, ${leaves.length} leaves)`);
    attributed.push({ table, pageNumbers: leaves, reason: `reached from root page ${entry.rootPageNumber} of table ${table.name}, named by the sqlite_schema rows that survived on page(s) ${[...byPage.keys()].join(', ')}` });
  }
  issues.push(
    issue('sqlite.headerless.schema-recovered', 'info', databasePath, 0, `${databaseName}: ${entries.length} sqlite_schema row(s) survived on page(s) ${[...byPage.keys()].join(', ')}; tables attributed by their root pages: ${named.length === 0 ? 'none' : named.join(', ')}`, {
      rows: entries.length,
    }),
  );
  return { schemaFile, attributed, issues };
}
