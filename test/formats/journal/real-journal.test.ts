/**
 * Tier 2: rollback journals written by the real sqlite3 engine (page_size 512), copied while the
 * writing connection was open. Oracles: database copies taken before the transaction (every
 * pre-image must equal the page as it was), and SQLite's own hot-journal rollback on a copy.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal, JournalRecord } from '../../../src/formats/journal/parse-journal.js';
import { journalRecordPage, parseJournal } from '../../../src/formats/journal/parse-journal.js';
import type { Issue } from '../../../src/issues/issue.js';
import { filePath } from '../../../src/provenance/path.js';
import { hasSqlite3, makeTempDir, removeDir } from '../../support/sqlite3.js';
import type { JournalFixture } from '../../support/wal-fixtures.js';
import { databasePage, makeInterruptedJournal, makePersistJournal, makeTruncateJournal } from '../../support/wal-fixtures.js';

function parseFixture(fixture: JournalFixture, { pageSize }: { pageSize?: number } = { pageSize: 512 }): { journal: Journal; issues: readonly Issue[]; bytes: Uint8Array } {
  const bytes = fixture.journal;
  if (bytes === undefined) throw new Error('the engine left no journal');
  const outcome = parseJournal(bytes, 0, filePath(fixture.journalPath), pageSize === undefined ? {} : { pageSize });
  if (outcome.kind !== 'parsed') throw new Error(`expected parsed, got ${JSON.stringify(outcome)}`);
  return { journal: outcome.value, issues: outcome.issues, bytes };
}

/** Records whose page image differs from the same page of `databasePath`. */
function differingRecords(bytes: Uint8Array, records: readonly JournalRecord[], databasePath: string): number[] {
  const database = new Uint8Array(readFileSync(databasePath));
  return records
    .filter((record) => !Buffer.from(journalRecordPage(bytes, record, 512)).equals(Buffer.from(databasePage(database, record.pageNumber, 512))))
    .map((record) => record.recordNumber);
}

describe.skipIf(!hasSqlite3())('parseJournal on journals written by sqlite3 (tier 2; skipped when sqlite3 is missing)', () => {
  let directory = '';
  beforeAll(() => {
    directory = makeTempDir('exhume-journal-');
  });
  afterAll(() => removeDir(directory));

  it('PERSIST after commit: zeroed header, nonce recovered, every pre-image equals the page before the transaction', () => {
    const fixture = makePersistJournal(join(directory, 'persist'));
    const { journal, issues, bytes } = parseFixture(fixture);
    expect(journal.state).toBe('zeroed');
    expect(journal.sectorSize).toBe(512);
    expect(journal.segments).toHaveLength(1);
    expect(journal.segments[0]).toMatchObject({ headerForm: 'zeroed', nonceSource: 'records', firstRecordOffset: 512 });
    expect(journal.records.length).toBeGreaterThan(2);
    expect(journal.records.every((record) => record.checksum === 'valid' && record.pageNumberValid && !record.restoredByRollback)).toBe(true);
    expect(journal.records.length).toBe((bytes.length - 512) / 520);
    expect(differingRecords(bytes, journal.records, fixture.databaseBeforePath)).toEqual([]);
    expect(issues.map((value) => value.code)).toEqual(['journal.header.zeroed']);
    // Without the database's page size, the search finds the same layout.
    const searched = parseFixture(fixture, {});
    expect(searched.journal.pageSizeSource).toBe('search');
    expect(searched.journal.records).toEqual(journal.records);
  });

  it('PERSIST reused by a smaller transaction: its records, then the earlier transaction\'s as a leftover segment', () => {
    const fixture = makePersistJournal(join(directory, 'persist-reused'), { thenSmaller: true });
    const { journal, issues, bytes } = parseFixture(fixture);
    expect(journal.state).toBe('zeroed');
    expect(journal.segments.map((segment) => segment.kind)).toEqual(['header', 'leftover']);
    const [current, leftover] = journal.segments;
    expect(current?.nonce).not.toBe(leftover?.nonce);
    expect(journal.records.every((record) => record.checksum === 'valid')).toBe(true);
    const currentRecords = journal.records.filter((record) => record.segmentNumber === 1);
    const leftoverRecords = journal.records.filter((record) => record.segmentNumber === 2);
    expect(currentRecords.length).toBeGreaterThan(0);
    expect(leftoverRecords.length).toBeGreaterThan(1);
    // The current transaction's pre-images are the database between the two transactions; the
    // leftovers are the first transaction's, the database before it.
    expect(differingRecords(bytes, currentRecords, `${fixture.databasePath}.between`)).toEqual([]);
    expect(differingRecords(bytes, leftoverRecords, fixture.databaseBeforePath)).toEqual([]);
    expect(issues.map((value) => value.code)).toEqual(['journal.header.zeroed', 'journal.segment.leftover']);
  });

  it('TRUNCATE after commit: the engine leaves 0 bytes, which is not a journal', () => {
    const fixture = makeTruncateJournal(join(directory, 'truncate'));
    expect(fixture.journal).toHaveLength(0);
    expect(parseJournal(fixture.journal ?? new Uint8Array(0), 0, filePath(fixture.journalPath), { pageSize: 512 })).toEqual({ kind: 'not-this-format' });
  });

  it('a hot journal from an interrupted transaction: SQLite\'s own rollback restores exactly the records we mark restored', () => {
    const fixture = makeInterruptedJournal(join(directory, 'hot'), { spill: true });
    const { journal, issues, bytes } = parseFixture(fixture);
    expect(journal.state).toBe('hot');
    expect(journal.segments[0]).toMatchObject({ headerForm: 'intact', nonceSource: 'header' });
    expect(journal.segments.at(-1)?.headerForm).toBe('unsynced');
    expect(journal.records.every((record) => record.checksum === 'valid' && record.pageNumberValid)).toBe(true);
    expect(differingRecords(bytes, journal.records, fixture.databaseBeforePath)).toEqual([]);
    const restored = journal.records.filter((record) => record.restoredByRollback);
    expect(restored.length).toBeGreaterThan(0);
    // The spill wrote changed pages into the database: some restored pages differ from it.
    expect(differingRecords(bytes, restored, fixture.databaseCopyPath).length).toBeGreaterThan(0);
    expect(issues.every((value) => value.severity === 'info')).toBe(true);
    expect(issues.map((value) => value.code)).toContain('journal.header.unsynced');

    // Differential: let SQLite roll the journal back on a copy, and apply our restored records
    // ourselves; the two databases must be identical.
    const copy = join(directory, 'hot-rollback.db');
    copyFileSync(fixture.databaseCopyPath, copy);
    copyFileSync(fixture.journalPath, `${copy}-journal`);
    execFileSync('sqlite3', ['-batch', copy, 'SELECT count(*) FROM t;'], { encoding: 'utf8' });
    const rolledBack = new Uint8Array(readFileSync(copy));
    const initialSize = journal.segments[0]?.initialDatabaseSizeInPages ?? 0;
    const ours = new Uint8Array(initialSize * 512);
    ours.set(new Uint8Array(readFileSync(fixture.databaseCopyPath)).subarray(0, ours.length));
    for (const record of restored) ours.set(journalRecordPage(bytes, record, 512), (record.pageNumber - 1) * 512);
    expect(Buffer.from(ours).equals(Buffer.from(rolledBack))).toBe(true);
  });

  it('an interrupted transaction that never synced its journal: an unsynced header SQLite ignores, every pre-image intact', () => {
    const fixture = makeInterruptedJournal(join(directory, 'unsynced'), { spill: false });
    const { journal, issues, bytes } = parseFixture(fixture);
    expect(journal.state).toBe('unsynced');
    expect(journal.segments).toHaveLength(1);
    expect(journal.records.length).toBeGreaterThan(0);
    expect(journal.records.every((record) => record.checksum === 'valid' && !record.restoredByRollback)).toBe(true);
    // Nothing reached the database yet: the pre-images equal both the before copy and the database.
    expect(differingRecords(bytes, journal.records, fixture.databaseBeforePath)).toEqual([]);
    expect(differingRecords(bytes, journal.records, fixture.databaseCopyPath)).toEqual([]);
    expect(issues.map((value) => value.code)).toEqual(['journal.header.unsynced']);
  });
});
