import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordState, RecordStatus } from '../../src/evidence/record.js';
import { pagePath } from '../../src/formats/sqlite/btree.js';
import { MemoryPageReader } from '../../src/formats/sqlite/page-reader.js';
import { parseBtreePage } from '../../src/formats/sqlite/parse-page.js';
import { parseCreateTable } from '../../src/formats/sqlite/schema.js';
import { filePath, renderPath } from '../../src/provenance/path.js';
import type { PageDecodeContext } from '../../src/recovery/decode-cells.js';
import { decodeCells } from '../../src/recovery/decode-cells.js';
import type { TableDecodeInfo } from '../../src/recovery/table-info.js';
import { tableDecodeInfo, unknownTable } from '../../src/recovery/table-info.js';
import { btreePageWithOffsets, databaseImage, firstPage, indexInteriorCell, indexLeafCell, localSize, overflowPage, record, tableLeafCell } from '../../samples/lib/sqlite-bytes.js';
import { concat, hex } from '../support/bytes.js';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../support/sqlite3.js';

const databasePath = filePath('pos.db');
const path2 = pagePath(databasePath, 2, 512);

function table(sql: string): TableDecodeInfo {
  const outcome = parseCreateTable(sql);
  if (!outcome.ok) throw new Error(outcome.problem);
  return tableDecodeInfo(outcome.schema);
}

const trans = table("CREATE TABLE trans(id INTEGER PRIMARY KEY, tid TEXT, amount INTEGER, rate REAL, memo TEXT DEFAULT 'none')");

function context(pages: readonly Uint8Array[], encoding: 1 | 2 | 3 = 1): PageDecodeContext {
  return { databaseName: 'pos.db', usableSize: 512, encoding, reader: new MemoryPageReader(databaseImage(pages), 512), state: RecordState.live, status: RecordStatus.live, foundBy: 'btree-walk' };
}

const schemaPage = firstPage({ databaseSizeInPages: 3 }, { type: 0x0d });
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const at = (offset: number): string => `0x${offset.toString(16).padStart(8, '0')}`;

describe('decodeCells', () => {
  it('decodes a table-leaf cell into an evidence record: rowid alias, REAL affinity, provenance, hash', () => {
    const cell = tableLeafCell(7, record([null, 'A1B2C3D4', 1250, 3, 'hello']));
    const leaf = btreePageWithOffsets({ type: 0x0d, cells: [cell] });
    const offset = leaf.cellOffsets[0] ?? 0;
    const { records, issues } = decodeCells(leaf.bytes, 2, path2, 'table-leaf', leaf.cellOffsets, trans, context([schemaPage, leaf.bytes]));
    expect(issues).toEqual([]);
    expect(records).toHaveLength(1);
    const decoded = records[0];
    expect(decoded).toMatchObject({
      dataType: 'sqlite:record',
      imageOffset: 512 + offset,
      lengthInBytes: cell.length,
      state: 'db-live',
      status: 'live',
      foundBy: 'btree-walk',
      confidence: { level: 'high', reasons: ['cell reached through the live b-tree'] },
      flags: [],
      rawSha256: sha256(cell),
      database: 'pos.db',
      table: 'trans',
      pageNumber: 2,
      offsetInPage: offset,
      rowid: '7',
      types: ['integer', 'text', 'integer', 'real', 'text'],
      values: ['7', 'A1B2C3D4', '1250', '3.0', 'hello'],
    });
    expect(renderPath(decoded?.path ?? databasePath)).toBe(`file:pos.db > sqlite-page#2 > cell@${at(offset)}`);
  });

  it('fills columns missing from an old record with their defaults and flags it', () => {
    const leaf = btreePageWithOffsets({ type: 0x0d, cells: [tableLeafCell(8, record([null, 'B2', -5]))] });
    const { records, issues } = decodeCells(leaf.bytes, 2, path2, 'table-leaf', leaf.cellOffsets, trans, context([schemaPage, leaf.bytes]));
    expect(issues).toEqual([]);
    expect(records[0]).toMatchObject({
      rowid: '8',
      types: ['integer', 'text', 'integer', 'null', 'text'],
      values: ['8', 'B2', '-5', null, 'none'],
      flags: ['fewer-columns-than-schema'],
      confidence: { level: 'high' },
    });
  });

  it('keeps a rowid beyond 2^53 exact', () => {
    const leaf = btreePageWithOffsets({ type: 0x0d, cells: [tableLeafCell(2n ** 63n - 1n, record([null, 'x', 1, 1, 'm']))] });
    const { records } = decodeCells(leaf.bytes, 2, path2, 'table-leaf', leaf.cellOffsets, trans, context([schemaPage, leaf.bytes]));
    expect(records[0]).toMatchObject({ rowid: '9223372036854775807', values: ['9223372036854775807', 'x', '1', '1.0', 'm'] });
  });

  it('reassembles a payload from its overflow chain', () => {
    const memo = 'm'.repeat(1400);
    const payload = record([null, 'T1', 1, { real: 0.5 }, memo]);
    const local = localSize(payload.length, 512, true);
    const leaf = btreePageWithOffsets({ type: 0x0d, cells: [tableLeafCell(9, payload, { overflowPage: 3 })] });
    const pages = [schemaPage, leaf.bytes, overflowPage(4, payload.subarray(local, local + 508)), overflowPage(0, payload.subarray(local + 508))];
    const { records, issues } = decodeCells(leaf.bytes, 2, path2, 'table-leaf', leaf.cellOffsets, trans, context(pages));
    expect(issues).toEqual([]);
    expect(records[0]).toMatchObject({
      values: ['9', 'T1', '1', '0.5', memo],
      flags: [],
      confidence: { level: 'high', reasons: ['cell reached through the live b-tree', 'payload continues on overflow page(s) 3,4'] },
    });
  });

  it('reports sqlite.overflow.broken-chain and keeps the fields before the break', () => {
    const payload = record([null, 'T1', 77, { real: 0.5 }, 'm'.repeat(900)]);
    const leaf = btreePageWithOffsets({ type: 0x0d, cells: [tableLeafCell(9, payload, { overflowPage: 9 })] });
    const offset = leaf.cellOffsets[0] ?? 0;
    const { records, issues } = decodeCells(leaf.bytes, 2, path2, 'table-leaf', leaf.cellOffsets, trans, context([schemaPage, leaf.bytes, new Uint8Array(512)]));
    expect(issues).toEqual([
      {
        code: 'sqlite.overflow.broken-chain',
        severity: 'warning',
        message: `Page 2, cell at ${at(offset)}: overflow page 9 is outside the 3 pages present`,
        path: path2,
        offsetInLeaf: offset,
        details: { firstOverflowPage: 9 },
      },
    ]);
    expect(records[0]).toMatchObject({
      rowid: '9',
      types: ['integer', 'text', 'integer', 'real', 'text'],
      values: ['9', 'T1', '77', '0.5', 'none'],
      flags: ['overflow-missing', 'truncated'],
      confidence: { level: 'medium' },
    });
  });

  it('reports sqlite.cell.unreadable for a cell cut by the page end', () => {
    const leaf = btreePageWithOffsets({ type: 0x0d, cells: [tableLeafCell(1, record([null, 'ok', 1, 1, 'm']))] });
    const bytes = leaf.bytes.slice();
    bytes.set(hex`ff ff`, 510);
    const { records, issues } = decodeCells(bytes, 2, path2, 'table-leaf', [510], trans, context([schemaPage, bytes]));
    expect(records).toEqual([]);
    expect(issues).toEqual([{ code: 'sqlite.cell.unreadable', severity: 'warning', message: 'Page 2, cell at 0x000001fe: payload-size varint runs past the page', path: path2, offsetInLeaf: 510 }]);
  });

  it('reports sqlite.record.header-invalid, sqlite.record.body-overrun and sqlite.record.extra-fields', () => {
    const badHeader = tableLeafCell(10, hex`00 01 02`);
    const overrun = tableLeafCell(11, concat(hex`03 00 06`, hex`01 02 03`));
    const extra = tableLeafCell(12, record([null, 'x', 1, 2, 'm', 'surplus']));
    const good = tableLeafCell(13, record([null, 'y', 2, 3, 'n']));
    const leaf = btreePageWithOffsets({ type: 0x0d, cells: [badHeader, overrun, extra, good] });
    const [o1, o2, o3] = leaf.cellOffsets as [number, number, number, number];
    const { records, issues } = decodeCells(leaf.bytes, 2, path2, 'table-leaf', leaf.cellOffsets, trans, context([schemaPage, leaf.bytes]));
    expect(issues).toEqual([
      { code: 'sqlite.record.header-invalid', severity: 'warning', message: `Page 2, cell at ${at(o1)}: record header size 0 does not fit the payload`, path: path2, offsetInLeaf: o1 },
      { code: 'sqlite.record.body-overrun', severity: 'warning', message: `Page 2, cell at ${at(o2)}: record body needs 8 bytes, payload has 3`, path: path2, offsetInLeaf: o2 },
      { code: 'sqlite.record.extra-fields', severity: 'info', message: `Page 2, cell at ${at(o3)}: record has 6 fields, table trans has 5 stored columns`, path: path2, offsetInLeaf: o3 },
    ]);
    expect(records.map((decoded) => [decoded.rowid, decoded.values])).toEqual([
      ['12', ['12', 'x', '1', '2.0', 'm']],
      ['13', ['13', 'y', '2', '3.0', 'n']],
    ]);
  });

  it('flags text invalid in the database encoding', () => {
    const leaf = btreePageWithOffsets({ type: 0x0d, cells: [tableLeafCell(1, record([null, { serialType: 13 + 2 * 2, body: hex`c3 28` }, 1, 1, 'm']))] });
    const { records } = decodeCells(leaf.bytes, 2, path2, 'table-leaf', leaf.cellOffsets, trans, context([schemaPage, leaf.bytes]));
    expect(records[0]).toMatchObject({ values: ['1', '\ufffd(', '1', '1.0', 'm'], flags: ['text-invalid-encoding'], confidence: { level: 'medium' } });
  });

  it('decodes UTF-16 text with the database encoding', () => {
    const leaf = btreePageWithOffsets({ type: 0x0d, cells: [tableLeafCell(1, record([null, { text: '示例', encoding: 'utf-16be' }, 1, 1, { text: 'memo', encoding: 'utf-16be' }]))] });
    const { records } = decodeCells(leaf.bytes, 2, path2, 'table-leaf', leaf.cellOffsets, trans, context([schemaPage, leaf.bytes], 3));
    expect(records[0]?.values).toEqual(['1', '示例', '1', '1.0', 'memo']);
  });

  it('names columns c0, c1, … when the schema is unknown, and keeps every field', () => {
    const leaf = btreePageWithOffsets({ type: 0x0d, cells: [tableLeafCell(4, record(['a', 2, hex`beef`]))] });
    const { records, issues } = decodeCells(leaf.bytes, 2, path2, 'table-leaf', leaf.cellOffsets, unknownTable('unknown-2', 0, false), context([schemaPage, leaf.bytes]));
    expect(issues).toEqual([]);
    expect(records[0]).toMatchObject({ table: 'unknown-2', rowid: '4', types: ['text', 'integer', 'blob'], values: ['a', '2', 'beef'] });
  });

  it('decodes WITHOUT ROWID rows from index-leaf and index-interior cells, primary key first in the record', () => {
    const kv = table('CREATE TABLE kv(v TEXT, k TEXT PRIMARY KEY, n INTEGER DEFAULT 0) WITHOUT ROWID');
    const leaf = btreePageWithOffsets({ type: 0x0a, cells: [indexLeafCell(record(['KEY_1', 'value 1', 5]))] });
    const leafRecords = decodeCells(leaf.bytes, 2, path2, 'index-leaf', leaf.cellOffsets, kv, context([schemaPage, leaf.bytes]));
    expect(leafRecords.records[0]).toMatchObject({ rowid: null, values: ['value 1', 'KEY_1', '5'] });
    const interior = btreePageWithOffsets({ type: 0x02, cells: [indexInteriorCell(3, record(['KEY_2', 'value 2']))], rightChild: 3 });
    const interiorRecords = decodeCells(interior.bytes, 2, path2, 'index-interior', interior.cellOffsets, kv, context([schemaPage, interior.bytes]));
    expect(interiorRecords).toMatchObject({ issues: [], records: [{ rowid: null, values: ['value 2', 'KEY_2', '0'], flags: ['fewer-columns-than-schema'] }] });
  });

  it('keeps decoding after a bad cell: one issue per cell, records for the rest', () => {
    const cells = [tableLeafCell(1, record([null, 'a', 1, 1, 'm'])), tableLeafCell(2, hex`00 ff`), tableLeafCell(3, record([null, 'c', 3, 3, 'o']))];
    const leaf = btreePageWithOffsets({ type: 0x0d, cells });
    const { records, issues } = decodeCells(leaf.bytes, 2, path2, 'table-leaf', leaf.cellOffsets, trans, context([schemaPage, leaf.bytes]));
    expect(records.map((decoded) => decoded.rowid)).toEqual(['1', '3']);
    expect(issues.map((problem) => problem.code)).toEqual(['sqlite.record.header-invalid']);
  });
});

describe.skipIf(!hasSqlite3())('mutation sweep over a real leaf page', () => {
  const directory = makeTempDir();
  afterAll(() => removeDir(directory));

  it('never throws; every record and issue points at a listed cell', () => {
    const location = join(directory, 'leaf.db');
    runSqlite(
      location,
      `PRAGMA page_size=512; CREATE TABLE trans(id INTEGER PRIMARY KEY, tid TEXT, amount INTEGER, rate REAL, memo TEXT DEFAULT 'none');
       INSERT INTO trans VALUES (1, 'A1B2C3D4', 1250, 0.5, 'first'), (2, 'A1B2C3D4', -7, 2, NULL), (3, 'X', 9999999999, 1e100, printf('%.600c', 'o')), (4, '', 0, NULL, 'last');`,
    );
    const file = readFileSync(location);
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength).slice();
    const leafPage = bytes.slice(512, 1024);
    const parsed = parseBtreePage(leafPage, 0, 0, 512, path2);
    if (parsed.kind !== 'parsed') throw new Error('leaf');
    const offsets = parsed.value.cellOffsetsInPage;
    const clean = decodeCells(leafPage, 2, path2, 'table-leaf', offsets, trans, context([bytes.subarray(0, 512), leafPage, ...[3, 4].map((pageNumber) => bytes.slice((pageNumber - 1) * 512, pageNumber * 512))]));
    expect(clean.issues).toEqual([]);
    expect(clean.records.map((decoded) => decoded.values.slice(0, 4))).toEqual([
      ['1', 'A1B2C3D4', '1250', '0.5'],
      ['2', 'A1B2C3D4', '-7', '2.0'],
      ['3', 'X', '9999999999', '1.0e+100'],
      ['4', '', '0', null],
    ]);

    const known = new Set(['sqlite.cell.unreadable', 'sqlite.record.header-invalid', 'sqlite.record.body-overrun', 'sqlite.record.extra-fields', 'sqlite.overflow.broken-chain']);
    const failures: string[] = [];
    const started = performance.now();
    const check = (page: Uint8Array, label: string): void => {
      const reader = new MemoryPageReader(concat(bytes.subarray(0, 512), page, bytes.subarray(1024)), 512);
      const outcome = decodeCells(page, 2, path2, 'table-leaf', offsets, trans, { ...context([]), reader });
      for (const problem of outcome.issues) {
        if (!known.has(problem.code) || !offsets.includes(problem.offsetInLeaf)) failures.push(`${label}: ${problem.code} at ${problem.offsetInLeaf}`);
      }
      for (const decoded of outcome.records) {
        if (!offsets.includes(decoded.offsetInPage) || decoded.values.length !== 5 || decoded.types.length !== 5) failures.push(`${label}: record at ${decoded.offsetInPage}`);
      }
    };
    for (let length = 0; length <= 512; length++) check(leafPage.subarray(0, length), `cut at ${length}`);
    for (let index = 0; index < 512; index++) {
      for (const value of [0x00, 0xff]) {
        const mutated = leafPage.slice();
        mutated[index] = value;
        check(mutated, `byte ${index} → ${value}`);
      }
    }
    expect(failures).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
