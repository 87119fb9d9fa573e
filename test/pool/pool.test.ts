/**
 * The one worker pool: page tasks and raw-image window scans run on the same threads, give what
 * the same functions give in-process, and a failing window becomes an issue, never a rejection.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/pool/pool.js';
import { TASK_KINDS } from '../../src/pool/tasks.js';
import { renderPath } from '../../src/provenance/path.js';
import { scanWindow } from '../../src/scanning/scan-window.js';
import { scanInputs } from '../../src/pipeline/scan.js';
import { MemorySink } from '../../src/pipeline/sink.js';
import { noise } from '../support/bytes.js';
import { makeTempDir, removeDir } from '../support/sqlite3.js';

const ledger = 'samples/pos-ledger/trans.db';

describe('WorkerPool', () => {
  const directory = makeTempDir('exhume-pool-');
  afterAll(() => removeDir(directory));

  it('registers every task kind the workers run', () => {
    expect(TASK_KINDS).toEqual(['decode-live-pages', 'decode-page-images', 'scan-window']);
  });

  it('runs window scans and page decoding on the same threads, with the in-process results', async () => {
    const { readFileSync } = await import('node:fs');
    const image = join(directory, 'image.img');
    writeFileSync(image, Buffer.concat([noise(512 * 9, 7), readFileSync(ledger), noise(4096, 8)]));
    const window = { kind: 'scan-window' as const, location: image, fileSystemPaths: [image], start: 0, pageLength: 128 * 1024, marginLength: 0, leadLength: 0 };
    const results = [];
    for (const workers of [0, 2]) {
      const pool = new WorkerPool(workers);
      try {
        const scanned = await pool.scanWindow(window);
        expect(scanned.hits).toEqual(scanWindow(window).hits);
        // The image (window scans) and the database beside it (live-page tasks) through one pool.
        const sink = new MemorySink();
        await scanInputs([image, ledger], pool, sink);
        results.push(sink.records.map((record) => [renderPath(record.path), record.state, record.values.join('|')]));
      } finally {
        await pool.close();
      }
    }
    expect(results[0]?.length).toBeGreaterThan(100);
    expect(results[1]).toEqual(results[0]);
  });

  it('turns a failing window into an internal.worker-crash issue (plain data), in-process and in a worker', async () => {
    for (const workers of [0, 1]) {
      const pool = new WorkerPool(workers);
      try {
        const result = await pool.scanWindow({ kind: 'scan-window', location: 'gone.img', fileSystemPaths: [join(directory, 'gone.img')], start: 0, pageLength: 512, marginLength: 0, leadLength: 0 });
        expect(result.hits.count).toBe(0);
        expect(result.issues.map((found) => [found.code, found.severity, found.details?.['name'], renderPath(found.path)])).toEqual([['internal.worker-crash', 'error', 'Error', 'file:gone.img']]);
        expect(result.issues[0]?.message).toMatch(/^Scan of window at 0 \(\+512\) failed: Error: ENOENT/);
      } finally {
        await pool.close();
      }
    }
    expect(() => new WorkerPool(-1)).toThrow(/non-negative/);
  });
});
