/**
 * What the image scan needs from a pool: run a `scan-window` task, and say how many workers run
 * them (the scan keeps two windows in flight per worker). src/pool's WorkerPool is the one
 * implementation with threads (the house has one pool: a scan with `--workers N` runs N workers,
 * not N for pages plus N for windows); `inProcessWindowScanner` runs the same function here.
 *
 * A thrown error reaching a scanner is a bug or an image that vanished; it becomes an
 * `internal.worker-crash` issue (name, message and stack as data: piscina strips Error classes),
 * never a rejected scan.
 */
import { issue } from '../issues/issue.js';
import { filePath } from '../provenance/path.js';
import { emptyPackedHits } from './hits.js';
import type { ScanWindowResult, ScanWindowTask } from './scan-window.js';
import { scanWindow } from './scan-window.js';

export interface WindowScanner {
  /** Threads running windows (0: in-process). */
  readonly workerCount: number;
  scanWindow(task: ScanWindowTask): Promise<ScanWindowResult>;
}

/** The result standing for a window whose task threw: no hits, one `internal.worker-crash` issue. */
export function windowCrashResult(task: ScanWindowTask, error: unknown): ScanWindowResult {
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

/** Every window scanned on the calling thread, through the function the workers run. */
export const inProcessWindowScanner: WindowScanner = {
  workerCount: 0,
  scanWindow(task: ScanWindowTask): Promise<ScanWindowResult> {
    try {
      return Promise.resolve(scanWindow(task));
    } catch (error) {
      return Promise.resolve(windowCrashResult(task, error));
    }
  },
};
