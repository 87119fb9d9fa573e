import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { headerOffsetOf, pagePath, readOverflowPayload, walkBtree } from '../../../src/formats/sqlite/btree.js';
import { MemoryPageReader } from '../../../src/formats/sqlite/page-reader.js';
import type { PageReader } from '../../../src/formats/sqlite/page-reader.js';
import { filePath, renderPath } from '../../../src/provenance/path.js';
import {
  btreePage,
  btreePageWithOffsets,
  databaseImage,
  firstPage,
  indexInteriorCell,
  indexLeafCell,
  localSize,
  overflowPage,
  record,
  schemaRow,
  tableInteriorCell,
  tableLeafCell,
} from '../../../samples/lib/sqlite-bytes.js';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../../support/sqlite3.js';

const databasePath = filePath('pos.db');
const page = (pageNumber: number) => pagePath(databasePath, pageNumber, 512);

function memory(pages: readonly Uint8Array[]): MemoryPageReader {
  return new MemoryPageReader(databaseImage(pages), 512);
}

const schemaPage = firstPage({ databaseSizeInPages: 5 }, { type: 0x0d, cells: [tableLeafCell(1, schemaRow('table', 't', 2, 'CREATE TABLE t(a)'))] });
const leaf = (rowid: number) => btreePage({ type: 0x0d, cells: [tableLeafCell(rowid, record([`row ${rowid}`]))] });

/** Page 2 = interior with children 3 and 4 (cells) and 5 (right child). */
function twoLevelTree(): Uint8Array[] {
  return [schemaPage, btreePage({ type: 0x05, cells: [tableInteriorCell(3, 10), tableInteriorCell(4, 20)], rightChild: 5 }), leaf(1), leaf(11), leaf(21)];
}

describe('walkBtree', () => {
  it('walks a two-level table b-tree: leaves in key order, the interior page, no issues', () => {
    expect(walkBtree(memory(twoLevelTree()), 512, 2, databasePath)).toEqual({
      leaves: [
        { pageNumber: 3, type: 0x0d },
        { pageNumber: 4, type: 0x0d },
        { pageNumber: 5, type: 0x0d },
      ],
      interiorPageNumbers: [2],
      indexInteriorCells: [],
      issues: [],
    });
  });

  it('walks the schema root on page 1 (header at offset 100)', () => {
    expect(headerOffsetOf(1)).toBe(100);
    expect(headerOffsetOf(2)).toBe(0);
    expect(walkBtree(memory(twoLevelTree()), 512, 1, databasePath)).toEqual({ leaves: [{ pageNumber: 1, type: 0x0d }], interiorPageNumbers: [], indexInteriorCells: [], issues: [] });
  });

  it('lists index-interior cells (they carry keys) and index leaves', () => {
    const interior = btreePageWithOffsets({ type: 0x02, cells: [indexInteriorCell(3, record(['m', 5]))], rightChild: 4 });
    const pages = [schemaPage, interior.bytes, btreePage({ type: 0x0a, cells: [indexLeafCell(record(['a', 1]))] }), btreePage({ type: 0x0a, cells: [indexLeafCell(record(['z', 9]))] })];
    expect(walkBtree(memory(pages), 512, 2, databasePath)).toEqual({
      leaves: [
        { pageNumber: 3, type: 0x0a },
        { pageNumber: 4, type: 0x0a },
      ],
      interiorPageNumbers: [2],
      indexInteriorCells: [{ pageNumber: 2, offsetInPage: interior.cellOffsets[0] }],
      issues: [],
    });
  });

  it('reports sqlite.btree.loop for a child pointing to its own page, and terminates', () => {
    const self = btreePageWithOffsets({ type: 0x05, cells: [tableInteriorCell(2, 10)], rightChild: 3 });
    const walk = walkBtree(memory([schemaPage, self.bytes, leaf(1)]), 512, 2, databasePath);
    expect(walk.leaves).toEqual([{ pageNumber: 3, type: 0x0d }]);
    expect(walk.issues).toEqual([
      {
        code: 'sqlite.btree.loop',
        severity: 'warning',
        message: `B-tree page 2 (referenced at 0x${(self.cellOffsets[0] ?? 0).toString(16).padStart(8, '0')}) was already visited in this tree: loop`,
        path: page(2),
        offsetInLeaf: self.cellOffsets[0],
        details: { value: 2 },
      },
    ]);
  });

  it('reports sqlite.btree.loop for a grandchild pointing back to the root (right-child pointer)', () => {
    const pages = [schemaPage, btreePage({ type: 0x05, cells: [tableInteriorCell(3, 10)], rightChild: 4 }), btreePage({ type: 0x05, cells: [tableInteriorCell(4, 5)], rightChild: 2 }), leaf(1)];
    const walk = walkBtree(memory(pages), 512, 2, databasePath);
    expect(walk.interiorPageNumbers).toEqual([2, 3]);
    expect(walk.leaves).toEqual([{ pageNumber: 4, type: 0x0d }]);
    expect(walk.issues.map((problem) => [problem.code, problem.message, renderPath(problem.path), problem.offsetInLeaf])).toEqual([
      ['sqlite.btree.loop', 'B-tree page 2 (referenced at 0x00000008) was already visited in this tree: loop', 'file:pos.db > sqlite-page#3', 8],
      ['sqlite.btree.loop', 'B-tree page 4 (referenced at 0x00000008) was already visited in this tree: loop', 'file:pos.db > sqlite-page#2', 8],
    ]);
  });

  it('reports a page claimed by a second tree when the visited set is shared', () => {
    const reader = memory(twoLevelTree());
    const visited = new Set<number>();
    expect(walkBtree(reader, 512, 2, databasePath, visited).issues).toEqual([]);
    expect(walkBtree(reader, 512, 4, databasePath, visited)).toMatchObject({
      leaves: [],
      issues: [{ code: 'sqlite.btree.page-shared', message: 'B-tree page 4 (referenced at 0x00000000) already belongs to another b-tree', path: databasePath, offsetInLeaf: 0 }],
    });
  });

  it('reports sqlite.btree.page-out-of-range for a child past the end, page 0 and a root past the end', () => {
    const interior = btreePageWithOffsets({ type: 0x05, cells: [tableInteriorCell(99, 10)], rightChild: 0 });
    const walk = walkBtree(memory([schemaPage, interior.bytes]), 512, 2, databasePath);
    const cell = interior.cellOffsets[0] ?? 0;
    expect(walk.issues).toEqual([
      {
        code: 'sqlite.btree.page-out-of-range',
        severity: 'warning',
        message: `B-tree child page 99 (referenced at 0x${cell.toString(16).padStart(8, '0')}) is outside the 2 pages present`,
        path: page(2),
        offsetInLeaf: cell,
        details: { value: 99 },
      },
      { code: 'sqlite.btree.page-out-of-range', severity: 'warning', message: 'B-tree child page 0 (referenced at 0x00000008) is outside the 2 pages present', path: page(2), offsetInLeaf: 8, details: { value: 0 } },
    ]);
    expect(walkBtree(memory([schemaPage]), 512, 7, databasePath)).toMatchObject({
      leaves: [],
      issues: [{ code: 'sqlite.btree.page-out-of-range', message: 'B-tree child page 7 (referenced at 0x00000000) is outside the 1 pages present', path: databasePath, offsetInLeaf: 0 }],
    });
    // A child number above 2^31 (u32 read) is out of range too, never a negative page.
    const huge = btreePage({ type: 0x05, rightChild: 0xffffffff });
    expect(walkBtree(memory([schemaPage, huge]), 512, 2, databasePath).issues.map((problem) => problem.message)).toEqual(['B-tree child page 4294967295 (referenced at 0x00000008) is outside the 2 pages present']);
  });

  it('reports sqlite.btree.too-deep for a chain of 25 interior pages, and stops', () => {
    // Page n (2 ≤ n ≤ 26) is an interior page whose only child is page n + 1; page 27 is a leaf.
    const pages = [schemaPage];
    for (let pageNumber = 2; pageNumber <= 26; pageNumber++) pages.push(btreePage({ type: 0x05, rightChild: pageNumber + 1 }));
    pages.push(leaf(1));
    const walk = walkBtree(memory(pages), 512, 2, databasePath);
    expect(walk.leaves).toEqual([]);
    expect(walk.interiorPageNumbers).toEqual(Array.from({ length: 21 }, (_, index) => index + 2));
    expect(walk.issues).toEqual([
      { code: 'sqlite.btree.too-deep', severity: 'warning', message: 'B-tree deeper than 20 levels at page 23', path: page(22), offsetInLeaf: 8, details: { value: 23 } },
    ]);
  });

  it('reports sqlite.btree.wrong-page-type for a non-b-tree page and for an index page in a table tree', () => {
    const pages = [schemaPage, btreePage({ type: 0x05, cells: [tableInteriorCell(3, 10)], rightChild: 4 }), new Uint8Array(512), btreePage({ type: 0x0a, cells: [indexLeafCell(record(['x']))] })];
    expect(walkBtree(memory(pages), 512, 2, databasePath).issues).toEqual([
      { code: 'sqlite.btree.wrong-page-type', severity: 'warning', message: 'Page 3: type byte 0x00 is not a b-tree page type', path: page(3), offsetInLeaf: 0, details: { value: 0 } },
      { code: 'sqlite.btree.wrong-page-type', severity: 'warning', message: 'Page 4: index page inside a table b-tree', path: page(4), offsetInLeaf: 0, details: { value: 0x0a } },
    ]);
    const indexRoot = [schemaPage, btreePage({ type: 0x02, cells: [indexInteriorCell(3, record(['m']))], rightChild: 3 }), leaf(1)];
    expect(walkBtree(memory(indexRoot), 512, 2, databasePath).issues.map((problem) => problem.message)).toEqual([
      'Page 3: table page inside an index b-tree',
      'B-tree page 3 (referenced at 0x00000008) was already visited in this tree: loop',
    ]);
  });

  it('reports sqlite.btree.page-unreadable when the reader returns nothing for a page it counts', () => {
    const base = memory(twoLevelTree());
    const holes: PageReader = { pageSize: 512, pageCount: 5, readPage: (pageNumber) => (pageNumber === 4 ? undefined : pageNumber === 5 ? new Uint8Array(0) : base.readPage(pageNumber)) };
    expect(walkBtree(holes, 512, 2, databasePath)).toMatchObject({
      leaves: [{ pageNumber: 3, type: 0x0d }],
      issues: [
        { code: 'sqlite.btree.page-unreadable', severity: 'warning', message: 'B-tree page 4 could not be read', path: page(4), offsetInLeaf: 0, details: { value: 4 } },
        { code: 'sqlite.btree.page-unreadable', severity: 'warning', message: 'B-tree page 5 could not be read', path: page(5), offsetInLeaf: 0, details: { value: 5 } },
      ],
    });
  });

  it('reports sqlite.btree.cell-unreadable for an interior cell cut by the page end', () => {
    const interior = btreePage({ type: 0x05, cells: [tableInteriorCell(3, 10)], cellPointers: [508], rightChild: 3 });
    expect(walkBtree(memory([schemaPage, interior, leaf(1)]), 512, 2, databasePath).issues).toEqual([
      { code: 'sqlite.btree.cell-unreadable', severity: 'warning', message: 'Interior page 2: cell at 0x000001fc cannot be read', path: page(2), offsetInLeaf: 508 },
    ]);
    const index = btreePage({ type: 0x02, cells: [indexInteriorCell(3, record(['m']))], cellPointers: [510], rightChild: 3 });
    expect(walkBtree(memory([schemaPage, index, btreePage({ type: 0x0a })]), 512, 2, databasePath).issues.map((problem) => problem.code)).toEqual(['sqlite.btree.cell-unreadable']);
  });

  it('passes page-header issues through with the page path, and stops at a malformed page', () => {
    const pages = [schemaPage, btreePage({ type: 0x05, cells: [tableInteriorCell(3, 10)], rightChild: 4, fragmentedBytes: 99 }), btreePage({ type: 0x0d, cellCountField: 300 }), leaf(1)];
    expect(walkBtree(memory(pages), 512, 2, databasePath)).toMatchObject({
      leaves: [{ pageNumber: 4 }],
      issues: [
        { code: 'sqlite.page.fragmented-bytes', path: page(2), offsetInLeaf: 7 },
        { code: 'sqlite.page.cell-count-invalid', path: page(3), offsetInLeaf: 3 },
      ],
    });
  });
});

describe('readOverflowPayload', () => {
  const payload = Uint8Array.from({ length: 1200 }, (_, index) => (index * 7) & 0xff);
  const local = payload.subarray(0, 92);
  // U = 512: each overflow page carries 508 bytes; 1200 − 92 = 1108 = 508 + 508 + 92.
  const chain = (next3: number, next4: number, next5: number): Uint8Array[] => [
    schemaPage,
    new Uint8Array(512),
    overflowPage(next3, payload.subarray(92, 600)),
    overflowPage(next4, payload.subarray(600, 1108)),
    overflowPage(next5, payload.subarray(1108)),
  ];

  it('reassembles the local part and the whole chain', () => {
    expect(readOverflowPayload(memory(chain(4, 5, 0)), 512, local, 1200, 3)).toEqual({ payload, complete: true, pageNumbers: [3, 4, 5], problem: undefined });
  });

  it('uses U − 4 payload bytes per page when pages have reserved bytes', () => {
    const reserved = [schemaPage, overflowPage(3, payload.subarray(10, 486)), overflowPage(0, payload.subarray(486, 600))];
    expect(readOverflowPayload(memory(reserved), 480, payload.subarray(0, 10), 600, 2)).toMatchObject({ complete: true, pageNumbers: [2, 3], payload: payload.subarray(0, 600) });
  });

  it('stops a cyclic chain with "loops", keeping what it read', () => {
    const cyclic = readOverflowPayload(memory(chain(4, 3, 0)), 512, local, 1200, 3);
    expect(cyclic).toEqual({ payload: payload.subarray(0, 1108), complete: false, pageNumbers: [3, 4], problem: 'overflow chain loops at page 3' });
    expect(readOverflowPayload(memory(chain(3, 0, 0)), 512, local, 1200, 3)).toMatchObject({ complete: false, pageNumbers: [3], problem: 'overflow chain loops at page 3' });
  });

  it('reports a chain that ends early, never a silently shortened value', () => {
    expect(readOverflowPayload(memory(chain(4, 0, 0)), 512, local, 1200, 3)).toEqual({
      payload: payload.subarray(0, 1108),
      complete: false,
      pageNumbers: [3, 4],
      problem: 'overflow chain ended after 2 pages with 92 bytes missing',
    });
    expect(readOverflowPayload(memory(chain(4, 5, 0)), 512, local, 1200, 0)).toMatchObject({ complete: false, pageNumbers: [], problem: 'overflow chain ended after 0 pages with 1108 bytes missing' });
  });

  it('reports an overflow page past the end', () => {
    expect(readOverflowPayload(memory(chain(4, 99, 0)), 512, local, 1200, 3)).toMatchObject({ complete: false, pageNumbers: [3, 4], problem: 'overflow page 99 is outside the 5 pages present' });
    expect(readOverflowPayload(memory(chain(4, 5, 0)), 512, local, 1200, 0xffffffff)).toMatchObject({ complete: false, pageNumbers: [], problem: 'overflow page 4294967295 is outside the 5 pages present' });
  });

  it('reports a truncated last page of the file', () => {
    const image = databaseImage(chain(4, 5, 0)).subarray(0, 4 * 512 + 50);
    const read = readOverflowPayload(new MemoryPageReader(image, 512), 512, local, 1200, 3);
    expect(read).toEqual({ payload: payload.subarray(0, 1108 + 46), complete: false, pageNumbers: [3, 4, 5], problem: 'overflow page 5 is truncated' });
  });

  it('does not allocate the declared size when the chain cannot hold it', () => {
    const started = performance.now();
    const read = readOverflowPayload(memory(chain(4, 5, 0)), 512, local, 0x7fffffff, 3);
    expect(read).toMatchObject({ complete: false, pageNumbers: [3, 4, 5] });
    // Every page of the chain is read whole (the last one's zero tail included): 92 + 3 × 508.
    expect(read.payload.length).toBe(1616);
    expect(read.payload.buffer.byteLength).toBeLessThanOrEqual(92 + 5 * 508);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('keeps only payloadSize bytes of a local part that is longer', () => {
    expect(readOverflowPayload(memory(chain(0, 0, 0)), 512, local, 50, 3)).toEqual({ payload: payload.subarray(0, 50), complete: true, pageNumbers: [], problem: undefined });
  });
});

describe.skipIf(!hasSqlite3())('on databases written by sqlite3', () => {
  const directory = makeTempDir();
  afterAll(() => removeDir(directory));

  function build(name: string, script: string): Uint8Array {
    const location = join(directory, name);
    runSqlite(location, `PRAGMA page_size=512;\n${script}`);
    const file = readFileSync(location);
    return new Uint8Array(file.buffer, file.byteOffset, file.byteLength).slice();
  }

  it('finds every page of a three-level table and index b-tree', () => {
    const bytes = build(
      'deep.db',
      `CREATE TABLE t(id INTEGER PRIMARY KEY, memo TEXT); CREATE INDEX ix ON t(memo);
       WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<3000) INSERT INTO t SELECT x, printf('memo %06d %s', x, hex(randomblob(8))) FROM c;`,
    );
    const reader = new MemoryPageReader(bytes, 512);
    const table = walkBtree(reader, 512, 2, databasePath);
    expect(table.issues).toEqual([]);
    expect(table.interiorPageNumbers.length).toBeGreaterThan(1);
    const index = walkBtree(reader, 512, 3, databasePath);
    expect(index.issues).toEqual([]);
    expect(index.indexInteriorCells.length).toBeGreaterThan(0);
    const owned = new Set([1, ...table.leaves.map((leafPage) => leafPage.pageNumber), ...table.interiorPageNumbers, ...index.leaves.map((leafPage) => leafPage.pageNumber), ...index.interiorPageNumbers]);
    expect(owned.size).toBe(reader.pageCount);

  });

  it('survives every 0x00/0xff mutation of an interior root and every truncation', () => {
    const bytes = build(
      'sweep.db',
      `CREATE TABLE t(id INTEGER PRIMARY KEY, memo TEXT);
       WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<400) INSERT INTO t SELECT x, printf('memo %06d', x) FROM c;`,
    );
    const reader = new MemoryPageReader(bytes, 512);
    expect(walkBtree(reader, 512, 2, databasePath)).toMatchObject({ interiorPageNumbers: [2], issues: [] });
    const started = performance.now();
    const failures: string[] = [];
    for (let offset = 0; offset < 512; offset++) {
      for (const value of [0x00, 0xff]) {
        const mutated = bytes.slice();
        mutated[512 + offset] = value;
        const walk = walkBtree(new MemoryPageReader(mutated, 512), 512, 2, databasePath);
        const seen = new Set<number>();
        for (const leafPage of walk.leaves) {
          if (seen.has(leafPage.pageNumber) || leafPage.pageNumber < 1 || leafPage.pageNumber > reader.pageCount) failures.push(`offset ${offset} → ${value}: leaf ${leafPage.pageNumber}`);
          seen.add(leafPage.pageNumber);
        }
      }
    }
    for (let length = 0; length <= bytes.length; length += 97) {
      const cut = new MemoryPageReader(bytes.subarray(0, length), 512);
      const walk = walkBtree(cut, 512, 2, databasePath);
      if (walk.leaves.some((leafPage) => leafPage.pageNumber > cut.pageCount)) failures.push(`cut at ${length}: leaf past the end`);
      if (length < 2 * 512 && walk.issues.length === 0) failures.push(`cut at ${length}: root damage not reported`);
    }
    expect(failures).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('reads a real overflow chain and reports it broken after the chain is cut', () => {
    const bytes = build('overflow.db', `CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB); INSERT INTO t VALUES (1, zeroblob(0)), (2, randomblob(2000));`);
    const reader = new MemoryPageReader(bytes, 512);
    const walk = walkBtree(reader, 512, 2, databasePath);
    expect(walk.leaves).toEqual([{ pageNumber: 2, type: 0x0d }]);
    const leafPage = reader.readPage(2) as Uint8Array;
    // The second cell (rowid 2) spills: find it through its pointer.
    const cellOffset = ((leafPage[10] as number) << 8) | (leafPage[11] as number);
    const payloadSize = 2000 + 4; // header: size, NULL, 2-byte blob type
    const local = localSize(payloadSize, 512, true);
    expect(local).toBe(39);
    const localStart = cellOffset + 2 + 1;
    const first = new DataView(leafPage.buffer, leafPage.byteOffset).getUint32(localStart + local);
    const read = readOverflowPayload(reader, 512, leafPage.subarray(localStart, localStart + local), payloadSize, first);
    expect(read.complete).toBe(true);
    expect(read.pageNumbers.length).toBe(Math.ceil((payloadSize - local) / 508));
    const cut = bytes.slice(0, (Math.max(...read.pageNumbers) - 1) * 512);
    expect(readOverflowPayload(new MemoryPageReader(cut, 512), 512, leafPage.subarray(localStart, localStart + local), payloadSize, first)).toMatchObject({ complete: false, problem: expect.stringMatching(/outside the \d+ pages present/) });
  });
});
