/**
 * Honest states for records found in freed space (freed-records issue, item 7). Every candidate is
 * compared with the live rows of its table before anything is called deleted:
 * | Status       | When                                                                          |
 * |--------------|-------------------------------------------------------------------------------|
 * | stale-copy   | equal, column by column, to the live row with the same key (b-tree rebalancing |
 * |              | leaves such copies; sqlite.md §4 trap 5), or, rowid lost, to some live row     |
 * | superseded   | its key (rowid, or WITHOUT ROWID primary key) is live with other values        |
 * | deleted      | no live row has its key (or, rowid lost, its values)                           |
 * Keys: the rowid for rowid tables, the primary key for WITHOUT ROWID tables. A lost rowid may be
 * recovered first from index entries that still hold the row's indexed values (trap 6).
 *
 * The live side is kept as a compact index of 52-bit value digests, built batch by batch, so a
 * database of millions of rows is classified without keeping its live records. A digest collision
 * can only make a deleted record look like a copy (a missed deletion), never the reverse.
 */
import type { EvidenceRecord, IntegrityFlag, RecordStatus, SqlText, StorageClass } from '../evidence/record.js';
import { IntegrityFlag as Flags, RecordStatus as Statuses } from '../evidence/record.js';
import { renderPath } from '../provenance/path.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import type { FreedRecord } from '../recovery/freed/build-record.js';
import type { LivePageDigests } from '../recovery/freed/record-digest.js';

export interface TableKeyInfo {
  readonly name: string;
  readonly withoutRowid: boolean;
  /**
   * What the record digests' field sets mean (recovery/freed/signature.ts `digestFieldSets`): for
   * WITHOUT ROWID tables set 0 is the primary key; every other set is a UNIQUE column set, named
   * here for the reasons text.
   */
  readonly uniqueSetLabels: readonly string[];
}

/**
 * Digests of the live rows of one table, as typed arrays (plain data, compact: 8 bytes a number),
 * filled page by page with `addLiveDigests` and sorted once by `finishLiveKeyIndex`.
 */
export interface LiveKeyIndex {
  readonly table: TableKeyInfo;
  /** Rowid (rowid tables) or primary-key digest (WITHOUT ROWID), and the full digest of that row. */
  keys: Float64Array;
  keyDigests: Float64Array;
  /** Full digests in insertion order, with the key of the row holding each, and sorted for lookups. */
  valueDigests: Float64Array;
  valueOwners: Float64Array;
  sortedValueDigests: Float64Array;
  /** Per UNIQUE set: digests with the owning key, and sorted. */
  uniqueDigests: Float64Array[];
  uniqueOwners: Float64Array[];
  sortedUniqueDigests: Float64Array[];
  liveCount: number;
  finished: boolean;
}

function grow(array: Float64Array, needed: number): Float64Array {
  if (needed <= array.length) return array;
  const next = new Float64Array(Math.max(needed, array.length * 2, 1024));
  next.set(array);
  return next;
}

export function createLiveKeyIndex(table: TableKeyInfo): LiveKeyIndex {
  const sets = table.uniqueSetLabels.length;
  return {
    table,
    keys: new Float64Array(0),
    keyDigests: new Float64Array(0),
    valueDigests: new Float64Array(0),
    valueOwners: new Float64Array(0),
    sortedValueDigests: new Float64Array(0),
    uniqueDigests: Array.from({ length: sets }, () => new Float64Array(0)),
    uniqueOwners: Array.from({ length: sets }, () => new Float64Array(0)),
    sortedUniqueDigests: Array.from({ length: sets }, () => new Float64Array(0)),
    liveCount: 0,
    finished: false,
  };
}

/** Adds the digests of one page's live cells. */
export function addLiveDigests(index: LiveKeyIndex, page: LivePageDigests): void {
  const count = page.digests.length;
  const setCount = page.digests[0]?.sets.length ?? 0;
  const full = new Float64Array(count);
  const sets = new Float64Array(count * setCount);
  page.digests.forEach((digests, at) => {
    full[at] = digests.full;
    for (let set = 0; set < setCount; set++) sets[at * setCount + set] = digests.sets[set] ?? Number.NaN;
  });
  addLiveDigestArrays(index, count, Float64Array.from(page.rowids), full, sets, setCount);
}

/**
 * Adds `count` live records given as typed arrays (what a pool job returns): rowid (NaN for
 * WITHOUT ROWID), full digest, and `setCount` set digests per record, record after record.
 */
export function addLiveDigestArrays(index: LiveKeyIndex, count: number, rowids: Float64Array, full: Float64Array, sets: Float64Array, setCount: number): void {
  const total = index.liveCount + count;
  index.keys = grow(index.keys, total);
  index.keyDigests = grow(index.keyDigests, total);
  index.valueDigests = grow(index.valueDigests, total);
  index.valueOwners = grow(index.valueOwners, total);
  index.uniqueDigests = index.uniqueDigests.map((array) => grow(array, total));
  index.uniqueOwners = index.uniqueOwners.map((array) => grow(array, total));
  const uniqueOffset = index.table.withoutRowid ? 1 : 0;
  for (let at = 0; at < count; at++) {
    const slot = index.liveCount + at;
    const key = index.table.withoutRowid ? (setCount > 0 ? (sets[at * setCount] as number) : Number.NaN) : (rowids[at] as number);
    index.keys[slot] = key;
    index.keyDigests[slot] = full[at] as number;
    index.valueDigests[slot] = full[at] as number;
    index.valueOwners[slot] = key;
    for (let set = 0; set < index.uniqueDigests.length; set++) {
      const column = set + uniqueOffset;
      (index.uniqueDigests[set] as Float64Array)[slot] = column < setCount ? (sets[at * setCount + column] as number) : Number.NaN;
      (index.uniqueOwners[set] as Float64Array)[slot] = key;
    }
  }
  index.liveCount = total;
  index.finished = false;
}

/** Sorts values natively; owners are found again by scanning the unsorted arrays (only on a match). */
function sortedCopy(values: Float64Array, count: number): Float64Array {
  const out = values.slice(0, count);
  let sorted = true;
  for (let at = 1; at < count && sorted; at++) if ((out[at] as number) < (out[at - 1] as number)) sorted = false;
  if (!sorted) out.sort();
  return out;
}

function sortPairs(values: Float64Array, owners: Float64Array, count: number): [Float64Array, Float64Array] {
  let sorted = true;
  for (let at = 1; at < count && sorted; at++) if ((values[at] as number) < (values[at - 1] as number)) sorted = false;
  if (sorted) return [values.slice(0, count), owners.slice(0, count)];
  const order = new Uint32Array(count);
  for (let at = 0; at < count; at++) order[at] = at;
  order.sort((a, b) => (values[a] as number) - (values[b] as number));
  const outValues = new Float64Array(count);
  const outOwners = new Float64Array(count);
  for (let at = 0; at < count; at++) {
    outValues[at] = values[order[at] as number] as number;
    outOwners[at] = owners[order[at] as number] as number;
  }
  return [outValues, outOwners];
}

/** Sorts the index for lookups; call after the last `addLiveDigests` (classification calls it when needed). */
export function finishLiveKeyIndex(index: LiveKeyIndex): void {
  if (index.finished) return;
  const count = index.liveCount;
  // Keys come in b-tree order (already sorted for rowid tables): pairs keep the digest per key.
  [index.keys, index.keyDigests] = sortPairs(index.keys, index.keyDigests, count);
  index.sortedValueDigests = sortedCopy(index.valueDigests, count);
  index.sortedUniqueDigests = index.uniqueDigests.map((digests) => sortedCopy(digests, count));
  index.finished = true;
}

/** Key of the first live row whose `digests[at]` equals `digest` (a linear scan, run only on a match). */
function ownerOf(digests: Float64Array, owners: Float64Array, count: number, digest: number): number {
  for (let at = 0; at < count; at++) if (digests[at] === digest) return owners[at] as number;
  return Number.NaN;
}

/** Position of `value` in the sorted `array` (first `count` entries), or −1. */
function find(array: Float64Array, count: number, value: number): number {
  let low = 0;
  let high = count - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const current = array[middle] as number;
    if (current === value) return middle;
    if (current < value) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

function ownerText(table: TableKeyInfo, owner: number): string {
  return table.withoutRowid ? 'the live row with the same primary key' : `the live row with rowid ${owner}`;
}

function withStatus<T extends EvidenceRecord>(record: T, status: RecordStatus, reason: string): T {
  return { ...record, status, confidence: { level: record.confidence.level, reasons: [...record.confidence.reasons, reason] } };
}

/** True when the live table has a row with this key (rowid, or primary-key digest). */
export function liveKeyExists(index: LiveKeyIndex, key: number): boolean {
  finishLiveKeyIndex(index);
  return find(index.keys, index.liveCount, key) >= 0;
}

/**
 * Sets the status of every candidate of one table against its live rows. Candidates keep their
 * order. A partial record (broken overflow chain) whose key is live cannot be compared in full: it
 * is called superseded, with that reason; with its key lost it is called deleted.
 */
export function classifyFreedRecords<T extends FreedRecord>(index: LiveKeyIndex, candidates: readonly T[]): T[] {
  finishLiveKeyIndex(index);
  const table = index.table;
  const count = index.liveCount;
  return candidates.map((record) => {
    const digests = record.digests;
    let key: number | undefined;
    if (table.withoutRowid) key = digests?.sets[0];
    else if (record.rowid !== null) key = Number(record.rowid);
    const keyText = table.withoutRowid ? 'primary key' : `rowid ${record.rowid ?? ''}`;
    if (key !== undefined && !Number.isNaN(key)) {
      const at = find(index.keys, count, key);
      if (at < 0) return withStatus(record, Statuses.deleted, `no live row has this ${keyText}`);
      if (digests === undefined) return withStatus(record, Statuses.superseded, `${keyText} is live; partial record (overflow lost) cannot be compared in full`);
      if (index.keyDigests[at] === digests.full) return withStatus(record, Statuses.staleCopy, `equals the live row with this ${keyText} in every column`);
      return withStatus(record, Statuses.superseded, `${keyText} is live with other values`);
    }
    if (digests === undefined) return withStatus(record, Statuses.deleted, 'key lost and record partial (overflow lost); no live row compared');
    if (find(index.sortedValueDigests, count, digests.full) >= 0) {
      return withStatus(record, Statuses.staleCopy, `rowid lost; equals ${ownerText(table, ownerOf(index.valueDigests, index.valueOwners, count, digests.full))} in every stored column`);
    }
    const uniqueOffset = table.withoutRowid ? 1 : 0;
    for (let set = 0; set < index.uniqueDigests.length; set++) {
      const digest = digests.sets[set + uniqueOffset];
      if (digest === undefined) continue;
      if (find(index.sortedUniqueDigests[set] as Float64Array, count, digest) < 0) continue;
      const owner = ownerOf(index.uniqueDigests[set] as Float64Array, index.uniqueOwners[set] as Float64Array, count, digest);
      return withStatus(record, Statuses.superseded, `rowid lost; its UNIQUE key (${table.uniqueSetLabels[set] ?? ''}) belongs to ${ownerText(table, owner)}, which holds other values`);
    }
    return withStatus(record, Statuses.deleted, table.withoutRowid ? 'no live row has these values' : 'rowid lost; no live row has these values');
  });
}

/** One index entry (live or freed): the indexed values, possibly several readings, and the rowid it points to. */
export interface IndexEntry {
  readonly indexName: string;
  /** Column (in the table) of each key field. */
  readonly columns: readonly number[];
  /** Readings of the key fields (one when the entry was read whole). */
  readonly keys: readonly { readonly types: readonly StorageClass[]; readonly values: readonly SqlText[] }[];
  readonly rowid: string;
  readonly live: boolean;
  /** Where the entry was read (rendered path), for the reason text. */
  readonly where: string;
}

function keyOfColumns(types: readonly StorageClass[], values: readonly SqlText[], columns: readonly number[]): string {
  let out = '';
  for (const column of columns) out += `${types[column] ?? 'null'}\u0001${values[column] ?? '\u0002'}\u0000`;
  return out;
}

/**
 * Recovers lost rowids from index entries holding the same indexed values (sqlite.md §4 trap 6).
 * Only freed index entries give rowids (a live entry belongs to a live row), and a key that a live
 * entry also holds is ambiguous (the record may be a copy of that live row): nothing is taken. Keys
 * with a NULL field are never used (NULL keys are not distinctive: every QR payment's ref_no is
 * NULL). A rowid is taken only when exactly one rowid matches across the table's indexes; the record
 * then carries `rowid-from-index` (and its INTEGER PRIMARY KEY column is filled). Entries of
 * non-unique keys shared by several rows stay ambiguous and change nothing.
 */
export function recoverRowidsFromIndexes<T extends EvidenceRecord>(table: { readonly withoutRowid: boolean; readonly rowidAliasIndex: number }, candidates: readonly T[], entries: readonly IndexEntry[]): T[] {
  if (table.withoutRowid || entries.length === 0) return [...candidates];
  const byIndex = new Map<string, Map<string, Set<string>>>();
  const columnsOf = new Map<string, readonly number[]>();
  const whereOf = new Map<string, string>();
  const liveKeysOf = new Map<string, Set<string>>();
  for (const entry of entries) {
    if (entry.columns.includes(table.rowidAliasIndex)) continue;
    if (entry.live) {
      // A live entry belongs to a live row: it never gives a rowid, but makes its key ambiguous.
      const live = liveKeysOf.get(entry.indexName) ?? new Set<string>();
      liveKeysOf.set(entry.indexName, live);
      for (const key of entry.keys) live.add(keyOfColumns(key.types, key.values, key.types.map((_, at) => at)));
      continue;
    }
    columnsOf.set(entry.indexName, entry.columns);
    const lookup = byIndex.get(entry.indexName) ?? new Map<string, Set<string>>();
    byIndex.set(entry.indexName, lookup);
    for (const key of entry.keys) {
      const text = keyOfColumns(key.types, key.values, key.types.map((_, at) => at));
      const rowids = lookup.get(text) ?? new Set<string>();
      rowids.add(entry.rowid);
      lookup.set(text, rowids);
      whereOf.set(`${entry.indexName}\u0000${text}\u0000${entry.rowid}`, entry.where);
    }
  }
  return candidates.map((record) => {
    if (record.rowid !== null || !record.flags.includes(Flags.rowidUnknown) || record.flags.includes(Flags.truncated)) return record;
    const found = new Map<string, string>();
    let conflicting = false;
    for (const [indexName, lookup] of byIndex) {
      const columns = columnsOf.get(indexName) as readonly number[];
      if (columns.some((column) => record.types[column] === 'null' || record.types[column] === undefined)) continue;
      const text = keyOfColumns(record.types, record.values, columns);
      if (liveKeysOf.get(indexName)?.has(text) === true) {
        conflicting = true;
        continue;
      }
      const rowids = [...(lookup.get(text) ?? [])];
      if (rowids.length > 1) conflicting = true;
      for (const rowid of rowids) if (!found.has(rowid)) found.set(rowid, `${indexName} at ${whereOf.get(`${indexName}\u0000${text}\u0000${rowid}`) ?? '?'}`);
    }
    if (conflicting || found.size !== 1) return record;
    const [rowid, source] = [...found][0] as [string, string];
    const types = [...record.types];
    const values = [...record.values];
    if (table.rowidAliasIndex >= 0) {
      types[table.rowidAliasIndex] = 'integer';
      values[table.rowidAliasIndex] = rowid;
    }
    const flags: IntegrityFlag[] = record.flags.filter((flag) => flag !== Flags.rowidUnknown);
    flags.push(Flags.rowidFromIndex);
    return { ...record, rowid, types, values, flags, confidence: { level: record.confidence.level, reasons: [...record.confidence.reasons, `rowid ${rowid} recovered from the entry of index ${source} holding the same indexed values`] } };
  });
}

/** Index entry from a decoded index record (key fields, then the rowid). */
export function indexEntryOf(indexName: string, columns: readonly number[], readings: readonly { readonly types: readonly StorageClass[]; readonly values: readonly SqlText[] }[], live: boolean, record: Pick<EvidenceRecord, 'path'>): IndexEntry[] {
  const byRowid = new Map<string, { types: StorageClass[]; values: SqlText[] }[]>();
  for (const reading of readings) {
    const last = reading.types.length - 1;
    if (last < 1 || reading.types[last] !== 'integer') continue;
    const rowid = reading.values[last] as string;
    const list = byRowid.get(rowid) ?? [];
    list.push({ types: reading.types.slice(0, last), values: reading.values.slice(0, last) });
    byRowid.set(rowid, list);
  }
  const where = renderPath(record.path);
  return [...byRowid].map(([rowid, keys]) => ({ indexName, columns, keys, rowid, live, where }));
}

/** Records of a candidate page that are copies of live rows of `index`'s table (evidence for attributing a freed page). */
export function liveCopyCount(index: LiveKeyIndex, records: readonly FreedRecord[]): number {
  let count = 0;
  for (const record of classifyFreedRecords(index, records)) if (record.status === Statuses.staleCopy) count++;
  return count;
}

/** Text keys of live index entries (key fields and rowid), for recognising copies of them. */
export function liveIndexEntryKeys(entries: readonly IndexEntry[]): Set<string> {
  const out = new Set<string>();
  for (const entry of entries) {
    if (!entry.live) continue;
    for (const key of entry.keys) out.add(`${keyOfColumns(key.types, key.values, key.types.map((_, at) => at))}\u0004${entry.rowid}`);
  }
  return out;
}

/** Index records (key fields then rowid) of a candidate page that equal live index entries. */
export function liveIndexCopyCount(liveKeys: ReadonlySet<string>, records: readonly EvidenceRecord[]): number {
  let count = 0;
  for (const record of records) {
    const last = record.types.length - 1;
    if (last < 1) continue;
    const text = keyOfColumns(record.types, record.values, record.types.slice(0, last).map((_, at) => at));
    if (liveKeys.has(`${text}\u0004${record.values[last] ?? ''}`)) count++;
  }
  return count;
}

/**
 * Two freed records read through the same overflow chain must be copies of one record (equal
 * digests, as b-tree rebalancing leaves them): otherwise at most one of them owns the chain (the
 * pages were reused, or one reading is wrong). Each such pair is reported once, naming both
 * records (`sqlite.freed.overflow-claimed-twice`); neither record is changed.
 */
export class OverflowChainClaims {
  readonly #owners = new Map<number, { readonly digest: number; readonly record: FreedRecord }>();
  readonly #reported = new Set<string>();

  /** Registers the records' chains; returns an issue per new conflict. */
  claim(records: readonly FreedRecord[]): Issue[] {
    const out: Issue[] = [];
    for (const record of records) {
      if (record.overflowFirstPage === 0 || record.digests === undefined) continue;
      const owner = this.#owners.get(record.overflowFirstPage);
      if (owner === undefined) {
        this.#owners.set(record.overflowFirstPage, { digest: record.digests.full, record });
        continue;
      }
      if (owner.digest === record.digests.full) continue;
      const first = renderPath(owner.record.path);
      const second = renderPath(record.path);
      const key = `${record.overflowFirstPage}\u0000${second}`;
      if (this.#reported.has(key)) continue;
      this.#reported.add(key);
      out.push(
        issue(
          'sqlite.freed.overflow-claimed-twice',
          'warning',
          record.path,
          0,
          `Freed records ${first} (${owner.record.table}) and ${second} (${record.table}) both read overflow page ${record.overflowFirstPage} onwards but differ: at most one of them owns that chain`,
          { overflowPage: record.overflowFirstPage, otherRecord: first },
        ),
      );
    }
    return out;
  }
}
