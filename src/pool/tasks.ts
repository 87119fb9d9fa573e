/**
 * THE worker contract. Plain data only: no functions, class instances or Error objects cross the
 * boundary. Workers open and read evidence themselves; the main thread sends locations and ranges.
 */
import type { DecodedBatch, LiveDecodeParameters } from '../recovery/live-records.js';

export interface DecodeLivePagesTask {
  readonly kind: 'decode-live-pages';
  /** File system path of the evidence file (opened read-only by the worker). */
  readonly fileSystemPath: string;
  /** Where the database starts inside that file (0 for a plain database file). */
  readonly baseOffset: number;
  readonly sizeInBytes: number;
  readonly pageSize: number;
  readonly parameters: LiveDecodeParameters;
}

export type Task = DecodeLivePagesTask;

export interface TaskResultMap {
  readonly 'decode-live-pages': DecodedBatch;
}

export type TaskResult = DecodedBatch;
