/**
 * Fragmented databases (fragments.ts), on file systems made with real tools: a file larger than
 * the hole a deleted file left is stored in two pieces by both allocators (mtools and debugfs fill
 * the first free blocks first). The file-system metadata is then destroyed, so only the b-tree
 * links can put the pieces back together.
 * - FAT16 with 512-byte clusters and 1024-byte pages: the second piece lies on another 512-byte
 *   alignment modulo the page size than the first ("two grids"), right after a small foreign
 *   database.
 * - ext4 with 4096-byte blocks and pages: both pieces on 4096-byte boundaries, different bases.
 * - The FAT image with the second piece overwritten: the header's declared extent then runs into
 *   the foreign database and zeros; the database is clipped, and nothing there is decoded as its.
 * Every assertion is against sqlite3 reading the original file, and every record's bytes are
 * compared with the original file's bytes at the record's page and offset.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarvedImage } from '../../../src/assembly/carve/carve-image.js';
import { carveImage } from '../../../src/assembly/carve/carve-image.js';
import { fragmentPageOffset } from '../../../src/assembly/carve/fragments.js';
import type { EvidenceRecord } from '../../../src/evidence/record.js';
import { scanInputs } from '../../../src/pipeline/scan.js';
import { MemorySink } from '../../../src/pipeline/sink.js';
import { WorkerPool } from '../../../src/pool/pool.js';
import { toImageOffset } from '../../../src/provenance/path.js';
import { buildExt4Image, buildFatImage, destroyExt4Metadata, destroyFatMetadata, ext4FileBlocks, hasExt4Tools, hasMtools, zeroRange } from '../../support/filesystem-images.js';
import { noise } from '../../support/bytes.js';
import { asOracleRows, sortRows } from '../../support/read-database.js';
import { hasSqlite3, makeTempDir, oracleRows, removeDir, runSqlite } from '../../support/sqlite3.js';

let directory = '';

beforeAll(() => {
  directory = makeTempDir('exhume-fragments-');
});

afterAll(() => removeDir(directory));

/** A ledger made by sqlite3 (secure_delete OFF): rows, three memos long enough to overflow, an index, deletes that leave freed cells. */
function makeDatabase(name: string, pageSize: number, rowCount: number): string {
  const location = join(directory, name);
  runSqlite(
    location,
    `PRAGMA page_size=${pageSize};
CREATE TABLE trans_record (id INTEGER PRIMARY KEY, trace_no TEXT, amount INTEGER, memo TEXT);
CREATE INDEX trace ON trans_record(trace_no);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<${rowCount})
INSERT INTO trans_record SELECT x, printf('%06d', x), (x*7919)%500000, printf('memo %d of the ledger', x) FROM c;
INSERT INTO trans_record SELECT 100000 + x, 'memo', x, hex(randomblob(2000 + x)) FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3);
DELETE FROM trans_record WHERE id % 11 = 0;`,
  );
  return location;
}

function hostFile(name: string, bytes: Uint8Array): string {
  const location = join(directory, name);
  writeFileSync(location, bytes);
  return location;
}

/**
 * Where each page of `original` lies in the image: right after the page before when its bytes are
 * there (a page's content may recur elsewhere, e.g. an emptied page), else where it first occurs; -1 nowhere.
 */
function pagePlaces(image: Uint8Array, original: Uint8Array, pageSize: number): number[] {
  const haystack = Buffer.from(image.buffer, image.byteOffset, image.length);
  const places: number[] = [];
  for (let start = 0; start < original.length; start += pageSize) {
    const page = Buffer.from(original.subarray(start, start + pageSize));
    const previous = places[places.length - 1];
    const next = previous === undefined || previous < 0 ? -1 : previous + pageSize;
    places.push(next >= 0 && haystack.subarray(next, next + pageSize).equals(page) ? next : haystack.indexOf(page));
  }
  return places;
}

function liveRecordsOf(carved: CarvedImage, database: string): EvidenceRecord[] {
  return carved
    .records()
    .records.map((item) => item.record)
    .filter((record) => record.database === database && record.table === 'trans_record' && record.state === 'db-live');
}

/** Every record's bytes are the original file's bytes at its page and offset, and its chain folds to its image offset. */
function expectRecordsFromOriginal(carved: CarvedImage, records: readonly EvidenceRecord[], original: Uint8Array, pageSize: number): void {
  for (const record of records) {
    const inImage = carved.source.read(record.imageOffset as number, record.lengthInBytes);
    const inFile = original.subarray((record.pageNumber - 1) * pageSize + record.offsetInPage, (record.pageNumber - 1) * pageSize + record.offsetInPage + record.lengthInBytes);
    expect(Buffer.from(inImage).equals(Buffer.from(inFile)), `record on page ${record.pageNumber} at ${record.offsetInPage}`).toBe(true);
    expect(toImageOffset(record.path, 0)).toBe(record.imageOffset);
  }
}

describe.skipIf(!hasSqlite3() || !hasMtools())('a database stored in two pieces on FAT16 (two grids)', () => {
  const pageSize = 1024;
  let original: Uint8Array;
  let originalPath: string;
  let imagePath: string;
  let places: number[];

  beforeAll(() => {
    originalPath = makeDatabase('ledger.db', pageSize, 1500);
    original = new Uint8Array(readFileSync(originalPath));
    // A foreign database right after the hole: its b-tree pages lie where the header's grid continues.
    const foreign = join(directory, 'foreign.db');
    runSqlite(foreign, `PRAGMA page_size=512; CREATE TABLE trans_record (id INTEGER PRIMARY KEY, trace_no TEXT, amount INTEGER, memo TEXT); INSERT INTO trans_record VALUES (1, '999999', 1, 'not the ledger'), (2, '999998', 2, 'not the ledger either');`);
    expect(readFileSync(foreign).length).toBe(1024);
    imagePath = buildFatImage(directory, {
      sizeInBytes: 16 * 1024 * 1024,
      files: [
        { name: 'FIRST.BIN', hostPath: hostFile('first.bin', noise(3000, 1)) },
        { name: 'HOLE.BIN', hostPath: hostFile('hole.bin', noise(8 * pageSize, 2)) },
        { name: 'FOREIGN.DB', hostPath: foreign },
        { name: 'AFTER.BIN', hostPath: hostFile('after.bin', noise(512, 3)) },
      ],
      deleted: ['HOLE.BIN'],
      thenWritten: [{ name: 'LEDGER.DB', hostPath: originalPath }],
    });
    destroyFatMetadata(imagePath);
    places = pagePlaces(new Uint8Array(readFileSync(imagePath)), original, pageSize);
  });

  it('is really stored in two pieces on two grids (the fixture)', () => {
    const first = places[0] as number;
    expect(first).toBeGreaterThan(0);
    expect(places.slice(0, 8)).toEqual(Array.from({ length: 8 }, (_, index) => first + index * pageSize));
    const second = places[8] as number;
    expect(second).toBe(first + 8 * pageSize + 1024 + 512);
    expect(places.slice(8)).toEqual(Array.from({ length: places.length - 8 }, (_, index) => second + index * pageSize));
    expect((second - first) % pageSize).toBe(512);
  });

  it('reassembles it by its b-tree links: the live rows sqlite3 reads, each from the original bytes at its place', async () => {
    const carved = await carveImage(imagePath, { windowSizeInBytes: 1024 * 1024, progress: { quiet: true } });
    try {
      const database = carved.databases.find((candidate) => candidate.imageOffset === places[0]);
      expect(database?.fragments).toEqual([
        { firstPageNumber: 1, pageCount: 8, imageOffset: places[0] },
        { firstPageNumber: 9, pageCount: places.length - 8, imageOffset: places[8] },
      ]);
      for (let pageNumber = 1; pageNumber <= places.length; pageNumber++) expect(fragmentPageOffset(database?.fragments ?? [], pageSize, pageNumber)).toBe(places[pageNumber - 1]);
      expect(carved.issues.map((found) => found.code)).toContain('carve.database.fragment');
      const live = liveRecordsOf(carved, database?.name ?? '');
      expect(sortRows(asOracleRows(live, false))).toEqual(sortRows(oracleRows(originalPath, 'trans_record')));
      expectRecordsFromOriginal(carved, live, original, pageSize);
      // The foreign database is carved on its own, with its own two rows.
      const foreign = carved.databases.find((candidate) => candidate.imageOffset === (places[0] as number) + 8 * pageSize);
      expect(foreign?.pageCount).toBe(2);
      expect(liveRecordsOf(carved, foreign?.name ?? '').map((record) => record.values[3])).toEqual(['not the ledger', 'not the ledger either']);
    } finally {
      carved.close();
    }
  });

  it('through the pipeline, live and freed records alike sit at their real place in the second piece', async () => {
    const sink = new MemorySink();
    await scanInputs([imagePath], new WorkerPool(0), sink);
    const name = `${imagePath}@0x${(places[0] as number).toString(16).padStart(8, '0')}`;
    const records = sink.records.filter((record) => record.database === name);
    expect(new Set(records.map((record) => record.state))).toContain('freeblock');
    expect(records.filter((record) => record.state === 'db-live')).toHaveLength(oracleRows(originalPath, 'trans_record').length + 2); // + sqlite_schema's table and index rows
    // The memos long enough to overflow (two of three survive the deletes), read through both pieces.
    const longMemos = oracleRows(originalPath, 'trans_record').filter((row) => String(row.values[3]?.text).length > 3000).length;
    expect(longMemos).toBe(2);
    expect(records.filter((record) => record.state === 'db-live' && String(record.values[3]).length > 3000)).toHaveLength(longMemos);
    const second = records.filter((record) => record.pageNumber > 8);
    expect(second.some((record) => record.state === 'freeblock')).toBe(true);
    const { carveImage: carve } = await import('../../../src/assembly/carve/carve-image.js');
    const carved = await carve(imagePath, { progress: { quiet: true } });
    try {
      expectRecordsFromOriginal(carved, records, original, pageSize);
    } finally {
      carved.close();
    }
  });

  it('puts a header-less copy in the same two pieces back together from its interior pages: the rows sqlite3 reads, each from the original bytes at its place', async () => {
    const damaged = join(directory, 'fat-header-lost.img');
    writeFileSync(damaged, readFileSync(imagePath));
    zeroRange(damaged, places[0] as number, pageSize);
    const carved = await carveImage(damaged, { windowSizeInBytes: 1024 * 1024, progress: { quiet: true } });
    try {
      const headerless = carved.headerlessDatabases.find((candidate) => candidate.imageOffset === places[0]);
      expect(headerless?.fragments).toEqual([
        { firstPageNumber: 2, pageCount: 7, imageOffset: places[1] },
        { firstPageNumber: 9, pageCount: places.length - 8, imageOffset: places[8] },
      ]);
      expect(carved.headerlessDatabases).toHaveLength(1);
      const fragment = carved.issues.find((found) => found.code === 'carve.database.fragment');
      expect(fragment?.message).toMatch(new RegExp(`^Header-less database at 0x${(places[0] as number).toString(16).padStart(8, '0')}: pages from 9 on are not after page 8 but at 0x${(places[8] as number).toString(16).padStart(8, '0')} \\(\\d+ pages its b-tree links name, from page 9 to ${places.length}, are there, rowids fitting their links\\): the file is fragmented; read as run 2`));
      // No page of the second piece is left an orphan.
      const secondPiece = { start: places[8] as number, end: (places[8] as number) + (places.length - 8) * pageSize };
      expect(carved.orphanPages.filter((page) => page.imageOffset >= secondPiece.start && page.imageOffset < secondPiece.end)).toEqual([]);
      const records = carved
        .records()
        .records.map((item) => item.record)
        .filter((record) => record.database === headerless?.name && record.table === 'trans_record');
      expect(new Set(records.map((record) => record.state))).toEqual(new Set(['orphan']));
      // Every live row, the two memos that overflow through both pieces among them, whole.
      expect(sortRows(asOracleRows(records, false))).toEqual(sortRows(oracleRows(originalPath, 'trans_record')));
      expect(records.filter((record) => record.flags.length > 0)).toEqual([]);
      expectRecordsFromOriginal(carved, records, original, pageSize);
    } finally {
      carved.close();
    }
  });

  it('clips a header whose declared pages are not where it says and nowhere else: nothing foreign becomes its record', async () => {
    const damaged = join(directory, 'fat-second-piece-lost.img');
    writeFileSync(damaged, readFileSync(imagePath));
    zeroRange(damaged, places[8] as number, (places.length - 8) * pageSize);
    const carved = await carveImage(damaged, { windowSizeInBytes: 1024 * 1024, progress: { quiet: true } });
    try {
      const database = carved.databases.find((candidate) => candidate.imageOffset === places[0]);
      expect(database?.fragments).toEqual([{ firstPageNumber: 1, pageCount: 8, imageOffset: places[0] }]);
      const clipped = carved.issues.find((found) => found.code === 'carve.database.clipped');
      expect(clipped?.message).toMatch(/^Database at 0x[0-9a-f]{8}: header declares \d+ pages of 1024 bytes, but \d+ of the \d+ pages its b-tree links name from page 9 on are not where the header puts them, and no other place in the image holds them: pages 9–\d+ are missing/);
      const live = liveRecordsOf(carved, database?.name ?? '');
      const oracle = new Set(oracleRows(originalPath, 'trans_record').map((row) => JSON.stringify(row)));
      // Whatever survives on the first 8 pages is a real row, read from the original bytes; the foreign rows are not among them.
      for (const row of asOracleRows(live, false)) expect(oracle.has(JSON.stringify(row))).toBe(true);
      expect(live.every((record) => record.pageNumber <= 8)).toBe(true);
      expectRecordsFromOriginal(carved, live, original, pageSize);
      const everyRecord = carved.records().records.map((item) => item.record);
      expect(everyRecord.filter((record) => record.database === database?.name && record.values.includes('not the ledger'))).toEqual([]);
    } finally {
      carved.close();
    }
  });
});

describe.skipIf(!hasSqlite3() || !hasMtools())('a database split on FAT16 in the middle of an overflow chain', () => {
  const pageSize = 1024;
  let originalPath: string;
  let original: Uint8Array;
  let imagePath: string;
  let places: number[];
  let blobHex = '';

  beforeAll(() => {
    // Pages: 1 schema, 2 ledger (one leaf), 3 attachment, 4 batch root; a 6,500-byte BLOB keeps
    // 384 bytes in its cell and fills overflow pages 5–10; the batch rows then split page 4 into
    // leaves from page 11 on. The hole holds 8 pages: the chain breaks between pages 8 and 9,
    // where no b-tree page says which piece holds what.
    originalPath = join(directory, 'chain-split.db');
    runSqlite(
      originalPath,
      `PRAGMA page_size=${pageSize};
CREATE TABLE trans_record (id INTEGER PRIMARY KEY, trace_no TEXT, amount INTEGER, memo TEXT);
CREATE TABLE attachment (id INTEGER PRIMARY KEY, body BLOB);
CREATE TABLE batch (id INTEGER PRIMARY KEY, note TEXT);
INSERT INTO trans_record VALUES (1, '000001', 100, 'sale'), (2, '000002', 250, 'refund');
INSERT INTO attachment (body) SELECT randomblob(6500);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<300) INSERT INTO batch SELECT x, printf('settlement batch line %d', x) FROM c;`,
    );
    original = new Uint8Array(readFileSync(originalPath));
    blobHex = runSqlite(originalPath, 'SELECT hex(body) FROM attachment;').trim().split('\n').pop() ?? '';
    const foreign = join(directory, 'chain-foreign.db');
    runSqlite(foreign, `PRAGMA page_size=512; CREATE TABLE note (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO note VALUES (1, 'not the ledger');`);
    imagePath = buildFatImage(directory, {
      sizeInBytes: 16 * 1024 * 1024,
      files: [
        { name: 'FIRST.BIN', hostPath: hostFile('chain-first.bin', noise(3000, 7)) },
        { name: 'HOLE.BIN', hostPath: hostFile('chain-hole.bin', noise(8 * pageSize, 8)) },
        { name: 'FOREIGN.DB', hostPath: foreign },
        { name: 'AFTER.BIN', hostPath: hostFile('chain-after.bin', noise(512, 9)) },
      ],
      deleted: ['HOLE.BIN'],
      thenWritten: [{ name: 'LEDGER.DB', hostPath: originalPath }],
    });
    destroyFatMetadata(imagePath);
    places = pagePlaces(new Uint8Array(readFileSync(imagePath)), original, pageSize);
  });

  it('is split where the fixture says: overflow pages 5–10, the second piece from page 9 (the fixture)', () => {
    const pagesOf = (type: string): number[] =>
      runSqlite(originalPath, `SELECT pageno FROM dbstat WHERE pagetype = '${type}' AND name = '${type === 'overflow' ? 'attachment' : 'batch'}' ORDER BY pageno;`)
        .trim()
        .split('\n')
        .map(Number)
        .filter((pageNumber) => pageNumber > 0);
    expect(pagesOf('overflow')).toEqual([5, 6, 7, 8, 9, 10]);
    expect(Math.min(...pagesOf('leaf'))).toBe(11);
    const first = places[0] as number;
    expect(places.slice(0, 8)).toEqual(Array.from({ length: 8 }, (_, index) => first + index * pageSize));
    expect((places[8] as number) - (places[7] as number)).not.toBe(pageSize);
  });

  it('takes the chain pages after the break from the second piece: the BLOB sqlite3 reads, whole', async () => {
    const carved = await carveImage(imagePath, { windowSizeInBytes: 1024 * 1024, progress: { quiet: true } });
    try {
      const database = carved.databases.find((candidate) => candidate.imageOffset === places[0]);
      expect(database?.fragments).toEqual([
        { firstPageNumber: 1, pageCount: 8, imageOffset: places[0] },
        { firstPageNumber: 9, pageCount: places.length - 8, imageOffset: places[8] },
      ]);
      const fragment = carved.issues.find((found) => found.code === 'carve.database.fragment');
      expect(fragment?.message).toContain('pages 9–10, named by no b-tree link, are taken from this run too: 1 overflow chain(s) through them continue only there');
      const records = carved
        .records()
        .records.map((item) => item.record)
        .filter((record) => record.database === database?.name && record.state === 'db-live');
      const blob = records.filter((record) => record.table === 'attachment');
      expect(blob).toHaveLength(1);
      expect(blob[0]?.flags).toEqual([]);
      expect(blob[0]?.values[1]?.toUpperCase()).toBe(blobHex);
      expect(sortRows(asOracleRows(records.filter((record) => record.table === 'batch'), false))).toEqual(sortRows(oracleRows(originalPath, 'batch')));
    } finally {
      carved.close();
    }
  });
});

describe.skipIf(!hasSqlite3() || !hasMtools())('a header-less database with a three-level b-tree split on FAT16', () => {
  // 512-byte pages, 6,000 rows: the root (page 2) names interior pages that all lie in the second
  // piece, and the first of them names leaves in both pieces. No interior page of the first piece
  // names a page of its own piece: only votes pooled over every interior page find its grid.
  const pageSize = 512;
  let originalPath: string;
  let original: Uint8Array;
  let imagePath: string;
  let places: number[];

  beforeAll(() => {
    const own = join(directory, 'three-level');
    mkdirSync(own);
    originalPath = join(own, 'ledger.db');
    runSqlite(
      originalPath,
      `PRAGMA page_size=${pageSize};
CREATE TABLE trans_record (id INTEGER PRIMARY KEY, trace_no TEXT, amount INTEGER, memo TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<6000)
INSERT INTO trans_record SELECT x, printf('%06d', x), (x*7919)%500000, printf('memo %d of the ledger', x) FROM c;`,
    );
    original = new Uint8Array(readFileSync(originalPath));
    imagePath = buildFatImage(own, {
      sizeInBytes: 16 * 1024 * 1024,
      files: [
        { name: 'FIRST.BIN', hostPath: hostFile('three-first.bin', noise(3000, 10)) },
        { name: 'HOLE.BIN', hostPath: hostFile('three-hole.bin', noise(40 * pageSize, 11)) },
        { name: 'AFTER.BIN', hostPath: hostFile('three-after.bin', noise(1536, 12)) },
      ],
      deleted: ['HOLE.BIN'],
      thenWritten: [{ name: 'LEDGER.DB', hostPath: originalPath }],
    });
    destroyFatMetadata(imagePath);
    places = pagePlaces(new Uint8Array(readFileSync(imagePath)), original, pageSize);
    zeroRange(imagePath, places[0] as number, pageSize);
  });

  it('is what the test needs (the fixture): two pieces, the root in the first, its children all in the second', () => {
    const first = places[1] as number;
    expect(places.slice(1, 40)).toEqual(Array.from({ length: 39 }, (_, index) => first + index * pageSize));
    expect(places.slice(40)).toEqual(Array.from({ length: places.length - 40 }, (_, index) => (places[40] as number) + index * pageSize));
    expect((places[40] as number) - (places[39] as number)).toBe(4 * pageSize);
    expect(original[pageSize]).toBe(0x05);
    const rootChildren = Array.from({ length: (original[pageSize + 3] as number) * 256 + (original[pageSize + 4] as number) }, (_, index) => {
      const pointer = pageSize + ((original[pageSize + 12 + index * 2] as number) << 8) + (original[pageSize + 13 + index * 2] as number);
      return Buffer.from(original.subarray(pointer, pointer + 4)).readUInt32BE(0);
    });
    expect(rootChildren.length).toBeGreaterThan(2);
    expect(rootChildren.every((child) => child > 40)).toBe(true);
  });

  it('finds both pieces by the links of every interior page: one database, page 2 in its place, every row from the original bytes', async () => {
    const carved = await carveImage(imagePath, { windowSizeInBytes: 1024 * 1024, progress: { quiet: true } });
    try {
      expect(carved.headerlessDatabases.map((database) => database.fragments)).toEqual([
        [
          { firstPageNumber: 2, pageCount: 39, imageOffset: places[1] },
          { firstPageNumber: 41, pageCount: places.length - 40, imageOffset: places[40] },
        ],
      ]);
      const headerless = carved.headerlessDatabases[0];
      expect(headerless?.rootPageNumbers).toEqual([2]);
      expect(carved.orphanPages).toEqual([]);
      const records = carved
        .records()
        .records.map((item) => item.record)
        .filter((record) => record.database === headerless?.name);
      const expected = oracleRows(originalPath, 'trans_record').map((row) => ({ ...row, values: [{ text: null, type: 'null' as const }, ...row.values.slice(1)] }));
      expect(sortRows(asOracleRows(records, false))).toEqual(sortRows(expected));
      expectRecordsFromOriginal(carved, records, original, pageSize);
    } finally {
      carved.close();
    }
  });
});

describe.skipIf(!hasSqlite3() || !hasExt4Tools())('a database stored in two pieces on ext4', () => {
  const pageSize = 4096;
  let originalPath: string;
  let original: Uint8Array;
  let imagePath: string;
  let blocks: number[];

  beforeAll(() => {
    originalPath = makeDatabase('ext4-ledger.db', pageSize, 3000);
    original = new Uint8Array(readFileSync(originalPath));
    imagePath = join(directory, 'ext4.img');
    buildExt4Image(directory, {
      sizeInBytes: 24 * 1024 * 1024,
      files: [
        { name: 'f1', hostPath: hostFile('f1', noise(20_000, 4)) },
        { name: 'hole', hostPath: hostFile('hole', noise(4 * pageSize, 5)) },
        { name: 'f3', hostPath: hostFile('f3', noise(9000, 6)) },
      ],
      deleted: ['hole'],
      thenWritten: [{ name: 'ledger.db', hostPath: originalPath }],
    });
    blocks = ext4FileBlocks(imagePath, 'ledger.db');
    destroyExt4Metadata(imagePath);
  });

  it('reassembles it: the live rows sqlite3 reads, each from the original bytes at its place', async () => {
    // The fixture: the first four blocks in the hole, the rest after f3.
    expect(blocks).toHaveLength(original.length / pageSize);
    expect((blocks[4] as number) - (blocks[3] as number)).toBeGreaterThan(1);
    const carved = await carveImage(imagePath, { windowSizeInBytes: 1024 * 1024, progress: { quiet: true } });
    try {
      const database = carved.databases.find((candidate) => candidate.imageOffset === (blocks[0] as number) * pageSize);
      expect(database?.fragments.map((fragment) => [fragment.firstPageNumber, fragment.imageOffset])).toEqual([
        [1, (blocks[0] as number) * pageSize],
        [5, (blocks[4] as number) * pageSize],
      ]);
      const live = liveRecordsOf(carved, database?.name ?? '');
      expect(sortRows(asOracleRows(live, false))).toEqual(sortRows(oracleRows(originalPath, 'trans_record')));
      expectRecordsFromOriginal(carved, live, original, pageSize);
    } finally {
      carved.close();
    }
  });

  it('does not read the second piece of a header-less copy on the first piece\'s grid (both block-aligned): two runs, each page at its place', async () => {
    // A hole of 12 blocks: the first piece holds both roots and leaves they name, so its interior pages find its grid.
    const own = join(directory, 'ext4-headerless');
    mkdirSync(own);
    const headerlessImage = buildExt4Image(own, {
      sizeInBytes: 24 * 1024 * 1024,
      files: [
        { name: 'f1', hostPath: hostFile('g1', noise(20_000, 7)) },
        { name: 'hole', hostPath: hostFile('hole12', noise(12 * pageSize, 8)) },
        { name: 'f3', hostPath: hostFile('g3', noise(9000, 9)) },
      ],
      deleted: ['hole'],
      thenWritten: [{ name: 'ledger.db', hostPath: originalPath }],
    });
    const fileBlocks = ext4FileBlocks(headerlessImage, 'ledger.db');
    expect(fileBlocks.slice(0, 12)).toEqual(Array.from({ length: 12 }, (_, index) => (fileBlocks[0] as number) + index));
    expect((fileBlocks[12] as number) - (fileBlocks[11] as number)).toBeGreaterThan(1);
    destroyExt4Metadata(headerlessImage);
    zeroRange(headerlessImage, (fileBlocks[0] as number) * pageSize, pageSize);
    const carved = await carveImage(headerlessImage, { windowSizeInBytes: 1024 * 1024, progress: { quiet: true } });
    try {
      expect(carved.headerlessDatabases.map((database) => database.fragments.map((fragment) => [fragment.firstPageNumber, fragment.imageOffset]))).toEqual([
        [
          [2, (fileBlocks[1] as number) * pageSize],
          [13, (fileBlocks[12] as number) * pageSize],
        ],
      ]);
      const headerless = carved.headerlessDatabases[0];
      const records = carved
        .records()
        .records.map((item) => item.record)
        .filter((record) => record.database === headerless?.name);
      // No sqlite_master in this image to name the table: its shape is inferred (index entries without a schema are not decoded).
      expect(new Set(records.map((record) => record.table))).toEqual(new Set(['orphan-4-columns']));
      // Without the schema, `id` is not known to be the rowid's alias: the record stores NULL there, the rowid holds the id.
      const expected = oracleRows(originalPath, 'trans_record').map((row) => ({ ...row, values: [{ text: null, type: 'null' as const }, ...row.values.slice(1)] }));
      expect(sortRows(asOracleRows(records, false))).toEqual(sortRows(expected));
      expect(records.filter((record) => record.flags.length > 0)).toEqual([]);
      expectRecordsFromOriginal(carved, records, original, pageSize);
    } finally {
      carved.close();
    }
  });
});
