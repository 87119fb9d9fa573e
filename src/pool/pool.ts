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
import type { Task, TaskResult, WireResult } from './tasks.js';

/** Compiled worker entry: beside this module in dist/, or dist/ when running from sources (vitest). */
export function workerFilePath(): string {
  const here = import.meta.url;
  const compiled = here.endsWith('.ts') ? new URL('../../dist/workers/exhume.worker.js', here) : new URL('../../workers/exhume.worker.js', here);
  return fileURLToPath(compiled);
}

export class WorkerPool {
  readonly workerCount: number;
  readonly #piscina: Piscina<Task, WireResult> | undefined;

  constructor(workerCount: number) {
    this.workerCount = workerCount;
    if (workerCount > 0) {
      const filename = workerFilePath();
      if (!existsSync(filename)) throw new Error(`worker file ${filename} is missing: run \`npm run build\` first`);
      this.#piscina = new Piscina<Task, WireResult>({ filename, minThreads: workerCount, maxThreads: workerCount, idleTimeout: 1000, execArgv: workerExecArgv() });
    }
  }

  async run(task: Task): Promise<TaskResult> {
    if (this.#piscina === undefined) return runTask(task);
    const wire = await this.#piscina.run(task);
    return {
      records: unpackRecords(wire.packed),
      issues: [...wire.issues],
      ...(wire.rendered === undefined ? {} : { rendered: wire.rendered }),
    };
  }

  async close(): Promise<void> {
    await this.#piscina?.destroy();
  }
}
