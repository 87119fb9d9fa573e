/**
 * The one place that knows piscina. `workers = 0` runs tasks in-process (same code path).
 * A thrown error reaching here is a bug by definition: it becomes `internal.worker-crash`.
 * Records come back packed (record-batch.ts); rendered report text (a live-pages task with
 * `render`) comes back as UTF-8 bytes with record boundaries (reports/render.ts), cloned as is.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { runTask } from './run-task.js';
import { unpackRecords } from './record-batch.js';
import { workerExecArgv } from './worker-exec-argv.js';
import type { ScanWindowResult, ScanWindowTask, Task, TaskResult, WireResult, WorkerResult, WorkerTask } from './tasks.js';
import type { WindowScanner } from '../scanning/window-scanner.js';
import { inProcessWindowScanner, windowCrashResult } from '../scanning/window-scanner.js';

/** Compiled worker entry: beside this module in dist/, or dist/ when running from sources (vitest). */
export function workerFilePath(): string {
  const here = import.meta.url;
  const compiled = here.endsWith('.ts') ? new URL('../../dist/workers/exhume.worker.js', here) : new URL('../../workers/exhume.worker.js', here);
  return fileURLToPath(compiled);
}

/**
 * The pool: page tasks (`run`) and raw-image window scans (`scanWindow`, the WindowScanner the
 * image scan asks for) share one set of `workerCount` threads.
 */
export class WorkerPool implements WindowScanner {
  readonly workerCount: number;
  readonly #piscina: Piscina<WorkerTask, WorkerResult> | undefined;

  constructor(workerCount: number) {
    if (!Number.isSafeInteger(workerCount) || workerCount < 0) throw new Error(`WorkerPool: worker count ${workerCount} must be a non-negative integer`);
    this.workerCount = workerCount;
    if (workerCount > 0) {
      const filename = workerFilePath();
      if (!existsSync(filename)) throw new Error(`worker file ${filename} is missing: run \`npm run build\` first`);
      // The queue is unbounded (piscina's default): callers bound what they keep in flight.
      this.#piscina = new Piscina<WorkerTask, WorkerResult>({ filename, minThreads: workerCount, maxThreads: workerCount, idleTimeout: 1000, execArgv: workerExecArgv() });
    }
  }

  async run(task: Task): Promise<TaskResult> {
    if (this.#piscina === undefined) return runTask(task);
    const wire = (await this.#piscina.run(task)) as WireResult;
    const records = unpackRecords(wire.packed);
    // Freed records' digests of page-image tasks travel beside the packed records; they are put back on the (fresh) records.
    for (const [index, full, sets] of wire.digests ?? []) {
      const record = records[index];
      if (record !== undefined) (record as { digests?: unknown }).digests = { full, sets };
    }
    return {
      records,
      issues: [...wire.issues],
      ...(wire.rendered === undefined ? {} : { rendered: wire.rendered }),
    };
  }

  /** Scans one window of a raw image; a thrown error becomes an `internal.worker-crash` issue. */
  async scanWindow(task: ScanWindowTask): Promise<ScanWindowResult> {
    if (this.#piscina === undefined) return inProcessWindowScanner.scanWindow(task);
    try {
      return (await this.#piscina.run(task)) as ScanWindowResult;
    } catch (error) {
      return windowCrashResult(task, error);
    }
  }

  async close(): Promise<void> {
    await this.#piscina?.destroy();
  }
}
