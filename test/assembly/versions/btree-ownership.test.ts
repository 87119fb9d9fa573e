/**
 * Page ownership on a database written by sqlite3 (page size 512, a table and an index deep
 * enough for interior pages), checked against the b-tree walks of recovery/database.ts.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPageReader } from '../../../src/formats/sqlite/page-reader.js';
import { parseDatabaseHeader } from '../../../src/formats/sqlite/parse-header.js';
import { filePath } from '../../../src/provenance/path.js';
import { planTablePages, readSchema } from '../../../src/recovery/database.js';
import { walkBtree } from '../../../src/formats/sqlite/btree.js';
import { BtreeOwnership, interiorChildren, ownersFromSchema } from '../../../src/assembly/versions/btree-ownership.js';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../../support/sqlite3.js';

describe.skipIf(!hasSqlite3())('BtreeOwnership', () => {
  let directory = '';
  let bytes = new Uint8Array();
  beforeAll(() => {
    directory = makeTempDir('exhume-ownership-');
    const database = join(directory, 'owned.db');
    runSqlite(
      database,
      `PRAGMA page_size=512;
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
CREATE INDEX t_v ON t(v);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<600) INSERT INTO t(v) SELECT printf('value number %d', x) FROM c;`,
    );
    bytes = new Uint8Array(readFileSync(database));
  });
  afterAll(() => removeDir(directory));

  function setup() {
    const reader = new MemoryPageReader(bytes, 512);
    const header = parseDatabaseHeader(bytes, 0, filePath('owned.db'));
    if (header.kind !== 'parsed') throw new Error('header');
    const schema = readSchema(reader, header.value, filePath('owned.db'), 'owned.db');
    const ownership = new BtreeOwnership(header.value.usableSize, ownersFromSchema(schema.entries));
    const visited = new Set<number>();
    for (const root of ownership.roots.keys()) ownership.addTree(reader, root, visited);
    return { reader, header: header.value, schema, ownership };
  }

  it('every page of every tree is owned by its table or index, as the b-tree walks say', () => {
    const { reader, header, schema, ownership } = setup();
    const plan = planTablePages(reader, header, schema, filePath('owned.db'));
    const t = plan.tables.find((table) => table.table.entry.name === 't');
    expect(t?.leaves.length).toBeGreaterThan(10);
    for (const leaf of t?.leaves ?? []) expect(ownership.ownerOf(leaf.pageNumber)?.name).toBe('t');
    for (const interior of t?.interiorPageNumbers ?? []) expect(ownership.ownerOf(interior)?.name).toBe('t');
    const index = schema.entries.find((entry) => entry.name === 't_v');
    const walk = walkBtree(reader, header.usableSize, index?.rootPageNumber ?? 0, filePath('owned.db'));
    expect(walk.leaves.length).toBeGreaterThan(1);
    for (const leaf of walk.leaves) expect(ownership.ownerOf(leaf.pageNumber)).toMatchObject({ name: 't_v', kind: 'index', tableName: 't' });
    expect(ownership.ownerOf(1)?.name).toBe('sqlite_schema');
    expect(ownership.ownerOf(reader.pageCount + 5)).toBeUndefined();
  });

  it('a rewritten interior page drops the children it no longer lists; a clone is independent', () => {
    const { reader, schema, ownership } = setup();
    const root = schema.entries.find((entry) => entry.name === 't')?.rootPageNumber ?? 0;
    const children = interiorChildren(reader.readPage(root) as Uint8Array, root, 512) ?? [];
    expect(children.length).toBeGreaterThan(1);
    const copy = ownership.clone();
    // The root now holds a leaf image: its former children (and their subtrees) have no owner.
    const dropped = ownership.applyPage(root, new Uint8Array(512).fill(0x0d, 0, 1));
    expect(dropped).toEqual(children);
    for (const child of children) expect(ownership.ownerOf(child)).toBeUndefined();
    expect(ownership.ownerOf(root)?.name).toBe('t');
    for (const child of children) expect(copy.ownerOf(child)?.name).toBe('t');
  });

  it('a schema without the table releases its whole tree', () => {
    const { schema, ownership } = setup();
    const released = ownership.setRoots(ownersFromSchema(schema.entries.filter((entry) => entry.name !== 't')));
    expect(released.size).toBeGreaterThan(10);
    expect([...released.values()].every((owner) => owner.name === 't')).toBe(true);
    for (const page of released.keys()) expect(ownership.ownerOf(page)).toBeUndefined();
  });

  it('loops in damaged interior pages never hang a climb or a subtree', () => {
    const ownership = new BtreeOwnership(512, new Map());
    // Page 2 lists page 3, page 3 lists page 2: a cycle with no root.
    const interior = (child: number): Uint8Array => {
      const page = new Uint8Array(512);
      page[0] = 0x05;
      page[3] = 0; // no cells
      page[4] = 0;
      page[8] = (child >>> 24) & 0xff;
      page[9] = (child >>> 16) & 0xff;
      page[10] = (child >>> 8) & 0xff;
      page[11] = child & 0xff;
      page[5] = 0x02; // content start 0x0200
      return page;
    };
    ownership.applyPage(2, interior(3));
    ownership.applyPage(3, interior(2));
    expect(ownership.ownerOf(2)).toBeUndefined();
    expect(ownership.subtree(2).sort()).toEqual([2, 3]);
  });
});
