/**
 * One database, in one thread: live decode, freed-space carving (freeblocks, gap, fragments,
 * freelist pages, dropped tables), rowid recovery from index entries and classification of every
 * freed record against the live rows. The scan (src/pipeline/scan-freed.ts), the raw-image carving,
 * the accuracy benchmark and the tests all call it.
 *
 * `recoverFromReader` is pure over a PageReader; `recoverDatabase` is the thin wrapper that opens
 * the evidence read-only through FileSource.
 */
import type { EvidenceRecord, RecordState, RecordStatus } from '../../evidence/record.js';
import type { Issue } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { filePath, renderPath } from '../../provenance/path.js';
import { pagePath, walkBtree } from '../../formats/sqlite/btree.js';
import { lockBytePageNumber, pointerMapPageNumbers, walkFreelist } from '../../formats/sqlite/freelist.js';
import type { TextEncoding } from '../../formats/sqlite/layout.js';
import { PageType } from '../../formats/sqlite/layout.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import type { DatabaseHeader } from '../../formats/sqlite/parse-header.js';
import { parseDatabaseHeader } from '../../formats/sqlite/parse-header.js';
import type { BtreePage } from '../../formats/sqlite/parse-page.js';
import { formatOffset } from '../../bytes/offsets.js';
import { issue } from '../../issues/issue.js';
import { FileSource } from '../../sources/file-source.js';
import { inferPageSize, recoverHeaderless } from '../headerless.js';
import { parseSchemaFile } from './schema-file.js';
import { SourcePageReader } from '../../sources/page-reader.js';
import type { IndexEntry, LiveKeyIndex } from '../../assembly/record-states.js';
import { OverflowChainClaims, addLiveDigestArrays, addLiveDigests, classifyFreedRecords, createLiveKeyIndex, finishLiveKeyIndex, indexEntryOf, liveCopyCount, liveIndexCopyCount, liveIndexEntryKeys, recoverRowidsFromIndexes } from '../../assembly/record-states.js';
import { planTablePages, readSchema } from '../database.js';
import type { TablePlan } from '../database.js';
import { decodeLivePages, pageWorkOf } from '../live-records.js';
import type { PageWork } from '../live-records.js';
import type { CarveFreelistResult, CarvePagesResult, FreedJob, FreedJobDatabase, FreedJobResult, LiveChain, LiveDigestResult } from './freed-jobs.js';
import { forEachPrefetched, parsedPage, prefetching, runFreedJob } from './freed-jobs.js';
import type { FreelistPageCarve } from './freelist-pages.js';
import type { FreedCarveContext, FreedRecord } from './build-record.js';
import { carvedRecord, decodeCandidate } from './build-record.js';
import { carveRegion } from './carve-region.js';
import type { DroppedTable } from './dropped-tables.js';
import { attributeDroppedPages, droppedTablesFrom } from './dropped-tables.js';
import type { FreedCellKind } from './header-rebuild.js';
import { intactCellAt } from './header-rebuild.js';
import type { PageRoles } from './overflow.js';
import { PageRole, liveChainTable } from './overflow.js';
import type { RecordSignature } from './signature.js';
import { indexSignature, parseCreateIndex, withUniqueKeys, schemaTableSignature, tableSignature, withProfile } from './signature.js';
import { freeRegionsOf } from './unallocated.js';

export interface RecoverOptions {
  /** Keep the live records in the result (tests); the benchmark only needs counts. */
  readonly keepLiveRecords?: boolean;
  /** CREATE statements naming the tables when page 1 is lost (`--schema FILE` contents). */
  readonly schemaSql?: string;
  /**
   * Streaming: classified freed records are handed over as soon as nothing later can change them
   * (records that may still get a rowid from an index entry wait until the end) and are not kept
   * in the result, so memory stays bounded by what is in flight.
   */
  readonly onFreedRecords?: (table: FreedTableInfo, records: readonly EvidenceRecord[]) => void;
}

/** The table a batch of streamed freed records belongs to (what a report declares before them). */
export interface FreedTableInfo {
  readonly name: string;
  readonly columns: readonly string[];
  readonly withoutRowid: boolean;
}

export interface RecoveredTable {
  readonly name: string;
  readonly columns: readonly string[];
  readonly withoutRowid: boolean;
  /**
   * live: in the schema; dropped: found through a carved sqlite_schema row; unattributed: freed
   * pages several tables fit; headerless: page 1 lost, shape inferred (or named by `schemaSql`).
   */
  readonly kind: 'live' | 'dropped' | 'unattributed' | 'headerless';
  readonly liveCount: number;
  readonly live: readonly EvidenceRecord[];
  /** Records from freed space, classified (deleted, stale-copy, superseded). */
  readonly freed: readonly EvidenceRecord[];
}

export interface RecoveredDatabase {
  readonly location: string;
  readonly pageSize: number;
  readonly encoding: TextEncoding;
  readonly tables: readonly RecoveredTable[];
  readonly droppedTables: readonly { readonly name: string; readonly sql: string; readonly rootPageNumber: number }[];
  readonly issues: readonly Issue[];
  readonly counts: {
    readonly live: number;
    readonly freedByState: Readonly<Record<string, number>>;
    readonly freedByStatus: Readonly<Record<string, number>>;
    readonly indexEntries: number;
  };
}

/** Records sampled per table to learn its type pattern (classes, serial types, text lengths). */
export const profileSampleSize = 4000;

interface TableWork {
  readonly plan: TablePlan | undefined;
  readonly dropped: DroppedTable | undefined;
  signature: RecordSignature;
  readonly keyIndex: LiveKeyIndex;
  readonly live: EvidenceRecord[];
  /** Records waiting for classification (all of them unless streaming). */
  freed: FreedRecord[];
  /** Classified records kept for the result (when not streaming). */
  readonly output: EvidenceRecord[];
  readonly indexes: RecordSignature[];
  readonly kind: RecoveredTable['kind'];
}

function kindOfListed(type: number): FreedCellKind | undefined {
  if (type === PageType.tableLeaf) return 'table-leaf';
  if (type === PageType.indexLeaf) return 'index-leaf';
  if (type === PageType.indexInterior) return 'index-interior';
  return undefined;
}

/** Index entries on one index b-tree page: listed cells (live) and freed cells, every reading kept. */
export function indexEntriesOfPage(page: Uint8Array, pageNumber: number, path: SourcePath, btreePage: BtreePage, signature: RecordSignature, context: FreedCarveContext, listedAreLive: boolean): IndexEntry[] {
  const entries: IndexEntry[] = [];
  const columns = signature.indexedColumns;
  const kind = kindOfListed(btreePage.type);
  const reading = (record: EvidenceRecord): { types: EvidenceRecord['types']; values: EvidenceRecord['values'] } => ({ types: record.types, values: record.values });
  const options = { databaseName: context.databaseName, pageNumber, pagePath: path, state: 'freeblock' as RecordState, level: 'low' as const, reasons: [] };
  if (kind !== undefined && kind !== 'table-leaf') {
    const space = freeRegionsOf(page, btreePage, context.usableSize, path);
    for (const [start, end] of space.cellExtents) {
      const cell = intactCellAt(page, start, end, kind, signature, context.usableSize);
      const decoded = cell === undefined ? undefined : decodeCandidate(page, cell, context);
      if (decoded === undefined) continue;
      const record = carvedRecord(page, decoded, signature, options);
      entries.push(...indexEntryOf(signature.name, columns, [reading(record)], listedAreLive, record));
    }
    const kinds: FreedCellKind[] = kind === 'index-interior' ? ['index-interior', 'index-leaf'] : ['index-leaf'];
    for (const region of space.regions) {
      const carve = carveRegion(page, region, kinds, signature, context, { hintStarts: space.stalePointers });
      for (const cell of carve.cells) {
        const record = carvedRecord(page, cell.decoded, signature, options);
        entries.push(...indexEntryOf(signature.name, columns, [reading(record)], false, record));
      }
      for (const ambiguous of carve.ambiguous) {
        if (ambiguous.readings.length === 0) continue;
        const records = ambiguous.readings.map((decoded) => carvedRecord(page, decoded, signature, options));
        entries.push(...indexEntryOf(signature.name, columns, records.map(reading), false, records[0] as EvidenceRecord));
      }
    }
  }
  return entries;
}

/** Bytes read ahead on a page-cache miss (b-tree walks visit leaves mostly in file order). */
export const freedReadAheadBytes = 256 * 1024;

/**
 * Pages per job: one read call a job, few enough records a job that they are classified and
 * handed over while still young (measured, 66 MB database, 95k freed records, one thread: 32 pages
 * and 16 jobs a step 2.65 s, 8 pages and 1 job a step 2.15 s, most of the difference scavenges of
 * records held until their step ended; 1 or 2 pages a job 2.4–2.55 s, per-job costs).
 */
export const freedJobPageCount = 8;
/** Jobs handed out per step: their results are consumed in order once the whole step is done. */
export const freedJobsPerStep = 1;

/**
 * Freed-space recovery as a sequence of steps: each `yield` hands out jobs (freed-jobs.ts) and
 * receives their results in the same order; everything between steps (schema, plans, rowid
 * recovery, classification) runs on the caller's thread. `recoverFromReader` runs the jobs in
 * place; any driver that returns the results in job order gives the same output.
 */
export type RecoverySteps = Generator<readonly FreedJob[], RecoveredDatabase, readonly FreedJobResult[]>;

/** Splits `items` into jobs of `freedJobPageCount` and yields them `freedJobsPerStep` at a time. */
function* inSteps<T, R extends FreedJobResult>(items: readonly T[], job: (slice: readonly T[]) => FreedJob, consume: (result: R) => void): Generator<readonly FreedJob[], void, readonly FreedJobResult[]> {
  const jobs: FreedJob[] = [];
  for (let start = 0; start < items.length; start += freedJobPageCount) jobs.push(job(items.slice(start, start + freedJobPageCount)));
  for (let start = 0; start < jobs.length; start += freedJobsPerStep) {
    const results = yield jobs.slice(start, start + freedJobsPerStep);
    for (const result of results) consume(result as R);
  }
}

/**
 * Everything recoverable from one database whose header parsed, on this thread: live rows
 * (counted, or kept), freed records classified against them, dropped tables, and every issue met.
 */
export function recoverFromReader(pageReader: PageReader, header: DatabaseHeader, databasePath: SourcePath, databaseName: string, options: RecoverOptions = {}): RecoveredDatabase {
  const reader = prefetching(pageReader);
  const steps = recoverSteps(reader, header, databasePath, databaseName, options);
  let step = steps.next([]);
  while (step.done !== true) step = steps.next(step.value.map((job) => runFreedJob(reader, job)));
  return step.value;
}

/** The steps of `recoverFromReader`; `pageReader` serves what runs between steps (schema, b-tree walks, samples). */
export function* recoverSteps(pageReader: PageReader, header: DatabaseHeader, databasePath: SourcePath, databaseName: string, options: RecoverOptions = {}): RecoverySteps {
  const reader = prefetching(pageReader);
  const usableSize = header.usableSize;
  const issues: Issue[] = [];
  const schema = readSchema(reader, header, databasePath, databaseName);
  const plan = planTablePages(reader, header, schema, databasePath);
  issues.push(...schema.issues, ...plan.issues);

  // Page roles in shared memory: a job run in a worker would read them without a copy.
  const roles = new Uint8Array(new SharedArrayBuffer(reader.pageCount + 1));
  const liveChains = new Map<number, number>();
  const markBtree = (pageNumbers: Iterable<number>): void => {
    for (const pageNumber of pageNumbers) if (pageNumber >= 1 && pageNumber <= reader.pageCount) roles[pageNumber] = PageRole.btree;
  };
  for (const table of plan.tables) {
    markBtree(table.leaves.map((leaf) => leaf.pageNumber));
    markBtree(table.interiorPageNumbers);
  }
  const indexTrees = schema.entries
    .filter((entry) => entry.type === 'index' && entry.rootPageNumber > 0)
    .map((entry) => ({ entry, walk: walkBtree(reader, usableSize, entry.rootPageNumber, databasePath) }));
  for (const tree of indexTrees) {
    markBtree(tree.walk.leaves.map((leaf) => leaf.pageNumber));
    markBtree(tree.walk.interiorPageNumbers);
  }
  const freelist = walkFreelist(reader, usableSize, header.firstFreelistTrunkPage, header.freelistPageCount, databasePath);
  issues.push(...freelist.issues);
  for (const pageNumber of freelist.trunkPageNumbers) roles[pageNumber] = PageRole.freelistTrunk;
  for (const pageNumber of freelist.leafPageNumbers) roles[pageNumber] = PageRole.freelistLeaf;
  if (header.largestRootBtreePage !== 0) for (const pageNumber of pointerMapPageNumbers(usableSize, reader.pageCount)) roles[pageNumber] = PageRole.pointerMap;
  const lockByte = lockBytePageNumber(header.pageSize);
  if (lockByte <= reader.pageCount) roles[lockByte] = PageRole.lockByte;

  const learning: FreedJobDatabase = { databaseName, databasePath, usableSize, encoding: header.encoding, pageRoles: undefined };
  const freedByState: Record<string, number> = {};
  const freedByStatus: Record<string, number> = {};
  const stream = options.onFreedRecords;
  /** Classifies, counts and hands over (or keeps) records whose state can no longer change. */
  const finish = (tableWork: TableWork, records: readonly FreedRecord[]): void => {
    if (records.length === 0) return;
    // Unattributed records have no table to compare with: their status stays unknown.
    const classified = tableWork.kind === 'unattributed' ? records : classifyFreedRecords(tableWork.keyIndex, records);
    for (const record of classified) {
      freedByState[record.state as RecordState] = (freedByState[record.state] ?? 0) + 1;
      freedByStatus[record.status as RecordStatus] = (freedByStatus[record.status] ?? 0) + 1;
    }
    if (stream !== undefined) stream({ name: tableWork.signature.name, columns: tableWork.signature.decode.columns, withoutRowid: tableWork.signature.decode.withoutRowid }, classified);
    else for (const record of classified) tableWork.output.push(record);
  };
  const chainClaims = new OverflowChainClaims();
  const claimChains = (records: readonly FreedRecord[]): void => {
    for (const problem of chainClaims.claim(records)) issues.push(problem);
  };
  /** Carved records of a table: finished at once when streaming and no index entry can still give them a rowid. */
  const accept = (tableWork: TableWork, records: readonly FreedRecord[]): void => {
    claimChains(records);
    if (stream === undefined || tableWork.signature.kind === 'schema' || tableWork.kind === 'unattributed') {
      for (const record of records) tableWork.freed.push(record);
      return;
    }
    const ready = tableWork.indexes.length === 0 ? records : records.filter((record) => record.rowid !== null || tableWork.signature.decode.withoutRowid);
    finish(tableWork, ready);
    if (ready.length !== records.length) for (const record of records) if (!ready.includes(record)) tableWork.freed.push(record);
  };

  const uniqueIndexesOf = new Map<string, string[][]>();
  for (const entry of schema.entries) {
    const definition = entry.type === 'index' && entry.sql !== null ? parseCreateIndex(entry.sql) : undefined;
    if (definition === undefined || !definition.unique) continue;
    const key = definition.tableName.toLowerCase();
    uniqueIndexesOf.set(key, [...(uniqueIndexesOf.get(key) ?? []), [...definition.columnNames]]);
  }
  const markChains = (chains: readonly LiveChain[]): void => {
    for (const chain of chains) {
      liveChains.set(chain.firstPageNumber, chain.localFingerprint);
      for (const pageNumber of chain.pageNumbers) if (roles[pageNumber] === PageRole.unknown) roles[pageNumber] = PageRole.overflow;
    }
  };

  // Live rows: digests of every cell (classification, overflow roles) from the jobs; decoded
  // records here only for a sample (the type pattern) unless the caller keeps them all.
  const work: TableWork[] = [];
  const schemaSignature = schemaTableSignature();
  for (const table of plan.tables) {
    const isSchema = table.table.entry.rootPageNumber === 1;
    const base = isSchema ? schemaSignature : tableSignature(table.table.decode, table.table.schema, table.table.entry.sql);
    const keyed = withUniqueKeys(base, table.table.entry.sql, uniqueIndexesOf.get(table.table.entry.name.toLowerCase()) ?? []);
    const tableWork: TableWork = { plan: table.table, dropped: undefined, signature: keyed.signature, keyIndex: createLiveKeyIndex(keyed.keyInfo), live: [], freed: [], output: [], indexes: [], kind: 'live' };
    const sample: EvidenceRecord[] = [];
    const pages = pageWorkOf(table);
    const decode = { databaseName, databasePath, usableSize, encoding: header.encoding, table: table.table.decode };
    for (const page of pages) {
      if (options.keepLiveRecords !== true && sample.length >= profileSampleSize) break;
      const batch = decodeLivePages(reader, { ...decode, pages: [page] });
      issues.push(...batch.issues);
      if (sample.length < profileSampleSize) sample.push(...batch.records);
      if (options.keepLiveRecords === true) tableWork.live.push(...batch.records);
    }
    let minimumFieldCount = Number.MAX_SAFE_INTEGER;
    yield* inSteps<PageWork, LiveDigestResult>(
      pages,
      (slice) => ({ kind: 'live-digests', database: learning, pages: slice, fieldSets: tableWork.signature.digestFieldSets }),
      (result) => {
        addLiveDigestArrays(tableWork.keyIndex, result.count, result.rowids, result.full, result.sets, result.setCount);
        markChains(result.chains);
        minimumFieldCount = Math.min(minimumFieldCount, result.minimumFieldCount);
      },
    );
    finishLiveKeyIndex(tableWork.keyIndex);
    if (!isSchema) tableWork.signature = withProfile(tableWork.signature, sample, header.encoding, minimumFieldCount === Number.MAX_SAFE_INTEGER ? undefined : minimumFieldCount);
    work.push(tableWork);
  }
  for (const tree of indexTrees) {
    yield* inSteps<PageWork, LiveDigestResult>(
      tree.walk.leaves.map((leaf) => ({ pageNumber: leaf.pageNumber })),
      (slice) => ({ kind: 'live-digests', database: learning, pages: slice, fieldSets: [] }),
      (result) => markChains(result.chains),
    );
  }
  const pageRoles: PageRoles = { roles, liveChains: liveChainTable(liveChains) };
  const database: FreedJobDatabase = { ...learning, pageRoles };
  const context: FreedCarveContext = { databaseName, usableSize, encoding: header.encoding, reader, pageRoles };

  // Index signatures (rowid recovery) and live index entries.
  const indexEntries = new Map<string, IndexEntry[]>();
  const indexSignatures: RecordSignature[] = [];
  for (const tree of indexTrees) {
    const definition = tree.entry.sql === null ? undefined : parseCreateIndex(tree.entry.sql);
    const owner = definition === undefined ? undefined : work.find((entry) => entry.signature.name.toLowerCase() === definition.tableName.toLowerCase());
    const signature = definition === undefined || owner === undefined ? undefined : indexSignature(definition, owner.signature);
    if (signature === undefined || owner === undefined) continue;
    indexSignatures.push(signature);
    owner.indexes.push(signature);
    const entries: IndexEntry[] = [];
    forEachPrefetched(reader, [...tree.walk.leaves.map((leaf) => leaf.pageNumber), ...tree.walk.interiorPageNumbers], (pageNumber) => {
      const path = pagePath(databasePath, pageNumber, reader.pageSize);
      const loaded = parsedPage(reader, pageNumber, usableSize, path);
      if (loaded !== undefined) entries.push(...indexEntriesOfPage(loaded.page, pageNumber, path, loaded.btreePage, signature, context, true));
    });
    indexEntries.set(signature.name, entries);
  }

  // Freed space of live pages.
  for (const [position, table] of plan.tables.entries()) {
    const tableWork = work[position] as TableWork;
    yield* inSteps<number, CarvePagesResult>(
      [...table.leaves.map((leaf) => leaf.pageNumber), ...table.interiorPageNumbers],
      (slice) => ({ kind: 'carve-pages', database, pageNumbers: slice, signature: tableWork.signature }),
      (result) => {
        accept(tableWork, result.records);
        for (const problem of result.issues) issues.push(problem);
      },
    );
  }

  // Dropped tables from carved sqlite_schema rows.
  const schemaWork = work.find((entry) => entry.signature.kind === 'schema');
  const dropped = droppedTablesFrom(schemaWork?.freed ?? [], schema.entries);
  for (const table of dropped) {
    const keyed = withUniqueKeys(table.signature, table.sql, []);
    work.push({ plan: undefined, dropped: table, signature: keyed.signature, keyIndex: createLiveKeyIndex(keyed.keyInfo), live: [], freed: [], output: [], indexes: [], kind: 'dropped' });
  }
  const freePages = new Set<number>([...freelist.trunkPageNumbers, ...freelist.leafPageNumbers]);
  const attribution = attributeDroppedPages(reader, usableSize, dropped, freePages);

  // Freelist pages: every signature competes for each page.
  const candidates: RecordSignature[] = [...work.filter((entry) => entry.signature.kind !== 'schema').map((entry) => entry.signature), schemaSignature, ...indexSignatures];
  const byName = new Map(work.map((entry) => [entry.signature.name, entry]));
  const indexByName = new Map(indexSignatures.map((signature) => [signature.name, signature]));
  const liveIndexKeys = new Map(indexSignatures.map((signature) => [signature.name, liveIndexEntryKeys(indexEntries.get(signature.name) ?? [])]));
  const unattributed = new Map<string, TableWork>();
  const deliver = (name: string, records: readonly FreedRecord[]): void => {
    const index = indexByName.get(name);
    if (index !== undefined) {
      const list = indexEntries.get(index.name) ?? [];
      for (const record of records) list.push(...indexEntryOf(index.name, index.indexedColumns, [{ types: record.types, values: record.values }], false, record));
      indexEntries.set(index.name, list);
      return;
    }
    const owner = name === schemaSignature.name ? schemaWork : byName.get(name);
    if (owner !== undefined) accept(owner, records);
  };
  const takeFreelistPage = (result: FreelistPageCarve): void => {
    if (result.attributedTo !== undefined) {
      issues.push(...result.issues);
      deliver(result.attributedTo, result.records);
      return;
    }
    if (result.tied.length === 0) {
      issues.push(...result.issues);
      return;
    }
    // A tie between same-shaped tables: the one whose live rows (or live index entries) the page
    // copies is the owner. Without such evidence the records stay unattributed.
    const support = result.tied.map((entry) => {
      const keys = liveIndexKeys.get(entry.signatureName);
      if (keys !== undefined) return liveIndexCopyCount(keys, entry.records);
      const owner = entry.signatureName === schemaSignature.name ? schemaWork : byName.get(entry.signatureName);
      return owner === undefined ? 0 : liveCopyCount(owner.keyIndex, entry.records);
    });
    const strongest = Math.max(...support);
    const winners = result.tied.filter((_, at) => support[at] === strongest);
    if (strongest > 0 && winners.length === 1) {
      const winner = winners[0] as (typeof result.tied)[number];
      issues.push(...result.issues.filter((problem) => problem.code === 'sqlite.freed.trunk-overwritten'), ...winner.issues);
      const reason = `page attributed to ${winner.signatureName}: ${strongest} of its records copy live ${indexByName.has(winner.signatureName) ? 'index entries' : 'rows'}; ${result.tied.map((entry) => entry.signatureName).join(', ')} fit equally otherwise`;
      deliver(
        winner.signatureName,
        winner.records.map((record) => ({ ...record, confidence: { level: record.confidence.level, reasons: [...record.confidence.reasons, reason] } })),
      );
      return;
    }
    issues.push(...result.issues);
    const name = result.records[0]?.table ?? 'unattributed';
    const first = (byName.get(result.tied[0]?.signatureName ?? '') ?? schemaWork) as TableWork;
    let bucket = unattributed.get(name);
    if (bucket === undefined) {
      bucket = { plan: undefined, dropped: undefined, signature: { ...first.signature, name }, keyIndex: createLiveKeyIndex({ name, withoutRowid: first.signature.decode.withoutRowid, uniqueSetLabels: [] }), live: [], freed: [], output: [], indexes: [], kind: 'unattributed' };
      unattributed.set(name, bucket);
    }
    claimChains(result.records);
    bucket.freed.push(...result.records);
  };
  const trunks = new Set(freelist.trunkPageNumbers);
  yield* inSteps<number, CarveFreelistResult>(
    [...freelist.trunkPageNumbers, ...freelist.leafPageNumbers],
    (slice) => ({
      kind: 'carve-freelist',
      database,
      pages: slice.map((pageNumber) => ({ pageNumber, role: trunks.has(pageNumber) ? 'trunk' : 'leaf', attributedTo: attribution.get(pageNumber) })),
      candidates,
    }),
    (result) => {
      for (const page of result.pages) if (page !== undefined) takeFreelistPage(page);
    },
  );
  work.push(...unattributed.values());

  // Rowid recovery, then classification against the live rows, of whatever is still waiting.
  const tables: RecoveredTable[] = [];
  let live = 0;
  let entryCount = 0;
  for (const list of indexEntries.values()) entryCount += list.length;
  for (const tableWork of work) {
    const entries = tableWork.indexes.flatMap((index) => indexEntries.get(index.name) ?? []);
    finish(tableWork, recoverRowidsFromIndexes(tableWork.signature.decode, tableWork.freed, entries));
    tableWork.freed = [];
    live += tableWork.keyIndex.liveCount;
    tables.push({
      name: tableWork.signature.name,
      columns: tableWork.signature.decode.columns,
      withoutRowid: tableWork.signature.decode.withoutRowid,
      kind: tableWork.kind,
      liveCount: tableWork.keyIndex.liveCount,
      live: tableWork.live,
      freed: tableWork.output,
    });
  }
  return {
    location: databaseName,
    pageSize: header.pageSize,
    encoding: header.encoding,
    tables,
    droppedTables: dropped.map((table) => ({ name: table.name, sql: table.sql, rootPageNumber: table.rootPageNumber })),
    issues,
    counts: { live, freedByState, freedByStatus, indexEntries: entryCount },
  };
}

/**
 * Opens `location` read-only and recovers it. A file without a usable header yields no tables and
 * the header issue (headerless recovery lives in recovery/headerless.ts).
 */
export function recoverDatabase(location: string, options: RecoverOptions = {}): RecoveredDatabase {
  const source = new FileSource(location);
  try {
    const path = filePath(location);
    const headerOutcome = parseDatabaseHeader(source.read(0, 100), 0, path);
    if (headerOutcome.kind === 'parsed') {
      const header = headerOutcome.value;
      const reader = new SourcePageReader(source, header.pageSize, 0, source.sizeInBytes, 128, freedReadAheadBytes);
      return recoverFromReader(reader, header, path, location, options);
    }
    const headerIssues: Issue[] = headerOutcome.kind === 'malformed' ? [...headerOutcome.issues] : [issue('sqlite.header.missing', 'warning', path, 0, `${location}: no SQLite header at ${formatOffset(0)}; page size inferred from page structure`)];
    const guess = inferPageSize((offset, length) => source.read(offset, length), source.sizeInBytes, path);
    if (guess === undefined) {
      return { location, pageSize: 0, encoding: 1, tables: [], droppedTables: [], issues: headerIssues, counts: { live: 0, freedByState: {}, freedByStatus: {}, indexEntries: 0 } };
    }
    const reader = new SourcePageReader(source, guess.pageSize, 0, source.sizeInBytes, 128, freedReadAheadBytes);
    return recoverHeaderlessDatabase(reader, path, location, options, headerIssues);
  } finally {
    source.close();
  }
}

/** Page 1 lost: shapes inferred (and named from `options.schemaSql`), freed records classified against the listed cells. */
export function recoverHeaderlessDatabase(reader: PageReader, databasePath: SourcePath, databaseName: string, options: RecoverOptions = {}, headerIssues: readonly Issue[] = []): RecoveredDatabase {
  const issues: Issue[] = [...headerIssues];
  const schema = options.schemaSql === undefined ? undefined : parseSchemaFile(options.schemaSql);
  for (const skipped of schema?.skipped ?? []) issues.push(issue('sqlite.schema-file.statement-skipped', 'info', databasePath, 0, `Schema file: statement skipped (${skipped.reason}): ${skipped.statement.slice(0, 80)}`));
  const recovered = recoverHeaderless(reader, databasePath, databaseName, schema === undefined ? {} : { schema });
  issues.push(...recovered.issues);
  const freedByState: Record<string, number> = {};
  const freedByStatus: Record<string, number> = {};
  let live = 0;
  const tables: RecoveredTable[] = recovered.tables.map((table) => {
    const index = createLiveKeyIndex(table.keyInfo);
    for (const page of table.listed) addLiveDigests(index, page);
    // Records several shapes fit equally have nothing to be compared with: their status stays unknown.
    const freed = table.unattributed === true ? table.freed : classifyFreedRecords(index, table.freed);
    for (const record of freed) {
      freedByState[record.state] = (freedByState[record.state] ?? 0) + 1;
      freedByStatus[record.status] = (freedByStatus[record.status] ?? 0) + 1;
    }
    live += table.orphans.length;
    return { name: table.name, columns: table.columns, withoutRowid: table.keyInfo.withoutRowid, kind: 'headerless', liveCount: table.orphans.length, live: options.keepLiveRecords === true ? table.orphans : [], freed };
  });
  return { location: databaseName, pageSize: recovered.pageSize, encoding: recovered.encoding, tables, droppedTables: [], issues, counts: { live, freedByState, freedByStatus, indexEntries: 0 } };
}

/** Rendered provenance of a record, for messages and benchmark output. */
export function describeRecord(record: EvidenceRecord): string {
  return `${renderPath(record.path)} [${record.state}/${record.status}]`;
}
