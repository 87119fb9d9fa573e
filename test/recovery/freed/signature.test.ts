/** Tier 1: column signatures and the data tables behind them. */
import { describe, expect, it } from 'vitest';
import { ClassBit, affinityOf, parseCreateIndex, profileAdmits, serialTypeAllowed, uniqueColumnNameSets, withProfile } from '../../../src/recovery/freed/signature.js';
import type { EvidenceRecord } from '../../../src/evidence/record.js';
import { signatureOf } from './helpers.js';

describe('signatures', () => {
  it('derives affinity from declared types (datatype3.html §3.1)', () => {
    expect(['INTEGER', 'BIGINT', 'VARCHAR(10)', 'CLOB', 'BLOB', '', 'REAL', 'DOUBLE PRECISION', 'FLOATING POINT', 'DECIMAL(10,2)', 'BOOLEAN'].map(affinityOf)).toEqual([
      'integer',
      'integer',
      'text',
      'text',
      'blob',
      'blob',
      'real',
      'real',
      'integer',
      'numeric',
      'numeric',
    ]);
  });

  it('admits NULL, 0, 1 and integral reals, forbids numbers in TEXT columns, NULL in NOT NULL ones and anything but NULL for the rowid alias', () => {
    const signature = signatureOf('CREATE TABLE t (id INTEGER PRIMARY KEY, tid TEXT NOT NULL, amount INTEGER, rate REAL, memo TEXT)');
    const [id, tid, amount, rate, memo] = signature.fields;
    expect([0, 1].map((type) => serialTypeAllowed(id!, type))).toEqual([true, false]);
    expect([0, 1, 7, 13, 12].map((type) => serialTypeAllowed(tid!, type))).toEqual([false, false, false, true, true]);
    expect([0, 8, 9, 1, 7].map((type) => serialTypeAllowed(amount!, type))).toEqual([true, true, true, true, true]);
    expect([8, 9, 2, 7].map((type) => serialTypeAllowed(rate!, type))).toEqual([true, true, true, true]);
    expect([0, 15, 1].map((type) => serialTypeAllowed(memo!, type))).toEqual([true, true, false]);
    expect(memo!.rebuildable).toBe(ClassBit.null | ClassBit.text);
  });

  it('puts WITHOUT ROWID primary-key fields first, NOT NULL, and digests them', () => {
    const signature = signatureOf('CREATE TABLE c (tid TEXT, trace INTEGER, amount INTEGER, PRIMARY KEY (trace, tid)) WITHOUT ROWID');
    expect(signature.fields.map((field) => [field.name, field.notNull])).toEqual([
      ['trace', true],
      ['tid', true],
      ['amount', false],
    ]);
    expect(signature).toMatchObject({ kind: 'without-rowid', cellKind: 'index', keyFieldCount: 2, digestFieldSets: [[0, 1]] });
  });

  it('parses CREATE INDEX (unique, quoted, collations) and refuses expression indexes', () => {
    expect(parseCreateIndex('CREATE UNIQUE INDEX IF NOT EXISTS main."ux t" ON trans_record ("trace_no" COLLATE NOCASE DESC, tid)')).toEqual({ name: 'ux t', unique: true, tableName: 'trans_record', columnNames: ['trace_no', 'tid'] });
    expect(parseCreateIndex('CREATE INDEX ix ON t(lower(name))')).toBeUndefined();
  });

  it('finds UNIQUE column sets in a CREATE TABLE', () => {
    expect(uniqueColumnNameSets('CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT UNIQUE, a INT, b INT, UNIQUE (a, b))')).toEqual([['id'], ['code'], ['a', 'b']]);
  });

  it('learns a type pattern from live records and uses it only for rebuilt types', () => {
    const base = signatureOf('CREATE TABLE t (code TEXT NOT NULL, n INTEGER)');
    const records = ['K0001', 'K0002', 'K0003', 'K0004'].map((code, index) => ({ types: ['text', 'integer'], values: [code, String(200 + index)], flags: [] }) as unknown as EvidenceRecord);
    const profiled = withProfile(base, records, 1);
    expect(profileAdmits(profiled.profile?.[0], 13 + 2 * 5)).toBe(true);
    expect(profileAdmits(profiled.profile?.[0], 13 + 2 * 6)).toBe(false);
    expect(profileAdmits(profiled.profile?.[1], 2)).toBe(true);
    expect(profileAdmits(profiled.profile?.[1], 1)).toBe(false);
  });
});
