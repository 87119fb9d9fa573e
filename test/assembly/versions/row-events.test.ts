import { describe, expect, it } from 'vitest';
import type { RowSnapshot } from '../../../src/assembly/versions/row-events.js';
import { compareKeys, recordFingerprint, rowFingerprint, rowKey, transactionRowEvents } from '../../../src/assembly/versions/row-events.js';

function row(key: string, values: (string | null)[], source = 'x', table = 't'): RowSnapshot {
  const types = values.map((value) => (value === null ? 'null' : 'text') as 'null' | 'text');
  return { table, key, fingerprint: rowFingerprint(types, values), types, values, source, offsetInPage: 0x10 };
}

const columns = (table: string): readonly string[] => (table === 't' ? ['id', 'v', 'w'] : ['a']);

describe('transactionRowEvents', () => {
  it('insert, update (changed columns only) and delete, by key across the pages a transaction changed', () => {
    const result = transactionRowEvents(
      [
        { pageNumber: 2, tableBefore: 't', tableAfter: 't', rowsBefore: [row('1', ['1', 'a', 'x'], 'p2 before'), row('2', ['2', 'b', 'x'])], rowsAfter: [row('1', ['1', 'a2', 'x'], 'p2 after'), row('3', ['3', 'c', null])] },
        // A split moved row 2 onto a new page: no event for it.
        { pageNumber: 3, tableBefore: 't', tableAfter: 't', rowsBefore: [], rowsAfter: [row('2', ['2', 'b', 'x'])] },
        { pageNumber: 4, tableBefore: 't', tableAfter: undefined, rowsBefore: [row('10', ['10', 'gone', 'x'])], rowsAfter: [] },
      ],
      columns,
    );
    expect(result.unexplainedRowCount).toBe(0);
    expect(result.events).toEqual([
      { kind: 'update', table: 't', key: '1', before: { v: 'a' }, after: { v: 'a2' }, beforeSource: 'p2 before cell@0x00000010', afterSource: 'p2 after cell@0x00000010' },
      { kind: 'insert', table: 't', key: '3', after: { id: '3', v: 'c', w: null }, afterSource: 'x cell@0x00000010' },
      { kind: 'delete', table: 't', key: '10', before: { id: '10', v: 'gone', w: 'x' }, beforeSource: 'x cell@0x00000010' },
    ]);
  });

  it('orders keys numerically (64-bit) and tables by first appearance', () => {
    const result = transactionRowEvents(
      [
        { pageNumber: 5, tableBefore: 'u', tableAfter: 'u', rowsBefore: [], rowsAfter: [row('9', ['z'], 'x', 'u')] },
        { pageNumber: 2, tableBefore: 't', tableAfter: 't', rowsBefore: [], rowsAfter: [row('10', ['10', 'a', null]), row('9223372036854775807', ['m', 'a', null]), row('-3', ['-3', 'a', null]), row('9', ['9', 'a', null])] },
      ],
      columns,
    );
    expect(result.events.map((event) => `${event.table}:${event.key}`)).toEqual(['u:9', 't:-3', 't:9', 't:10', 't:9223372036854775807']);
    expect(compareKeys('9223372036854775806', '9223372036854775807')).toBe(-1);
    expect(compareKeys('["a"]', '["b"]')).toBe(-1);
    expect(compareKeys('-9223372036854775808', '5')).toBe(-1);
    expect(compareKeys('10', '9')).toBe(1);
    expect(compareKeys('9007199254740993', '9007199254740992')).toBe(1);
  });

  it('a page whose earlier version is unknown: rows no earlier row explains are counted, not called inserts', () => {
    const result = transactionRowEvents(
      [
        { pageNumber: 2, tableBefore: 't', tableAfter: 't', rowsBefore: undefined, rowsAfter: [row('1', ['1', 'a', null]), row('2', ['2', 'b', null])] },
        { pageNumber: 3, tableBefore: 't', tableAfter: 't', rowsBefore: [row('2', ['2', 'old', null])], rowsAfter: [] },
      ],
      columns,
    );
    expect(result.unexplainedRowCount).toBe(1);
    expect(result.events.map((event) => [event.kind, event.key])).toEqual([['update', '2']]);
  });

  it('rows of another table on a page are ignored for this one (a page reused by another tree)', () => {
    const result = transactionRowEvents([{ pageNumber: 2, tableBefore: 't', tableAfter: 'u', rowsBefore: [row('1', ['1', 'a', null])], rowsAfter: [row('1', ['q'], 'x', 'u')] }], columns);
    expect(result.events.map((event) => [event.kind, event.table, event.key])).toEqual([
      ['delete', 't', '1'],
      ['insert', 'u', '1'],
    ]);
  });
});

describe('keys and fingerprints', () => {
  it('rowid tables key by rowid, WITHOUT ROWID tables by their primary-key values', () => {
    expect(rowKey({ rowid: '42', values: ['x'], table: 't' }, new Map())).toBe('42');
    expect(rowKey({ rowid: null, values: ['k1', 'v', 'k2'], table: 'w' }, new Map([['w', [0, 2]]]))).toBe('["k1","k2"]');
    expect(rowKey({ rowid: null, values: ['a', 'b'], table: 'w' }, new Map())).toBe('["a","b"]');
  });

  it('a record is fingerprinted by its cell bytes, or by its values when the payload overflows', () => {
    const values = { types: ['text' as const], values: ['x'] };
    expect(recordFingerprint({ rawSha256: 'a'.repeat(64), confidence: { level: 'high', reasons: ['cell reached through the live b-tree'] }, ...values })).toBe('a'.repeat(64));
    expect(recordFingerprint({ rawSha256: 'a'.repeat(64), confidence: { level: 'high', reasons: ['payload continues on overflow page(s) 7'] }, ...values })).toBe(`v:${rowFingerprint(['text'], ['x'])}`);
  });

  it('a fingerprint separates NULL from the empty string, types and value boundaries', () => {
    const fingerprints = new Set([
      rowFingerprint(['null'], [null]),
      rowFingerprint(['text'], ['']),
      rowFingerprint(['integer'], ['1']),
      rowFingerprint(['text'], ['1']),
      rowFingerprint(['text', 'text'], ['ab', 'c']),
      rowFingerprint(['text', 'text'], ['a', 'bc']),
    ]);
    expect(fingerprints.size).toBe(6);
  });
});
