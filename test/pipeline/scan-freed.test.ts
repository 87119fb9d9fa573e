/**
 * Freed-space recovery through the worker pool (src/pipeline/scan-freed.ts) takes the same steps
 * as the single-thread `recoverFromReader`: on sqlite3-made databases with freeblocks, freelist
 * trunk and leaf pages, an index (rowid recovery), a dropped table and overflowing memos, the
 * pooled result must equal the in-process one record for record, in the same order.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../src/evidence/record.js';
import { parseDatabaseHeader } from '../../src/formats/sqlite/parse-header.js';
import { WorkerPool } from '../../src/pool/pool.js';
import { filePath } from '../../src/provenance/path.js';
import { recoverDatabase } from '../../src/recovery/freed/recover-database.js';
import type { RecoveredDatabase } from '../../src/recovery/freed/recover-database.js';
import { recoverFreedPooled } from '../../src/pipeline/scan-freed.js';
import { readFileSync } from 'node:fs';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../support/sqlite3.js';

const directory = makeTempDir('exhume-scan-freed-');
afterAll(() => removeDir(directory));

const setup = `PRAGMA page_size=1024;
CREATE TABLE trans_record (id INTEGER PRIMARY KEY, trace_no TEXT, amount INTEGER, memo TEXT);
CREATE INDEX ix_trace ON trans_record(trace_no);
CREATE TABLE old_batch (batch_no TEXT, total INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<1200)
INSERT INTO trans_record SELECT x, printf('T%06d', x), x * 100, CASE WHEN x % 50 = 0 THEN printf('%.*c', 1500, 'M') || x ELSE 'memo ' || x END FROM c;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<300) INSERT INTO old_batch SELECT printf('B%05d', x), x * 7 FROM c;`;
const change = `DELETE FROM trans_record WHERE id % 7 = 3; DELETE FROM trans_record WHERE id BETWEEN 400 AND 700; DROP TABLE old_batch;`;

function key(record: EvidenceRecord): string {
  return JSON.stringify([record.table, record.state, record.status, record.pageNumber, record.offsetInPage, record.rowid, record.types, record.values, record.flags, record.confidence, record.rawSha256, record.imageOffset]);
}

function flatten(result: RecoveredDatabase): string[] {
  return result.tables.flatMap((table) => table.freed.map((record) => `${table.name}\u0000${key(record)}`));
}

describe.skipIf(!hasSqlite3())('recoverFreedPooled', () => {
  it.each([0, 2])('with %i workers equals the single-thread recovery, record for record', async (workers) => {
    const path = join(directory, `ledger-${workers}.db`);
    runSqlite(path, setup);
    runSqlite(path, change);
    const expected = recoverDatabase(path);
    expect(expected.counts.freedByState['freelist'] ?? 0).toBeGreaterThan(0);
    expect(expected.counts.freedByState['freeblock'] ?? 0).toBeGreaterThan(0);
    expect(expected.droppedTables.map((table) => table.name)).toEqual(['old_batch']);
    const outcome = parseDatabaseHeader(readFileSync(path).subarray(0, 100), 0, filePath(path));
    if (outcome.kind !== 'parsed') throw new Error('header');
    const pool = new WorkerPool(workers);
    try {
      const pooled = await recoverFreedPooled({ fileSystemPath: path, location: path }, outcome.value, filePath(path), path, pool);
      expect(flatten(pooled)).toEqual(flatten(expected));
      expect(pooled.counts).toEqual(expected.counts);
      expect(pooled.issues).toEqual(expected.issues);
    } finally {
      await pool.close();
    }
  });
});
