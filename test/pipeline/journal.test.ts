/**
 * A database with its rollback journal through the scan pipeline: every page record decoded as
 * `journal-preimage` records with record number, checksum, transaction and provenance; the
 * journalled transaction's row-level events (pre-images before, main file after). Oracles: the
 * database copied before the transaction, and SQLite's own rollback of a hot journal on a copy.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../src/evidence/record.js';
import { sha256Hex } from '../../src/bytes/sha256.js';
import { filePath, renderPath } from '../../src/provenance/path.js';
import { parseDatabaseHeader } from '../../src/formats/sqlite/parse-header.js';
import type { Journal } from '../../src/formats/journal/parse-journal.js';
import { parseJournal } from '../../src/formats/journal/parse-journal.js';
import { planCommittedView, readCommittedView } from '../../src/assembly/versions/committed-view.js';
import { FileSource } from '../../src/sources/file-source.js';
import { SourcePageReader } from '../../src/sources/page-reader.js';
import { WorkerPool } from '../../src/pool/pool.js';
import { scanInputs } from '../../src/pipeline/scan.js';
import { scanJournal } from '../../src/pipeline/scan-journal.js';
import { expandInputs } from '../../src/sources/inputs.js';
import type { EvidenceFile } from '../../src/sources/inputs.js';
import { MemorySink } from '../../src/pipeline/sink.js';
import { asOracleRows, sortRows } from '../support/read-database.js';
import { hasSqlite3, makeTempDir, oracleRows, removeDir } from '../support/sqlite3.js';
import { makeInterruptedJournal, makePersistJournal, makeTruncateJournal } from '../support/wal-fixtures.js';

/** States of records read from the main file: its live b-trees and its freed space. */
const mainFileStates: ReadonlySet<string> = new Set(['db-live', 'freeblock', 'unallocated-gap', 'freelist']);

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

function parse(location: string, pageSize: number): Journal {
  const outcome = parseJournal(new Uint8Array(readFileSync(location)), 0, filePath(location), { pageSize });
  if (outcome.kind !== 'parsed') throw new Error(`not a journal: ${location}`);
  return outcome.value;
}

/**
 * The database with pre-images laid over it (`restoredOnly`: those SQLite's rollback writes back),
 * cut to the journal's initial size: rows of `table`, through the same view code as the WAL's.
 */
function viewWithPreimages(databasePath: string, journalPath: string, table: string, restoredOnly: boolean) {
  const source = new FileSource(databasePath);
  const journalBytes = new Uint8Array(readFileSync(journalPath));
  try {
    const header = parseDatabaseHeader(source.read(0, 100), 0, filePath(databasePath));
    if (header.kind !== 'parsed') throw new Error('no header');
    const journal = parse(journalPath, header.value.pageSize);
    const overlay = new Map<number, number>();
    const header1 = journal.segments.filter((segment) => segment.kind === 'header').map((segment) => segment.segmentNumber);
    for (const record of journal.records) {
      if (!header1.includes(record.segmentNumber) || overlay.has(record.pageNumber)) continue;
      if (restoredOnly && !record.restoredByRollback) continue;
      overlay.set(record.pageNumber, record.pageOffset);
    }
    const initial = journal.segments[0]?.initialDatabaseSizeInPages;
    const { plan } = planCommittedView({
      base: new SourcePageReader(source, header.value.pageSize),
      pageSize: header.value.pageSize,
      wal: { read: (offset, length) => journalBytes.subarray(offset, offset + length) },
      committedOverlay: overlay,
      committedPageCount: initial,
      databasePath: filePath(databasePath),
      databaseName: databasePath,
    });
    if (plan === undefined) throw new Error('no view');
    const { rows } = readCommittedView(plan, () => undefined, filePath(databasePath), databasePath);
    return sortRows(asOracleRows(rows.filter((row) => row.table === table).map((row) => row.record), false));
  } finally {
    source.close();
  }
}

describe('the pos-persist sample (PERSIST journal, header zeroed after commit)', () => {
  let sink: MemorySink;
  beforeAll(async () => {
    sink = await scan(['samples/pos-persist/trans.db']);
  });

  it('decodes the pre-images after the main file, in record order, as journal-preimage records', () => {
    const preimages = sink.records.filter((record) => record.state === 'journal-preimage');
    const firstPreimage = sink.records.indexOf(preimages[0] as EvidenceRecord);
    expect(sink.records.slice(0, firstPreimage).every((record) => mainFileStates.has(record.state))).toBe(true);
    expect(sink.records.slice(firstPreimage).every((record) => record.state === 'journal-preimage')).toBe(true);
    // Live cells of the pre-images in record order; their freed records (distinct) after them all.
    const order = preimages.filter((record) => record.foundBy === 'journal').map((record) => record.journalRecordIndex as number);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const lastLive = sink.records.map((record) => record.foundBy).lastIndexOf('journal');
    expect(sink.records.slice(lastLive + 1).every((record) => record.foundBy === 'page-scan')).toBe(true);
    // 31 ledger rows on the journalled leaves (the other 13 are on freed leaves never journalled).
    const ledger = preimages.filter((record) => record.table === 'trans_record' && record.foundBy === 'journal');
    expect(ledger).toHaveLength(31);
    expect(ledger.every((record) => record.status === 'deleted' && record.transaction === 'journal:1' && record.foundBy === 'journal')).toBe(true);
    expect(sink.records.filter((record) => record.state === 'db-live' && record.table === 'trans_record')).toHaveLength(0);
  });

  it('provenance folds back to the record bytes in the journal', () => {
    const journal = new Uint8Array(readFileSync('samples/pos-persist/trans.db-journal'));
    for (const record of sink.records.filter((item) => item.state === 'journal-preimage')) {
      expect(renderPath(record.path)).toMatch(/^file:samples\/pos-persist\/trans\.db-journal > journal-record#\d+\(page \d+\) > sqlite-page#\d+ > cell@0x[0-9a-f]{8}$/);
      const offset = record.imageOffset as number;
      expect(sha256Hex(journal.subarray(offset, offset + record.lengthInBytes))).toBe(record.rawSha256);
    }
  });

  it("the transaction's events: the settlement DELETE of all 44 rows of batch 000012", () => {
    // journal:2 is the trailing record left over from an earlier, longer transaction (below).
    expect(sink.transactions.map((row) => [row.transaction, row.source, row.commitState])).toEqual([
      ['journal:1', 'journal', 'committed'],
      ['journal:2', 'journal', 'committed'],
    ]);
    const events = sink.transactions[0]?.events ?? [];
    const deletes = events.filter((event) => event.table === 'trans_record' && event.kind === 'delete');
    expect(deletes).toHaveLength(44);
    expect(deletes.every((event) => event.before?.['batch_no'] === '000012')).toBe(true);
    expect(sink.transactions[0]?.deleteCount).toBe(deletes.length + events.filter((event) => event.kind === 'delete' && event.table !== 'trans_record').length);
  });

  it('the trailing record is a leftover of an earlier transaction (its own nonce, page 1 already journalled), not a bad record', () => {
    const journal = parse('samples/pos-persist/trans.db-journal', 4096);
    expect(journal.segments.map((segment) => [segment.segmentNumber, segment.kind, segment.recordCount])).toEqual([
      [1, 'header', 9],
      [2, 'leftover', 1],
    ]);
    const last = journal.records[9];
    expect([last?.recordNumber, last?.segmentNumber, last?.pageNumber, last?.recordOffset, last?.checksum]).toEqual([10, 2, 1, 0x9248, 'unverifiable']);
    // Page 1 is record 7 of the journal's own transaction: one transaction journals a page once.
    expect(journal.records.filter((record) => record.segmentNumber === 1).map((record) => record.pageNumber)).toContain(1);
    expect(journal.segments[1]?.nonce).toBe(0xe441ac95);
    expect(sink.issues.some((problem) => problem.code === 'journal.record.checksum-mismatch')).toBe(false);
    const leftover = sink.issues.find((problem) => problem.code === 'journal.segment.leftover');
    expect(leftover?.message).toBe(
      'journal record 10 at 0x00009248: its checksum implies nonce 0xe441ac95, not the preceding segment\'s, and its page 1 was already journalled there (one transaction journals a page once): left over from an earlier transaction; its nonce rests on this record alone (checksum unverifiable)',
    );
    const records = sink.records.filter((record) => record.journalRecordIndex === 10);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((record) => record.transaction === 'journal:2' && record.checksum === 'not-applicable')).toBe(true);
  });

  it('decodes the same through a window far smaller than the journal (never read whole)', async () => {
    const group = expandInputs(['samples/pos-persist/trans.db']).groups[0];
    const journalFile = group?.journal;
    expect(journalFile?.sizeInBytes).toBeGreaterThan(4 * 8192);
    const decode = async (windowSizeInBytes: number | undefined): Promise<MemorySink> => {
      const out = new MemorySink();
      const pool = new WorkerPool(0);
      try {
        await scanJournal(journalFile as EvidenceFile, { database: undefined, hint: undefined, windowSizeInBytes }, pool, out);
      } finally {
        await pool.close();
      }
      return out;
    };
    const small = await decode(8192);
    expect(small.records.length).toBeGreaterThan(0);
    expect(JSON.stringify([small.records, small.issues])).toBe(JSON.stringify([(await decode(undefined)).records, (await decode(undefined)).issues]));
  });

  it('main file + pre-images gives back the 44 rows (generator ground truth)', () => {
    expect(viewWithPreimages('samples/pos-persist/trans.db', 'samples/pos-persist/trans.db-journal', 'trans_record', false)).toHaveLength(44);
  });
});

describe('the pos-hot-journal sample (hot journal of an interrupted settlement)', () => {
  let sink: MemorySink;
  beforeAll(async () => {
    sink = await scan(['samples/pos-hot-journal/trans.db']);
  });

  it('is reported hot, and its transaction uncommitted with the changes already spilled into the file', () => {
    expect(sink.issues.find((problem) => problem.code === 'journal.decoded')?.message).toMatch(/hot: SQLite would roll these pre-images back/);
    const [transaction] = sink.transactions;
    expect(transaction?.commitState).toBe('uncommitted');
    expect(transaction?.checksumState).toBe('valid');
    expect(transaction?.insertCount).toBeGreaterThan(0);
    expect(transaction?.deleteCount).toBeGreaterThan(0);
    const preimages = sink.records.filter((record) => record.state === 'journal-preimage');
    expect(preimages.every((record) => record.confidence.reasons.some((reason) => reason.includes('SQLite would write this pre-image back')))).toBe(true);
  });

  it.skipIf(!hasSqlite3())('main file + restored pre-images equals SQLite rolling the journal back on a copy (39 ledger rows)', () => {
    const directory = makeTempDir('exhume-hot-');
    try {
      const copy = join(directory, 'trans.db');
      copyFileSync('samples/pos-hot-journal/trans.db', copy);
      copyFileSync('samples/pos-hot-journal/trans.db-journal', `${copy}-journal`);
      execFileSync('sqlite3', ['-batch', copy, 'SELECT count(*) FROM sqlite_schema;'], { encoding: 'utf8' });
      const rolledBack = sortRows(oracleRows(copy, 'trans_record'));
      expect(rolledBack).toHaveLength(39);
      expect(viewWithPreimages('samples/pos-hot-journal/trans.db', 'samples/pos-hot-journal/trans.db-journal', 'trans_record', true)).toEqual(rolledBack);
    } finally {
      removeDir(directory);
    }
  });
});

describe.skipIf(!hasSqlite3())('journals written by sqlite3 (tier 2)', () => {
  let directory = '';
  beforeAll(() => {
    directory = makeTempDir('exhume-journal-pipeline-');
  });
  afterAll(() => removeDir(directory));

  /** The fixture's database (or a copy of it) with the journal beside it as `<name>.db-journal`. */
  function pair(databasePath: string, journalPath: string, name: string): string {
    const folder = join(directory, name);
    mkdirSync(folder, { recursive: true });
    const database = join(folder, `${name}.db`);
    copyFileSync(databasePath, database);
    copyFileSync(journalPath, `${database}-journal`);
    return database;
  }

  it('PERSIST: every row the DELETE removed is a delete event, and the pre-images rebuild the database before it', async () => {
    const fixture = makePersistJournal(join(directory, 'persist'));
    const database = pair(fixture.databasePath, fixture.journalPath, 'persist');
    const sink = await scan([database]);
    const deletes = (sink.transactions[0]?.events ?? []).filter((event) => event.kind === 'delete' && event.table === 't');
    expect(deletes.map((event) => Number(event.key))).toEqual(Array.from({ length: 100 }, (_, index) => 3 * (index + 1)));
    expect(sink.transactions[0]?.commitState).toBe('committed');
    expect(viewWithPreimages(database, `${database}-journal`, 't', false)).toEqual(sortRows(oracleRows(fixture.databaseBeforePath, 't')));
  });

  it('PERSIST reused by a smaller transaction: the earlier transaction is journal:2', async () => {
    const fixture = makePersistJournal(join(directory, 'reused'), { thenSmaller: true });
    const database = pair(fixture.databasePath, fixture.journalPath, 'reused');
    const sink = await scan([database]);
    expect(sink.transactions.map((row) => row.transaction)).toEqual(['journal:1', 'journal:2']);
    const updates = (sink.transactions[0]?.events ?? []).filter((event) => event.kind === 'update');
    // Ids 3, 6 and 9 were deleted by the first transaction.
    expect(updates.map((event) => [event.key, event.after?.['v']])).toEqual([1, 2, 4, 5, 7, 8, 10].map((id) => [String(id), 'later']));
    const leftover = sink.records.filter((record) => record.transaction === 'journal:2');
    expect(leftover.length).toBeGreaterThan(0);
    expect(leftover.every((record) => record.state === 'journal-preimage' && record.confidence.reasons.some((reason) => reason.includes('earlier transaction')))).toBe(true);
  });

  it('TRUNCATE: a 0-byte journal is reported, nothing else', async () => {
    const fixture = makeTruncateJournal(join(directory, 'truncate'));
    const database = pair(fixture.databasePath, fixture.journalPath, 'truncate');
    const sink = await scan([database]);
    expect(sink.issues.map((problem) => problem.code)).toContain('journal.empty');
    expect(sink.records.every((record) => mainFileStates.has(record.state))).toBe(true);
    expect(sink.transactions).toEqual([]);
  });

  it('DELETE mode, hot (spilled): the rollback view equals the database before the transaction', async () => {
    const fixture = makeInterruptedJournal(join(directory, 'hot'), { spill: true });
    const database = pair(fixture.databaseCopyPath, fixture.journalPath, 'hot');
    const sink = await scan([database]);
    expect(sink.issues.find((problem) => problem.code === 'journal.decoded')?.message).toMatch(/hot/);
    const updates = (sink.transactions[0]?.events ?? []).filter((event) => event.kind === 'update' && event.table === 't');
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((event) => event.after?.['v'] === 'changed' && /^row \d+$/.test(String(event.before?.['v'])))).toBe(true);
    expect(viewWithPreimages(database, `${database}-journal`, 't', true)).toEqual(sortRows(oracleRows(fixture.databaseBeforePath, 't')));
  });

  it('DELETE mode, never synced: decoded, uncommitted, no change yet in the database file', async () => {
    const fixture = makeInterruptedJournal(join(directory, 'unsynced'), { spill: false });
    const database = pair(fixture.databaseCopyPath, fixture.journalPath, 'unsynced');
    const sink = await scan([database]);
    expect(sink.records.some((record) => record.state === 'journal-preimage')).toBe(true);
    expect(sink.transactions[0]?.commitState).toBe('uncommitted');
    expect(sink.transactions[0]?.events ?? []).toEqual([]);
  });

  describe('bad input', () => {
    let database = '';
    let journal = new Uint8Array();
    beforeAll(() => {
      const fixture = makePersistJournal(join(directory, 'bad'));
      database = fixture.databasePath;
      journal = new Uint8Array(readFileSync(fixture.journalPath));
    });

    function withJournal(name: string, bytes: Uint8Array): string {
      const folder = join(directory, name);
      mkdirSync(folder, { recursive: true });
      const copy = join(folder, 'case.db');
      copyFileSync(database, copy);
      writeFileSync(`${copy}-journal`, bytes);
      return copy;
    }

    it('a garbage journal header: reported, the database decoded as usual', async () => {
      const garbage = Uint8Array.from(journal);
      garbage.fill(0x5a, 0, 512);
      const sink = await scan([withJournal('garbage', garbage)]);
      expect(sink.issues.map((problem) => problem.code)).toContain('journal.header.missing');
      expect(sink.records.every((record) => mainFileStates.has(record.state))).toBe(true);
    });

    it('a record with a damaged page: checksum invalid, flagged, still decoded with medium confidence', async () => {
      const damaged = Uint8Array.from(journal);
      // Record 2's page starts at 512 + 520 + 4; byte pageSize − 200 is sampled by the checksum.
      const at = 512 + 520 + 4 + 512 - 200;
      damaged[at] = (damaged[at] as number) ^ 0x01;
      const sink = await scan([withJournal('damaged', damaged)]);
      const second = sink.records.filter((record) => record.journalRecordIndex === 2);
      expect(sink.issues.map((problem) => problem.code)).toContain('journal.record.checksum-mismatch');
      expect(second.every((record) => record.checksum === 'invalid' && record.flags.includes('checksum-bad') && record.confidence.level !== 'high')).toBe(true);
    });

    it('a journal cut inside a record: the records before the cut are decoded', async () => {
      const cut = journal.subarray(0, 512 + 520 * 2 + 100);
      const sink = await scan([withJournal('cut', cut)]);
      expect(sink.issues.map((problem) => problem.code)).toContain('journal.record.truncated');
      const decoded = new Set(sink.records.map((record) => record.journalRecordIndex).filter((index) => index !== undefined));
      expect([...decoded].every((index) => (index as number) <= 2)).toBe(true);
    });

    it('a journal without its database: decoded with the schema of its own page-1 pre-image', async () => {
      const folder = join(directory, 'alone');
      mkdirSync(folder, { recursive: true });
      const stray = join(folder, 'lost.db-journal');
      writeFileSync(stray, journal);
      const sink = await scan([stray]);
      expect(sink.issues.map((problem) => problem.code)).toContain('journal.decoded');
      const rows = sink.records.filter((record) => record.table === 't');
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((record) => record.state === 'journal-preimage' && record.database === stray)).toBe(true);
      expect(sink.tables.find((table) => table.table === 't')?.columns).toEqual(['id', 'v']);
    });
  });
});
