/**
 * Row-level events of one transaction (insert, update with before and after values, delete), from
 * the rows of the page versions it changed.
 *
 * Rows only change on pages a transaction writes, and a row that moves (a split, a merge) leaves
 * one written page and lands on another, so the transaction's events are the difference between
 * the rows of its pages before and after it, by table and key. Pages that left or entered a tree
 * without being written (`moved` transitions) count on the side where they belonged to the table.
 * Where the version before a page is unknown (a stale generation's first surviving frame of a
 * page), a row on its new version that no earlier row explains cannot be called an insert: it is
 * counted in `unexplainedRowCount` instead.
 *
 * Pure; values are compared by fingerprint (SHA-256 over storage classes and values).
 */
import { createHash } from 'node:crypto';
import type { EvidenceRecord, SqlText, StorageClass } from '../../evidence/record.js';
import { formatOffset } from '../../bytes/offsets.js';
import { detached, detachedValues } from '../../evidence/detach.js';

/** One row as a page version holds it. */
export interface RowSnapshot {
  readonly table: string;
  /** Rowid as decimal text, or for a WITHOUT ROWID table the primary-key values as a JSON array. */
  readonly key: string;
  /** Equal fingerprints, equal rows (`recordFingerprint`). */
  readonly fingerprint: string;
  readonly types: readonly StorageClass[];
  readonly values: readonly SqlText[];
  /** Which page version it was read from: `wal-frame#12`, `journal-record#3`, `main sqlite-page#5` (shared by a page's rows). */
  readonly source: string;
  /** The cell's offset in that page. */
  readonly offsetInPage: number;
}

export type RowEventKind = 'insert' | 'update' | 'delete';

export interface RowEvent {
  readonly kind: RowEventKind;
  readonly table: string;
  readonly key: string;
  /** Delete: every column; update: the columns that changed. */
  readonly before?: Readonly<Record<string, SqlText>>;
  /** Insert: every column; update: the columns that changed. */
  readonly after?: Readonly<Record<string, SqlText>>;
  /** Where the before / after version was read. */
  readonly beforeSource?: string;
  readonly afterSource?: string;
}

/** Rows of one page version; `undefined` rows mean the version is unknown. */
export interface PageRowsChange {
  readonly pageNumber: number;
  /** Table whose rows the page held before (its owner then), or undefined. */
  readonly tableBefore: string | undefined;
  readonly tableAfter: string | undefined;
  readonly rowsBefore: readonly RowSnapshot[] | undefined;
  readonly rowsAfter: readonly RowSnapshot[];
}

export interface TransactionRowEvents {
  readonly events: readonly RowEvent[];
  /** Rows on new versions whose page's earlier version is unknown and that no earlier row explains. */
  readonly unexplainedRowCount: number;
}

/** Where a row version was read, as events name it: `wal-frame#12 cell@0x00000f90`. */
export function rowSource(row: RowSnapshot): string {
  return `${row.source} cell@${formatOffset(row.offsetInPage)}`;
}

const overflowReasonPrefix = 'payload continues on overflow';

/**
 * A record's fingerprint: the SHA-256 of its cell bytes when the whole payload is in the cell
 * (SQLite encodes equal values into equal bytes, and the worker hashed the cell already), else a
 * SHA-256 over its storage classes and values (the cell then holds only part of the payload and
 * an overflow page number that changes when the row moves).
 */
export function recordFingerprint(record: Pick<EvidenceRecord, 'rawSha256' | 'confidence' | 'types' | 'values'>): string {
  const reasons = record.confidence.reasons;
  let overflow = false;
  for (let index = 0; index < reasons.length; index++) if ((reasons[index] as string).startsWith(overflowReasonPrefix)) overflow = true;
  return overflow || record.rawSha256.length !== 64 ? `v:${rowFingerprint(record.types, record.values)}` : record.rawSha256;
}

/** SHA-256 over storage classes and values: equal fingerprints, equal rows. */
export function rowFingerprint(types: readonly StorageClass[], values: readonly SqlText[]): string {
  const hash = createHash('sha256');
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    hash.update(`${types[index] ?? 'null'}:${value === null || value === undefined ? '' : `${value.length}:${value}`};`);
  }
  return hash.digest('hex');
}

/** Primary-key column indexes for WITHOUT ROWID keys; empty for rowid tables. */
export type KeyColumns = ReadonlyMap<string, readonly number[]>;

/** The logical key of a decoded record: its rowid, or its primary-key values for a WITHOUT ROWID table. */
export function rowKey(record: Pick<EvidenceRecord, 'rowid' | 'values' | 'table'>, keyColumns: KeyColumns): string | undefined {
  if (record.rowid !== null) return record.rowid;
  const columns = keyColumns.get(record.table);
  if (columns === undefined || columns.length === 0) return JSON.stringify(record.values);
  return JSON.stringify(columns.map((column) => record.values[column] ?? null));
}

/** What a committed view keeps of a row (table, key, fingerprint), its strings detached from the record's batch. */
export type RowIdentity = Pick<RowSnapshot, 'table' | 'key' | 'fingerprint'>;

export function rowIdentity(record: EvidenceRecord, keyColumns: KeyColumns): RowIdentity | undefined {
  const key = rowKey(record, keyColumns);
  if (key === undefined) return undefined;
  return { table: record.table, key: detached(key), fingerprint: detached(recordFingerprint(record)) };
}

export function rowSnapshot(record: EvidenceRecord, keyColumns: KeyColumns, source: string): RowSnapshot | undefined {
  const key = rowKey(record, keyColumns);
  if (key === undefined) return undefined;
  // Snapshots outlive the record's batch (they are kept until the page's next version): their
  // strings must not pin the batch's text.
  return { table: record.table, key: detached(key), fingerprint: detached(recordFingerprint(record)), types: record.types, values: detachedValues(record.values), source, offsetInPage: record.offsetInPage };
}

/** Orders keys: rowids numerically (exactly, up to 64 bits), other keys as text. */
export function compareKeys(left: string, right: string): number {
  if (left.length < 16 && right.length < 16) {
    const a = Number(left);
    const b = Number(right);
    if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && left !== '' && right !== '' && String(a) === left && String(b) === right) return a < b ? -1 : a > b ? 1 : 0;
  }
  const integer = /^-?\d+$/;
  if (integer.test(left) && integer.test(right)) {
    const a = BigInt(left);
    const b = BigInt(right);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return left < right ? -1 : left > right ? 1 : 0;
}

function columnName(columns: readonly string[], index: number): string {
  return columns[index] ?? `c${index}`;
}

function allColumns(row: RowSnapshot, columns: readonly string[]): Record<string, SqlText> {
  const out: Record<string, SqlText> = {};
  row.values.forEach((value, index) => {
    out[columnName(columns, index)] = value;
  });
  return out;
}

/**
 * The events of one transaction. `columnsOf` names a table's columns (values beyond them are
 * named c<N>).
 */
export function transactionRowEvents(changes: readonly PageRowsChange[], columnsOf: (table: string) => readonly string[]): TransactionRowEvents {
  const before = new Map<string, Map<string, RowSnapshot>>();
  const after = new Map<string, Map<string, { row: RowSnapshot; beforeKnown: boolean }>>();
  const tableOrder: string[] = [];
  const noteTable = (table: string): void => {
    if (!before.has(table) && !after.has(table)) tableOrder.push(table);
  };
  for (const change of changes) {
    if (change.tableBefore !== undefined && change.rowsBefore !== undefined) {
      noteTable(change.tableBefore);
      let rows = before.get(change.tableBefore);
      if (rows === undefined) before.set(change.tableBefore, (rows = new Map()));
      for (const row of change.rowsBefore) if (row.table === change.tableBefore && !rows.has(row.key)) rows.set(row.key, row);
    }
    if (change.tableAfter !== undefined) {
      noteTable(change.tableAfter);
      let rows = after.get(change.tableAfter);
      if (rows === undefined) after.set(change.tableAfter, (rows = new Map()));
      for (const row of change.rowsAfter) if (row.table === change.tableAfter) rows.set(row.key, { row, beforeKnown: change.rowsBefore !== undefined });
    }
  }
  const events: RowEvent[] = [];
  let unexplainedRowCount = 0;
  for (const table of tableOrder) {
    const columns = columnsOf(table);
    const old = before.get(table) ?? new Map<string, RowSnapshot>();
    const now = after.get(table) ?? new Map<string, { row: RowSnapshot; beforeKnown: boolean }>();
    // Only keys that changed are sorted: most rows of a rewritten page are unchanged.
    const changed: RowEvent[] = [];
    for (const [key, next] of now) {
      const previous = old.get(key);
      if (previous === undefined) {
        if (!next.beforeKnown) unexplainedRowCount++;
        else changed.push({ kind: 'insert', table, key, after: allColumns(next.row, columns), afterSource: rowSource(next.row) });
        continue;
      }
      if (previous.fingerprint === next.row.fingerprint) continue;
      const changedBefore: Record<string, SqlText> = {};
      const changedAfter: Record<string, SqlText> = {};
      let differences = 0;
      const count = Math.max(previous.values.length, next.row.values.length);
      for (let index = 0; index < count; index++) {
        const a = previous.values[index] ?? null;
        const b = next.row.values[index] ?? null;
        if (a === b && (previous.types[index] ?? 'null') === (next.row.types[index] ?? 'null')) continue;
        changedBefore[columnName(columns, index)] = a;
        changedAfter[columnName(columns, index)] = b;
        differences++;
      }
      // Equal values in different cell bytes (an overflow row that moved): no change.
      if (differences > 0) changed.push({ kind: 'update', table, key, before: changedBefore, after: changedAfter, beforeSource: rowSource(previous), afterSource: rowSource(next.row) });
    }
    for (const [key, previous] of old) {
      if (!now.has(key)) changed.push({ kind: 'delete', table, key, before: allColumns(previous, columns), beforeSource: rowSource(previous) });
    }
    changed.sort((a, b) => compareKeys(a.key, b.key));
    for (const event of changed) events.push(event);
  }
  return { events, unexplainedRowCount };
}
