/**
 * What a worker runs: opens its own read-only view of the evidence, then calls pure functions.
 * Also called in-process (workers = 0) so both paths share one implementation.
 */
import { FileSource } from '../sources/file-source.js';
import { RangeSource } from '../sources/range-source.js';
import { SourcePageReader } from '../sources/page-reader.js';
import { decodeLivePages } from '../recovery/live-records.js';
import { decodePageImages } from '../assembly/versions/page-images.js';
import { packRecords } from './record-batch.js';
import { renderRecordBatch, type RenderSpec } from '../reports/render.js';
import { scanWindow } from '../scanning/scan-window.js';
import type { Task, TaskResult, WorkerResult, WorkerTask } from './tasks.js';
import type { FreedRecord } from '../recovery/freed/build-record.js';

export function runTask(task: Task): TaskResult {
  switch (task.kind) {
    case 'decode-live-pages': {
      const source = new FileSource(task.fileSystemPath);
      try {
        const reader = new SourcePageReader(source, task.pageSize, task.baseOffset, task.sizeInBytes);
        return withRendering(decodeLivePages(reader, task.parameters), task.render);
      } finally {
        source.close();
      }
    }
    case 'decode-page-images': {
      const file = new FileSource(task.fileSystemPath);
      const log = task.fileBaseOffset === 0 ? file : new RangeSource(file, task.fileBaseOffset, file.sizeInBytes - task.fileBaseOffset);
      const database = task.databaseFileSystemPath === undefined ? undefined : new FileSource(task.databaseFileSystemPath);
      try {
        const base = database === undefined ? undefined : new SourcePageReader(database, task.pageSize, task.databaseBaseOffset, task.databaseSizeInBytes);
        return withRendering(decodePageImages(log, base, task.pageSize, task.parameters), task.render);
      } finally {
        log.close();
        database?.close();
      }
    }
  }
}

/** Without a spec the records themselves; with one, their report text instead (reports/render.ts). */
function withRendering(decoded: TaskResult, spec: RenderSpec | undefined): TaskResult {
  if (spec === undefined) return decoded;
  return { records: [], issues: decoded.issues, rendered: renderRecordBatch(decoded.records, spec) };
}

/**
 * The worker entry: a window scan returns its packed hits as they are; a page task's records are
 * packed (or their rendered text passed) for the trip back.
 */
export function runWireTask(task: WorkerTask): WorkerResult {
  if (task.kind === 'scan-window') return scanWindow(task);
  const result = runTask(task);
  const digests: [number, number, readonly number[]][] = [];
  result.records.forEach((record, index) => {
    const own = (record as Partial<FreedRecord>).digests;
    if (own !== undefined) digests.push([index, own.full, own.sets]);
  });
  return {
    packed: packRecords(result.records),
    issues: result.issues,
    ...(result.rendered === undefined ? {} : { rendered: result.rendered }),
    ...(digests.length === 0 ? {} : { digests }),
  };
}

export default runWireTask;
