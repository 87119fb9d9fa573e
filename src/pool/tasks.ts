/**
 * THE worker contract. Plain data only: no functions, class instances or Error objects cross the
 * boundary. Workers open and read evidence themselves; the main thread sends locations and ranges.
 */
import type { DecodedBatch, LiveDecodeParameters } from '../recovery/live-records.js';
import type { PageImageDecodeParameters } from '../assembly/versions/page-images.js';
import type { PackedRecords } from './record-batch.js';
import type { RenderSpec, RenderedBatch } from '../reports/render.js';
import type { ScanWindowResult, ScanWindowTask } from '../scanning/scan-window.js';

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
  /** Where the log starts in that file: 0, or its offset in the raw image it was carved from. */
  readonly fileBaseOffset: number;
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
  /**
   * Digests of the freed records among `packed` (a `decode-page-images` task carving freed space;
   * recovery/freed/record-digest.ts), which packing leaves out: [record index, full digest,
   * field-set digests]. The main thread classifies them against the committed view.
   */
  readonly digests?: readonly (readonly [number, number, readonly number[]])[];
}

/**
 * The window scan of a raw image (scanning/scan-window.ts): a range of the image, read by the
 * worker itself (or, with the `shared` read strategy, a SharedArrayBuffer slot the main thread
 * read it into); hits come back packed in typed arrays. It runs in the same pool as the page
 * tasks, so `--workers N` means N worker threads for the whole run.
 */
export type { ScanWindowResult, ScanWindowTask } from '../scanning/scan-window.js';

/** Every task a pool worker runs (the worker entry dispatches on `kind`). */
export type WorkerTask = Task | ScanWindowTask;
/** What crosses back: a page task's WireResult, or a window's packed hits. */
export type WorkerResult = WireResult | ScanWindowResult;

/**
 * The registry of task kinds, one entry per member of WorkerTask. The check below fails to
 * compile when a task is added to the union and not here (or the reverse).
 */
export const TASK_KINDS = ['decode-live-pages', 'decode-page-images', 'scan-window'] as const;
type RegisteredKind = (typeof TASK_KINDS)[number];
const everyKindRegistered: [Exclude<WorkerTask['kind'], RegisteredKind>, Exclude<RegisteredKind, WorkerTask['kind']>] extends [never, never] ? true : false = true;
void everyKindRegistered;
