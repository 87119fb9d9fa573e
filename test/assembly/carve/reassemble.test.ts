/**
 * Header-less databases (reassemble.ts) beyond the file-system fixtures of fragments.test.ts: two
 * versions of one ledger, both with page 1 lost, whose interior pages name pages with fitting rowids
 * in each other (the older copy's unchanged leaves); and links too vague to vote.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carveImage } from '../../../src/assembly/carve/carve-image.js';
import { reassembleOrphans, reassemblyLimits } from '../../../src/assembly/carve/reassemble.js';
import { filePath } from '../../../src/provenance/path.js';
import type { BtreePageHit } from '../../../src/scanning/hits.js';
import { MemorySource } from '../../../src/sources/byte-source.js';
import { concat, noise, u16be, u32be } from '../../support/bytes.js';
import { asOracleRows, sortRows } from '../../support/read-database.js';
import { hasSqlite3, makeTempDir, oracleRows, removeDir, runSqlite } from '../../support/sqlite3.js';

const MiB = 1024 * 1024;
let directory = '';

beforeAll(() => {
  directory = makeTempDir('exhume-reassemble-');
});

afterAll(() => removeDir(directory));

describe.skipIf(!hasSqlite3())('two header-less versions of one ledger in one image', () => {
  const pageSize = 1024;
  let olderPath: string;
  let newerPath: string;
  let imagePath: string;
  const offsets = { older: 1 * MiB + 3 * 512, newer: 4 * MiB + 5 * 512 };
  let sizes: { older: number; newer: number };

  beforeAll(() => {
    olderPath = join(directory, 'older.db');
    newerPath = join(directory, 'newer.db');
    runSqlite(
      olderPath,
      `PRAGMA page_size=${pageSize};
CREATE TABLE trans_record (id INTEGER PRIMARY KEY, trace_no TEXT, amount INTEGER, memo TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<1500)
INSERT INTO trans_record SELECT x, printf('%06d', x), (x*7919)%500000, printf('memo %d', x) FROM c;`,
    );
    copyFileSync(olderPath, newerPath);
    runSqlite(
      newerPath,
      `PRAGMA secure_delete=OFF;
WITH RECURSIVE c(x) AS (SELECT 1501 UNION ALL SELECT x+1 FROM c WHERE x<1800)
INSERT INTO trans_record SELECT x, printf('%06d', x), (x*7919)%500000, printf('memo %d', x) FROM c;
UPDATE trans_record SET amount = amount + 1 WHERE id BETWEEN 700 AND 760;`,
    );
    const image = noise(6 * MiB, 21);
    const older = new Uint8Array(readFileSync(olderPath));
    const newer = new Uint8Array(readFileSync(newerPath));
    older.fill(0, 0, pageSize);
    newer.fill(0, 0, pageSize);
    image.set(older, offsets.older);
    image.set(newer, offsets.newer);
    sizes = { older: older.length, newer: newer.length };
    imagePath = join(directory, 'two-versions.img');
    writeFileSync(imagePath, image);
  });

  it('makes two databases, each of its own pages with its own rows (pages both hold are sighted in both)', async () => {
    const carved = await carveImage(imagePath, { windowSizeInBytes: MiB, progress: { quiet: true } });
    try {
      expect(carved.headerlessDatabases.map((database) => [database.imageOffset, database.fragments.length]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([
        [offsets.older, 1],
        [offsets.newer, 1],
      ]);
      for (const [version, path, start, size] of [
        ['older', olderPath, offsets.older, sizes.older],
        ['newer', newerPath, offsets.newer, sizes.newer],
      ] as const) {
        const database = carved.headerlessDatabases.find((candidate) => candidate.imageOffset === start);
        expect(database?.pages.every((page) => page.hit.imageOffset >= start && page.hit.imageOffset < start + size), version).toBe(true);
        expect(database?.pages.every((page) => page.hit.imageOffset === start + (page.pageNumber - 1) * pageSize), version).toBe(true);
        const rows = carved
          .records()
          .records.filter((item) => item.page.sightings.some((sighting) => sighting.database === database?.name))
          .map((item) => item.record);
        const expected = oracleRows(path, 'trans_record').map((row) => ({ ...row, values: [{ text: null, type: 'null' as const }, ...row.values.slice(1)] }));
        expect(sortRows(asOracleRows(rows, false)), version).toEqual(sortRows(expected));
      }
    } finally {
      carved.close();
    }
  });
});

describe.skipIf(!hasSqlite3())('two header-less versions of one ledger, each stored in two pieces', () => {
  // Each version's first piece (pages 2–8) and second piece (9–end) far apart: the interior pages of
  // either version name pages of both (their unchanged leaves), so pieces of the two versions could
  // pair up wrongly. A pairing the links cannot decide is not made.
  const pageSize = 1024;
  let olderPath: string;
  let newerPath: string;
  let imagePath: string;
  // The newer version's first piece lies before the older's, its second piece after: no order of the image pairs them.
  const places = { newerFirst: 1 * MiB + 3 * 512, olderFirst: 1 * MiB + 64 * 1024 + 5 * 512, olderSecond: 3 * MiB + 7 * 512, newerSecond: 5 * MiB + 9 * 512 };

  beforeAll(() => {
    olderPath = join(directory, 'pieces-older.db');
    newerPath = join(directory, 'pieces-newer.db');
    runSqlite(
      olderPath,
      `PRAGMA page_size=${pageSize};
CREATE TABLE trans_record (id INTEGER PRIMARY KEY, trace_no TEXT, amount INTEGER, memo TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<1500)
INSERT INTO trans_record SELECT x, printf('%06d', x), (x*7919)%500000, printf('memo %d', x) FROM c;`,
    );
    copyFileSync(olderPath, newerPath);
    runSqlite(newerPath, `PRAGMA secure_delete=OFF;
UPDATE trans_record SET amount = amount + 1 WHERE id BETWEEN 700 AND 760 OR id = 5;`);
    const image = noise(7 * MiB, 23);
    for (const [path, first, second] of [
      [olderPath, places.olderFirst, places.olderSecond],
      [newerPath, places.newerFirst, places.newerSecond],
    ] as const) {
      const bytes = new Uint8Array(readFileSync(path));
      image.set(bytes.subarray(pageSize, 8 * pageSize), first + pageSize);
      image.set(bytes.subarray(8 * pageSize), second);
    }
    imagePath = join(directory, 'two-versions-in-pieces.img');
    writeFileSync(imagePath, image);
  });

  it('pairs no piece of one version with a piece of the other: every database page is where its version put it', async () => {
    const carved = await carveImage(imagePath, { windowSizeInBytes: MiB, progress: { quiet: true } });
    try {
      const older = new Uint8Array(readFileSync(olderPath));
      const newer = new Uint8Array(readFileSync(newerPath));
      // Each piece alone, at its own place, with its own page numbers (2–8 or 9–end): nothing paired.
      expect(carved.headerlessDatabases.map((database) => database.fragments.map((run) => [run.firstPageNumber, run.imageOffset])).sort((a, b) => (a[0]?.[1] as number) - (b[0]?.[1] as number))).toEqual([
        [[2, places.newerFirst + pageSize]],
        [[2, places.olderFirst + pageSize]],
        [[9, places.olderSecond]],
        [[9, places.newerSecond]],
      ]);
      for (const database of carved.headerlessDatabases) {
        // All of one version: each page's bytes equal that version's page of the same number.
        const fits = (version: Uint8Array): boolean =>
          database.pages.every((page) => Buffer.from(carved.source.read(page.hit.imageOffset, pageSize)).equals(Buffer.from(version.subarray((page.pageNumber - 1) * pageSize, page.pageNumber * pageSize))));
        expect(fits(older) || fits(newer), database.name).toBe(true);
      }
    } finally {
      carved.close();
    }
  });
});

describe('links too vague to vote', () => {
  const pageSize = 512;

  /** A table leaf with one cell (rowid, a one-byte integer record). */
  function leaf(rowid: number): Uint8Array {
    const page = new Uint8Array(pageSize);
    const cellOffset = pageSize - 8;
    page.set([0x0d, 0, 0, 0, 1, (cellOffset >> 8) & 0xff, cellOffset & 0xff, 0], 0);
    page.set(u16be(cellOffset), 8);
    page.set([3, rowid, 2, 1, 7], cellOffset);
    return page;
  }

  /** A table interior page naming `children`, with keys `keys` (one fewer than children: the last is the right child). */
  function interior(children: readonly number[], keys: readonly number[]): Uint8Array {
    const page = new Uint8Array(pageSize);
    const cells = keys.map((key, index) => concat(u32be(children[index] as number), new Uint8Array([key])));
    let contentStart = pageSize;
    const pointers: number[] = [];
    for (const cell of cells) {
      contentStart -= cell.length;
      page.set(cell, contentStart);
      pointers.push(contentStart);
    }
    page.set([0x05, 0, 0], 0);
    page.set(u16be(cells.length), 3);
    page.set(u16be(contentStart), 5);
    page.set(u32be(children[children.length - 1] as number), 8);
    pointers.forEach((pointer, index) => page.set(u16be(pointer), 12 + index * 2));
    return page;
  }

  it(`gives no grid when more than ${reassemblyLimits.maximumCandidatesPerLink} pages fit every link, and returns at once`, () => {
    // One interior page naming pages 2..4 with keys 10, 20; forty leaves holding rowid 5 fit its first child's (−∞, 10].
    const parts = [interior([2, 3, 4], [10, 20]), ...Array.from({ length: 40 }, () => leaf(5))];
    const bytes = concat(...parts);
    const hits: BtreePageHit[] = parts.map((part, index) => ({ kind: 'btree-page', imageOffset: index * pageSize, pageType: part[0] as number, pageSize, cellCount: index === 0 ? 2 : 1, emptied: false }));
    const started = Date.now();
    const result = reassembleOrphans(hits, new MemorySource('vague.img', bytes), filePath('vague.img'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.databases).toEqual([]);
    expect(result.remaining).toHaveLength(hits.length);
  });

  it('finds the grid when each child is where its rowids say (the same builder, links precise)', () => {
    const parts = [interior([3, 4, 5], [10, 20]), leaf(5), leaf(15), leaf(25)];
    const bytes = concat(noise(3 * pageSize, 5), ...parts);
    const hits: BtreePageHit[] = parts.map((part, index) => ({ kind: 'btree-page', imageOffset: (3 + index) * pageSize, pageType: part[0] as number, pageSize, cellCount: index === 0 ? 2 : 1, emptied: false }));
    const result = reassembleOrphans(hits, new MemorySource('precise.img', bytes), filePath('precise.img'));
    expect(result.databases.map((database) => [database.imageOffset, database.pages.map((page) => page.pageNumber), database.rootPageNumbers])).toEqual([[2 * pageSize, [2, 3, 4, 5], [2]]]);
  });
});
