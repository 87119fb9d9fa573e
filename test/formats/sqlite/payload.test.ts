import { describe, expect, it } from 'vitest';
import { localPayloadSize, maximumLocalPayload, minimumLocalPayload } from '../../../src/formats/sqlite/payload.js';
import { localSize, maximumLocal, minimumLocal } from '../../../samples/lib/sqlite-bytes.js';

// sqlite.md §1.7 reference values.
const reference = [
  { usable: 512, tableX: 477, indexX: 102, minimum: 39 },
  { usable: 1024, tableX: 989, indexX: 230, minimum: 103 },
  { usable: 4096, tableX: 4061, indexX: 1002, minimum: 489 },
  { usable: 65_536, tableX: 65_501, indexX: 16_422, minimum: 8199 },
];

describe('overflow arithmetic', () => {
  it.each(reference)('U = $usable: X table $tableX, X index $indexX, M $minimum', ({ usable, tableX, indexX, minimum }) => {
    expect(maximumLocalPayload(usable, true)).toBe(tableX);
    expect(maximumLocalPayload(usable, false)).toBe(indexX);
    expect(minimumLocalPayload(usable)).toBe(minimum);
  });

  it('keeps 908 bytes local for the worked example U = 4096, P = 5000 (one overflow page holds 4092)', () => {
    expect(localPayloadSize(5000, 4096, true)).toBe(908);
    expect(5000 - 908).toBe(4096 - 4);
  });

  it.each(reference)('U = $usable: both sides of P = X keep everything local up to X, then spill', ({ usable, tableX, indexX, minimum }) => {
    for (const [isTable, maximum] of [
      [true, tableX],
      [false, indexX],
    ] as const) {
      expect(localPayloadSize(0, usable, isTable)).toBe(0);
      expect(localPayloadSize(maximum - 1, usable, isTable)).toBe(maximum - 1);
      expect(localPayloadSize(maximum, usable, isTable)).toBe(maximum);
      // P = X + 1: K = M + (X + 1 − M) % (U − 4) = X + 1 > X, so only M stays local.
      expect(localPayloadSize(maximum + 1, usable, isTable)).toBe(minimum);
    }
  });

  it.each(reference)('U = $usable: both sides of K = X (K ≤ X keeps K, K > X keeps M)', ({ usable, tableX, indexX, minimum }) => {
    const perPage = usable - 4;
    for (const [isTable, maximum] of [
      [true, tableX],
      [false, indexX],
    ] as const) {
      // P − M a multiple of U − 4: K = M exactly.
      expect(localPayloadSize(minimum + perPage, usable, isTable)).toBe(minimum);
      expect(localPayloadSize(minimum + 2 * perPage, usable, isTable)).toBe(minimum);
      // K = M + 1.
      expect(localPayloadSize(minimum + perPage + 1, usable, isTable)).toBe(minimum + 1);
      // K = X: kept.
      expect(localPayloadSize(maximum + perPage, usable, isTable)).toBe(maximum);
      // K = X + 1: falls back to M.
      expect(localPayloadSize(maximum + perPage + 1, usable, isTable)).toBe(minimum);
      // One below a whole extra page: K = M + U − 5 > X, so M.
      expect(localPayloadSize(minimum + 2 * perPage - 1, usable, isTable)).toBe(minimum);
    }
  });

  it('every spilled payload leaves a whole number of full overflow pages after the first', () => {
    for (const { usable } of reference) {
      for (const isTable of [true, false]) {
        for (let payload = maximumLocalPayload(usable, isTable) + 1; payload < maximumLocalPayload(usable, isTable) + 3 * usable; payload += 97) {
          const local = localPayloadSize(payload, usable, isTable);
          expect(local).toBeGreaterThanOrEqual(minimumLocalPayload(usable));
          expect(local).toBeLessThanOrEqual(maximumLocalPayload(usable, isTable));
          // The overflow remainder fills its last page exactly when local = K (P − K divisible by U − 4).
          if (local !== minimumLocalPayload(usable)) expect((payload - local) % (usable - 4)).toBe(0);
        }
      }
    }
  });

  it('agrees with the independent builder formula for every payload size at U = 512 and 1024, and with reserved bytes', () => {
    for (const usable of [480, 500, 512, 1000, 1024]) {
      expect(maximumLocalPayload(usable, true)).toBe(maximumLocal(usable, true));
      expect(maximumLocalPayload(usable, false)).toBe(maximumLocal(usable, false));
      expect(minimumLocalPayload(usable)).toBe(minimumLocal(usable));
      const mismatches: string[] = [];
      for (let payload = 0; payload < 4 * usable; payload++) {
        for (const isTable of [true, false]) {
          if (localPayloadSize(payload, usable, isTable) !== localSize(payload, usable, isTable)) mismatches.push(`U=${usable} P=${payload} table=${isTable}`);
        }
      }
      expect(mismatches).toEqual([]);
    }
  });

  it('handles the largest payload a cell may declare without precision loss', () => {
    const payload = 0x7fffffff;
    const local = localPayloadSize(payload, 65_536, true);
    expect(local).toBe(localSize(payload, 65_536, true));
    expect(Number.isInteger(local)).toBe(true);
  });
});
