import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pagePath } from '../../../src/formats/sqlite/btree.js';
import { lockBytePageNumber, pointerMapPageNumbers, walkFreelist } from '../../../src/formats/sqlite/freelist.js';
import { MemoryPageReader } from '../../../src/formats/sqlite/page-reader.js';
import type { PageReader } from '../../../src/formats/sqlite/page-reader.js';
import { parseDatabaseHeader } from '../../../src/formats/sqlite/parse-header.js';
import { filePath, renderPath } from '../../../src/provenance/path.js';
import { databaseImage, firstPage, freelistTrunkPage } from '../../../samples/lib/sqlite-bytes.js';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../../support/sqlite3.js';

const databasePath = filePath('pos.db');
const page = (pageNumber: number) => pagePath(databasePath, pageNumber, 512);
const blank = () => new Uint8Array(512);

function memory(pages: readonly Uint8Array[]): MemoryPageReader {
  return new MemoryPageReader(databaseImage(pages), 512);
}

const first = firstPage({ databaseSizeInPages: 6 }, { type: 0x0d });

describe('walkFreelist', () => {
  it('follows the trunk chain and lists every leaf', () => {
    // Trunk 2 → leaves 3, 4, next trunk 5 → leaf 6.
    const reader = memory([first, freelistTrunkPage(5, [3, 4]), blank(), blank(), freelistTrunkPage(0, [6]), blank()]);
    expect(walkFreelist(reader, 512, 2, 5, databasePath)).toEqual({ trunkPageNumbers: [2, 5], leafPageNumbers: [3, 4, 6], issues: [] });
  });

  it('returns nothing for an empty freelist that the header agrees with', () => {
    expect(walkFreelist(memory([first]), 512, 0, 0, databasePath)).toEqual({ trunkPageNumbers: [], leafPageNumbers: [], issues: [] });
  });

  it('reports sqlite.freelist.count-mismatch against the header count', () => {
    expect(walkFreelist(memory([first]), 512, 0, 3, databasePath).issues).toEqual([
      { code: 'sqlite.freelist.count-mismatch', severity: 'warning', message: 'Freelist holds 0 pages (0 trunk, 0 leaf); the header at 0x00000024 says 3', path: databasePath, offsetInLeaf: 36, details: { value: 3 } },
    ]);
    const reader = memory([first, freelistTrunkPage(0, [3]), blank()]);
    expect(walkFreelist(reader, 512, 2, 7, databasePath).issues.map((problem) => problem.message)).toEqual(['Freelist holds 2 pages (1 trunk, 1 leaf); the header at 0x00000024 says 7']);
  });

  it('stops a cyclic trunk chain with sqlite.freelist.loop', () => {
    const reader = memory([first, freelistTrunkPage(3, [4]), freelistTrunkPage(2, [5]), blank(), blank()]);
    const walk = walkFreelist(reader, 512, 2, 4, databasePath);
    expect(walk).toMatchObject({ trunkPageNumbers: [2, 3], leafPageNumbers: [4, 5] });
    expect(walk.issues).toEqual([{ code: 'sqlite.freelist.loop', severity: 'warning', message: 'Freelist trunk chain loops back to page 2', path: page(3), offsetInLeaf: 0, details: { value: 2 } }]);
    // A trunk naming itself as the next trunk.
    const self = walkFreelist(memory([first, freelistTrunkPage(2, [])]), 512, 2, 1, databasePath);
    expect(self.issues).toEqual([{ code: 'sqlite.freelist.loop', severity: 'warning', message: 'Freelist trunk chain loops back to page 2', path: page(2), offsetInLeaf: 0, details: { value: 2 } }]);
    // A trunk naming one of the leaves already listed.
    const intoLeaf = walkFreelist(memory([first, freelistTrunkPage(3, [3]), blank()]), 512, 2, 2, databasePath);
    expect(intoLeaf.issues.map((problem) => problem.message)).toEqual(['Freelist trunk chain loops back to page 3']);
  });

  it('reports sqlite.freelist.page-out-of-range for a first trunk, a next trunk and leaves past the end', () => {
    expect(walkFreelist(memory([first, blank()]), 512, 99, 1, databasePath).issues).toEqual([
      { code: 'sqlite.freelist.page-out-of-range', severity: 'warning', message: 'Freelist trunk page 99 (at 0x00000020) is outside the 2 pages present', path: databasePath, offsetInLeaf: 32, details: { value: 99 } },
      { code: 'sqlite.freelist.count-mismatch', severity: 'warning', message: 'Freelist holds 0 pages (0 trunk, 0 leaf); the header at 0x00000024 says 1', path: databasePath, offsetInLeaf: 36, details: { value: 1 } },
    ]);
    const next = walkFreelist(memory([first, freelistTrunkPage(0xffffffff, [])]), 512, 2, 1, databasePath);
    expect(next.issues).toEqual([
      { code: 'sqlite.freelist.page-out-of-range', severity: 'warning', message: 'Freelist trunk page 4294967295 (at 0x00000000) is outside the 2 pages present', path: page(2), offsetInLeaf: 0, details: { value: 4_294_967_295 } },
    ]);
    const leaves = walkFreelist(memory([first, freelistTrunkPage(0, [3, 99, 0, 3, 2]), blank()]), 512, 2, 2, databasePath);
    expect(leaves.leafPageNumbers).toEqual([3]);
    expect(leaves.issues.map((problem) => [problem.code, problem.message, renderPath(problem.path), problem.offsetInLeaf])).toEqual([
      ['sqlite.freelist.page-out-of-range', 'Freelist trunk page 2: leaf 1 = page 99 is outside the pages present or listed twice', 'file:pos.db > sqlite-page#2', 12],
      ['sqlite.freelist.page-out-of-range', 'Freelist trunk page 2: leaf 2 = page 0 is outside the pages present or listed twice', 'file:pos.db > sqlite-page#2', 16],
      ['sqlite.freelist.page-out-of-range', 'Freelist trunk page 2: leaf 3 = page 3 is outside the pages present or listed twice', 'file:pos.db > sqlite-page#2', 20],
      ['sqlite.freelist.page-out-of-range', 'Freelist trunk page 2: leaf 4 = page 2 is outside the pages present or listed twice', 'file:pos.db > sqlite-page#2', 24],
    ]);
  });

  it('reports a trunk page too short to hold its header', () => {
    const short: PageReader = { pageSize: 512, pageCount: 3, readPage: (pageNumber) => (pageNumber === 3 ? new Uint8Array(7) : freelistTrunkPage(3, [])) };
    expect(walkFreelist(short, 512, 2, 2, databasePath).issues).toEqual([
      { code: 'sqlite.freelist.truncated', severity: 'warning', message: 'Freelist trunk page 3 is truncated', path: page(3), offsetInLeaf: 0, details: { value: 3 } },
    ]);
  });

  it('clamps an absurd leaf count to U/4 − 2 with sqlite.freelist.leaf-count-invalid', () => {
    const leaves = Array.from({ length: 126 }, (_, index) => index + 3);
    const pages = [first, freelistTrunkPage(0, leaves, 512, 0xffffffff), ...leaves.map(() => blank())];
    const walk = walkFreelist(memory(pages), 512, 2, 127, databasePath);
    expect(walk.leafPageNumbers).toEqual(leaves);
    expect(walk.issues).toEqual([
      { code: 'sqlite.freelist.leaf-count-invalid', severity: 'warning', message: 'Freelist trunk page 2: leaf count 4294967295 exceeds 126; clamped', path: page(2), offsetInLeaf: 4, details: { value: 4_294_967_295 } },
    ]);
    // U/4 − 2 itself is accepted (here every listed leaf is page 0); with reserved bytes the bound follows the usable size.
    expect(walkFreelist(memory([first, freelistTrunkPage(0, [], 512, 126)]), 512, 2, 1, databasePath).issues.map((problem) => problem.code)).toEqual(
      Array.from({ length: 126 }, () => 'sqlite.freelist.page-out-of-range'),
    );
    expect(walkFreelist(memory([first, freelistTrunkPage(0, [], 512, 119)]), 480, 2, 1, databasePath).issues[0]?.message).toBe('Freelist trunk page 2: leaf count 119 exceeds 118; clamped');
  });

  it('never throws and always terminates over mutated trunk pages', () => {
    const base = [first, freelistTrunkPage(4, [3]), blank(), freelistTrunkPage(0, [5, 6]), blank(), blank()];
    const image = databaseImage(base);
    const failures: string[] = [];
    const started = performance.now();
    for (const trunk of [2, 4]) {
      for (let offset = 0; offset < 24; offset++) {
        for (const value of [0x00, 0xff, 0x02, 0x04]) {
          const mutated = image.slice();
          mutated[(trunk - 1) * 512 + offset] = value;
          const walk = walkFreelist(new MemoryPageReader(mutated, 512), 512, 2, 5, databasePath);
          const all = [...walk.trunkPageNumbers, ...walk.leafPageNumbers];
          if (new Set(all).size !== all.length) failures.push(`trunk ${trunk} offset ${offset} → ${value}: a page listed twice`);
          if (all.some((pageNumber) => pageNumber < 1 || pageNumber > 6)) failures.push(`trunk ${trunk} offset ${offset} → ${value}: page out of range`);
        }
      }
    }
    for (let length = 0; length <= image.length; length += 64) walkFreelist(new MemoryPageReader(image.subarray(0, length), 512), 512, 2, 5, databasePath);
    expect(failures).toEqual([]);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('pointer-map and lock-byte pages', () => {
  it('places pointer-map pages at page 2 and every U/5 + 1 pages after', () => {
    expect(pointerMapPageNumbers(512, 1)).toEqual([]);
    expect(pointerMapPageNumbers(512, 2)).toEqual([2]);
    expect(pointerMapPageNumbers(512, 300)).toEqual([2, 105, 208]);
    expect(pointerMapPageNumbers(4096, 1000)).toEqual([2, 822]);
    expect(pointerMapPageNumbers(480, 100)).toEqual([2, 99]);
  });

  it('finds the lock-byte page holding file offset 0x40000000', () => {
    expect(lockBytePageNumber(512)).toBe(2_097_153);
    expect(lockBytePageNumber(4096)).toBe(262_145);
    expect(lockBytePageNumber(65_536)).toBe(16_385);
  });
});

describe.skipIf(!hasSqlite3())('on databases written by sqlite3', () => {
  const directory = makeTempDir();
  afterAll(() => removeDir(directory));

  it('walks the freelist left by a large DELETE and agrees with PRAGMA freelist_count', () => {
    const location = join(directory, 'free.db');
    runSqlite(
      location,
      `PRAGMA page_size=512; CREATE TABLE t(id INTEGER PRIMARY KEY, memo TEXT);
       WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<6000) INSERT INTO t SELECT x, printf('settled %06d', x) FROM c;
       DELETE FROM t WHERE id > 100;`,
    );
    const file = readFileSync(location);
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
    const header = parseDatabaseHeader(bytes, 0, databasePath);
    if (header.kind !== 'parsed') throw new Error('header');
    const count = Number(execFileSync('sqlite3', [`file:${location}?immutable=1`, 'PRAGMA freelist_count;'], { encoding: 'utf8' }).trim());
    expect(header.value.freelistPageCount).toBe(count);
    expect(count).toBeGreaterThan(126);
    const walk = walkFreelist(new MemoryPageReader(bytes, 512), 512, header.value.firstFreelistTrunkPage, header.value.freelistPageCount, databasePath);
    expect(walk.issues).toEqual([]);
    expect(walk.trunkPageNumbers.length + walk.leafPageNumbers.length).toBe(count);
    expect(walk.trunkPageNumbers.length).toBeGreaterThan(1);
  });

  it('finds pointer-map pages where an auto-vacuum database keeps them', () => {
    const location = join(directory, 'vacuum.db');
    runSqlite(
      location,
      `PRAGMA page_size=512; PRAGMA auto_vacuum=FULL; CREATE TABLE t(id INTEGER PRIMARY KEY, memo TEXT);
       WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<3000) INSERT INTO t SELECT x, printf('row %06d', x) FROM c;`,
    );
    const file = readFileSync(location);
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
    const pageCount = bytes.length / 512;
    const pointerMaps = pointerMapPageNumbers(512, pageCount);
    expect(pointerMaps.length).toBeGreaterThan(1);
    for (const pageNumber of pointerMaps) {
      const pointerMap = bytes.subarray((pageNumber - 1) * 512, pageNumber * 512);
      // Every 5-byte entry starts with a type 1–5 (0 where the page it covers does not exist yet).
      for (let entry = 0; entry + 5 <= 510; entry += 5) expect(pointerMap[entry]).toBeLessThanOrEqual(5);
      // Entries for existing pages are never type 0.
      expect(pointerMap[0]).toBeGreaterThanOrEqual(1);
    }
  });
});
