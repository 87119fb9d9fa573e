import { Parser } from 'binary-parser';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/bytes/decode.js';
import { filePath } from '../../src/provenance/path.js';
import { hex, withNoise } from '../support/bytes.js';

const path = filePath('evidence.bin');

interface Pair {
  readonly tag: number;
  readonly size: number;
  readonly body: Uint8Array;
}

const layout = new Parser().endianness('big').uint16('tag').uint32('size').buffer('body', { length: 2 });
const asserted = new Parser().endianness('big').uint16('tag', { assert: 0x5157 }).uint8('flag');

describe('decode', () => {
  it('parses a layout at offset 0', () => {
    const outcome = decode<Pair>(layout, 8, hex`5157 0000 0102 aabb`, 0, path, 'test.pair.truncated', 'Pair');
    expect(outcome.kind).toBe('parsed');
    if (outcome.kind !== 'parsed') return;
    expect(outcome.value.tag).toBe(0x5157);
    expect(outcome.value.size).toBe(0x102);
    expect([...outcome.value.body]).toEqual([0xaa, 0xbb]);
    expect(outcome.issues).toEqual([]);
  });

  it('parses the same bytes at a non-zero offset inside noise (relative view, absolute at)', () => {
    const bytes = withNoise(333, hex`5157 ffff ffff 0102`);
    const outcome = decode<Pair>(layout, 8, bytes, 333, path, 'test.pair.truncated', 'Pair');
    expect(outcome).toMatchObject({ kind: 'parsed', value: { tag: 0x5157, size: 0xffffffff } });
  });

  it('reports an empty buffer with the needed and available sizes', () => {
    const outcome = decode<Pair>(layout, 8, new Uint8Array(0), 0, path, 'test.pair.truncated', 'Pair');
    expect(outcome).toEqual({
      kind: 'malformed',
      issues: [{ code: 'test.pair.truncated', severity: 'error', message: 'Pair at 0x00000000: needs 8 bytes, 0 available', path, offsetInLeaf: 0 }],
    });
  });

  it('reports one byte short at an absolute offset', () => {
    const bytes = withNoise(100, hex`5157 0000 0102 aa`).subarray(0, 107);
    const outcome = decode<Pair>(layout, 8, bytes, 100, path, 'test.pair.truncated', 'Pair');
    expect(outcome).toEqual({
      kind: 'malformed',
      issues: [{ code: 'test.pair.truncated', severity: 'error', message: 'Pair at 0x00000064: needs 8 bytes, 7 available', path, offsetInLeaf: 100 }],
    });
  });

  it('reports a start before the buffer or past its end without throwing', () => {
    const negative = decode<Pair>(layout, 8, hex`00 00 00 00 00 00 00 00`, -1, path, 'test.pair.truncated', 'Pair');
    expect(negative.kind).toBe('malformed');
    const past = decode<Pair>(layout, 8, hex`00 00`, 5, path, 'test.pair.truncated', 'Pair');
    expect(past).toMatchObject({ kind: 'malformed', issues: [{ message: 'Pair at 0x00000005: needs 8 bytes, 0 available', offsetInLeaf: 5 }] });
  });

  it('turns a failed layout assertion (a bad magic) into malformed, never a throw', () => {
    const outcome = decode<{ tag: number }>(asserted, 3, withNoise(16, hex`0000 01`), 16, path, 'test.magic.bad', 'Tagged');
    expect(outcome).toEqual({
      kind: 'malformed',
      issues: [{ code: 'test.magic.bad', severity: 'error', message: 'Tagged at 0x00000010: Error: Assertion error: vars.tag is 20823', path, offsetInLeaf: 16 }],
    });
    expect(decode<{ tag: number }>(asserted, 3, hex`5157 01`, 0, path, 'test.magic.bad', 'Tagged')).toMatchObject({ kind: 'parsed', value: { tag: 0x5157, flag: 1 } });
  });

  it('never throws when cut at any length', () => {
    const bytes = hex`5157 0000 0102 aabb`;
    for (let length = 0; length <= bytes.length; length++) {
      const outcome = decode<Pair>(layout, 8, bytes.subarray(0, length), 0, path, 'test.pair.truncated', 'Pair');
      expect(outcome.kind).toBe(length === 8 ? 'parsed' : 'malformed');
    }
  });
});
