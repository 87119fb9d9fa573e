import { describe, expect, it } from 'vitest';
import { toHex, u16be, u16beUnchecked, u32be, u32beUnchecked, u32le, u8 } from '../../src/bytes/read.js';
import { hex, noise, withNoise } from '../support/bytes.js';

describe('bounds-checked readers', () => {
  const bytes = hex`01 80 ff 7f 12 34 56 78`;

  it('read big- and little-endian fields with the high bit set as unsigned', () => {
    expect(u8(bytes, 2)).toBe(0xff);
    expect(u16be(bytes, 1)).toBe(0x80ff);
    expect(u16be(hex`ff ff`, 0)).toBe(65_535);
    expect(u32be(bytes, 4)).toBe(0x12345678);
    expect(u32le(bytes, 4)).toBe(0x78563412);
    expect(u32be(hex`ff ff ff ff`, 0)).toBe(4_294_967_295);
    expect(u32le(hex`ff ff ff ff`, 0)).toBe(4_294_967_295);
    expect(u32be(hex`80 00 00 00`, 0)).toBe(2_147_483_648);
    expect(u32le(hex`00 00 00 80`, 0)).toBe(2_147_483_648);
  });

  it('read at absolute offsets inside noise', () => {
    const framed = withNoise(29, hex`de ad be ef`);
    expect(u8(framed, 29)).toBe(0xde);
    expect(u16be(framed, 29)).toBe(0xdead);
    expect(u32be(framed, 29)).toBe(0xdeadbeef);
    expect(u32le(framed, 29)).toBe(0xefbeadde);
  });

  it('return undefined when the field does not fit: empty, one byte short, negative offset', () => {
    const empty = new Uint8Array(0);
    expect(u8(empty, 0)).toBeUndefined();
    expect(u16be(empty, 0)).toBeUndefined();
    expect(u32be(empty, 0)).toBeUndefined();
    expect(u32le(empty, 0)).toBeUndefined();
    expect(u8(bytes, 8)).toBeUndefined();
    expect(u16be(bytes, 7)).toBeUndefined();
    expect(u32be(bytes, 5)).toBeUndefined();
    expect(u32le(bytes, 5)).toBeUndefined();
    expect(u8(bytes, -1)).toBeUndefined();
    expect(u16be(bytes, -1)).toBeUndefined();
    expect(u32be(bytes, -1)).toBeUndefined();
    expect(u32le(bytes, -1)).toBeUndefined();
    // The last field that fits exactly.
    expect(u8(bytes, 7)).toBe(0x78);
    expect(u16be(bytes, 6)).toBe(0x5678);
    expect(u32be(bytes, 4)).toBe(0x12345678);
  });

  it('unchecked variants agree with the checked ones wherever the field fits', () => {
    const sample = noise(40, 0x21);
    for (let at = 0; at + 4 <= sample.length; at++) {
      expect(u16beUnchecked(sample, at)).toBe(u16be(sample, at));
      expect(u32beUnchecked(sample, at)).toBe(u32be(sample, at));
    }
  });

  it('never throws at any offset of a short buffer', () => {
    const sample = noise(6);
    for (let at = -3; at < 10; at++) {
      for (const read of [u8, u16be, u32be, u32le]) {
        const value = read(sample, at);
        if (value !== undefined) expect(value).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('toHex honours the view (a subarray with a byte offset)', () => {
    const framed = withNoise(5, hex`00 0a ff`);
    expect(toHex(framed.subarray(5, 8))).toBe('000aff');
    expect(toHex(new Uint8Array(0))).toBe('');
  });
});
