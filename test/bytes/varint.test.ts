import { describe, expect, it } from 'vitest';
import { readVarint, readVarintInto, varintScratch, varintSize } from '../../src/bytes/varint.js';
import { varint } from '../../samples/lib/sqlite-bytes.js';
import { hex, noise, withNoise } from '../support/bytes.js';

/** Boundary values: 2^(7k) − 1 and 2^(7k) for every varint length, then the 9-byte range. */
const boundaries: { value: bigint; size: number }[] = [
  { value: 0n, size: 1 },
  { value: 1n, size: 1 },
  { value: 0x7fn, size: 1 },
  ...[1, 2, 3, 4, 5, 6, 7].flatMap((k) => [
    { value: (1n << BigInt(7 * k)) , size: k + 1 },
    { value: (1n << BigInt(7 * (k + 1))) - 1n, size: k + 1 },
  ]),
  { value: 1n << 56n, size: 9 },
  { value: (1n << 63n) - 1n, size: 9 },
  { value: -1n, size: 9 },
  { value: -(1n << 63n), size: 9 },
];

describe('readVarint', () => {
  it.each([
    ['00', 0, 1],
    ['01', 1, 1],
    ['7f', 127, 1],
    ['81 00', 128, 2],
    ['ff 7f', 16_383, 2],
    ['81 80 00', 16_384, 3],
    ['ff ff 7f', 2_097_151, 3],
    ['81 80 80 00', 2_097_152, 4],
    ['81 80 80 80 00', 268_435_456, 5],
    ['81 80 80 80 80 00', 34_359_738_368, 6],
    ['81 80 80 80 80 80 00', 4_398_046_511_104, 7],
    ['ff ff ff ff ff ff 7f', 562_949_953_421_311, 7],
  ])('reads %s as %d in %d bytes (safe, no bigint)', (text, value, size) => {
    const bytes = Uint8Array.from(Buffer.from(text.replace(/ /g, ''), 'hex'));
    expect(readVarint(bytes, 0)).toEqual({ value, big: undefined, sizeInBytes: size });
  });

  it('reads an 8-byte varint just below and at 2^53 (bigint only when unsafe)', () => {
    expect(readVarint(varint(2 ** 53 - 1), 0)).toEqual({ value: 2 ** 53 - 1, big: undefined, sizeInBytes: 8 });
    expect(readVarint(varint(2n ** 53n), 0)).toEqual({ value: 2 ** 53, big: 2n ** 53n, sizeInBytes: 8 });
    expect(readVarint(varint(2n ** 56n - 1n), 0)).toEqual({ value: Number(2n ** 56n - 1n), big: 2n ** 56n - 1n, sizeInBytes: 8 });
  });

  it('gives the 9th byte all 8 bits', () => {
    // 8 bytes of 7 bits (all zero) then 0xff: the ninth byte is taken whole, not as 7 bits + flag.
    expect(readVarint(hex`80 80 80 80 80 80 80 80 ff`, 0)).toEqual({ value: 255, big: undefined, sizeInBytes: 9 });
    expect(readVarint(hex`80 80 80 80 80 80 80 81 00`, 0)).toEqual({ value: 256, big: undefined, sizeInBytes: 9 });
    // A ninth byte with its high bit set does not continue.
    expect(readVarint(hex`80 80 80 80 80 80 80 80 80 01`, 0)?.sizeInBytes).toBe(9);
  });

  it('reads 64-bit extremes exactly as bigint', () => {
    expect(readVarint(hex`bf ff ff ff ff ff ff ff ff`, 0)).toEqual({ value: Number(2n ** 63n - 1n), big: 2n ** 63n - 1n, sizeInBytes: 9 });
    expect(readVarint(hex`c0 80 80 80 80 80 80 80 00`, 0)).toEqual({ value: -(2 ** 63), big: -(2n ** 63n), sizeInBytes: 9 });
    expect(readVarint(hex`ff ff ff ff ff ff ff ff ff`, 0)).toEqual({ value: -1, big: undefined, sizeInBytes: 9 });
    expect(readVarint(varint(-(2n ** 53n) - 1n), 0)?.big).toBe(-(2n ** 53n) - 1n);
    expect(readVarint(varint(-(2n ** 53n) + 1n), 0)).toEqual({ value: -(2 ** 53) + 1, big: undefined, sizeInBytes: 9 });
  });

  it.each(boundaries)('round-trips $value through the builder in $size bytes', ({ value, size }) => {
    const bytes = varint(value);
    expect(bytes.length).toBe(size);
    const read = readVarint(bytes, 0);
    expect(read?.sizeInBytes).toBe(size);
    expect(read?.big ?? BigInt(read?.value ?? NaN)).toBe(value);
    expect(read?.value).toBe(Number(value));
  });

  it('reads at a non-zero offset inside noise and stops at the varint end', () => {
    const bytes = withNoise(37, varint(2n ** 63n - 1n));
    expect(readVarint(bytes, 37)).toEqual({ value: Number(2n ** 63n - 1n), big: 2n ** 63n - 1n, sizeInBytes: 9 });
    const short = withNoise(11, hex`81 00`);
    expect(readVarint(short, 11)).toEqual({ value: 128, big: undefined, sizeInBytes: 2 });
  });

  it('returns undefined for every truncation of every boundary varint', () => {
    for (const { value } of boundaries) {
      const bytes = varint(value);
      for (let length = 0; length < bytes.length; length++) {
        expect(readVarint(bytes.subarray(0, length), 0)).toBeUndefined();
        // The same cut expressed with `end` inside a longer buffer.
        expect(readVarint(bytes, 0, length)).toBeUndefined();
        expect(readVarintInto(bytes, 0, length, { value: 0, big: undefined })).toBe(0);
      }
    }
  });

  it('returns undefined on an empty buffer, at the end and before the start', () => {
    expect(readVarint(new Uint8Array(0), 0)).toBeUndefined();
    expect(readVarint(hex`01`, 1)).toBeUndefined();
    expect(readVarint(hex`01 02`, -1)).toBeUndefined();
  });

  it('never reads past the buffer when `end` is larger than it', () => {
    expect(readVarint(hex`81`, 0, 5)).toBeUndefined();
    expect(readVarint(hex`ff ff ff ff ff ff ff ff`, 0, 100)).toBeUndefined();
    expect(readVarint(hex`05`, 0, 100)).toEqual({ value: 5, big: undefined, sizeInBytes: 1 });
  });

  it('readVarintInto writes into the scratch object and clears a stale bigint', () => {
    const out = { value: 0, big: undefined as bigint | undefined };
    expect(readVarintInto(hex`ff ff ff ff ff ff ff ff ff`, 0, 9, out)).toBe(9);
    expect(out).toEqual({ value: -1, big: undefined });
    expect(readVarintInto(varint(2n ** 60n), 0, 9, out)).toBe(9);
    expect(out.big).toBe(2n ** 60n);
    expect(readVarintInto(hex`2a`, 0, 1, out)).toBe(1);
    expect(out).toEqual({ value: 42, big: undefined });
    expect(readVarintInto(hex`2a`, 0, 1, varintScratch)).toBe(1);
    expect(varintScratch.value).toBe(42);
  });

  it('never throws on noise at any offset and any end', () => {
    const bytes = noise(64, 0x33);
    for (let at = -2; at <= bytes.length + 2; at++) {
      for (const end of [at, at + 1, at + 5, at + 9, bytes.length, bytes.length + 3]) {
        const read = readVarint(bytes, at, end);
        if (read !== undefined) {
          expect(read.sizeInBytes).toBeGreaterThanOrEqual(1);
          expect(read.sizeInBytes).toBeLessThanOrEqual(9);
          expect(at + read.sizeInBytes).toBeLessThanOrEqual(Math.min(end, bytes.length));
        }
      }
    }
  });
});

describe('varintSize', () => {
  it.each(boundaries)('is $size for $value', ({ value, size }) => {
    expect(varintSize(value)).toBe(size);
    if (Number.isSafeInteger(Number(value)) && BigInt(Number(value)) === value) expect(varintSize(Number(value))).toBe(size);
  });

  it('agrees with the writer and the reader across a sweep of magnitudes', () => {
    for (let bits = 0; bits < 64; bits++) {
      for (const value of [(1n << BigInt(bits)) - 1n, 1n << BigInt(bits), -(1n << BigInt(bits))]) {
        const signed = BigInt.asIntN(64, value);
        expect(varintSize(signed)).toBe(varint(signed).length);
        expect(readVarint(varint(signed), 0)?.sizeInBytes).toBe(varintSize(signed));
      }
    }
  });
});
