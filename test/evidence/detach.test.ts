import { describe, expect, it } from 'vitest';
import { detached, detachedValues } from '../../src/evidence/detach.js';

describe('detached', () => {
  it('returns an equal string for every length, UTF-16 text included, and passes null through', () => {
    const text = 'α'.repeat(3) + 'x'.repeat(40) + '💳';
    for (let length = 0; length <= text.length; length++) {
      const slice = `${text}${text}`.slice(1, 1 + length);
      expect(detached(slice)).toBe(slice);
    }
    expect(detached(null)).toBeNull();
    expect(detachedValues(['a', null, 'a long value of a ledger row'])).toEqual(['a', null, 'a long value of a ledger row']);
  });
});
