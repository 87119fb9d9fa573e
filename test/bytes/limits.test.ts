import { describe, expect, it } from 'vitest';
import {
  maximumBtreeDepth,
  maximumColumnCount,
  maximumFreelistTrunkCount,
  maximumOverflowChainLength,
  maximumPageSizeInBytes,
  maximumPayloadSizeInBytes,
  maximumRecordHeaderSizeInBytes,
  minimumPageSizeInBytes,
  safeLength,
} from '../../src/bytes/limits.js';

describe('named limits', () => {
  it('pin the values the parsers rely on', () => {
    expect(maximumPageSizeInBytes).toBe(65_536);
    expect(minimumPageSizeInBytes).toBe(512);
    expect(maximumRecordHeaderSizeInBytes).toBe(65_536);
    expect(maximumPayloadSizeInBytes).toBe(1_000_000_000);
    expect(maximumOverflowChainLength).toBe(1_000_000);
    expect(maximumColumnCount).toBe(32_767);
    expect(maximumBtreeDepth).toBe(20);
    expect(maximumFreelistTrunkCount).toBe(10_000_000);
  });
});

describe('safeLength', () => {
  it('accepts 0, values below the maximum and the maximum itself', () => {
    expect(safeLength(0, 10)).toEqual({ ok: true, value: 0 });
    expect(safeLength(9, 10)).toEqual({ ok: true, value: 9 });
    expect(safeLength(10, 10)).toEqual({ ok: true, value: 10 });
  });

  it('rejects one above the maximum, negatives, fractions, NaN and infinities', () => {
    expect(safeLength(11, 10)).toEqual({ ok: false, value: 11 });
    expect(safeLength(-1, 10)).toEqual({ ok: false, value: -1 });
    expect(safeLength(1.5, 10)).toEqual({ ok: false, value: 1.5 });
    expect(safeLength(Number.NaN, 10).ok).toBe(false);
    expect(safeLength(Infinity, Infinity)).toEqual({ ok: false, value: Infinity });
    expect(safeLength(-Infinity, 10).ok).toBe(false);
    expect(safeLength(2 ** 53, Infinity).ok).toBe(false);
  });

  it('accepts bigints in range and rejects those beyond the safe range or negative', () => {
    expect(safeLength(5n, 10)).toEqual({ ok: true, value: 5 });
    expect(safeLength(BigInt(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER)).toEqual({ ok: true, value: Number.MAX_SAFE_INTEGER });
    expect(safeLength(BigInt(Number.MAX_SAFE_INTEGER) + 1n, Infinity)).toEqual({ ok: false, value: Infinity });
    expect(safeLength(2n ** 63n - 1n, Infinity)).toEqual({ ok: false, value: Infinity });
    expect(safeLength(-1n, 10)).toEqual({ ok: false, value: -1 });
    expect(safeLength(11n, 10)).toEqual({ ok: false, value: 11 });
  });
});
