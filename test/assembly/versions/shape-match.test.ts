import { describe, expect, it } from 'vitest';
import { parseCreateTable } from '../../../src/formats/sqlite/schema.js';
import type { TablePlan } from '../../../src/recovery/database.js';
import { tableDecodeInfo } from '../../../src/recovery/table-info.js';
import { commonFieldCount, matchTableByShape, tableLeafShapes } from '../../../src/assembly/versions/shape-match.js';

function plan(sql: string): TablePlan {
  const outcome = parseCreateTable(sql);
  if (!outcome.ok) throw new Error(outcome.problem);
  return { entry: { type: 'table', name: outcome.schema.name, tableName: outcome.schema.name, rootPageNumber: 0, sql }, schema: outcome.schema, decode: tableDecodeInfo(outcome.schema) };
}

const ledger = plan('CREATE TABLE trans_record (id INTEGER PRIMARY KEY, tid TEXT, amount INTEGER, memo TEXT)');
const params = plan('CREATE TABLE sys_param (id INTEGER PRIMARY KEY, name TEXT, value TEXT, note TEXT)');
const blobs = plan('CREATE TABLE sig (id INTEGER PRIMARY KEY, data BLOB)');

// Serial types: 0 NULL, 1 int8, 8/9 the integers 0/1, 13+2n text of n bytes, 12+2n blob.
describe('matchTableByShape', () => {
  it('picks the table whose declared types fit every field', () => {
    const shapes = [
      [0, 29, 1, 13],
      [0, 29, 2, 21],
    ];
    expect(matchTableByShape(shapes, [params, ledger])?.plan.entry.name).toBe('trans_record');
  });

  it('an INTEGER PRIMARY KEY must be stored as NULL; blobs do not fit INTEGER or TEXT-less tables', () => {
    expect(matchTableByShape([[1, 29, 1, 13]], [ledger, params])).toBeUndefined();
    expect(matchTableByShape([[0, 40]], [ledger, blobs])?.plan.entry.name).toBe('sig');
  });

  it('fewer fields than the table stores still fit (ALTER TABLE ADD COLUMN); more never do', () => {
    expect(matchTableByShape([[0, 29, 1]], [ledger])?.matchedRecordCount).toBe(1);
    expect(matchTableByShape([[0, 29, 1, 13, 13]], [ledger])).toBeUndefined();
  });

  it('two equally good tables are a tie: no match', () => {
    expect(matchTableByShape([[0, 29, 21, 13]], [params, plan('CREATE TABLE other (k INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT)')])).toBeUndefined();
  });

  it('commonFieldCount names an unmatched page by its most frequent field count', () => {
    expect(commonFieldCount([[0, 1], [0, 1, 2], [0, 1, 2]])).toBe(3);
    expect(commonFieldCount([])).toBe(0);
  });

  it('tableLeafShapes reads only table-leaf pages and never throws on garbage', () => {
    const garbage = new Uint8Array(512).fill(0x0d);
    expect(() => tableLeafShapes(garbage, 2, 512)).not.toThrow();
    expect(tableLeafShapes(new Uint8Array(512), 2, 512)).toBeUndefined();
  });
});
