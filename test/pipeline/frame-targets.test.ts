import { describe, expect, it } from 'vitest';
import type { FrameTarget } from '../../src/pipeline/scan-wal.js';
import { FrameTargets } from '../../src/pipeline/scan-wal.js';

describe('FrameTargets', () => {
  const pageOf = (frameNumber: number): number => frameNumber * 10;
  const cases: [number, FrameTarget][] = [
    [1, { table: 'trans_record', how: 'btree', reason: 'page 10 belongs to table trans_record through the b-tree as of its transaction' }],
    [2, { table: 'trans_record', how: 'hinted', reason: 'page 20 belongs to table trans_record through a b-tree whose root page 3 database x.db names' }],
    [3, { table: 'unknown-5', how: 'unknown', reason: 'page 30 is reached by no b-tree …' }],
    [4, { table: undefined, how: 'none', reason: undefined }],
    [5, { table: 'settlement', how: 'shape', reason: 'page 50 is reached by no b-tree at its time; table settlement chosen by record shape (3 of 3 records fit)' }],
    // A b-tree target whose reason is not the usual sentence keeps its own text.
    [6, { table: 'trans_record', how: 'btree', reason: 'something else' }],
  ];

  it('gives back every target it was given, and the tables named', () => {
    const targets = new FrameTargets(7, pageOf);
    for (const [frameNumber, target] of cases) targets.set(frameNumber, target);
    for (const [frameNumber, target] of cases) expect(targets.get(frameNumber)).toEqual(target);
    expect(targets.get(7)).toEqual({ table: undefined, how: 'none', reason: undefined });
    expect(targets.get(8)).toBeUndefined();
    expect(targets.get(-1)).toBeUndefined();
    expect([...targets.tables()].sort()).toEqual(['settlement', 'trans_record', 'unknown-5']);
  });
});
