/**
 * Freed space of a database whose header parsed: freeblocks, unallocated gaps, freelist pages,
 * dropped tables. Runs after the live decode through the freed-records recovery
 * (src/recovery/freed): its page-by-page jobs (live digests, carving) in the worker pool, the steps
 * between them (plans, rowid recovery, classification against the live rows) on this thread, in
 * the same order as the single-thread `recoverFromReader`, so the output is the same.
 *
 * Known cost: the live digests are a second walk of the live pages (the live decode does not hand
 * them over), about a sixth of the freed-space work.
 */
import type { EvidenceRecord } from '../evidence/record.js';
import type { SourcePath } from '../provenance/path.js';
import { FileSource } from '../sources/file-source.js';
import type { EvidenceFile } from '../sources/inputs.js';
import { SourcePageReader } from '../sources/page-reader.js';
import type { DatabaseHeader } from '../formats/sqlite/parse-header.js';
import type { RecoverOptions, RecoveredDatabase, RecoverySteps } from '../recovery/freed/recover-database.js';
import { recoverSteps } from '../recovery/freed/recover-database.js';
import type { FreedJob, FreedJobResult } from '../recovery/freed/freed-jobs.js';
import type { WorkerPool } from '../pool/pool.js';
import type { DatabaseSummary } from './scan-database.js';
import type { EvidenceSink } from './sink.js';

/** The evidence part of a carved record: the classification's digests stay behind. */
export function evidenceOf(record: EvidenceRecord): EvidenceRecord {
  if (!('digests' in record)) return record;
  const evidence: Record<string, unknown> = { ...record };
  delete evidence['digests'];
  return evidence as unknown as EvidenceRecord;
}

/** Records handed to the sink at a time. */
const freedBatchSize = 2048;

/** Runs recovery steps with their jobs in the pool; results come back in job order. */
export async function runRecoverySteps(steps: RecoverySteps, run: (job: FreedJob) => Promise<FreedJobResult>): Promise<RecoveredDatabase> {
  let step = steps.next([]);
  while (step.done !== true) step = steps.next(await Promise.all(step.value.map(run)));
  return step.value;
}

/**
 * Freed-space recovery of the database at `baseOffset` of `file`, jobs in `pool` (in-process when
 * it has no workers). Same result as `recoverFromReader` on the same bytes.
 */
export async function recoverFreedPooled(
  file: Pick<EvidenceFile, 'fileSystemPath' | 'location'>,
  header: DatabaseHeader,
  path: SourcePath,
  databaseName: string,
  pool: WorkerPool,
  options: RecoverOptions = {},
  baseOffset = 0,
): Promise<RecoveredDatabase> {
  const source = new FileSource(file.fileSystemPath, file.location);
  try {
    const sizeInBytes = source.sizeInBytes - baseOffset;
    const reader = new SourcePageReader(source, header.pageSize, baseOffset, sizeInBytes, 256);
    return await runRecoverySteps(recoverSteps(reader, header, path, databaseName, options), async (job) => {
      const result = await pool.run({ kind: 'recover-freed', fileSystemPath: file.fileSystemPath, baseOffset, sizeInBytes, pageSize: header.pageSize, job });
      if (result.freed === undefined) throw new Error('recover-freed task returned no result');
      return result.freed;
    });
  } finally {
    source.close();
  }
}

export async function scanFreedSpace(file: EvidenceFile, summary: DatabaseSummary, path: SourcePath, sink: EvidenceSink, pool: WorkerPool): Promise<void> {
  const recovered = await recoverFreedPooled(file, summary.header, path, summary.location, pool);
  for (const table of recovered.tables) {
    if (table.freed.length === 0) continue;
    await sink.addTable({ database: summary.location, table: table.name, columns: table.columns, withoutRowid: table.withoutRowid });
    for (let start = 0; start < table.freed.length; start += freedBatchSize) await sink.addRecords(table.freed.slice(start, start + freedBatchSize).map(evidenceOf));
  }
  if (recovered.issues.length > 0) await sink.addIssues(recovered.issues);
}
