/**
 * What a worker runs: opens its own read-only view of the evidence, then calls pure functions.
 * Also called in-process (workers = 0) so both paths share one implementation.
 */
import { FileSource } from '../sources/file-source.js';
import { SourcePageReader } from '../sources/page-reader.js';
import { decodeLivePages } from '../recovery/live-records.js';
import { packRecords } from './record-batch.js';
import type { Task, TaskResult, WireResult } from './tasks.js';

export function runTask(task: Task): TaskResult {
  switch (task.kind) {
    case 'decode-live-pages': {
      const source = new FileSource(task.fileSystemPath);
      try {
        const reader = new SourcePageReader(source, task.pageSize, task.baseOffset, task.sizeInBytes);
        return decodeLivePages(reader, task.parameters);
      } finally {
        source.close();
      }
    }
  }
}

/** The worker entry: runs the task and packs its records for the trip back. */
export function runWireTask(task: Task): WireResult {
  const result = runTask(task);
  return { packed: packRecords(result.records), issues: result.issues };
}

export default runWireTask;
