/**
 * The worker pool of the window scan.
 *
 * TEMPORARY HOME: this is the only file of scanning/ that imports piscina, so that the lead can
 * fold it into src/pool/ (pool.ts is the house's one piscina import, tasks.ts its contract) by
 * adding `scan-window` to the Task union and `scanWindow` to run-task.ts's dispatch. Until
 * then the scan runs its own pool, pointed straight at the compiled scan-window module.
 *
 * `workerCount = 0` runs every task in-process through the same function (tests, tiny images).
 * A thrown error reaching the pool is a bug or an unopenable image; it becomes an
 * `internal.worker-crash` issue (name, message and stack as data: piscina strips Error classes).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { issue } from '../issues/issue.js';
import { filePath } from '../provenance/path.js';
import { emptyPackedHits } from './hits.js';
import type { ScanWindowResult, ScanWindowTask } from './scan-window.js';
import { scanWindow } from './scan-window.js';
// Shared with src/pool (this pool folds into it later).
import { workerExecArgv } from '../pool/worker-exec-argv.js';

/** Compiled scan-window module: beside this one in dist/, or in dist/ when running from sources (vitest). */
export function scanWorkerFilePath(): string {
  const here = import.meta.url;
  const compiled = here.endsWith('.ts') ? new URL('../../dist/src/scanning/scan-window.js', here) : new URL('./scan-window.js', here);
  return fileURLToPath(compiled);
}

export class ScanPool {
  readonly workerCount: number;
  readonly #piscina: Piscina<ScanWindowTask, ScanWindowResult> | undefined;

  /** @throws Error when workers are asked for and the compiled worker module is missing (run `npm run build`). */
  constructor(workerCount: number) {
    if (!Number.isSafeInteger(workerCount) || workerCount < 0) throw new Error(`ScanPool: worker count ${workerCount} must be a non-negative integer`);
    this.workerCount = workerCount;
    if (workerCount > 0) {
      const filename = scanWorkerFilePath();
      if (!existsSync(filename)) throw new Error(`worker file ${filename} is missing: run \`npm run build\` first`);
      this.#piscina = new Piscina<ScanWindowTask, ScanWindowResult>({
        filename,
        name: 'scanWindow',
        execArgv: workerExecArgv(),
        minThreads: workerCount,
        maxThreads: workerCount,
        // Tasks are plain ranges, so queueing costs nothing; the caller bounds what is in flight.
        maxQueue: 'auto',
        idleTimeout: 1000,
      });
    }
  }

  async run(task: ScanWindowTask): Promise<ScanWindowResult> {
    try {
      if (this.#piscina === undefined) return scanWindow(task);
      return await this.#piscina.run(task);
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      const stack = error instanceof Error ? (error.stack ?? '') : '';
      return {
        start: task.start,
        pageLength: task.pageLength,
        hits: emptyPackedHits,
        issues: [
          issue('internal.worker-crash', 'error', filePath(task.location), task.start, `Scan of window at ${task.start} (+${task.pageLength}) failed: ${name}: ${message}`, {
            name,
            message,
            stack,
          }),
        ],
        unreadable: [],
        scanMilliseconds: 0,
        readMilliseconds: 0,
      };
    }
  }

  async close(): Promise<void> {
    await this.#piscina?.destroy();
  }
}
