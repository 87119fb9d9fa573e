/**
 * Folders of images: every file below a folder is carved as an image, a split image once (from
 * its first segment), an empty file as an empty image; one pool serves them all.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closePools, pool } from '../../support/pools.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carveInputs } from '../../../src/assembly/carve/carve-image.js';
import { noise } from '../../support/bytes.js';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../../support/sqlite3.js';

let directory = '';

beforeAll(() => {
  directory = makeTempDir('exhume-carve-inputs-');
  if (!hasSqlite3()) return;
  const databasePath = join(directory, 'source.db');
  runSqlite(databasePath, `PRAGMA page_size=512; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'), ('b'), ('c');`);
  const database = new Uint8Array(readFileSync(databasePath));
  const images = join(directory, 'images');
  mkdirSync(join(images, 'nested'), { recursive: true });
  const image = noise(256 * 1024, 0x17);
  image.set(database, 512 * 77);
  writeFileSync(join(images, 'card.bin'), image);
  // The same bytes split in three, the middle segment one byte long.
  writeFileSync(join(images, 'nested', 'emmc.001'), image.subarray(0, 512 * 77 + 100));
  writeFileSync(join(images, 'nested', 'emmc.002'), image.subarray(512 * 77 + 100, 512 * 77 + 101));
  writeFileSync(join(images, 'nested', 'emmc.003'), image.subarray(512 * 77 + 101));
  writeFileSync(join(images, 'nested', 'empty.img'), new Uint8Array(0));
});

afterAll(async () => {
  removeDir(directory);
  await closePools();
});

describe.skipIf(!hasSqlite3())('carveInputs', () => {
  it('carves every image below a folder, a split image once, an empty file as an empty image', async () => {
    const carved = await carveInputs([join(directory, 'images')], { pool: pool(1), progress: { quiet: true } });
    try {
      expect(carved.map((image) => [image.location.slice(directory.length + 1), image.sizeInBytes, image.fileSystemPaths.length])).toEqual([
        ['images/card.bin', 256 * 1024, 1],
        ['images/nested/emmc.001', 256 * 1024, 3],
        ['images/nested/empty.img', 0, 1],
      ]);
      expect(carved.map((image) => image.databases.map((database) => database.imageOffset))).toEqual([[512 * 77], [512 * 77], []]);
      expect(carved[1]?.hashes?.sha256).toBe(carved[0]?.hashes?.sha256);
      expect(carved[1]?.records().records.map((item) => item.record.values)).toEqual(carved[0]?.records().records.map((item) => item.record.values));
      expect(carved[2]?.records().records).toEqual([]);
    } finally {
      for (const image of carved) image.close();
    }
  });
});
