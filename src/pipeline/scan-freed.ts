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
import type { FreedTableInfo } from '../recovery/freed/recover-database.js';
import { freedReadAheadBytes, recoverSteps } from '../recovery/freed/recover-database.js';
import { prefetching, runFreedJob } from '../recovery/freed/freed-jobs.js';
import type { PageReader } from '../formats/sqlite/page-reader.js';
import type { DatabaseHeader } from '../formats/sqlite/parse-header.js';
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
 * Recovers the freed space of one database (header parsed) and reports it as it is classified:
 * each table is declared before its first freed record, records reach the sink step by step
 * (recovery/freed/recover-database.ts `recoverSteps`), so memory holds the records of one step,
 * not of the database (records whose rowid an index entry may still give wait until the end).
 * Returns the records' keys, so a WAL frame or journal pre-image holding the same freed cell of
 * the same page names it as a sighting instead of reporting it again. `relocate` maps a record's
 * provenance (a carved database's fragments).
 */
export async function reportFreedRecords(
  pageReader: PageReader,
  header: DatabaseHeader,
  path: SourcePath,
  databaseName: string,
  sink: EvidenceSink,
  relocate: (record: EvidenceRecord) => EvidenceRecord = (record) => record,
): Promise<MainFreedKeys> {
  const keys = new MainFreedKeys();
  const declared = new Set<string>();
  let pending: { table: FreedTableInfo; records: readonly EvidenceRecord[] }[] = [];
  const flush = async (): Promise<void> => {
    const batches = pending;
    pending = [];
    for (const { table, records } of batches) {
      if (!declared.has(table.name)) {
        declared.add(table.name);
        await sink.addTable({ database: databaseName, table: table.name, columns: table.columns, withoutRowid: table.withoutRowid });
      }
      keys.add(records);
      for (let start = 0; start < records.length; start += freedBatchSize) await sink.addRecords(records.slice(start, start + freedBatchSize).map((record) => relocate(evidenceOf(record))));
    }
  };
  const reader = prefetching(pageReader);
  const steps = recoverSteps(reader, header, path, databaseName, { onFreedRecords: (table, records) => pending.push({ table, records }) });
  let step = steps.next([]);
  while (step.done !== true) {
    await flush();
    step = steps.next(step.value.map((job) => runFreedJob(reader, job)));
  }
  await flush();
  if (step.value.issues.length > 0) await sink.addIssues(step.value.issues);
  return keys;
}

/** Reports the main file's freed records (see `reportFreedRecords`). */
export async function scanFreedSpace(file: EvidenceFile, summary: DatabaseSummary, path: SourcePath, sink: EvidenceSink): Promise<MainFreedKeys> {
  const source = new FileSource(file.fileSystemPath, file.location);
  try {
    const reader = new SourcePageReader(source, summary.header.pageSize, 0, source.sizeInBytes, 256, freedReadAheadBytes);
    return await reportFreedRecords(reader, summary.header, path, summary.location, sink);
  } finally {
    source.close();
  }
}
