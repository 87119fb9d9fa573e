/**
 * Freed records inside log page images (issue 4 item 2): rows the real sqlite3 engine deleted
 * (secure_delete OFF) that survive only in the freeblocks of a WAL frame or of a journal
 * pre-image are found, with the image's frame or journal record, transaction, state and a status
 * against the committed view; the same freed cell carried by later frames of its page is reported
 * once with those frames as sightings; a freed cell the main file already holds is not reported
 * again. The engine only ever writes its own work copies; the scan reads copies taken while the
 * connection was open.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../src/evidence/record.js';
import { sha256Hex } from '../../src/bytes/sha256.js';
import { renderPath } from '../../src/provenance/path.js';
import { WorkerPool } from '../../src/pool/pool.js';
import { scanInputs } from '../../src/pipeline/scan.js';
import { MemorySink } from '../../src/pipeline/sink.js';
import { buildFreedTable } from '../../src/pipeline/log-freed.js';
import { tableDecodeInfo } from '../../src/recovery/table-info.js';
import { parseCreateTable } from '../../src/formats/sqlite/schema.js';
import { filePath } from '../../src/provenance/path.js';
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

const ghostText = (record: EvidenceRecord): string | undefined => record.values.find((value) => typeof value === 'string' && value.startsWith('ghost-')) ?? undefined;

/** Serialises what a scan gives, for equality between runs (bigints as text). */
function serialise(sink: MemorySink): string {
  return JSON.stringify({ records: sink.records, issues: sink.issues, transactions: sink.transactions }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

const table = 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount INTEGER)';
const tenRows = `INSERT INTO t(name, amount) SELECT printf('ghost-%d', x), 1000 + x FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<10) SELECT x FROM c);`;

describe.skipIf(!hasSqlite3())('freed records in WAL frames and journal pre-images (real sqlite3)', () => {
  let directory: string;
  beforeAll(() => {
    directory = makeTempDir('exhume-log-freed-');
  });
  afterAll(() => removeDir(directory));

  /** Database and -wal copied while the writing connection is open. */
  function walCase(name: string, script: string): string {
    const folder = join(directory, name);
    mkdirSync(folder, { recursive: true });
    const work = join(directory, `${name}-work.db`);
    const database = join(folder, 'trans.db');
    runSqlite(work, `PRAGMA page_size=512;\nPRAGMA journal_mode=WAL;\nPRAGMA wal_autocheckpoint=0;\n${script}\n.shell cp '${work}' '${database}'\n.shell cp '${work}-wal' '${database}-wal'\n`);
    return database;
  }

  describe('rows inserted and deleted inside one WAL transaction', () => {
    // The transaction's page reaches the WAL only at commit, with the deleted rows already freed:
    // rows 3, 5 and 7 exist nowhere else. Two later transactions rewrite the page in place.
    let database: string;
    let sink: MemorySink;
    beforeAll(async () => {
      database = walCase(
        'one-transaction',
        `${table};\nBEGIN;\n${tenRows}\nDELETE FROM t WHERE id IN (3, 5, 7);\nCOMMIT;\nUPDATE t SET amount = amount + 1 WHERE id = 2;\nUPDATE t SET amount = amount + 1 WHERE id = 4;\n`,
      );
      sink = await scan([database]);
    });

    it('finds each deleted row once, from its first frame, with frame, transaction, state and status', () => {
      const freed = sink.records.filter((record) => record.foundBy === 'page-scan' && record.frameIndex !== undefined);
      const ghosts = freed.map(ghostText).filter((text) => text !== undefined);
      expect(ghosts.sort()).toEqual(['ghost-3', 'ghost-5', 'ghost-7']);
      // Nothing else holds them: every record naming them is one of these.
      expect(sink.records.filter((record) => ['ghost-3', 'ghost-5', 'ghost-7'].includes(ghostText(record) ?? ''))).toHaveLength(3);
      const firstFrames = new Set(freed.map((record) => record.frameIndex));
      expect(firstFrames.size).toBe(1);
      const frame = [...firstFrames][0] as number;
      const transaction = sink.transactions.find((row) => row.firstFrame !== null && row.lastFrame !== null && frame >= row.firstFrame && frame <= row.lastFrame);
      for (const record of freed) {
        expect(record.table).toBe('t');
        expect(record.state).toBe('wal-committed');
        expect(record.status).toBe('deleted');
        expect(record.checksum).toBe('valid');
        expect(record.transaction).toBe(transaction?.transaction);
        expect(record.values[2]).toBe(String(1000 + Number((ghostText(record) as string).slice(6))));
        expect(record.confidence.reasons.some((reason) => reason.startsWith('in a freeblock of the chain'))).toBe(true);
        expect(record.confidence.reasons.some((reason) => reason.startsWith(`WAL frame ${frame} at `))).toBe(true);
      }
    });

    it('names the later frames of the same page as sightings instead of reporting the records again', () => {
      const freed = sink.records.filter((record) => record.foundBy === 'page-scan' && record.frameIndex !== undefined);
      const laterFrames = sink.transactions.filter((row) => row.sequence > 1 && row.pages.length > 0).length;
      expect(laterFrames).toBeGreaterThanOrEqual(2);
      for (const record of freed) {
        const sighting = record.confidence.reasons.find((reason) => reason.startsWith('same freed cell'));
        expect(sighting).toMatch(/also in 2 later image\(s\) of the page, reported once: WAL frame \d+ \(wal-committed, transaction wal:1\.\d+\); WAL frame \d+/);
      }
    });

    it('provenance folds back to the freed cell bytes in the -wal file', () => {
      const wal = new Uint8Array(readFileSync(`${database}-wal`));
      for (const record of sink.records.filter((item) => item.foundBy === 'page-scan' && item.frameIndex !== undefined)) {
        expect(renderPath(record.path)).toMatch(/> wal-frame#\d+\(page 2, salts 0x[0-9a-f]{8}\/0x[0-9a-f]{8}\) > sqlite-page#2 > cell@0x[0-9a-f]{8}$/);
        const offset = record.imageOffset as number;
        expect(sha256Hex(wal.subarray(offset, offset + record.lengthInBytes))).toBe(record.rawSha256);
      }
    });

    it('gives the same records, issues and transactions through the pool (2 workers), run after run', async () => {
      const pooled = await scan([database], 2);
      expect(serialise(pooled)).toBe(serialise(sink));
      const again = await scan([database], 2);
      expect(serialise(again)).toBe(serialise(pooled));
    });
  });

  it('a freed cell the main file already holds (deleted before a checkpoint) is reported once, from the main file', async () => {
    const database = walCase('after-checkpoint', `${table};\n${tenRows}\nDELETE FROM t WHERE id = 6;\nPRAGMA wal_checkpoint(PASSIVE);\nUPDATE t SET amount = amount + 1 WHERE id = 2;\n`);
    const sink = await scan([database]);
    const freed = sink.records.filter((record) => ghostText(record) === 'ghost-6' && record.foundBy === 'page-scan');
    // The main file's freeblock, classified against the main file's live rows. (The restart left
    // the stale frame of the inserting transaction behind: there row 6 is a live cell, reported.)
    expect(freed.map((record) => [record.state, record.status, record.frameIndex])).toEqual([['freeblock', 'deleted', undefined]]);
    const sighting = sink.issues.filter((problem) => problem.code === 'log.freed.main-file-sighting');
    expect(sighting).toHaveLength(1);
    expect(sighting[0]?.message).toMatch(
      /^Freed cell of t on page 2 at offset \d+: the same record the main file's freed space holds \(reported there, file:.*trans\.db > sqlite-page#2 > cell@0x[0-9a-f]{8}\); also in 2 log image\(s\): WAL frame 1 \(wal-committed, transaction wal:1\.1\); WAL frame 4 \(wal-stale-generation, transaction wal:2\.3\)$/,
    );
  });

  it('a deleted row whose space the next transaction reused survives only in the PERSIST journal pre-image', async () => {
    const folder = join(directory, 'persist');
    mkdirSync(folder, { recursive: true });
    const work = join(directory, 'persist-work.db');
    const database = join(folder, 'trans.db');
    // Row 3 is deleted; the next insert (same cell size) reuses its freeblock in the main file, so
    // only that transaction's pre-image of page 2 still holds it.
    runSqlite(
      work,
      `PRAGMA page_size=512;\nPRAGMA journal_mode=PERSIST;\n${table};\n${tenRows}\nDELETE FROM t WHERE id = 3;\nINSERT INTO t(name, amount) VALUES ('zzzzz-3', 2003);\n.shell cp '${work}' '${database}'\n.shell cp '${work}-journal' '${database}-journal'\n`,
    );
    expect(existsSync(`${database}-journal`)).toBe(true);
    const sink = await scan([database], 2);
    const ghosts = sink.records.filter((record) => ghostText(record) === 'ghost-3');
    expect(ghosts).toHaveLength(1);
    const record = ghosts[0] as EvidenceRecord;
    expect([record.state, record.status, record.foundBy, record.transaction, record.table, record.pageNumber, record.values[2]]).toEqual(['journal-preimage', 'deleted', 'page-scan', 'journal:1', 't', 2, '1003']);
    expect(record.journalRecordIndex).toBeGreaterThan(0);
    expect(renderPath(record.path)).toMatch(/trans\.db-journal > journal-record#\d+\(page 2\) > sqlite-page#2 > cell@0x[0-9a-f]{8}$/);
    const journal = new Uint8Array(readFileSync(`${database}-journal`));
    expect(sha256Hex(journal.subarray(record.imageOffset as number, (record.imageOffset as number) + record.lengthInBytes))).toBe(record.rawSha256);
    expect(serialise(await scan([database], 0))).toBe(serialise(sink));
  });
});

describe('freed-table signatures', () => {
  it('are plain data: they survive structuredClone unchanged (they cross the worker boundary)', () => {
    const parsed = parseCreateTable(table);
    if (!parsed.ok) throw new Error('schema');
    const plan = { entry: { type: 'table', name: 't', tableName: 't', rootPageNumber: 2, sql: table }, schema: parsed.schema, decode: { ...tableDecodeInfo(parsed.schema), name: 't' } } as const;
    const built = buildFreedTable({ plan, pages: undefined, reader: undefined, entries: [], usableSize: 512, encoding: 1, databaseName: 'x', databasePath: filePath('x') });
    expect(built.index).toBeUndefined();
    expect(structuredClone(built.signature)).toEqual(built.signature);
  });
});
