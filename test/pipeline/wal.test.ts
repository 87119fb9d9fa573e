/**
 * A database with its WAL through the scan pipeline: every frame's page decoded with its state,
 * frame, transaction and provenance; the committed view (main file + committed frames) equal to
 * what sqlite3 shows on a copy with `?mode=ro`; the main file reported as it is; row-level events
 * per transaction. Real-engine WALs (sqlite3 3.40, page size 512) are copied while the writing
 * connection is open; the engine only ever opens copies.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord, TableDescriptor } from '../../src/evidence/record.js';
import type { Issue } from '../../src/issues/issue.js';
import { issueSortKey } from '../../src/issues/issue.js';
import type { EvidenceSink } from '../../src/pipeline/sink.js';
import type { RenderedBatch } from '../../src/reports/render.js';
import type { ReportRun } from '../../src/reports/types.js';
import { openReportWriter } from '../../src/reports/writer.js';
import { FIXED_ENVIRONMENT, makeFinish } from '../support/evidence.js';
import { listFiles } from '../reports/helpers.js';
import { renderPath } from '../../src/provenance/path.js';
import { sha256Hex } from '../../src/bytes/sha256.js';
import { WorkerPool } from '../../src/pool/pool.js';
import { scanInputs } from '../../src/pipeline/scan.js';
import { MemorySink } from '../../src/pipeline/sink.js';
import { asOracleRows, sortRows } from '../support/read-database.js';
import { hasSqlite3, makeTempDir, oracleRows, removeDir, runSqlite, userTables } from '../support/sqlite3.js';
import { makeInterruptedWal } from '../support/wal-fixtures.js';

const sample = 'samples/pos-wal/trans.db';

async function scan(inputs: readonly string[], workers = 0, options: { schemaLocation?: string } = {}): Promise<MemorySink> {
  const sink = new MemorySink();
  const pool = new WorkerPool(workers);
  try {
    await scanInputs(inputs, pool, sink, options);
  } finally {
    await pool.close();
  }
  return sink;
}

function countBy(records: readonly EvidenceRecord[], key: (record: EvidenceRecord) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const record of records) out[key(record)] = (out[key(record)] ?? 0) + 1;
  return out;
}

/** Rows sqlite3 would show: records whose status is live (main-file rows the WAL left alone, committed frames' rows in the view). */
function liveRows(sink: MemorySink, table: string, withoutRowid = false) {
  return sortRows(asOracleRows(sink.records.filter((record) => record.table === table && record.status === 'live'), withoutRowid));
}

/** The database and its -wal as a crash would leave them: both copied while the connection is open. */
function walCase(directory: string, name: string, script: string): string {
  mkdirSync(directory, { recursive: true });
  const work = join(directory, `${name}-work.db`);
  const database = join(directory, `${name}.db`);
  runSqlite(
    work,
    `PRAGMA page_size=512;
PRAGMA journal_mode=WAL;
PRAGMA wal_autocheckpoint=0;
${script}
.shell cp '${work}' '${database}'
.shell cp '${work}-wal' '${database}-wal'
`,
  );
  return database;
}

const rows = (count: number, text: string): string =>
  `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<${count}) INSERT INTO t(v) SELECT printf('${text} %d', x) FROM c;`;

describe('the pos-wal sample', () => {
  let sink: MemorySink;
  beforeAll(async () => {
    sink = await scan([sample]);
  });

  it('reports the main file as it is and every WAL frame page after it, in frame order', () => {
    const main = sink.records.filter((record) => record.frameIndex === undefined && record.state === 'db-live');
    const wal = sink.records.filter((record) => record.frameIndex !== undefined && record.foundBy === 'wal');
    expect(main.every((record) => record.state === 'db-live')).toBe(true);
    expect(main.filter((record) => record.table === 'trans_record')).toHaveLength(53);
    // Main-file records (live, then freed space) all come before the first WAL record.
    expect(sink.records.indexOf(wal[0] as EvidenceRecord)).toBe(sink.records.filter((record) => record.frameIndex === undefined).length);
    // Live cells of the frames in frame order; the frames' freed records (distinct) after them all.
    const lastLive = sink.records.indexOf(wal[wal.length - 1] as EvidenceRecord);
    expect(sink.records.slice(lastLive + 1).every((record) => record.frameIndex !== undefined && record.foundBy === 'page-scan')).toBe(true);
    const frames = wal.map((record) => record.frameIndex as number);
    expect(frames).toEqual([...frames].sort((a, b) => a - b));
    expect(wal.every((record) => record.state === 'wal-committed' && record.checksum === 'valid' && record.foundBy === 'wal')).toBe(true);
  });

  it('the committed view: 8 trans_record rows, and every table as sqlite3 reads database + WAL', () => {
    const manifest = JSON.parse(readFileSync('samples/manifest.json', 'utf8')) as { databases: { path: string; liveRows: { withWal?: Record<string, number> } }[] };
    const expected = manifest.databases.find((database) => database.path === 'pos-wal/trans.db')?.liveRows.withWal ?? {};
    const live = countBy(
      sink.records.filter((record) => record.status === 'live' && record.table !== 'sqlite_schema'),
      (record) => record.table,
    );
    for (const [table, count] of Object.entries(expected)) expect({ table, count: live[table] ?? 0 }).toEqual({ table, count });
    expect(live['trans_record']).toBe(8);
    // The main file's 53 ledger rows were all settled away in the WAL.
    expect(countBy(sink.records.filter((record) => record.state === 'db-live' && record.table === 'trans_record'), (record) => record.status)).toEqual({ deleted: 53 });
  });

  it.skipIf(!hasSqlite3())('live rows equal sqlite3 SELECT on a copy opened ?mode=ro with the -wal', () => {
    for (const table of userTables(sample)) {
      expect({ table: table.name, rows: liveRows(sink, table.name, table.withoutRowid) }).toEqual({
        table: table.name,
        rows: sortRows(oracleRows(sample, table.name, { withWal: true, withoutRowid: table.withoutRowid })),
      });
    }
  });

  it('WAL records carry frame provenance that folds back to their bytes in the -wal file', () => {
    const wal = new Uint8Array(readFileSync(`${sample}-wal`));
    const records = sink.records.filter((record) => record.frameIndex !== undefined);
    for (const record of records.filter((_, index) => index % 17 === 0)) {
      const frame = record.frameIndex as number;
      const pageStart = 32 + (frame - 1) * (4096 + 24) + 24;
      expect(record.imageOffset).toBe(pageStart + record.offsetInPage);
      expect(renderPath(record.path)).toMatch(new RegExp(`^file:samples/pos-wal/trans\\.db-wal > wal-frame#${frame}\\(page ${record.pageNumber}, salts 0x[0-9a-f]{8}/0x[0-9a-f]{8}\\) > sqlite-page#${record.pageNumber} > cell@0x[0-9a-f]{8}$`));
      const offset = record.imageOffset as number;
      expect(sha256Hex(wal.subarray(offset, offset + record.lengthInBytes))).toBe(record.rawSha256);
      expect(record.transaction).toMatch(/^wal:1\.\d+$/);
    }
  });

  it('transactions in WAL order with their row-level events: two settlements delete 9 and 44 ledger rows, day 3 inserts 8', () => {
    expect(sink.transactions).toHaveLength(66);
    expect(sink.transactions.map((row) => row.firstFrame)).toEqual([...sink.transactions.map((row) => row.firstFrame)].sort((a, b) => (a as number) - (b as number)));
    expect(sink.transactions.every((row) => row.source === 'wal' && row.commitState === 'committed' && row.checksumState === 'valid')).toBe(true);
    const ledger = (kind: string) => sink.transactions.map((row) => (row.events ?? []).filter((event) => event.table === 'trans_record' && event.kind === kind).length).filter((count) => count > 0);
    expect(ledger('delete')).toEqual([9, 44]);
    expect(ledger('insert').reduce((a, b) => a + b, 0)).toBe(8);
    const settlement = sink.transactions.find((row) => row.deleteCount === 44);
    const deleted = (settlement?.events ?? []).filter((event) => event.kind === 'delete');
    expect(deleted.every((event) => event.before?.['batch_no'] === '000012' && event.after === undefined)).toBe(true);
    // An update names only the columns it changed, before and after.
    const update = sink.transactions.flatMap((row) => row.events ?? []).find((event) => event.kind === 'update' && event.table === 'merchant_batch');
    expect(Object.keys(update?.before ?? {})).toEqual(Object.keys(update?.after ?? {}));
    expect(Object.keys(update?.before ?? {}).length).toBeGreaterThan(0);
  });

  it('gives identical records, issues and transactions in-process and through the pool', async () => {
    const pooled = await scan([sample], 2);
    const shape = (from: MemorySink) => ({
      records: from.records.map((record) => ({ ...record, path: renderPath(record.path) })),
      issues: from.issues.map((problem) => ({ ...problem, path: renderPath(problem.path) })),
      transactions: from.transactions,
      tables: from.tables,
    });
    expect(shape(pooled)).toEqual(shape(sink));
  });

  it('never writes beside the evidence (no -shm appears) and the inputs hash the same before and after', async () => {
    const before = readdirSync('samples/pos-wal').sort();
    const pool = new WorkerPool(0);
    const verified = await scanInputs([sample], pool, new MemorySink());
    expect(verified.every((entry) => entry.unchanged)).toBe(true);
    expect(readdirSync('samples/pos-wal').sort()).toEqual(before);
  });
});

describe.skipIf(!hasSqlite3())('WALs written by sqlite3 (tier 2)', () => {
  let directory = '';
  beforeAll(() => {
    directory = makeTempDir('exhume-wal-pipeline-');
  });
  afterAll(() => removeDir(directory));

  it('hands each transaction to the sink while later frames are still being decoded, in WAL order, once each', async () => {
    const statements = Array.from({ length: 120 }, (_, index) => `INSERT INTO t(v) VALUES ('sale ${index}'); UPDATE t SET v = v || ' paid' WHERE id = ${1 + ((index * 7) % 40)};`);
    const database = walCase(directory, 'streamed', `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n${rows(40, 'bulk')}\n${statements.join('\n')}`);
    const calls: string[] = [];
    const memory = new MemorySink();
    const sink: EvidenceSink = {
      addTable: (descriptor) => memory.addTable(descriptor),
      addIssues: (issues) => memory.addIssues(issues),
      addRecords: (records) => {
        if (records.some((record) => record.frameIndex !== undefined)) calls.push('records');
        memory.addRecords(records);
      },
      addTransactions: (transactionRows) => {
        calls.push('transactions');
        memory.addTransactions(transactionRows);
      },
    };
    const pool = new WorkerPool(0);
    try {
      await scanInputs([database], pool, sink);
    } finally {
      await pool.close();
    }
    const frameCount = Math.max(...memory.records.flatMap((record) => (record.frameIndex === undefined ? [] : [record.frameIndex])));
    expect(frameCount).toBeGreaterThan(3 * 32);
    // Rows arrive between record batches, not all after the last one.
    expect(calls.indexOf('transactions')).toBeLessThan(calls.lastIndexOf('records'));
    expect(calls.filter((call) => call === 'transactions').length).toBeGreaterThan(2);
    expect(memory.transactions.map((row) => row.sequence)).toEqual(memory.transactions.map((_, index) => index + 1));
    expect(memory.transactions.length).toBeGreaterThanOrEqual(241);
    // Every committed transaction after the bulk load: one insert and one update each.
    const small = memory.transactions.slice(-240);
    expect(small.every((row) => row.insertCount + row.updateCount === 1)).toBe(true);
    expect(small.filter((row) => row.insertCount === 1)).toHaveLength(120);
  });

  it('several checkpoints and restarts: stale generations decoded with older row versions; committed view equals sqlite3', async () => {
    const database = walCase(
      directory,
      'restarts',
      `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
${rows(300, 'first')}
UPDATE t SET v = v || ' updated';
PRAGMA wal_checkpoint(PASSIVE);
UPDATE t SET v = 'second' WHERE id <= 100;
PRAGMA wal_checkpoint(PASSIVE);
UPDATE t SET v = 'third' WHERE id <= 5;
DELETE FROM t WHERE id BETWEEN 200 AND 210;
INSERT INTO t(v) VALUES ('new row');`,
    );
    const sink = await scan([database]);
    const states = countBy(sink.records.filter((record) => record.table === 't'), (record) => record.state);
    expect(states['wal-committed']).toBeGreaterThan(0);
    expect(states['wal-stale-generation']).toBeGreaterThan(0);
    // A stale generation holds versions the current database no longer has.
    const stale = sink.records.filter((record) => record.state === 'wal-stale-generation' && record.table === 't');
    expect(stale.some((record) => record.status === 'superseded' && /^first \d+ updated$/.test(record.values[1] ?? '') && Number(record.rowid) <= 100)).toBe(true);
    expect(stale.every((record) => /^wal:[2-9]\.\d+$/.test(record.transaction ?? ''))).toBe(true);
    expect(liveRows(sink, 't')).toEqual(sortRows(oracleRows(database, 't', { withWal: true })));
    // Main-file rows as the main file holds them (sqlite3 with immutable=1 on the main file alone).
    expect(sortRows(asOracleRows(sink.records.filter((record) => record.table === 't' && record.state === 'db-live'), false))).toEqual(sortRows(oracleRows(database, 't')));
    // The current generation's transactions: 5 updates, 11 deletes and 1 insert, with values.
    const current = sink.transactions.filter((row) => row.generation === 1 && row.commitState === 'committed');
    const events = current.flatMap((row) => row.events ?? []).filter((event) => event.table === 't');
    expect(events.filter((event) => event.kind === 'update').map((event) => [event.key, event.before?.['v'], event.after?.['v']])).toEqual(
      [1, 2, 3, 4, 5].map((id) => [String(id), 'second', 'third']),
    );
    expect(events.filter((event) => event.kind === 'delete').map((event) => event.key)).toEqual(Array.from({ length: 11 }, (_, index) => String(200 + index)));
    expect(events.filter((event) => event.kind === 'insert').map((event) => event.after?.['v'])).toEqual(['new row']);
    expect(sink.transactions.some((row) => row.commitState === 'stale-generation')).toBe(true);
  });

  it('an uncommitted tail from a cache spill: labelled, decoded, left out of the committed view', async () => {
    const fixture = makeInterruptedWal(join(directory, 'interrupted'));
    const database = join(directory, 'interrupted-case.db');
    copyFileSync(fixture.databasePath, database);
    copyFileSync(fixture.walPath, `${database}-wal`);
    const sink = await scan([database]);
    const uncommitted = sink.records.filter((record) => record.state === 'wal-uncommitted');
    expect(uncommitted.length).toBeGreaterThan(0);
    expect(uncommitted.some((record) => record.values[1] === 'spill' || record.values[1] === 'spill2')).toBe(true);
    expect(sink.records.filter((record) => record.status === 'live').some((record) => record.values[1]?.startsWith('spill') === true)).toBe(false);
    expect(sink.records.some((record) => record.state === 'wal-stale-generation')).toBe(true);
    expect(liveRows(sink, 't')).toEqual(sortRows(oracleRows(database, 't', { withWal: true })));
    const tail = sink.transactions.find((row) => row.commitState === 'uncommitted');
    expect(tail).toBeDefined();
    expect((tail?.events ?? []).some((event) => event.kind === 'update' && String(event.after?.['v']).startsWith('spill'))).toBe(true);
    // Zero-salt frames of the tail: decoded, checksum not applicable.
    expect(uncommitted.some((record) => record.checksum === 'not-applicable')).toBe(true);
  });

  it('WITHOUT ROWID and UTF-16 tables: the committed view equals sqlite3, keys by primary key', async () => {
    const database = walCase(
      directory,
      'keyed',
      `PRAGMA encoding='UTF-16le';
CREATE TABLE k(code TEXT, seq INTEGER, amount REAL, PRIMARY KEY (code, seq)) WITHOUT ROWID;
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
PRAGMA wal_checkpoint(TRUNCATE);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<400) INSERT INTO k SELECT printf('商户%03d', x % 37), x, x / 4.0 FROM c;
${rows(50, '示例')}
UPDATE k SET amount = -1 WHERE seq % 10 = 0;
DELETE FROM k WHERE seq % 9 = 0;`,
    );
    const sink = await scan([database]);
    expect(liveRows(sink, 'k', true)).toEqual(sortRows(oracleRows(database, 'k', { withWal: true, withoutRowid: true })));
    expect(liveRows(sink, 't')).toEqual(sortRows(oracleRows(database, 't', { withWal: true })));
    const events = sink.transactions.flatMap((row) => row.events ?? []).filter((event) => event.table === 'k');
    expect(events.filter((event) => event.kind === 'delete')).toHaveLength(44);
    expect(events.find((event) => event.kind === 'update')?.key).toMatch(/^\["商户\d{3}","\d+"\]$/);
  });

  describe('bad input', () => {
    let database = '';
    beforeAll(() => {
      database = walCase(
        directory,
        'damage',
        `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
${rows(40, 'one')}
PRAGMA wal_checkpoint(TRUNCATE);
${rows(40, 'two')}
${rows(40, 'three')}
UPDATE t SET v = 'four' WHERE id % 7 = 0;`,
      );
    });

    function damaged(name: string, change: (wal: Uint8Array) => Uint8Array): string {
      const copy = join(directory, `${name}.db`);
      copyFileSync(database, copy);
      writeFileSync(`${copy}-wal`, change(new Uint8Array(readFileSync(`${database}-wal`))));
      return copy;
    }

    it('a WAL cut inside its last frame: every complete frame decoded, the cut reported', async () => {
      const whole = await scan([database]);
      const frameCount = (readFileSync(`${database}-wal`).length - 32) / (512 + 24);
      const cut = damaged('cut', (wal) => wal.subarray(0, wal.length - 100));
      const sink = await scan([cut]);
      expect(sink.issues.map((problem) => problem.code)).toContain('wal.frame.truncated');
      const frames = new Set(sink.records.map((record) => record.frameIndex).filter((frame) => frame !== undefined));
      expect(Math.max(...frames)).toBeLessThanOrEqual(frameCount - 1);
      const wholeFrames = new Set(whole.records.map((record) => record.frameIndex).filter((frame) => frame !== undefined && frame < frameCount));
      expect(frames).toEqual(wholeFrames);
      expect(liveRows(sink, 't')).toEqual(sortRows(oracleRows(cut, 't', { withWal: true })));
    });

    it('a flipped bit in a committed frame: the chain breaks there, later frames are still decoded and labelled', async () => {
      const frameSize = 512 + 24;
      const target = 4;
      const flipped = damaged('flip', (wal) => {
        const copy = Uint8Array.from(wal);
        const at = 32 + (target - 1) * frameSize + 24 + 300;
        copy[at] = (copy[at] as number) ^ 0x10;
        return copy;
      });
      const sink = await scan([flipped]);
      expect(sink.issues.some((problem) => problem.code === 'wal.frame.checksum-mismatch' && problem.severity === 'warning')).toBe(true);
      const byFrame = new Map<number, EvidenceRecord[]>();
      for (const record of sink.records) if (record.frameIndex !== undefined) byFrame.set(record.frameIndex, [...(byFrame.get(record.frameIndex) ?? []), record]);
      const damagedFrame = byFrame.get(target) ?? [];
      expect(damagedFrame.every((record) => record.checksum === 'invalid' && record.flags.includes('checksum-bad') && record.state === 'wal-checksum-invalid')).toBe(true);
      const later = [...byFrame].filter(([frame]) => frame > target).flatMap(([, records]) => records);
      expect(later.length).toBeGreaterThan(0);
      expect(later.every((record) => record.state === 'wal-checksum-invalid' && record.checksum === 'valid')).toBe(true);
      // SQLite stops at the last commit before the break; so does the committed view.
      expect(liveRows(sink, 't')).toEqual(sortRows(oracleRows(flipped, 't', { withWal: true })));
    });

    it('a WAL whose page size differs from its database: reported, decoded on its own', async () => {
      const other = join(directory, 'big.db');
      runSqlite(other, `PRAGMA page_size=1024;\nPRAGMA journal_mode=WAL;\nPRAGMA wal_autocheckpoint=0;\nCREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n${rows(20, 'big')}\n.shell cp '${other}-wal' '${directory}/big.wal'`);
      const copy = join(directory, 'mismatch.db');
      copyFileSync(database, copy);
      copyFileSync(join(directory, 'big.wal'), `${copy}-wal`);
      const sink = await scan([copy]);
      expect(sink.issues.find((problem) => problem.code === 'wal.page-size-mismatch')?.severity).toBe('error');
      // The main file keeps its own rows and statuses; the WAL's rows come from its own page images.
      expect(sink.records.filter((record) => record.state === 'db-live').every((record) => record.status === 'live')).toBe(true);
      const walRows = sink.records.filter((record) => record.frameIndex !== undefined && record.table === 't');
      expect(walRows.some((record) => record.values[1] === 'big 20')).toBe(true);
    });

    it('a WAL with a garbage header is reported and left alone; the database is decoded as usual', async () => {
      const garbage = damaged('garbage', (wal) => {
        const copy = Uint8Array.from(wal);
        copy.fill(0x41, 0, 32);
        return copy;
      });
      const sink = await scan([garbage]);
      expect(sink.issues.map((problem) => problem.code)).toContain('wal.header.missing');
      expect(sink.records.every((record) => record.frameIndex === undefined)).toBe(true);
      expect(liveRows(sink, 't')).toEqual(sortRows(oracleRows(garbage, 't')));
    });
  });

  describe('a WAL without its database', () => {
    let stray = '';
    let schemaSource = '';
    beforeAll(() => {
      const database = walCase(join(directory, 'stray'), 'ledger', `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, amount INTEGER);\n${rows(30, 'row')}\nUPDATE t SET amount = id * 100;`);
      mkdirSync(join(directory, 'alone'), { recursive: true });
      stray = join(directory, 'alone', 'lost.db-wal');
      copyFileSync(`${database}-wal`, stray);
      // The writing copy, closed and checkpointed: its main file holds the schema.
      schemaSource = join(directory, 'schema.db');
      copyFileSync(join(directory, 'stray', 'ledger-work.db'), schemaSource);
    });

    it('is decoded with its own page 1 when it holds one', async () => {
      const sink = await scan([stray]);
      expect(sink.issues.map((problem) => problem.code)).toContain('wal.decoded');
      const rowsOfT = sink.records.filter((record) => record.table === 't');
      expect(rowsOfT.length).toBeGreaterThan(0);
      expect(rowsOfT.every((record) => record.database === stray)).toBe(true);
      expect(sink.tables.find((table) => table.table === 't')?.columns).toEqual(['id', 'v', 'amount']);
      expect(sink.transactions.length).toBeGreaterThan(0);
    });

    it('with --schema, or with another input, when page 1 is not in it; by inference otherwise', async () => {
      // A WAL without page 1: the frames of an UPDATE that rewrites leaves in place only.
      const database = walCase(
        join(directory, 'nopage1'),
        'ledger2',
        `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, amount INTEGER);\n${rows(100, 'a longer row of text')}\nUPDATE t SET amount = 10;\nPRAGMA wal_checkpoint(TRUNCATE);\nUPDATE t SET amount = 63 WHERE id > 20;`,
      );
      mkdirSync(join(directory, 'alone2'), { recursive: true });
      const lonely = join(directory, 'alone2', 'lonely-wal');
      copyFileSync(`${database}-wal`, lonely);
      const withSchema = await scan([lonely], 0, { schemaLocation: schemaSource });
      expect(withSchema.records.some((record) => record.table === 't' && record.values[2] === '63')).toBe(true);
      // Root pages (or record shapes) from another database: inferences, so medium confidence, and the reason says where from.
      const fromWal = withSchema.records.filter((record) => record.frameIndex !== undefined);
      expect(fromWal.every((record) => record.table === 't' && record.confidence.level === 'medium')).toBe(true);
      expect(fromWal.every((record) => record.confidence.reasons.some((reason) => reason.includes(`--schema ${schemaSource}`) || reason.includes('chosen by record shape')))).toBe(true);
      const withInput = await scan([lonely, schemaSource]);
      expect(withInput.records.filter((record) => record.frameIndex !== undefined).every((record) => record.table === 't')).toBe(true);
      const inferred = await scan([lonely]);
      const guessed = inferred.records.filter((record) => record.frameIndex !== undefined);
      expect(guessed.length).toBeGreaterThan(0);
      expect(guessed.every((record) => record.table === 'unknown-3' && record.confidence.level === 'low')).toBe(true);
      expect(inferred.tables.find((table) => table.table === 'unknown-3')?.columns).toEqual(['c0', 'c1', 'c2']);
    });
  });

  it('never opens evidence through the engine: no -shm appears beside the database and its WAL', async () => {
    const database = walCase(join(directory, 'untouched'), 'evidence', `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n${rows(10, 'x')}`);
    const folder = join(directory, 'untouched');
    const before = readdirSync(folder).sort();
    const bytes = readFileSync(`${database}-wal`);
    await scan([database]);
    expect(readdirSync(folder).sort()).toEqual(before);
    expect(existsSync(`${database}-shm`)).toBe(false);
    expect(readFileSync(`${database}-wal`).equals(bytes)).toBe(true);
  });
});

describe('report folders: log records rendered in pool workers equal the writer rendering records itself', () => {
  const samples = ['samples/pos-wal/trans.db', 'samples/pos-persist/trans.db', 'samples/pos-hot-journal/trans.db'];
  const directories: string[] = [];
  afterAll(() => {
    for (const directory of directories) removeDir(directory);
  });

  async function scanToFolder(workers: number, rendered: boolean, inputs: readonly string[] = samples): Promise<{ directory: string; renderedBatches: number }> {
    const directory = makeTempDir('exhume-wal-render-');
    directories.push(directory);
    const run: ReportRun = {
      tool: { name: 'exhume', version: '0.0.0-test' },
      commandLine: ['exhume', 'scan', ...inputs],
      options: {},
      startTime: new Date('2026-01-15T09:30:00.000Z'),
      inputs: inputs.map((path) => ({ path, absolutePath: join(process.cwd(), path), sizeInBytes: 0, sha256: '', md5: '' })),
      environment: FIXED_ENVIRONMENT,
    };
    const opened = await openReportWriter(directory, run, { force: true });
    if (opened.kind !== 'opened') throw new Error(opened.message);
    const writer = opened.writer;
    const issues: Issue[] = [];
    let renderedBatches = 0;
    const sink: EvidenceSink = {
      addTable: (descriptor) => writer.addTable(descriptor),
      addRecords: (records) => writer.addRecords(records),
      addIssues: (batch) => {
        issues.push(...batch);
      },
      addTransactions: (rows) => writer.addTransactions(rows),
      ...(rendered
        ? {
            renderSpecFor: (descriptor: TableDescriptor) => writer.renderSpecFor(descriptor),
            addRendered: async (batch: RenderedBatch) => {
              renderedBatches++;
              await writer.addRenderedRecords(batch);
            },
          }
        : {}),
    };
    const pool = new WorkerPool(workers);
    try {
      await scanInputs(inputs, pool, sink);
    } finally {
      await pool.close();
    }
    await writer.addIssues(issues.sort((left, right) => (issueSortKey(left) < issueSortKey(right) ? -1 : issueSortKey(left) > issueSortKey(right) ? 1 : 0)));
    await writer.finish(makeFinish(run));
    return { directory, renderedBatches };
  }

  async function expectSameFolders(inputs: readonly string[]): Promise<void> {
    const reference = await scanToFolder(0, false, inputs);
    for (const workers of [0, 2]) {
      const { directory, renderedBatches } = await scanToFolder(workers, true, inputs);
      expect(renderedBatches).toBeGreaterThan(0);
      expect(listFiles(directory)).toEqual(listFiles(reference.directory));
      for (const file of listFiles(reference.directory)) {
        // Buffer.equals first: a deep comparison of megabytes element by element takes seconds.
        const ours = readFileSync(join(directory, file));
        const expected = readFileSync(join(reference.directory, file));
        if (!ours.equals(expected)) expect(ours.toString('utf8'), `${workers} workers: ${file}`).toBe(expected.toString('utf8'));
      }
    }
  }

  it('byte for byte, in-process and with 2 workers', async () => {
    await expectSameFolders(samples);
  });

  it.skipIf(!hasSqlite3())('a table the WAL never touched is rendered in the pool, the others get their statuses first: same bytes', async () => {
    const directory = makeTempDir('exhume-wal-untouched-');
    directories.push(directory);
    const database = walCase(
      directory,
      'mixed',
      `CREATE TABLE quiet(id INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
${rows(200, 'busy').replace('INTO t', 'INTO quiet')}
${rows(200, 'busy')}
PRAGMA wal_checkpoint(TRUNCATE);
UPDATE t SET v = 'changed' WHERE id % 3 = 0;
DELETE FROM t WHERE id > 150;`,
    );
    await expectSameFolders([database]);
    const sink = await scan([database]);
    expect(sink.records.filter((record) => record.table === 'quiet' && record.state === 'db-live').every((record) => record.status === 'live')).toBe(true);
    expect(sink.records.filter((record) => record.table === 't' && record.state === 'db-live' && Number(record.rowid) > 150).every((record) => record.status === 'deleted')).toBe(true);
  });
});
