import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleWalTransactions } from '../../src/assembly/wal-transactions.js';
import type { Wal } from '../../src/formats/wal/parse-wal.js';
import { parseWal } from '../../src/formats/wal/parse-wal.js';
import { filePath } from '../../src/provenance/path.js';
import { hasSqlite3, makeTempDir, removeDir } from '../support/sqlite3.js';
import { buildWal, checkpointedDatabase, makeInterruptedWal, makeWalWithRestarts, sqliteVersion } from '../support/wal-fixtures.js';

const header = { pageSize: 512, salt1: 0x0edbc67f, salt2: 0x1234abcd };
const staleA = { salt1: 0x0edbc67e, salt2: 0x0badf00d };
const staleB = { salt1: 0x0edbc67d, salt2: 0x600dcafe };

function parse(bytes: Uint8Array, location = 'test.db-wal'): Wal {
  const outcome = parseWal(bytes, 0, filePath(location));
  if (outcome.kind !== 'parsed') throw new Error(`expected parsed, got ${outcome.kind}`);
  return outcome.value;
}

const zeroCounts = { valid: 0, linked: 0, mismatch: 0, unverifiable: 0, zeroed: 0 };

describe('assembleWalTransactions', () => {
  it('groups frames into generations (in file order) and transactions (split at commit frames)', () => {
    const wal = parse(
      buildWal(header, [
        { pageNumber: 1 },
        { pageNumber: 2, commitSizeInPages: 2 },
        { pageNumber: 3, commitSizeInPages: 3 },
        { pageNumber: 4 },
        { pageNumber: 5, zeroed: true },
        { pageNumber: 6, salts: staleA, chainFrom: { checksum1: 1, checksum2: 2 } },
        { pageNumber: 7, salts: staleA, commitSizeInPages: 8 },
        { pageNumber: 8, salts: staleA },
        { pageNumber: 9, salts: staleB, chainFrom: { checksum1: 3, checksum2: 4 }, commitSizeInPages: 9 },
      ]).bytes,
    );
    expect(wal.frames.map((frame) => frame.label)).toEqual([
      'committed',
      'committed',
      'committed',
      'uncommitted',
      'uncommitted',
      'stale-generation',
      'stale-generation',
      'stale-generation',
      'stale-generation',
    ]);
    const assembly = assembleWalTransactions(wal.header, wal.frames);
    expect(assembly.currentGenerationIndex).toBe(0);
    expect(assembly.generations).toEqual([
      { generationIndex: 0, salt1: header.salt1, salt2: header.salt2, isCurrent: true, restartsBeforeCurrent: 0, frameNumbers: [1, 2, 3, 4, 5], transactionIndices: [0, 1, 2] },
      { generationIndex: 1, salt1: staleA.salt1, salt2: staleA.salt2, isCurrent: false, restartsBeforeCurrent: 1, frameNumbers: [6, 7, 8], transactionIndices: [3, 4] },
      { generationIndex: 2, salt1: staleB.salt1, salt2: staleB.salt2, isCurrent: false, restartsBeforeCurrent: 2, frameNumbers: [9], transactionIndices: [5] },
    ]);
    expect(assembly.transactions).toEqual([
      {
        transactionIndex: 0,
        generationIndex: 0,
        sequenceNumber: 1,
        frameNumbers: [1, 2],
        pageNumbers: [1, 2],
        commitFrameNumber: 2,
        databaseSizeInPages: 2,
        endsWithCommit: true,
        startKnown: true,
        state: 'committed',
        checksumCounts: { ...zeroCounts, valid: 2 },
      },
      {
        transactionIndex: 1,
        generationIndex: 0,
        sequenceNumber: 2,
        frameNumbers: [3],
        pageNumbers: [3],
        commitFrameNumber: 3,
        databaseSizeInPages: 3,
        endsWithCommit: true,
        startKnown: true,
        state: 'committed',
        checksumCounts: { ...zeroCounts, valid: 1 },
      },
      {
        transactionIndex: 2,
        generationIndex: 0,
        sequenceNumber: 3,
        frameNumbers: [4, 5],
        pageNumbers: [4, 5],
        commitFrameNumber: undefined,
        databaseSizeInPages: undefined,
        endsWithCommit: false,
        startKnown: true,
        state: 'uncommitted',
        checksumCounts: { ...zeroCounts, valid: 1, zeroed: 1 },
      },
      {
        transactionIndex: 3,
        generationIndex: 1,
        sequenceNumber: 1,
        frameNumbers: [6, 7],
        pageNumbers: [6, 7],
        commitFrameNumber: 7,
        databaseSizeInPages: 8,
        endsWithCommit: true,
        startKnown: false,
        state: 'stale-generation',
        checksumCounts: { ...zeroCounts, unverifiable: 1, linked: 1 },
      },
      {
        transactionIndex: 4,
        generationIndex: 1,
        sequenceNumber: 2,
        frameNumbers: [8],
        pageNumbers: [8],
        commitFrameNumber: undefined,
        databaseSizeInPages: undefined,
        endsWithCommit: false,
        startKnown: true,
        state: 'stale-generation',
        checksumCounts: { ...zeroCounts, linked: 1 },
      },
      {
        transactionIndex: 5,
        generationIndex: 2,
        sequenceNumber: 1,
        frameNumbers: [9],
        pageNumbers: [9],
        commitFrameNumber: 9,
        databaseSizeInPages: 9,
        endsWithCommit: true,
        startKnown: false,
        state: 'stale-generation',
        checksumCounts: { ...zeroCounts, unverifiable: 1 },
      },
    ]);
  });

  it('marks a committed transaction SQLite would reject checksum-invalid', () => {
    const wal = parse(buildWal(header, [{ pageNumber: 1, commitSizeInPages: 1 }, { pageNumber: 2, damageByteAt: 9 }, { pageNumber: 3, commitSizeInPages: 3 }]).bytes);
    const { transactions } = assembleWalTransactions(wal.header, wal.frames);
    expect(transactions.map((transaction) => [transaction.frameNumbers, transaction.state, transaction.checksumCounts])).toEqual([
      [[1], 'committed', { ...zeroCounts, valid: 1 }],
      [[2, 3], 'checksum-invalid', { ...zeroCounts, mismatch: 1, linked: 1 }],
    ]);
  });

  it('gives no restart count for an unrelated salt-1, and no current generation when none of its frames survive', () => {
    const far = { salt1: 0x90000000, salt2: 5 };
    const wal = parse(buildWal(header, [{ pageNumber: 1, salts: far, chainFrom: { checksum1: 9, checksum2: 9 }, commitSizeInPages: 1 }]).bytes);
    const assembly = assembleWalTransactions(wal.header, wal.frames);
    expect(assembly.currentGenerationIndex).toBeUndefined();
    expect(assembly.generations.map((generation) => [generation.isCurrent, generation.restartsBeforeCurrent])).toEqual([[false, undefined]]);
    expect(assembleWalTransactions(wal.header, [])).toEqual({ generations: [], transactions: [], currentGenerationIndex: undefined });
  });
});

describe.skipIf(!hasSqlite3())('assembleWalTransactions on WALs written by sqlite3 (tier 2; skipped when sqlite3 is missing)', () => {
  let directory = '';
  beforeAll(() => {
    directory = makeTempDir('exhume-wal-assembly-');
  });
  afterAll(() => removeDir(directory));

  it('a WAL with restarts: three generations, one restart apart, the current one committed', () => {
    const fixture = makeWalWithRestarts(directory);
    const wal = parse(fixture.wal, fixture.walPath);
    const assembly = assembleWalTransactions(wal.header, wal.frames);
    expect(assembly.generations.map((generation) => [generation.isCurrent, generation.restartsBeforeCurrent])).toEqual([
      [true, 0],
      [false, 1],
      [false, 2],
    ]);
    const current = assembly.transactions.filter((transaction) => transaction.generationIndex === assembly.currentGenerationIndex);
    // The two small committed updates of the current generation.
    expect(current.map((transaction) => transaction.state)).toEqual(['committed', 'committed']);
    // The last commit's database size is the size of the database SQLite builds from the WAL.
    const database = checkpointedDatabase(fixture.databasePath, fixture.walPath, directory);
    expect(current.at(-1)?.databaseSizeInPages).toBe(database.length / 512);
    const stale = assembly.transactions.filter((transaction) => transaction.state === 'stale-generation');
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.every((transaction) => transaction.checksumCounts.mismatch === 0)).toBe(true);
    // Each stale generation's first surviving transaction may have lost its start; later ones did not.
    for (const generation of assembly.generations.filter((value) => !value.isCurrent)) {
      const starts = generation.transactionIndices.map((index) => assembly.transactions[index]?.startKnown);
      expect(starts).toEqual([false, ...starts.slice(1).map(() => true)]);
    }
    if (sqliteVersion() === '3.40.1') {
      expect(assembly.transactions.map((transaction) => `${transaction.generationIndex}:${transaction.frameNumbers[0]}-${transaction.frameNumbers.at(-1)}:${transaction.state}`)).toEqual([
        '0:1-1:committed',
        '0:2-2:committed',
        '1:3-5:stale-generation',
        '2:6-14:stale-generation',
        '2:15-32:stale-generation',
      ]);
    }
  });

  it('the interrupted transaction: a committed transaction, the uncommitted tail, the stale generation', () => {
    const fixture = makeInterruptedWal(directory);
    const wal = parse(fixture.wal, fixture.walPath);
    const assembly = assembleWalTransactions(wal.header, wal.frames);
    const current = assembly.transactions.filter((transaction) => transaction.generationIndex === assembly.currentGenerationIndex);
    expect(current.map((transaction) => [transaction.state, transaction.endsWithCommit])).toEqual([
      ['committed', true],
      ['uncommitted', false],
    ]);
    expect(current[1]?.checksumCounts.zeroed).toBeGreaterThan(0);
    if (sqliteVersion() === '3.40.1') {
      expect(assembly.transactions.map((transaction) => `${transaction.generationIndex}:${transaction.frameNumbers[0]}-${transaction.frameNumbers.at(-1)}:${transaction.state}:${transaction.databaseSizeInPages}`)).toEqual([
        '0:1-3:committed:52',
        '0:4-22:uncommitted:undefined',
        '1:23-34:stale-generation:32',
        '1:35-86:stale-generation:52',
      ]);
    }
  });
});
