/**
 * The bundled samples (samples/manifest.json): every file is pinned by size and SHA-256, and the
 * live-row counts sqlite3 reads from COPIES of the databases match the manifest. The samples
 * themselves are never opened through sqlite3 (a WAL would be checkpointed, a hot journal rolled
 * back); oracleRows copies for us, and the other checks copy first.
 */
import { describe, it, expect } from 'vitest';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../src/bytes/sha256.js';
import { hasSqlite3, makeTempDir, oracleRows, removeDir, runSqlite, tableColumns } from './support/sqlite3.js';

const samplesDirectory = fileURLToPath(new URL('../samples/', import.meta.url));

type TableCounts = Record<string, number>;

interface ManifestFile {
  readonly path: string;
  readonly sizeInBytes: number;
  readonly sha256: string;
  readonly shows: string;
}

interface ManifestDatabase {
  readonly path: string;
  readonly siblings: readonly string[];
  readonly shows: string;
  readonly journalMode: string;
  readonly pageSize: number;
  readonly encoding: string;
  readonly liveRows: {
    readonly main: TableCounts | null;
    readonly withWal?: TableCounts;
    readonly afterRollback?: TableCounts;
  };
  readonly sqlite3Error?: string;
  readonly groundTruth: Record<string, unknown>;
}

interface Manifest {
  readonly totalSizeInBytes: number;
  readonly files: readonly ManifestFile[];
  readonly databases: readonly ManifestDatabase[];
}

const manifest = JSON.parse(readFileSync(join(samplesDirectory, 'manifest.json'), 'utf8')) as Manifest;
const samplePath = (relativePath: string): string => join(samplesDirectory, ...relativePath.split('/'));
const sqlite3Available = hasSqlite3();

/** Copies a sample and its siblings into a private folder, runs `body` on the copy, cleans up. */
function withCopy<T>(database: ManifestDatabase, body: (copyPath: string) => T): T {
  const directory = makeTempDir('exhume-samples-test-');
  try {
    const copy = join(directory, 'trans.db');
    copyFileSync(samplePath(database.path), copy);
    for (const sibling of database.siblings) {
      const suffix = sibling.slice(database.path.length); // "-wal", "-journal"
      copyFileSync(samplePath(sibling), `${copy}${suffix}`);
    }
    return body(copy);
  } finally {
    removeDir(directory);
  }
}

function liveTransRecordIdRange(truth: Record<string, unknown>): [number, number] | null | undefined {
  const range = truth['liveTransRecordIdRange'];
  if (range === undefined) return undefined;
  return range as [number, number] | null;
}

describe('samples/manifest.json', () => {
  it('lists every file of every sample folder, and nothing else (no -shm)', () => {
    const folders = new Set(manifest.files.map((file) => file.path.split('/')[0] ?? ''));
    const onDisk = [...folders].flatMap((folder) => readdirSync(samplePath(folder)).map((name) => `${folder}/${name}`)).sort();
    expect(onDisk).toEqual(manifest.files.map((file) => file.path).sort());
    expect(onDisk.some((path) => path.endsWith('-shm'))).toBe(false);
  });

  it('keeps all samples together under 2 MB', () => {
    const total = manifest.files.reduce((sum, file) => sum + file.sizeInBytes, 0);
    expect(total).toBe(manifest.totalSizeInBytes);
    expect(total).toBeLessThan(2 * 1024 * 1024);
  });

  it('describes every database and its siblings with listed files', () => {
    const listed = new Set(manifest.files.map((file) => file.path));
    expect(manifest.databases.length).toBe(5);
    for (const database of manifest.databases) {
      expect(listed.has(database.path)).toBe(true);
      for (const sibling of database.siblings) {
        expect(sibling.startsWith(database.path)).toBe(true);
        expect(listed.has(sibling)).toBe(true);
      }
      expect(database.pageSize).toBe(4096);
      expect(database.encoding).toBe('UTF-8');
    }
  });

  for (const file of manifest.files) {
    it(`pins ${file.path} by size and SHA-256`, () => {
      const path = samplePath(file.path);
      expect(existsSync(path)).toBe(true);
      expect(statSync(path).size).toBe(file.sizeInBytes);
      expect(sha256Hex(readFileSync(path))).toBe(file.sha256);
    });
  }
});

describe.skipIf(!sqlite3Available)('samples read by sqlite3 (on copies)', () => {
  for (const database of manifest.databases) {
    const main = database.liveRows.main;
    if (main !== null) {
      it(`${database.path}: live rows in the main file match the manifest`, () => {
        const counts: TableCounts = {};
        for (const table of Object.keys(main)) counts[table] = oracleRows(samplePath(database.path), table).length;
        expect(counts).toEqual(main);
        const range = liveTransRecordIdRange(database.groundTruth);
        if (range !== undefined) {
          const ids = oracleRows(samplePath(database.path), 'trans_record').map((row) => Number(row.rowid));
          expect(ids.length === 0 ? null : [Math.min(...ids), Math.max(...ids)]).toEqual(range);
        }
      });
    }

    const withWal = database.liveRows.withWal;
    if (withWal !== undefined) {
      it(`${database.path}: live rows with the WAL applied match the manifest`, () => {
        const counts: TableCounts = {};
        for (const table of Object.keys(withWal)) counts[table] = oracleRows(samplePath(database.path), table, { withWal: true }).length;
        expect(counts).toEqual(withWal);
        expect(withWal).not.toEqual(main);
      });
    }

    const afterRollback = database.liveRows.afterRollback;
    if (afterRollback !== undefined) {
      it(`${database.path}: live rows after sqlite3 rolls the hot journal back (on a copy) match the manifest`, () => {
        const counts = withCopy(database, (copy) => {
          // A read-write open of the copy makes SQLite roll the hot journal back first.
          const result: TableCounts = {};
          // runSqlite's `PRAGMA secure_delete=OFF` prints its value first: the count is the last line.
          for (const table of Object.keys(afterRollback)) result[table] = Number(runSqlite(copy, `SELECT count(*) FROM "${table}";`).trim().split('\n').at(-1));
          expect(existsSync(`${copy}-journal`)).toBe(false);
          return result;
        });
        expect(counts).toEqual(afterRollback);
        expect(afterRollback).not.toEqual(main);
      });
    }

    const expectedError = database.sqlite3Error;
    if (expectedError !== undefined) {
      it(`${database.path}: sqlite3 refuses it (${expectedError})`, () => {
        withCopy(database, (copy) => {
          expect(() => runSqlite(`file:${copy}?immutable=1`, 'SELECT count(*) FROM sqlite_schema;')).toThrow(/file is not a database/);
        });
      });
    }
  }

  it('pos-ledger: the pending reversal pairs a reversal_pending row with a PENDING trans_record row', () => {
    const ledger = manifest.databases.find((database) => database.path === 'pos-ledger/trans.db');
    expect(ledger).toBeDefined();
    if (ledger === undefined) return;
    withCopy(ledger, (copy) => {
      const transColumns = tableColumns(copy, 'trans_record');
      const reversalColumns = tableColumns(copy, 'reversal_pending');
      const text = (values: readonly { text: string | null }[], columns: string[], name: string): string | null => values[columns.indexOf(name)]?.text ?? null;
      const reversals = oracleRows(copy, 'reversal_pending');
      expect(reversals).toHaveLength(1);
      const pending = oracleRows(copy, 'trans_record').filter((row) => text(row.values, transColumns, 'reversal_status') === 'PENDING');
      expect(pending).toHaveLength(1);
      const reversal = reversals[0];
      const sale = pending[0];
      if (reversal === undefined || sale === undefined) return;
      for (const name of ['tid', 'batch_no', 'trace_no', 'amount']) {
        expect(text(reversal.values, reversalColumns, name)).toBe(text(sale.values, transColumns, name));
      }
      expect(text(reversal.values, reversalColumns, 'dup_reason')).toBe('98');
    });
  });
});
