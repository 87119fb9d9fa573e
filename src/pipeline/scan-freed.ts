/**
 * Freed space of a database whose header parsed: freeblocks, unallocated gaps, freelist pages,
 * dropped tables. Runs after the live decode, on this thread, through the freed-records recovery
 * (src/recovery/freed), which classifies every candidate against the live rows (deleted,
 * stale-copy, superseded) before it is reported.
 *
 * Not pooled, on purpose (measured): the recovery's page jobs (recovery/freed/freed-jobs.ts) ran in
 * the worker pool once, and on 2 cores it was slower and larger (66 MB, 95k freed records: 6.3 s
 * and 410 MB against 4.7 s and 220 MB in one thread, same run): a carved record costs about as
 * much to pack, clone and unpack (~18 µs, 58 columns of text) as to carve.
 */
import type { EvidenceRecord } from '../evidence/record.js';
import type { SourcePath } from '../provenance/path.js';
import { FileSource } from '../sources/file-source.js';
import type { EvidenceFile } from '../sources/inputs.js';
import { SourcePageReader } from '../sources/page-reader.js';
import { freedReadAheadBytes, recoverFromReader } from '../recovery/freed/recover-database.js';
import type { DatabaseSummary } from './scan-database.js';
import type { EvidenceSink } from './sink.js';
import { MainFreedKeys } from './log-freed.js';

/** The evidence part of a carved record: what the classification used (digests, chain claim) stays behind. */
export function evidenceOf(record: EvidenceRecord): EvidenceRecord {
  if (!('digests' in record) && !('overflowFirstPage' in record)) return record;
  const evidence: Record<string, unknown> = { ...record };
  delete evidence['digests'];
  delete evidence['overflowFirstPage'];
  return evidence as unknown as EvidenceRecord;
}

/** Records handed to the sink at a time. */
const freedBatchSize = 2048;

/**
 * Reports the main file's freed records; returns their keys, so a WAL frame or journal pre-image
 * holding the same freed cell of the same page names it as a sighting instead of reporting it again.
 */
export async function scanFreedSpace(file: EvidenceFile, summary: DatabaseSummary, path: SourcePath, sink: EvidenceSink): Promise<MainFreedKeys> {
  const keys = new MainFreedKeys();
  const source = new FileSource(file.fileSystemPath, file.location);
  let recovered;
  try {
    const reader = new SourcePageReader(source, summary.header.pageSize, 0, source.sizeInBytes, 256, freedReadAheadBytes);
    recovered = recoverFromReader(reader, summary.header, path, summary.location);
  } finally {
    source.close();
  }
  for (const table of recovered.tables) {
    if (table.freed.length === 0) continue;
    await sink.addTable({ database: summary.location, table: table.name, columns: table.columns, withoutRowid: table.withoutRowid });
    keys.add(table.freed);
    for (let start = 0; start < table.freed.length; start += freedBatchSize) await sink.addRecords(table.freed.slice(start, start + freedBatchSize).map(evidenceOf));
  }
  if (recovered.issues.length > 0) await sink.addIssues(recovered.issues);
  return keys;
}
