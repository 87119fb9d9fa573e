/**
 * THE worker contract. Plain data only: no functions, class instances or Error objects cross the
 * boundary. Workers open and read evidence themselves; the main thread sends locations and ranges.
 */
import type { DecodedBatch, LiveDecodeParameters } from '../recovery/live-records.js';
import type { PackedRecords } from './record-batch.js';
import type { RenderSpec, RenderedBatch } from '../reports/render.js';

export interface DecodeLivePagesTask {
  readonly kind: 'decode-live-pages';
  /** File system path of the evidence file (opened read-only by the worker). */
  readonly fileSystemPath: string;
  /** Where the database starts inside that file (0 for a plain database file). */
  readonly baseOffset: number;
  readonly sizeInBytes: number;
  readonly pageSize: number;
  readonly parameters: LiveDecodeParameters;
  /**
   * When set, the worker renders the records' report text (reports/render.ts) and returns it as
   * `rendered` instead of the records: the writer's thread then only stamps ids and appends.
   */
  readonly render?: RenderSpec;
}

export type Task = DecodeLivePagesTask;

/** What a task gives back in-process; with `render`, no records but their rendered text. */
export type TaskResult = DecodedBatch & { readonly rendered?: RenderedBatch };

/** What crosses the worker boundary: records packed (record-batch.ts), issues as plain data. */
export interface WireResult {
  readonly packed: PackedRecords;
  readonly issues: DecodedBatch['issues'];
  /** Report text of the records (tasks with `render`; `packed` is then empty): strings and a typed array. */
  readonly rendered?: RenderedBatch;
}
