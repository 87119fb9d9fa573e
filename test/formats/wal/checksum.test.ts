import { describe, expect, it } from 'vitest';
import { continueWalChecksum, viewOf, walChecksum } from '../../../src/formats/wal/checksum.js';
import { noise } from '../../support/bytes.js';
import { referenceWalChecksum } from '../../support/wal-fixtures.js';

describe('walChecksum', () => {
  it('matches the reference implementation in both word orders', () => {
    const bytes = noise(4096 + 24, 0x51);
    for (const bigEndian of [false, true]) {
      expect(walChecksum(bytes, 0, bytes.length, bigEndian)).toEqual(referenceWalChecksum(bytes, bigEndian));
    }
  });

  it('continues from a given pair', () => {
    const bytes = noise(512, 0x33);
    const start = { checksum1: 0xfffffff0, checksum2: 0x80000001 };
    expect(walChecksum(bytes, 0, 512, false, start)).toEqual(referenceWalChecksum(bytes, false, start));
    expect(walChecksum(bytes, 0, 512, true, start)).toEqual(referenceWalChecksum(bytes, true, start));
  });

  it('reads at any alignment inside a larger buffer', () => {
    const bytes = noise(600, 0x44);
    for (const start of [0, 1, 3, 5, 7]) {
      const range = bytes.subarray(start, start + 512);
      expect(walChecksum(bytes, start, 512, false)).toEqual(referenceWalChecksum(range, false));
      // A subarray view with a non-zero byteOffset: the view must respect it.
      expect(walChecksum(range, 0, 512, true)).toEqual(referenceWalChecksum(range, true));
    }
  });

  it('is a known value for a fixed input', () => {
    const bytes = Uint8Array.from({ length: 16 }, (_, index) => index + 1);
    expect(walChecksum(bytes, 0, 16, false)).toEqual(referenceWalChecksum(bytes, false));
    expect(walChecksum(bytes, 0, 8, false)).toEqual({ checksum1: 0x04030201, checksum2: 0x0c0a0806 });
    expect(walChecksum(bytes, 0, 8, true)).toEqual({ checksum1: 0x01020304, checksum2: 0x06080a0c });
  });

  it('throws on a programmer error (range outside the view, size not a multiple of 8)', () => {
    const out = new Uint32Array(2);
    const view = viewOf(new Uint8Array(16));
    expect(() => continueWalChecksum(view, 0, 12, false, 0, 0, out)).toThrow(RangeError);
    expect(() => continueWalChecksum(view, 8, 16, false, 0, 0, out)).toThrow(RangeError);
  });

  it('checksums 64 MiB in well under a second', () => {
    const bytes = new Uint8Array(64 * 1024 * 1024);
    const out = new Uint32Array(2);
    const view = viewOf(bytes);
    const started = performance.now();
    for (let at = 0; at < bytes.length; at += 4096) continueWalChecksum(view, at, 4096, false, out[0] as number, out[1] as number, out);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
