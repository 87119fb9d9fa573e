/**
 * Carving random-noise images with structures made by the real sqlite3 engine planted at odd
 * 512-aligned offsets: a database straddling a window boundary, a WAL with stale generations, a
 * PERSIST journal (header zeroed), a database the image cuts short, lone b-tree pages (one equal
 * to a database page, one from another version of the table). Results must not depend on the
 * window size or on the number of workers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closePools, pool } from '../../support/pools.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarvedImage } from '../../../src/assembly/carve/carve-image.js';
import { carveImage } from '../../../src/assembly/carve/carve-image.js';
import { assembleCarriers } from '../../../src/assembly/carve/carriers.js';
import { parseJournal } from '../../../src/formats/journal/parse-journal.js';
import { parseWal } from '../../../src/formats/wal/parse-wal.js';
import { filePath, renderPath, toImageOffset } from '../../../src/provenance/path.js';
import { readLiveDatabase } from '../../../src/recovery/live-records.js';
import { unpackHits } from '../../../src/scanning/hits.js';
import { scanBytes } from '../../../src/scanning/scan-window.js';
import { MemorySource } from '../../../src/sources/byte-source.js';
import { noise } from '../../support/bytes.js';
import { asOracleRows, sortRows } from '../../support/read-database.js';
import { hasSqlite3, makeTempDir, oracleRows, removeDir, runSqlite } from '../../support/sqlite3.js';
import { makePersistJournal, makeWalWithRestarts } from '../../support/wal-fixtures.js';

const MiB = 1024 * 1024;

interface Planted {
  readonly imagePath: string;
  readonly databasePath: string;
  readonly otherVersionPath: string;
  /** A third database planted with its page 1 zeroed (header lost). */
  readonly headerlessPath: string;
  readonly walPath: string;
  readonly journalPath: string;
  readonly journalDatabasePath: string;
  readonly offsets: { database: number; wal: number; journal: number; truncated: number; samePage: number; otherPage: number; headerless: number; walDatabase: number };
  /** Page of `databasePath` copied to `samePage`; page of `otherVersionPath` copied to `otherPage`. */
  readonly pages: { same: number; other: number };
  readonly size: number;
}

let directory = '';
let planted: Planted;

function plantAll(): Planted {
  const databasePath = join(directory, 'ledger.db');
  const otherVersionPath = join(directory, 'ledger-other.db');
  const schema = `PRAGMA page_size=1024;
CREATE TABLE trans_record (id INTEGER PRIMARY KEY, trace_no TEXT, amount INTEGER, rate REAL, memo TEXT);`;
  const rows = (from: number, to: number, label: string): string =>
    `WITH RECURSIVE c(x) AS (SELECT ${from} UNION ALL SELECT x+1 FROM c WHERE x<${to}) INSERT INTO trans_record SELECT x, printf('%06d', x), x*37, x/4.0, printf('${label} %d', x) FROM c;`;
  runSqlite(databasePath, `${schema}\n${rows(1, 400, 'live')}`);
  runSqlite(otherVersionPath, `${schema}\n${rows(1000, 1300, 'older')}`);
  const headerlessPath = join(directory, 'ledger-headerless.db');
  runSqlite(headerlessPath, `${schema}\n${rows(2000, 2600, 'lost header')}`);
  const wal = makeWalWithRestarts(join(directory, 'wal'));
  const journal = makePersistJournal(join(directory, 'journal'));
  const database = new Uint8Array(readFileSync(databasePath));
  const other = new Uint8Array(readFileSync(otherVersionPath));
  const size = 6 * MiB + 7 * 512;
  const image = noise(size, 0xc0ffee);
  const offsets = {
    database: 2 * MiB - 9 * 1024 - 512, // straddles the 2 MiB window boundary
    wal: 3 * MiB + 512 * 5,
    journal: 4 * MiB + 512 * 3,
    truncated: size - 2 * 1024 - 512, // the image ends inside page 3
    samePage: 5 * MiB + 512 * 9,
    otherPage: 5 * MiB + 512 * 21,
    headerless: 1 * MiB + 512 * 17,
    walDatabase: 4 * MiB + 512 * 1024 + 512 * 5,
  };
  const pages = { same: 4, other: 5 };
  image.set(database, offsets.database);
  image.set(wal.wal, offsets.wal);
  // The WAL's own database, as SQLite left it at close (every frame checkpointed into it).
  image.set(new Uint8Array(readFileSync(wal.databasePath)), offsets.walDatabase);
  image.set(journal.journal ?? new Uint8Array(0), offsets.journal);
  image.set(database.subarray(0, size - offsets.truncated), offsets.truncated);
  image.set(database.subarray((pages.same - 1) * 1024, pages.same * 1024), offsets.samePage);
  image.set(other.subarray((pages.other - 1) * 1024, pages.other * 1024), offsets.otherPage);
  const headerless = new Uint8Array(readFileSync(headerlessPath));
  headerless.fill(0, 0, 1024);
  image.set(headerless, offsets.headerless);
  const imagePath = join(directory, 'noise.bin');
  writeFileSync(imagePath, image);
  return { imagePath, databasePath, otherVersionPath, headerlessPath, walPath: wal.walPath, journalPath: journal.journalPath, journalDatabasePath: journal.databasePath, offsets, pages, size };
}

describe.skipIf(!hasSqlite3())('carveImage on a noise image with planted structures', () => {
  let image: CarvedImage;

  beforeAll(async () => {
    directory = makeTempDir('exhume-carve-noise-');
    planted = plantAll();
    image = await carveImage(planted.imagePath, { pool: pool(2), windowSizeInBytes: 2 * MiB, progress: { quiet: true } });
  });

  afterAll(() => {
    image?.close();
    removeDir(directory);
  });

  it('carves the straddling database whole and decodes the rows sqlite3 reads', () => {
    const database = image.databases.find((candidate) => candidate.imageOffset === planted.offsets.database);
    expect(database).toMatchObject({ pageSize: 1024, pageCount: readFileSync(planted.databasePath).length / 1024, truncated: false });
    if (database === undefined) return;
    const live = readLiveDatabase(database.reader, database.header, database.path, database.name);
    expect(live.issues).toEqual([]);
    expect(sortRows(asOracleRows(live.records.get('trans_record') ?? [], false))).toEqual(sortRows(oracleRows(planted.databasePath, 'trans_record')));
    const first = (live.records.get('trans_record') ?? [])[0];
    expect(first?.path === undefined ? '' : renderPath(first.path)).toMatch(new RegExp(`^file:${planted.imagePath.replaceAll('/', '\\/')} > range@0x001fda00\\+0x[0-9a-f]{8} > sqlite-page#\\d+ > cell@0x[0-9a-f]{8}$`));
  });

  it('flags the database the image cuts short and keeps what is there', () => {
    const database = image.databases.find((candidate) => candidate.imageOffset === planted.offsets.truncated);
    expect(database).toMatchObject({ truncated: true, pageCount: 3, sizeInBytes: 2 * 1024 + 512, declaredPageCount: readFileSync(planted.databasePath).length / 1024 });
    expect(image.issues.filter((found) => found.code === 'carve.database.truncated').map((found) => found.message)).toEqual([
      `Database at 0x${planted.offsets.truncated.toString(16).padStart(8, '0')}: header declares ${readFileSync(planted.databasePath).length / 1024} pages of 1024 bytes, the image holds 3`,
    ]);
    if (database === undefined) return;
    // Page 1 is whole: the schema reads; pages past the end are reported by the b-tree walk, not thrown.
    expect(() => readLiveDatabase(database.reader, database.header, database.path, database.name)).not.toThrow();
  });

  it('carves the WAL with its stale generations byte for byte', () => {
    const walBytes = new Uint8Array(readFileSync(planted.walPath));
    expect(image.wals.map((wal) => [wal.imageOffset, wal.sizeInBytes, wal.pageSize])).toEqual([[planted.offsets.wal, walBytes.length, 512]]);
    const carved = parseWal(image.source.read(planted.offsets.wal, walBytes.length), 0, filePath('x'));
    const original = parseWal(walBytes, 0, filePath('x'));
    if (carved.kind !== 'parsed' || original.kind !== 'parsed') throw new Error('WAL did not parse');
    expect(carved.value.frames.map((frame) => frame.label)).toEqual(original.value.frames.map((frame) => frame.label));
    expect(new Set(carved.value.frames.map((frame) => frame.label))).toContain('stale-generation');
    expect(image.walFragments).toEqual([]);
  });

  it("counts a WAL frame whose page equals a database page as one more sighting of that page", () => {
    const walDatabase = image.databases.find((candidate) => candidate.imageOffset === planted.offsets.walDatabase);
    expect(walDatabase).toBeDefined();
    const carved = image.records();
    const sighted = carved.pages.filter((page) => page.sightings.some((sighting) => sighting.carrier === 'wal-frame'));
    expect(sighted.length).toBeGreaterThan(0);
    for (const page of sighted) {
      expect(page.sightings[0]).toMatchObject({ carrier: 'database', database: walDatabase?.name });
      for (const sighting of page.sightings.filter((candidate) => candidate.carrier === 'wal-frame')) {
        expect(sighting.pageNumber).toBe(page.sightings[0]?.pageNumber);
        expect((sighting.imageOffset - planted.offsets.wal - 32 - 24) % (24 + 512)).toBe(0);
      }
    }
  });

  it('finds the PERSIST journal by its records (header zeroed) and parses it as from the file', () => {
    const journalBytes = new Uint8Array(readFileSync(planted.journalPath));
    expect(image.journals).toEqual([]);
    expect(image.journalFragments).toHaveLength(1);
    const fragment = image.journalFragments[0];
    expect(fragment?.zeroedHeaderImageOffset).toBe(planted.offsets.journal);
    expect(fragment?.pageSize).toBe(512);
    const carved = parseJournal(image.source.read(planted.offsets.journal, journalBytes.length), 0, filePath('x'), { pageSize: 512 });
    const original = parseJournal(journalBytes, 0, filePath('x'), { pageSize: 512 });
    if (carved.kind !== 'parsed' || original.kind !== 'parsed') throw new Error('journal did not parse');
    expect(carved.value.records.map((record) => [record.pageNumber, record.checksum])).toEqual(original.value.records.map((record) => [record.pageNumber, record.checksum]));
    expect(fragment?.records.length).toBe(original.value.records.length);
  });

  it('keeps lone b-tree pages as orphans: a copy of a database page is one more sighting, never new records', () => {
    expect(image.orphanPages.map((page) => page.imageOffset)).toEqual([planted.offsets.samePage, planted.offsets.otherPage]);
    const carved = image.records();
    const same = carved.pages.find((page) => page.sightings.some((sighting) => sighting.imageOffset === planted.offsets.samePage));
    const database = image.databases.find((candidate) => candidate.imageOffset === planted.offsets.database);
    const truncated = image.databases.find((candidate) => candidate.imageOffset === planted.offsets.truncated);
    expect(same?.sightings).toEqual([
      { carrier: 'database', imageOffset: planted.offsets.database + (planted.pages.same - 1) * 1024, database: database?.name, pageNumber: planted.pages.same },
      { carrier: 'orphan-page', imageOffset: planted.offsets.samePage, database: undefined, pageNumber: undefined },
    ]);
    // The truncated copy holds pages 1-3 only, so page 4 is not sighted there.
    expect(truncated?.name).toBeDefined();
    expect(same?.recordIndexes.length).toBeGreaterThan(0);
    for (const index of same?.recordIndexes ?? []) expect(carved.records[index]?.record.database).toBe(database?.name);
  });

  it("decodes an orphan page with the schema of the carved sqlite_master its records fit, at exact image offsets", () => {
    const carved = image.records();
    const other = carved.pages.find((page) => page.sightings.some((sighting) => sighting.imageOffset === planted.offsets.otherPage));
    const records = (other?.recordIndexes ?? []).map((index) => carved.records[index]?.record);
    expect(records.length).toBeGreaterThan(0);
    const expected = sortRows(oracleRows(planted.otherVersionPath, 'trans_record'));
    for (const record of records) {
      if (record === undefined) continue;
      expect(record.table).toBe('trans_record');
      expect(record.state).toBe('orphan');
      expect(record.foundBy).toBe('page-scan');
      expect(record.confidence.reasons[0]).toMatch(/schema of table trans_record from the sqlite_master carved at .*@0x001fda00 \(records fit 100%, 1 other table\(s\) fit as well\)/);
      expect(record.imageOffset).toBe(planted.offsets.otherPage + record.offsetInPage);
      expect(record.imageOffset).toBe(toImageOffset(record.path, 0));
      expect(renderPath(record.path)).toBe(`file:${planted.imagePath} > range@0x${planted.offsets.otherPage.toString(16).padStart(8, '0')}+0x00000400 > cell@0x${record.offsetInPage.toString(16).padStart(8, '0')}`);
      expect(expected).toContainEqual(asOracleRows([record], false)[0]);
    }
  });

  it('puts a database whose header is lost back together by its b-tree links, and decodes it with the carved schema', () => {
    expect(image.headerlessDatabases).toHaveLength(1);
    const headerless = image.headerlessDatabases[0];
    const size = readFileSync(planted.headerlessPath).length;
    expect(headerless).toMatchObject({ imageOffset: planted.offsets.headerless, pageSize: 1024, pageCount: size / 1024, name: `${planted.imagePath}@0x${planted.offsets.headerless.toString(16).padStart(8, '0')}-headerless` });
    expect(headerless?.pages.map((page) => page.pageNumber)).toEqual(Array.from({ length: size / 1024 - 1 }, (_, index) => index + 2));
    const carved = image.records();
    const records = carved.records.map((item) => item.record).filter((record) => record.database === headerless?.name);
    expect(records.every((record) => record.table === 'trans_record' && record.state === 'orphan' && record.foundBy === 'page-scan')).toBe(true);
    expect(sortRows(asOracleRows(records, false))).toEqual(sortRows(oracleRows(planted.headerlessPath, 'trans_record')));
    const sample = records[0];
    expect(sample === undefined ? '' : renderPath(sample.path)).toMatch(new RegExp(`> range@0x${planted.offsets.headerless.toString(16).padStart(8, '0')}\\+0x[0-9a-f]{8} > sqlite-page#\\d+ > cell@0x[0-9a-f]{8}$`));
    expect(sample?.imageOffset).toBe(planted.offsets.headerless + ((sample?.pageNumber ?? 1) - 1) * 1024 + (sample?.offsetInPage ?? 0));
    expect(sample?.confidence.reasons[0]).toMatch(/header-less database reassembled at 0x00102200 by b-tree links .*schema of table trans_record/);
  });

  it('gives the same carriers and records with 0 workers and any window size', async () => {
    const summary = (carved: CarvedImage): unknown => ({
      hits: carved.hits,
      databases: carved.databases.map(({ reader: _reader, ...rest }) => rest),
      wals: carved.wals,
      journals: carved.journals,
      fragments: [carved.walFragments, carved.journalFragments],
      orphans: carved.orphanPages,
      headerless: carved.headerlessDatabases,
      records: carved.records().records.map((item) => [item.record.rawSha256, item.record.imageOffset, item.page.sightings.length]),
    });
    const reference = summary(image);
    for (const options of [
      { pool: pool(0), windowSizeInBytes: 4096 },
      { pool: pool(1), windowSizeInBytes: MiB + 512 },
      { pool: pool(2), windowSizeInBytes: 64 * MiB },
    ]) {
      const again = await carveImage(planted.imagePath, { ...options, progress: { quiet: true } });
      try {
        expect(summary(again), `${options.pool.workerCount} workers, windows of ${options.windowSizeInBytes}`).toEqual(reference);
      } finally {
        again.close();
      }
    }
  });
});

describe('assembleCarriers', () => {
  it('claims pages inside a WAL frame for the WAL, never as a database or orphan', () => {
    // A frame whose page image lands on a 512-byte boundary (frame 20 of a 512-byte-page WAL) and
    // holds a database header and b-tree page: inside the WAL, it is the WAL's.
    const pageSize = 512;
    const frames = 24;
    const bytes = noise(64 * 1024, 0x51);
    const walStart = 4096;
    const header = new Uint8Array(32);
    header.set([0x37, 0x7f, 0x06, 0x82, 0x00, 0x2d, 0xe2, 0x18, 0, 0, 2, 0], 0);
    bytes.set(header, walStart);
    const source = new MemorySource('claims.img', bytes);
    const hits = [
      { kind: 'wal-header' as const, imageOffset: walStart, pageSize, checkpointSequence: 0, salt1: 0, salt2: 0, checksum1: 0, checksum2: 0, bigEndianChecksumWords: false, checksumValid: true, magicValid: true },
      { kind: 'btree-page' as const, imageOffset: walStart + 32 + 19 * (24 + pageSize) + 24, pageType: 0x0d, pageSize, cellCount: 1, emptied: false },
    ];
    // Frames carry page number 1 and zero salts: followed as a zero-salt run.
    for (let index = 0; index < frames; index++) bytes.set([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], walStart + 32 + index * (24 + pageSize));
    const carriers = assembleCarriers(hits, source);
    expect(carriers.wals.map((wal) => wal.frameCount)).toEqual([frames]);
    expect((walStart + 32 + 19 * (24 + pageSize) + 24) % 512).toBe(0);
    expect(carriers.orphanPages).toEqual([]);
  });

  it('is empty for an image without hits, and for an empty image', () => {
    const empty = new MemorySource('empty.img', new Uint8Array(0));
    expect(assembleCarriers(unpackHits(scanBytes(new Uint8Array(0), 0, 0, 0, filePath('empty.img'))), empty)).toEqual({
      databases: [],
      wals: [],
      walFragments: [],
      journals: [],
      journalFragments: [],
      headerlessDatabases: [],
      orphanPages: [],
      freelistTrunkCandidates: [],
      issues: [],
    });
  });
});

afterAll(closePools);
