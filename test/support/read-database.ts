/** Reads a database file the way the scan does (read-only FileSource), for tests. */
import { filePath } from '../../src/provenance/path.js';
import { FileSource } from '../../src/sources/file-source.js';
import { SourcePageReader } from '../../src/sources/page-reader.js';
import { parseDatabaseHeader } from '../../src/formats/sqlite/parse-header.js';
import type { LiveDatabase } from '../../src/recovery/live-records.js';
import { readLiveDatabase } from '../../src/recovery/live-records.js';
import type { OracleRow } from './sqlite3.js';
import type { EvidenceRecord } from '../../src/evidence/record.js';

export function readDatabaseFile(location: string): LiveDatabase {
  const source = new FileSource(location);
  try {
    const first = source.read(0, 100);
    const header = parseDatabaseHeader(first, 0, filePath(location));
    if (header.kind !== 'parsed') throw new Error(`not a database: ${location}`);
    const reader = new SourcePageReader(source, header.value.pageSize);
    return readLiveDatabase(reader, header.value, filePath(location), location);
  } finally {
    source.close();
  }
}

/** Records in the oracle's shape, for equality with sqlite3's SELECT output. */
export function asOracleRows(records: readonly EvidenceRecord[], withoutRowid: boolean): OracleRow[] {
  return records.map((record) => ({
    rowid: withoutRowid ? null : record.rowid,
    values: record.types.map((type, index) => ({ type, text: record.values[index] ?? null })),
  }));
}

export function sortRows(rows: readonly OracleRow[]): OracleRow[] {
  return [...rows].sort((a, b) => {
    const left = JSON.stringify(a);
    const right = JSON.stringify(b);
    return left < right ? -1 : left > right ? 1 : 0;
  });
}
