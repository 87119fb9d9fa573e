/**
 * EvidenceRecord: one recovered item with its provenance, state, confidence and integrity flags.
 *
 * Deviation from the architecture sketch, on purpose: `values` is an array aligned with the
 * table's column list (kept once per table in `TableDescriptor`) instead of a name-keyed object.
 * Millions of records are decoded; one array per record is far cheaper than one object with
 * string keys, and column order stays stable for reports.
 */
import type { SourcePath } from '../provenance/path.js';

/** States, as in architecture.md §1 and the freed-records issue. */
export const RecordState = {
  live: 'db-live',
  freeblock: 'freeblock',
  unallocated: 'unallocated-gap',
  freelist: 'freelist',
  walCommitted: 'wal-committed',
  walUncommitted: 'wal-uncommitted',
  walStaleGeneration: 'wal-stale-generation',
  walChecksumInvalid: 'wal-checksum-invalid',
  journalPreimage: 'journal-preimage',
  orphan: 'orphan',
  carved: 'carved',
} as const;
export type RecordState = (typeof RecordState)[keyof typeof RecordState];

/**
 * Whether the record is current, deleted, a stale copy of a live row, or an older version of a live
 * key. Set by assembly; `live` for records read from the live b-tree.
 */
export const RecordStatus = {
  live: 'live',
  deleted: 'deleted',
  staleCopy: 'stale-copy',
  superseded: 'superseded',
  unknown: 'unknown',
} as const;
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

export type FoundBy = 'btree-walk' | 'page-scan' | 'signature-scan' | 'wal' | 'journal';

export const IntegrityFlag = {
  headerRebuilt: 'header-rebuilt',
  truncated: 'truncated',
  overflowMissing: 'overflow-missing',
  checksumBad: 'checksum-bad',
  rowidUnknown: 'rowid-unknown',
  rowidFromIndex: 'rowid-from-index',
  fewerColumns: 'fewer-columns-than-schema',
  textInvalid: 'text-invalid-encoding',
} as const;
export type IntegrityFlag = (typeof IntegrityFlag)[keyof typeof IntegrityFlag];

export type ConfidenceLevel = 'high' | 'medium' | 'low';

export interface Confidence {
  readonly level: ConfidenceLevel;
  readonly reasons: readonly string[];
}

/** SQLite storage classes, as `typeof()` names them. */
export type StorageClass = 'null' | 'integer' | 'real' | 'text' | 'blob';

/** A value as the sqlite3 CLI prints it: integers and reals as decimal text, text as text, blobs as hex. */
export type SqlText = string | null;

export interface EvidenceRecord {
  readonly dataType: `${string}:${string}`;
  readonly path: SourcePath;
  /** Absolute offset in the evidence file of the first byte of the record (undefined behind a non-linear layer). */
  readonly imageOffset: number | undefined;
  readonly lengthInBytes: number;
  readonly state: RecordState;
  readonly status: RecordStatus;
  readonly foundBy: FoundBy;
  readonly confidence: Confidence;
  readonly flags: readonly IntegrityFlag[];
  readonly rawSha256: string;
  /** Database this record belongs to (its location, or a carved-database name). */
  readonly database: string;
  /** Table name, or `unknown-N` when the schema is unknown. */
  readonly table: string;
  readonly pageNumber: number;
  readonly offsetInPage: number;
  /** Rowid (decimal text), or null for WITHOUT ROWID tables and when it is unknown. */
  readonly rowid: string | null;
  readonly types: readonly StorageClass[];
  readonly values: readonly SqlText[];
  /** WAL frame index or journal record index, where relevant. */
  readonly frameIndex?: number;
  readonly journalRecordIndex?: number;
  readonly checksum?: 'valid' | 'invalid' | 'not-applicable';
  readonly transaction?: string;
}

/** Columns of one table as reports show them. */
export interface TableDescriptor {
  readonly database: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly withoutRowid: boolean;
}
