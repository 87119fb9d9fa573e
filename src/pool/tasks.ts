/**
 * THE worker contract. Plain data only: no functions, class instances or Error objects cross the
 * boundary. Workers open and read evidence themselves; the main thread sends locations and ranges.
 */
import type { DecodedBatch, LiveDecodeParameters } from '../recovery/live-records.js';
import type { PageImageDecodeParameters } from '../assembly/versions/page-images.js';
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

/**
 * Page images held by a WAL or a rollback journal (frames, pre-images): ordinary b-tree pages at
 * given offsets of the log file, decoded with the table the planner attributed each to.
 */
export interface DecodePageImagesTask {
  readonly kind: 'decode-page-images';
  /** File system path of the WAL or journal (opened read-only by the worker). */
  readonly fileSystemPath: string;
  /** The database the log belongs to, for overflow pages the log lacks; undefined for a stray log. */
  readonly databaseFileSystemPath: string | undefined;
  readonly databaseBaseOffset: number;
  readonly databaseSizeInBytes: number;
  readonly pageSize: number;
  readonly parameters: PageImageDecodeParameters;
  /** As for live pages: the worker returns the records' report text instead of the records. */
  readonly render?: RenderSpec;
}

export type Task = DecodeLivePagesTask | DecodePageImagesTask;

/** What a task gives back in-process; with `render`, no records but their rendered text. */
export type TaskResult = DecodedBatch & { readonly rendered?: RenderedBatch };

/** What crosses the worker boundary: records packed (record-batch.ts), issues as plain data. */
export interface WireResult {
  readonly packed: PackedRecords;
  readonly issues: DecodedBatch['issues'];
  /** Report text of the records (tasks with `render`; `packed` is then empty): UTF-8 bytes and offsets. */
  readonly rendered?: RenderedBatch;
}
