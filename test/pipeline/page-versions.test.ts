/**
 * page-versions.csv rows (issue 4 item 4): every page's versions in order — journal pre-images,
 * older WAL generations, the main file, the current WAL generation — each with the offset of its
 * image and the SHA-256 of those bytes, pages without rows included.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/pool/pool.js';
import { scanInputs } from '../../src/pipeline/scan.js';
import { MemorySink } from '../../src/pipeline/sink.js';
import type { PageVersionRow } from '../../src/reports/types.js';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../support/sqlite3.js';

async function scan(inputs: readonly string[], workers = 0): Promise<MemorySink> {
  const sink = new MemorySink();
  const pool = new WorkerPool(workers);
  try {
    await scanInputs(inputs, pool, sink);
  } finally {
    await pool.close();
  }
  return sink;
}

/** Every row's image bytes hash to its sha256; versions count 1, 2, 3 … per page. */
function checkRows(rows: readonly PageVersionRow[], pageSize: number): void {
  const files = new Map<string, Buffer>();
  const next = new Map<number, number>();
  for (const row of rows) {
    let bytes = files.get(row.image);
    if (bytes === undefined) files.set(row.image, (bytes = readFileSync(row.image)));
    expect(createHash('sha256').update(bytes.subarray(row.imageOffset, row.imageOffset + pageSize)).digest('hex')).toBe(row.sha256);
    const expected = (next.get(row.pageNumber) ?? 0) + 1;
    expect(row.version).toBe(expected);
    next.set(row.pageNumber, expected);
  }
}

describe('page versions of the bundled samples', () => {
  it('pos-wal: every main-file page, then every frame, hashed at its offset', async () => {
    const sink = await scan(['samples/pos-wal/trans.db']);
    const rows = sink.pageVersions;
    const mainPages = statSync('samples/pos-wal/trans.db').size / 4096;
    expect(rows.filter((row) => row.source === 'main')).toHaveLength(mainPages);
    const frames = rows.filter((row) => row.source === 'wal');
    expect(frames.map((row) => row.sourceNumber)).toEqual(Array.from({ length: 128 }, (_, index) => index + 1));
    expect(frames.every((row) => row.state === 'wal-committed' && row.checksum === 'valid' && row.transaction?.startsWith('wal:1.') === true)).toBe(true);
    // Page 1's versions: the main file's, then the frames that rewrote it.
    const first = rows.filter((row) => row.pageNumber === 1);
    expect(first[0]?.source).toBe('main');
    expect(first.slice(1).every((row) => row.source === 'wal')).toBe(true);
    // Pages without rows are listed too.
    expect(new Set(rows.map((row) => row.pageType))).toContain('index-leaf');
    checkRows(rows, 4096);
    // Frame k's page image starts at 32 + (k − 1) × (24 + 4096) + 24.
    for (const row of frames) expect(row.imageOffset).toBe(32 + ((row.sourceNumber as number) - 1) * 4120 + 24);
  });

  it('pos-persist: the journal pre-images come before the main file, with their transaction', async () => {
    const sink = await scan(['samples/pos-persist/trans.db'], 2);
    const rows = sink.pageVersions;
    const journal = rows.filter((row) => row.source === 'journal');
    expect(journal.length).toBeGreaterThan(0);
    for (const row of journal) {
      expect(row.state).toBe('journal-preimage');
      expect(row.transaction).toMatch(/^journal:\d+$/);
      // Every pre-image of a page precedes the main file's version of it.
      const main = rows.find((other) => other.source === 'main' && other.pageNumber === row.pageNumber);
      if (main !== undefined) expect(row.version).toBeLessThan(main.version);
    }
    expect(rows.some((row) => row.pageType === 'freelist-leaf' || row.pageType === 'freelist-trunk')).toBe(true);
    checkRows(rows, 4096);
    const again = await scan(['samples/pos-persist/trans.db'], 0);
    expect(again.pageVersions).toEqual(rows);
  });
});

describe.skipIf(!hasSqlite3())('page versions across a WAL restart (real sqlite3)', () => {
  let directory: string;
  beforeAll(() => {
    directory = makeTempDir('exhume-page-versions-');
  });
  afterAll(() => removeDir(directory));

  it('stale-generation frames come before the main file, the current generation after it', async () => {
    const folder = join(directory, 'restart');
    mkdirSync(folder, { recursive: true });
    const work = join(directory, 'work.db');
    const database = join(folder, 'trans.db');
    runSqlite(
      work,
      `PRAGMA page_size=512;\nPRAGMA journal_mode=WAL;\nPRAGMA wal_autocheckpoint=0;\nCREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO t(name) VALUES ('a'), ('b');\nINSERT INTO t(name) VALUES ('c');\nPRAGMA wal_checkpoint(PASSIVE);\nUPDATE t SET name = 'B' WHERE id = 2;\n.shell cp '${work}' '${database}'\n.shell cp '${work}-wal' '${database}-wal'\n`,
    );
    const sink = await scan([database]);
    const page = sink.pageVersions.filter((row) => row.pageNumber === 2).map((row) => row.state);
    const main = page.indexOf('main-file');
    expect(main).toBeGreaterThan(0);
    expect(page.slice(0, main).every((state) => state === 'wal-stale-generation')).toBe(true);
    expect(page.slice(main + 1)).toEqual(['wal-committed']);
    checkRows(sink.pageVersions, 512);
  });
});
