/**
 * Worker pools for tests that scan images: one WorkerPool per worker count per test file (each
 * file imports its own copy of this module), closed by `closePools()` in the file's afterAll.
 * `0` gives the in-process pool.
 */
import { WorkerPool } from '../../src/pool/pool.js';

const pools = new Map<number, WorkerPool>();

export function pool(workers: number): WorkerPool {
  let found = pools.get(workers);
  if (found === undefined) {
    found = new WorkerPool(workers);
    pools.set(workers, found);
  }
  return found;
}

export async function closePools(): Promise<void> {
  const open = [...pools.values()];
  pools.clear();
  await Promise.all(open.map((item) => item.close()));
}
