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

export interface TableKeyInfo {
  readonly name: string;
  readonly withoutRowid: boolean;
  /** INTEGER PRIMARY KEY column (its value is the rowid), or −1. */
  readonly rowidAliasIndex: number;
  /** WITHOUT ROWID primary-key columns, in key order. */
  readonly primaryKeyColumns: readonly number[];
  /**
   * Column sets declared UNIQUE (UNIQUE constraints, UNIQUE indexes, a non-alias PRIMARY KEY):
   * a record with a lost rowid whose unique key is live with other values is an older version.
   */
  readonly uniqueColumnSets: readonly (readonly number[])[];
}

/** Digests of the live rows of one table: plain data (Maps of numbers), built incrementally. */
export interface LiveKeyIndex {
  readonly table: TableKeyInfo;
  /** Rowid (rowid tables) or primary-key digest (WITHOUT ROWID) → digest of every column. */
  readonly byKey: Map<string | number, number>;
  /** Digest of every column except the rowid alias → a rowid (or key) of a live row holding them. */
  readonly byValues: Map<number, string>;
  /** Per unique column set (same order as the table's): digest of the set's values → live rowid or key. */
  readonly byUnique: Map<number, string>[];
  liveCount: number;
}

const FNV_PRIME = 0x01000193;

/** 52-bit digest of a string (two FNV-1a lanes); exact equality is what matters, not secrecy. */
export function digest52(text: string): number {
  let first = 0x811c9dc5;
  let second = 0x01234567;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    first = Math.imul(first ^ code, FNV_PRIME);
    second = Math.imul(second ^ code, 0x5bd1e995) ^ (second >>> 15);
  }
  return (first >>> 0) * 0x100000 + ((second >>> 0) & 0xfffff);
}

function columnsText(types: readonly StorageClass[], values: readonly SqlText[], skip: number): string {
  let out = '';
  for (let column = 0; column < types.length; column++) {
    if (column === skip) {
      out += '\u0003';
      continue;
    }
    const value = values[column];
    out += `${types[column] as string}\u0001${value === null || value === undefined ? '\u0002' : value}\u0000`;
  }
  return out;
}

function primaryKeyText(table: TableKeyInfo, record: Pick<EvidenceRecord, 'types' | 'values'>): string {
  let out = '';
  for (const column of table.primaryKeyColumns) out += `${record.types[column] ?? 'null'}\u0001${record.values[column] ?? '\u0002'}\u0000`;
  return out;
}

function keyOf(table: TableKeyInfo, record: Pick<EvidenceRecord, 'rowid' | 'types' | 'values'>): string | number | undefined {
  if (table.withoutRowid) return table.primaryKeyColumns.length === 0 ? undefined : digest52(primaryKeyText(table, record));
  if (record.rowid === null) return undefined;
  const numeric = Number(record.rowid);
  return Number.isSafeInteger(numeric) ? numeric : record.rowid;
}

export function createLiveKeyIndex(table: TableKeyInfo): LiveKeyIndex {
  return { table, byKey: new Map(), byValues: new Map(), byUnique: table.uniqueColumnSets.map(() => new Map<number, string>()), liveCount: 0 };
}

/** Adds live records (any batch size) to the index. */
export function addLiveRecords(index: LiveKeyIndex, records: readonly EvidenceRecord[]): void {
  const table = index.table;
  for (const record of records) {
    const full = digest52(columnsText(record.types, record.values, -1));
    const key = keyOf(table, record);
    if (key !== undefined) index.byKey.set(key, full);
    const withoutAlias = table.rowidAliasIndex >= 0 ? digest52(columnsText(record.types, record.values, table.rowidAliasIndex)) : full;
    if (!index.byValues.has(withoutAlias)) index.byValues.set(withoutAlias, record.rowid ?? String(key ?? ''));
    table.uniqueColumnSets.forEach((columns, at) => {
      const text = keyOfColumns(record.types, record.values, columns);
      (index.byUnique[at] as Map<number, string>).set(digest52(text), record.rowid ?? String(key ?? ''));
    });
    index.liveCount++;
  }
}

function withStatus(record: EvidenceRecord, status: RecordStatus, reason: string): EvidenceRecord {
  return { ...record, status, confidence: { level: record.confidence.level, reasons: [...record.confidence.reasons, reason] } };
}

/**
 * Sets the status of every candidate of one table against its live rows. Candidates keep their
 * order. A partial record (broken overflow chain) whose key is live cannot be compared in full: it
 * is called superseded, with that reason; with its rowid lost it is called deleted.
 */
export function classifyFreedRecords(index: LiveKeyIndex, candidates: readonly EvidenceRecord[]): EvidenceRecord[] {
  const table = index.table;
  return candidates.map((record) => {
    const partial = record.flags.includes(Flags.truncated);
    const key = keyOf(table, record);
    const keyText = table.withoutRowid ? 'primary key' : `rowid ${record.rowid ?? ''}`;
    if (key !== undefined) {
      const live = index.byKey.get(key);
      if (live === undefined) return withStatus(record, Statuses.deleted, `no live row has ${keyText}`);
      if (partial) return withStatus(record, Statuses.superseded, `${keyText} is live; partial record (overflow lost) cannot be compared in full`);
      const full = digest52(columnsText(record.types, record.values, -1));
      if (full === live) return withStatus(record, Statuses.staleCopy, `equals the live row with ${keyText} in every column`);
      return withStatus(record, Statuses.superseded, `${keyText} is live with other values`);
    }
    if (partial) return withStatus(record, Statuses.deleted, 'rowid lost and record partial (overflow lost); no live row compared');
    const withoutAlias = digest52(columnsText(record.types, record.values, table.rowidAliasIndex));
    const liveRowid = index.byValues.get(withoutAlias);
    if (liveRowid !== undefined) return withStatus(record, Statuses.staleCopy, `rowid lost; equals the live row with rowid ${liveRowid} in every other column`);
    for (const [at, columns] of table.uniqueColumnSets.entries()) {
      if (columns.some((column) => record.types[column] === 'null' || column === table.rowidAliasIndex)) continue;
      const owner = index.byUnique[at]?.get(digest52(keyOfColumns(record.types, record.values, columns)));
      if (owner !== undefined) return withStatus(record, Statuses.superseded, `rowid lost; its UNIQUE key (columns ${columns.join(',')}) belongs to the live row ${owner}, which holds other values`);
    }
    return withStatus(record, Statuses.deleted, table.withoutRowid ? 'no primary key known; no live row has these values' : 'rowid lost; no live row has these values');
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
 * Only freed index entries count (a live entry belongs to a live row). A rowid is taken only when
 * exactly one rowid matches across the table's indexes; the record
 * then carries `rowid-from-index` (and its INTEGER PRIMARY KEY column is filled). Entries of
 * non-unique keys shared by several rows stay ambiguous and change nothing.
 */
export function recoverRowidsFromIndexes(index: LiveKeyIndex, candidates: readonly EvidenceRecord[], entries: readonly IndexEntry[]): EvidenceRecord[] {
  const table = index.table;
  if (table.withoutRowid || entries.length === 0) return [...candidates];
  const byIndex = new Map<string, Map<string, Set<string>>>();
  const columnsOf = new Map<string, readonly number[]>();
  const whereOf = new Map<string, string>();
  for (const entry of entries) {
    // Only freed entries: a live entry belongs to a live row, never to a freed record.
    if (entry.live || entry.columns.includes(table.rowidAliasIndex)) continue;
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
      const text = keyOfColumns(record.types, record.values, columns);
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
export function liveCopyCount(index: LiveKeyIndex, records: readonly EvidenceRecord[]): number {
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
