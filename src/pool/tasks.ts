/**
 * THE worker contract. Plain data only: no functions, class instances or Error objects cross the
 * boundary. Workers open and read evidence themselves; the main thread sends locations and ranges.
 */
import type { DecodedBatch, LiveDecodeParameters } from '../recovery/live-records.js';
import type { PageImageDecodeParameters } from '../assembly/versions/page-images.js';
import type { FreedJob, FreedJobResult } from '../recovery/freed/freed-jobs.js';
import type { PackedRecords } from './record-batch.js';
import type { WireFreedResult } from './freed-wire.js';
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

/**
 * Freed-space recovery of a database, page by page (recovery/freed/freed-jobs.ts): live digests,
 * freed cells of live pages, freelist pages. The main thread runs the steps between jobs
 * (recover-database.ts `recoverSteps`).
 */
export interface RecoverFreedTask {
  readonly kind: 'recover-freed';
  /** File system path of the evidence file (opened read-only by the worker). */
  readonly fileSystemPath: string;
  /** Where the database starts inside that file. */
  readonly baseOffset: number;
  readonly sizeInBytes: number;
  readonly pageSize: number;
  readonly job: FreedJob;
}

export type Task = DecodeLivePagesTask | DecodePageImagesTask | RecoverFreedTask;

/**
 * What a task gives back in-process; with `render`, no records but their rendered text; a
 * `recover-freed` task gives its job's result as `freed` (and no records).
 */
export type TaskResult = DecodedBatch & { readonly rendered?: RenderedBatch; readonly freed?: FreedJobResult };

/** What crosses the worker boundary: records packed (record-batch.ts), issues as plain data. */
export interface WireResult {
  readonly packed: PackedRecords;
  readonly issues: DecodedBatch['issues'];
  /** Report text of the records (tasks with `render`; `packed` is then empty): UTF-8 bytes and offsets. */
  readonly rendered?: RenderedBatch;
  /** A `recover-freed` task's result, its records packed. */
  readonly freed?: WireFreedResult;
}
