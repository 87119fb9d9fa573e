/**
 * WALs and journals carved from a raw image go through the same transaction logic as log files:
 * the bundled samples (made by sqlite3) are embedded in noise at odd 512-byte offsets, and every
 * page-image record and transaction must equal what scanning the sample's files gives, with image
 * offsets shifted by where the log was carved.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../src/evidence/record.js';
import { carveImage } from '../../src/assembly/carve/carve-image.js';
import { scanInputs } from '../../src/pipeline/scan.js';
import { MemorySink } from '../../src/pipeline/sink.js';
import { WorkerPool } from '../../src/pool/pool.js';
import { noise } from '../support/bytes.js';
import { hasSqlite3, makeTempDir, removeDir } from '../support/sqlite3.js';
import { makePersistJournal } from '../support/wal-fixtures.js';

const directory = makeTempDir('exhume-carved-logs-');
afterAll(() => removeDir(directory));

/** Records decoded from log page images (live cells), keyed without their database name. */
function logRecords(sink: MemorySink, shift: number): string[] {
  return sink.records
    .filter((record: EvidenceRecord) => (record.frameIndex !== undefined || record.journalRecordIndex !== undefined) && (record.state.startsWith('wal-') || record.state === 'journal-preimage'))
    .map((record) => JSON.stringify([record.state, record.status, record.table, record.frameIndex, record.journalRecordIndex, record.transaction, record.checksum, record.rowid, record.values, (record.imageOffset ?? 0) - shift]))
    .sort();
}

function transactionKeys(sink: MemorySink): string[] {
  // The database and log names differ (the image's); everything else must not.
  return sink.transactions.map((row) => JSON.stringify({ ...row, database: '', details: undefined }));
}

describe('carved logs', () => {
  it.each([
    ['pos-wal', 'trans.db-wal', 4, []],
    ['pos-hot-journal', 'trans.db-journal', 1, []],
    // PERSIST mode zeroed the header: carved as the records after a zeroed header, read as the
    // journal it starts. The file's last record is a leftover of an earlier transaction (journal:2,
    // another nonce) standing alone: no neighbour confirms its nonce, so in an image it cannot be
    // told from noise, and the carved journal ends before it.
    ['pos-persist', 'trans.db-journal', 1, ['journal:2']],
  ])('%s: the carved %s decodes to the same records and transactions as the file', async (sample, logName, minimumTransactions, unlinked: string[]) => {
    const database = readFileSync(join('samples', sample, 'trans.db'));
    const log = readFileSync(join('samples', sample, logName));
    const databaseStart = 512 * 301;
    const logStart = databaseStart + database.length + 512 * 23;
    const image = Buffer.concat([noise(databaseStart, 11), database, noise(512 * 23, 13), log, noise(512 * 9 + 100, 17)]);
    const location = join(directory, `${sample}.img`);
    writeFileSync(location, image);

    const direct = new MemorySink();
    await scanInputs([join('samples', sample, 'trans.db')], new WorkerPool(0), direct);
    const carved = new MemorySink();
    await scanInputs([location], new WorkerPool(0), carved);

    const expected = logRecords(direct, 0).filter((key) => !unlinked.some((transaction) => key.includes(`"${transaction}"`)));
    expect(expected.length).toBeGreaterThan(10);
    expect(logRecords(carved, logStart)).toEqual(expected);
    expect(carved.transactions.length).toBeGreaterThanOrEqual(minimumTransactions);
    expect(transactionKeys(carved)).toEqual(transactionKeys(direct).filter((key) => !unlinked.some((transaction) => key.includes(`"transaction":"${transaction}"`))));
    expect(carved.issues.map((problem) => problem.code)).toContain('carve.log-database');
    // Provenance runs through the image: a range layer where the log was carved.
    const first = carved.records.find((record) => record.frameIndex !== undefined || record.journalRecordIndex !== undefined);
    let node = first?.path ?? null;
    const layers: string[] = [];
    while (node !== undefined && node !== null) {
      layers.push(node.layer.kind);
      node = node.parent;
    }
    expect(layers).toContain('range');
  });

  it('a WAL whose header is overwritten: its frames decode to the same records as the file, labelled as a generation without header', async () => {
    const database = readFileSync(join('samples', 'pos-wal', 'trans.db'));
    const log = new Uint8Array(readFileSync(join('samples', 'pos-wal', 'trans.db-wal')));
    log.set(noise(32, 29), 0);
    const databaseStart = 512 * 301;
    const logStart = databaseStart + database.length + 512 * 23;
    const image = Buffer.concat([noise(databaseStart, 11), database, noise(512 * 23, 13), log, noise(512 * 9 + 100, 17)]);
    const location = join(directory, 'wal-header-lost.img');
    writeFileSync(location, image);

    const direct = new MemorySink();
    await scanInputs([join('samples', 'pos-wal', 'trans.db')], new WorkerPool(0), direct);
    const carved = new MemorySink();
    await scanInputs([location], new WorkerPool(0), carved);

    // Same frames, rows and places; only what the header decided differs (state, status, checksum verdict).
    const placeAndContent = (sink: MemorySink, shift: number): string[] =>
      sink.records
        .filter((record) => record.frameIndex !== undefined && record.state.startsWith('wal-'))
        .map((record) => JSON.stringify([record.table, record.frameIndex, record.rowid, record.values, (record.imageOffset ?? 0) - shift]))
        .sort();
    const expected = placeAndContent(direct, 0);
    expect(expected.length).toBeGreaterThan(10);
    expect(placeAndContent(carved, logStart)).toEqual(expected);
    const fromFragment = carved.records.filter((record) => record.frameIndex !== undefined && record.state.startsWith('wal-'));
    expect(new Set(fromFragment.map((record) => record.state))).toEqual(new Set(['wal-stale-generation']));
    expect(fromFragment.every((record) => record.confidence.reasons[0]?.includes('a generation whose WAL header is lost') === true)).toBe(true);
    const lost = carved.issues.find((problem) => problem.code === 'wal.header.lost');
    expect(lost?.message).toMatch(/^.+@wal-fragment-0x[0-9a-f]{8}: WAL frames without their header \(the 32 bytes before the first frame, at 0x00000000, are not it\): decoded as generations of their own, page size \d+ and (big|little)-endian checksum words from the frames/);
    expect(carved.issues.map((problem) => problem.code)).not.toContain('carve.log-fragments-not-decoded');
    // As many transactions, with the same frames, each a generation SQLite could not read.
    expect(carved.transactions.map((row) => [row.firstFrame, row.lastFrame, row.pages])).toEqual(direct.transactions.map((row) => [row.firstFrame, row.lastFrame, row.pages]));
    expect(new Set(carved.transactions.map((row) => row.commitState))).toEqual(new Set(['stale-generation']));
  });

  it.skipIf(!hasSqlite3())('a PERSIST journal reused by a smaller transaction: the leftover records (another nonce) are read with it, as from the file', async () => {
    const fixture = makePersistJournal(join(directory, 'persist-reused'), { thenSmaller: true });
    const folder = join(directory, 'persist-reused-files');
    mkdirSync(folder);
    copyFileSync(fixture.databasePath, join(folder, 'ledger.db'));
    copyFileSync(fixture.journalPath, join(folder, 'ledger.db-journal'));
    const database = readFileSync(fixture.databasePath);
    const log = readFileSync(fixture.journalPath);
    const databaseStart = 512 * 77;
    const logStart = databaseStart + database.length + 512 * 5;
    const location = join(directory, 'persist-reused.img');
    writeFileSync(location, Buffer.concat([noise(databaseStart, 31), database, noise(512 * 5, 37), log, noise(512 * 3 + 7, 41)]));

    // One fragment from the zeroed header to the last leftover: records that follow one another are joined whatever their nonce.
    const image = await carveImage(location, { progress: { quiet: true } });
    try {
      expect(image.journalFragments.map((fragment) => [fragment.imageOffset - logStart, fragment.sizeInBytes, fragment.zeroedHeaderImageOffset === undefined ? undefined : fragment.zeroedHeaderImageOffset - logStart])).toEqual([[512, log.length - 512, 0]]);
    } finally {
      image.close();
    }
    const direct = new MemorySink();
    await scanInputs([join(folder, 'ledger.db')], new WorkerPool(0), direct);
    const carved = new MemorySink();
    await scanInputs([location], new WorkerPool(0), carved);
    const expected = logRecords(direct, 0);
    // The leftovers are there: records of a second journal transaction.
    expect(new Set(expected.map((key) => JSON.parse(key)[5]))).toEqual(new Set(['journal:1', 'journal:2']));
    expect(logRecords(carved, logStart)).toEqual(expected);
    expect(transactionKeys(carved)).toEqual(transactionKeys(direct));
  });
});
