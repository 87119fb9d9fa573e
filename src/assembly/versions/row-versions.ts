/**
 * Version chains of logical rows and of pages: every recorded version of one (database, table,
 * key), or of one (database, page number), in the order they were written — journal pre-images
 * first (the page before the journalled transaction), then the main file, then WAL frames in frame
 * order (a stale generation's frames after the current one's, as they lie in the file).
 *
 * Pure projections of EvidenceRecords (what the record CSVs hold), so a chain can be rebuilt from
 * a report as well as from a scan.
 */
import type { EvidenceRecord, RecordState, RecordStatus } from '../../evidence/record.js';
import type { KeyColumns } from './row-events.js';
import { compareKeys, recordFingerprint, rowKey } from './row-events.js';

export type VersionSource = 'journal' | 'main' | 'wal';

export interface RowVersion {
  readonly source: VersionSource;
  readonly state: RecordState;
  readonly status: RecordStatus;
  readonly pageNumber: number;
  readonly frameIndex: number | undefined;
  readonly journalRecordIndex: number | undefined;
  readonly transaction: string | undefined;
  readonly fingerprint: string;
  /** The values differ from the previous version in the chain (true for the first). */
  readonly changed: boolean;
  /** The record itself. */
  readonly record: EvidenceRecord;
}

export interface RowVersionChain {
  readonly database: string;
  readonly table: string;
  readonly key: string;
  readonly versions: readonly RowVersion[];
  /** Distinct value sets among the versions. */
  readonly distinctValueCount: number;
}

export function versionSourceOf(record: EvidenceRecord): VersionSource {
  if (record.journalRecordIndex !== undefined) return 'journal';
  if (record.frameIndex !== undefined) return 'wal';
  return 'main';
}

const sourceRank: Readonly<Record<VersionSource, number>> = { journal: 0, main: 1, wal: 2 };

function positionOf(record: EvidenceRecord): number {
  return record.frameIndex ?? record.journalRecordIndex ?? 0;
}

/** Write order of two records of the same database: journal, main file, WAL; then by record or frame number. */
export function compareVersionOrder(left: EvidenceRecord, right: EvidenceRecord): number {
  const source = sourceRank[versionSourceOf(left)] - sourceRank[versionSourceOf(right)];
  if (source !== 0) return source;
  return positionOf(left) - positionOf(right);
}

/**
 * Chains of every logical row among `records` (`keyColumns`: primary-key columns of WITHOUT ROWID
 * tables). Chains are ordered by database, table (first appearance) and key; versions by write
 * order, ties keeping the input order.
 */
export function rowVersionChains(records: readonly EvidenceRecord[], keyColumns: KeyColumns = new Map()): RowVersionChain[] {
  const chains = new Map<string, { database: string; table: string; key: string; records: { record: EvidenceRecord; order: number }[] }>();
  const tableOrder = new Map<string, number>();
  records.forEach((record, order) => {
    const key = rowKey(record, keyColumns);
    if (key === undefined) return;
    const tableKey = `${record.database}\u0000${record.table}`;
    if (!tableOrder.has(tableKey)) tableOrder.set(tableKey, tableOrder.size);
    const id = `${tableKey}\u0000${key}`;
    let chain = chains.get(id);
    if (chain === undefined) chains.set(id, (chain = { database: record.database, table: record.table, key, records: [] }));
    chain.records.push({ record, order });
  });
  const out: RowVersionChain[] = [];
  for (const chain of chains.values()) {
    chain.records.sort((a, b) => compareVersionOrder(a.record, b.record) || a.order - b.order);
    const fingerprints = new Set<string>();
    let previous: string | undefined;
    const versions = chain.records.map(({ record }): RowVersion => {
      const fingerprint = recordFingerprint(record);
      fingerprints.add(fingerprint);
      const changed = fingerprint !== previous;
      previous = fingerprint;
      return {
        source: versionSourceOf(record),
        state: record.state,
        status: record.status,
        pageNumber: record.pageNumber,
        frameIndex: record.frameIndex,
        journalRecordIndex: record.journalRecordIndex,
        transaction: record.transaction,
        fingerprint,
        changed,
        record,
      };
    });
    out.push({ database: chain.database, table: chain.table, key: chain.key, versions, distinctValueCount: fingerprints.size });
  }
  return out.sort(
    (a, b) =>
      (tableOrder.get(`${a.database}\u0000${a.table}`) as number) - (tableOrder.get(`${b.database}\u0000${b.table}`) as number) || compareKeys(a.key, b.key),
  );
}

export interface PageVersion {
  readonly source: VersionSource;
  readonly pageNumber: number;
  readonly frameIndex: number | undefined;
  readonly journalRecordIndex: number | undefined;
  readonly state: RecordState;
  readonly transaction: string | undefined;
  readonly recordCount: number;
}

/** Ordered versions of every page among `records`' pages (one database), by page number. */
export function pageVersionChains(records: readonly EvidenceRecord[]): Map<number, PageVersion[]> {
  const byVersion = new Map<string, { version: PageVersion; first: EvidenceRecord }>();
  for (const record of records) {
    const source = versionSourceOf(record);
    const id = `${record.pageNumber}\u0000${source}\u0000${positionOf(record)}`;
    const known = byVersion.get(id);
    if (known !== undefined) {
      byVersion.set(id, { ...known, version: { ...known.version, recordCount: known.version.recordCount + 1 } });
      continue;
    }
    byVersion.set(id, {
      first: record,
      version: { source, pageNumber: record.pageNumber, frameIndex: record.frameIndex, journalRecordIndex: record.journalRecordIndex, state: record.state, transaction: record.transaction, recordCount: 1 },
    });
  }
  const out = new Map<number, PageVersion[]>();
  for (const entry of [...byVersion.values()].sort((a, b) => a.version.pageNumber - b.version.pageNumber || compareVersionOrder(a.first, b.first))) {
    const list = out.get(entry.version.pageNumber) ?? [];
    list.push(entry.version);
    out.set(entry.version.pageNumber, list);
  }
  return out;
}
