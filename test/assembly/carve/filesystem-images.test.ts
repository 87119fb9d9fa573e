/**
 * Tier 2, end to end: real ext4 and FAT16 file systems (mkfs.ext4 + debugfs, mtools) holding a
 * live WAL-mode ledger database, its -wal and a deleted older copy, made by the real sqlite3
 * engine; then the file-system metadata is destroyed. `carveImage` must find all three by their
 * bytes alone, and the live rows it decodes must equal what sqlite3 reads from the original file
 * (main file only, as carved), the deleted copy's rows what sqlite3 reads from that copy.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closePools, pool } from '../../support/pools.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarvedImage } from '../../../src/assembly/carve/carve-image.js';
import { carveImage } from '../../../src/assembly/carve/carve-image.js';
import { parseWal } from '../../../src/formats/wal/parse-wal.js';
import { filePath, toImageOffset } from '../../../src/provenance/path.js';
import { readLiveDatabase } from '../../../src/recovery/live-records.js';
import type { LedgerFiles } from '../../support/filesystem-images.js';
import { buildExt4Image, buildFatImage, destroyExt4Metadata, destroyFatMetadata, fatGeometry, fileBytes, hasExt4Tools, hasMtools, makeLedgerFiles } from '../../support/filesystem-images.js';
import { asOracleRows, sortRows } from '../../support/read-database.js';
import { hasSqlite3, makeTempDir, oracleRows, removeDir, userTables } from '../../support/sqlite3.js';

const tables = (path: string): { name: string; withoutRowid: boolean }[] => [...userTables(path), { name: 'sqlite_sequence', withoutRowid: false }];

function sameBytes(image: CarvedImage, offset: number, expected: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(image.source.read(offset, expected.length)), Buffer.from(expected)) === 0;
}

function liveRows(image: CarvedImage, imageOffset: number): Map<string, ReturnType<typeof asOracleRows>> {
  const database = image.databases.find((candidate) => candidate.imageOffset === imageOffset);
  if (database === undefined) throw new Error(`no database at ${imageOffset}`);
  const live = readLiveDatabase(database.reader, database.header, database.path, database.name);
  const out = new Map<string, ReturnType<typeof asOracleRows>>();
  for (const [name, records] of live.records) out.set(name, sortRows(asOracleRows(records, name === 'settings')));
  return out;
}

interface Scenario {
  readonly name: string;
  readonly available: boolean;
  readonly pageSize: number;
  readonly build: (directory: string, files: LedgerFiles) => { imagePath: string; zeroed: { offset: number; length: number }[] };
  /** Alignment of where the file system puts file data (ext4: 4096-byte blocks; FAT16 here: 512-byte clusters). */
  readonly alignment: number;
}

const scenarios: Scenario[] = [
  {
    name: 'ext4 (superblocks, group descriptors, bitmaps and inode tables zeroed)',
    available: hasExt4Tools(),
    pageSize: 4096,
    alignment: 4096,
    build: (directory, files) => {
      const imagePath = buildExt4Image(directory, {
        sizeInBytes: 24 * 1024 * 1024,
        files: [
          { name: 'old.db', hostPath: files.oldPath },
          { name: 'ledger.db', hostPath: files.livePath },
          { name: 'ledger.db-wal', hostPath: files.walPath },
        ],
        deleted: ['old.db'],
      });
      return { imagePath, zeroed: destroyExt4Metadata(imagePath) };
    },
  },
  {
    name: 'FAT16 (both FATs and the root directory zeroed)',
    available: hasMtools(),
    pageSize: 1024,
    alignment: 512,
    build: (directory, files) => {
      const imagePath = buildFatImage(directory, {
        sizeInBytes: 32 * 1024 * 1024,
        files: [
          { name: 'OLD.DB', hostPath: files.oldPath },
          { name: 'LEDGER.DB', hostPath: files.livePath },
          { name: 'LEDGER.WAL', hostPath: files.walPath },
        ],
        deleted: ['OLD.DB'],
      });
      const dataOffset = fatGeometry(imagePath).dataOffset;
      expect(dataOffset % 4096).not.toBe(0); // clusters at 512-byte, not 4096-byte, boundaries
      return { imagePath, zeroed: destroyFatMetadata(imagePath) };
    },
  },
];

for (const scenario of scenarios) {
  describe.skipIf(!scenario.available || !hasSqlite3())(`carveImage on ${scenario.name}`, () => {
    let directory = '';
    let files: LedgerFiles;
    let imagePath = '';
    let image: CarvedImage;
    let liveOffset = -1;
    let oldOffset = -1;

    beforeAll(async () => {
      directory = makeTempDir('exhume-carve-fs-');
      files = makeLedgerFiles(directory, scenario.pageSize);
      const built = scenario.build(directory, files);
      imagePath = built.imagePath;
      // Windows of 1 MiB: the files straddle window boundaries somewhere in most runs.
      image = await carveImage(imagePath, { pool: pool(2), windowSizeInBytes: 1024 * 1024, progress: { quiet: true } });
      const live = fileBytes(files.livePath);
      const old = fileBytes(files.oldPath);
      liveOffset = image.databases.find((database) => sameBytes(image, database.imageOffset, live))?.imageOffset ?? -1;
      oldOffset = image.databases.find((database) => sameBytes(image, database.imageOffset, old))?.imageOffset ?? -1;
    });

    afterAll(() => {
      image?.close();
      removeDir(directory);
    });

    it('finds the live database and the deleted copy byte for byte, with header geometry, at file-system block boundaries', () => {
      expect(image.databases).toHaveLength(2);
      expect(liveOffset).toBeGreaterThan(0);
      expect(oldOffset).toBeGreaterThan(0);
      for (const [offset, path] of [
        [liveOffset, files.livePath],
        [oldOffset, files.oldPath],
      ] as const) {
        const database = image.databases.find((candidate) => candidate.imageOffset === offset);
        const size = fileBytes(path).length;
        expect(database).toMatchObject({ pageSize: scenario.pageSize, pageCount: size / scenario.pageSize, sizeInBytes: size, truncated: false, extentFrom: 'trusted-header-size' });
        expect(offset % scenario.alignment).toBe(0);
        expect(database?.name).toBe(`${imagePath}@0x${offset.toString(16).padStart(8, '0')}`);
      }
      expect(image.orphanPages).toEqual([]);
    });

    it('recovers exactly the live rows sqlite3 reads from the original file (main file, as carved)', () => {
      const rows = liveRows(image, liveOffset);
      for (const table of tables(files.livePath)) {
        expect(rows.get(table.name), table.name).toEqual(sortRows(oracleRows(files.livePath, table.name, { withoutRowid: table.withoutRowid })));
      }
      expect(rows.get('trans_record')?.length).toBe(519);
    });

    it("recovers the deleted copy's rows", () => {
      const rows = liveRows(image, oldOffset);
      for (const table of tables(files.oldPath)) {
        expect(rows.get(table.name), table.name).toEqual(sortRows(oracleRows(files.oldPath, table.name, { withoutRowid: table.withoutRowid })));
      }
      expect(rows.get('trans_record')?.length).toBe(300);
    });

    it('finds the WAL byte for byte; its frames parse as they do from the file, and with it sqlite3 sees the committed rows', () => {
      const walBytes = fileBytes(files.walPath);
      expect(image.wals).toHaveLength(1);
      const wal = image.wals[0];
      expect(wal).toMatchObject({ sizeInBytes: walBytes.length, pageSize: scenario.pageSize, frameCount: (walBytes.length - 32) / (24 + scenario.pageSize), checksumValid: true });
      expect(sameBytes(image, wal?.imageOffset ?? -1, walBytes)).toBe(true);
      expect(image.walFragments).toEqual([]);
      const carved = parseWal(image.source.read(wal?.imageOffset ?? 0, wal?.sizeInBytes ?? 0), 0, wal?.path ?? filePath('x'));
      const original = parseWal(walBytes, 0, filePath(files.walPath));
      if (carved.kind !== 'parsed' || original.kind !== 'parsed') throw new Error('WAL did not parse');
      expect(carved.value.frames.map((frame) => [frame.pageNumber, frame.label, frame.checksum])).toEqual(original.value.frames.map((frame) => [frame.pageNumber, frame.label, frame.checksum]));
      // Rebuild the pair from the image and let sqlite3 apply the WAL: the committed view matches the original's.
      const rebuilt = join(directory, 'rebuilt.db');
      const database = image.databases.find((candidate) => candidate.imageOffset === liveOffset);
      writeFileSync(rebuilt, image.source.read(liveOffset, database?.sizeInBytes ?? 0));
      writeFileSync(`${rebuilt}-wal`, image.source.read(wal?.imageOffset ?? 0, wal?.sizeInBytes ?? 0));
      expect(sortRows(oracleRows(rebuilt, 'trans_record', { withWal: true }))).toEqual(sortRows(oracleRows(files.livePath, 'trans_record', { withWal: true })));
    });

    it('names the carved database and the absolute image offset in every record, and the offsets hold the records', () => {
      const database = image.databases.find((candidate) => candidate.imageOffset === liveOffset);
      if (database === undefined) throw new Error('no live database');
      const live = readLiveDatabase(database.reader, database.header, database.path, database.name);
      const records = live.records.get('trans_record') ?? [];
      const record = records[records.length - 1];
      if (record === undefined) throw new Error('no record');
      expect(record.database).toBe(database.name);
      expect(record.imageOffset).toBe(toImageOffset(record.path, 0));
      expect(record.imageOffset).toBe(liveOffset + (record.pageNumber - 1) * scenario.pageSize + record.offsetInPage);
      const at = record.imageOffset ?? 0;
      expect(image.source.read(at, record.lengthInBytes)).toEqual(fileBytes(files.livePath).subarray(at - liveOffset, at - liveOffset + record.lengthInBytes));
      expect(records.every((item) => item.imageOffset !== undefined && item.imageOffset >= liveOffset && item.imageOffset < liveOffset + database.sizeInBytes)).toBe(true);
    });

    it('de-duplicates pages shared by the live database and the deleted copy: one record, two sightings', () => {
      const carved = image.records();
      const shared = carved.pages.filter((page) => page.sightings.length > 1);
      expect(shared.length).toBeGreaterThan(0);
      for (const page of shared.filter((candidate) => candidate.sightings.filter((sighting) => sighting.carrier === 'database').length > 1)) {
        expect(new Set(page.sightings.filter((sighting) => sighting.carrier === 'database').map((sighting) => sighting.database))).toEqual(new Set([image.databases.find((d) => d.imageOffset === oldOffset)?.name, image.databases.find((d) => d.imageOffset === liveOffset)?.name]));
        for (const sighting of page.sightings.filter((candidate) => candidate.carrier === 'database')) {
          const base = image.databases.find((database) => database.name === sighting.database)?.imageOffset ?? -1;
          expect(sighting.imageOffset).toBe(base + ((sighting.pageNumber ?? 1) - 1) * scenario.pageSize);
        }
      }
      // Every live row of each database is there once; rows of shared pages are not repeated.
      const liveCount = [...liveRows(image, liveOffset).values()].reduce((sum, rows) => sum + rows.length, 0);
      const oldCount = [...liveRows(image, oldOffset).values()].reduce((sum, rows) => sum + rows.length, 0);
      const duplicated = shared.reduce((sum, page) => sum + page.recordIndexes.length * (page.sightings.filter((sighting) => sighting.carrier === 'database').length - 1), 0);
      // A WAL frame holding a page equal to a database page is a sighting of it too (never decoded here).
      for (const page of shared) for (const sighting of page.sightings) expect(['database', 'wal-frame']).toContain(sighting.carrier);
      expect(carved.records.length).toBe(liveCount + oldCount - duplicated);
      expect(duplicated).toBeGreaterThan(0);
    });

    it('hashes the image as sha256sum and md5sum do', () => {
      const sha256 = execFileSync('sha256sum', [imagePath], { encoding: 'utf8' }).split(' ')[0];
      const md5 = execFileSync('md5sum', [imagePath], { encoding: 'utf8' }).split(' ')[0];
      expect(image.hashes).toEqual({ sha256, md5, sizeInBytes: readFileSync(imagePath).length, complete: true, unreadable: [] });
      expect(image.changedDuringScan).toBe(false);
      expect(image.issues.filter((found) => found.severity === 'error')).toEqual([]);
    });

    it('reads the same image split into .001/.002/.003 segments as one, with the same results', async () => {
      const bytes = readFileSync(imagePath);
      const cuts = [0, 5 * 1024 * 1024 + 12_345, 5 * 1024 * 1024 + 12_346, bytes.length];
      for (let index = 0; index + 1 < cuts.length; index++) writeFileSync(join(directory, `split.${String(index + 1).padStart(3, '0')}`), bytes.subarray(cuts[index], cuts[index + 1]));
      const split = await carveImage(join(directory, 'split.002'), { pool: pool(1), progress: { quiet: true } });
      try {
        expect(split.fileSystemPaths).toHaveLength(3);
        expect(split.hashes?.sha256).toBe(image.hashes?.sha256);
        expect(split.databases.map((database) => [database.imageOffset, database.pageCount])).toEqual(image.databases.map((database) => [database.imageOffset, database.pageCount]));
        expect(split.wals.map((wal) => [wal.imageOffset, wal.sizeInBytes])).toEqual(image.wals.map((wal) => [wal.imageOffset, wal.sizeInBytes]));
        expect(split.records().records.length).toBe(image.records().records.length);
      } finally {
        split.close();
      }
    });
  });
}

afterAll(closePools);
