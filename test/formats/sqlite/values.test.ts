import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatReal } from '../../../src/formats/sqlite/values.js';
import { hasSqlite3 } from '../../support/sqlite3.js';

function bitsOf(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, false);
  return [0, 1, 2, 3, 4, 5, 6, 7].map((index) => view.getUint8(index).toString(16).padStart(2, '0')).join('');
}

function fromBits(bitsHex: string): number {
  return new DataView(Uint8Array.from(Buffer.from(bitsHex, 'hex')).buffer).getFloat64(0, false);
}

/** Deterministic 32-bit generator (mulberry32). */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Doubles chosen to break a %!.15g reimplementation. */
function trickyDoubles(): number[] {
  const values: number[] = [
    0, -0, 1, -1, 0.5, 1.5, 2.5, -2.5, 100, 1 / 3, 2 / 3, -1 / 3, 0.1, 0.2, 0.3, 0.1 + 0.2, 0.7, 1.1, 1.005, 1.05, 2.675,
    1e15, 1e15 - 1, 1e15 + 1, 1e14, 99_999_999_999_999.9, 999_999_999_999_999.9, 999_999_999_999_999, 9_999_999_999_999_998, 123_456_789_012_345.0,
    123_456_789_012_345.6, 1_234_567_890_123_455, 1_234_567_890_123_465, 12_345_678_901_234.55, 0.000_123_456_789_012_345_5,
    1e-4, 1e-5, 0.000_099_999_999_999_999_99, 0.000_1 - Number.EPSILON / 1000, 9.999_999_999_999_995, 9.999_999_999_999_994, 0.999_999_999_999_999_4, 0.999_999_999_999_999_5,
    2 ** 52, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, -(2 ** 63), 2 ** -1022, 2 ** -1074, 2 ** -1073, 3 * 2 ** -1074, 2.225_073_858_507_201e-308, 2.225_073_858_507_201_4e-308,
    Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, Number.EPSILON, 1 + Number.EPSILON, 1 - Number.EPSILON / 2,
    Infinity, -Infinity, 3.141_592_653_589_793, 2.718_281_828_459_045, 6.022_140_76e23, 1.602_176_634e-19, 299_792_458, 0.000_001, 1e-7, 1.5e-5, 2e-5,
    12.34, 1234.5678, 99.99, 19.99, 0.01, 0.015, 0.025, 4.35, 1.1e-10, 1e21, 1e22, 1e23, 5e-324, 1.797_693_134_862_315_7e308, 4.940_656_458_412_465_4e-324,
  ];
  for (let exponent = -324; exponent <= 308; exponent++) values.push(Number(`1e${exponent}`), Number(`-9.99999999999999e${exponent}`), Number(`5.5e${exponent}`));
  for (let power = -1074; power <= 1023; power += 7) values.push(2 ** power);
  for (let digits = 1; digits <= 17; digits++) values.push(Number('9'.repeat(digits)), Number(`0.${'9'.repeat(digits)}`), Number(`1.${'0'.repeat(digits - 1)}5`));
  return values;
}

/**
 * Doubles whose 16th significant digit and beyond sit right at "5000…" (where SQLite's long-double
 * printf and a correctly rounded one can differ), over the whole exponent range.
 */
function nearTies(count: number): number[] {
  const next = generator(0x7e5);
  const values: number[] = [];
  for (let index = 0; index < count; index++) {
    const leading = String(1 + (next() % 9)) + String(next() % 100_000_000).padStart(8, '0') + String(next() % 1_000_000).padStart(6, '0');
    const exponent = (next() % 632) - 323;
    const tail = ['5', '49999', '50001', '5000000001', '4999999999'][index % 5] as string;
    const value = Number(`${leading.slice(0, 1)}.${leading.slice(1)}${tail}e${exponent}`);
    if (Number.isFinite(value) && value !== 0) values.push(index % 2 === 0 ? value : -value);
  }
  // Integers and halves with exactly 16 significant digits: exact ties.
  for (let index = 0; index < 200; index++) values.push(1_000_000_000_000_005 + 10 * (next() % 800_000_000_000_000), 100_000_000_000_000.5 + (next() % 800_000_000_000_000));
  return values;
}

/** Random bit patterns (every exponent) and random prices with 2 decimals: NaNs excluded. */
function randomDoubles(count: number): number[] {
  const next = generator(0x5eed);
  const values: number[] = [];
  while (values.length < count) {
    const high = next();
    const low = next();
    const value = fromBits(high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0'));
    if (!Number.isNaN(value)) values.push(value);
    values.push((next() % 10_000_000) / 100);
  }
  return values;
}

describe('formatReal', () => {
  it.each([
    [0, '0.0'],
    [-0, '0.0'],
    [1, '1.0'],
    [-1, '-1.0'],
    [100, '100.0'],
    [1.5, '1.5'],
    [0.1, '0.1'],
    [1 / 3, '0.333333333333333'],
    [2 / 3, '0.666666666666667'],
    [0.1 + 0.2, '0.3'],
    [1e15, '1.0e+15'],
    [1e14, '100000000000000.0'],
    [999_999_999_999_999.9, '1.0e+15'],
    [123_456_789_012_345.0, '123456789012345.0'],
    [1e-4, '0.0001'],
    [1e-5, '1.0e-05'],
    [1.5e-5, '1.5e-05'],
    [1e100, '1.0e+100'],
    [-2.5e-7, '-2.5e-07'],
    [5e-324, '4.94065645841247e-324'],
    // Where SQLite 3.40's long-double printf rounds a tie (or near tie) the other way.
    [1_234_567_890_123_465, '1.23456789012346e+15'],
    [-836_117_344_780_056.5, '-836117344780056.0'],
    [7.697_659_301_183_335e174, '7.69765930118333e+174'],
    [1_234_567_890_123_455, '1.23456789012346e+15'],
    [Number.MAX_VALUE, '1.79769313486232e+308'],
    [Infinity, 'Inf'],
    [-Infinity, '-Inf'],
    [Number.NaN, 'NaN'],
  ])('formats %d as %s', (value, text) => {
    expect(formatReal(value)).toBe(text);
  });

  it('always has a decimal point or an exponent, and at most 15 significant digits', () => {
    for (const value of [...trickyDoubles(), ...randomDoubles(2000)]) {
      const text = formatReal(value);
      if (!Number.isFinite(value)) continue;
      expect(text).toMatch(/^-?\d+\.\d+(e[+-]\d{2,3})?$/);
      expect(text.replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '').length).toBeLessThanOrEqual(15);
    }
  });

  describe.skipIf(!hasSqlite3())('against sqlite3 CAST(x AS TEXT)', () => {
    it('agrees on the tricky list and on random doubles (exact bits via ieee754_from_blob)', () => {
      const values = [...trickyDoubles(), ...nearTies(3000), ...randomDoubles(3000)];
      const sql = values.map((value) => `SELECT CAST(ieee754_from_blob(x'${bitsOf(value)}') AS TEXT);`).join('\n');
      const output = execFileSync('sqlite3', ['-batch', ':memory:'], { input: sql, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n');
      const disagreements: string[] = [];
      values.forEach((value, index) => {
        const expected = output[index];
        const actual = formatReal(value);
        if (actual !== expected) disagreements.push(`${bitsOf(value)} (${value}): sqlite3 ${expected}, formatReal ${actual}`);
      });
      expect(disagreements).toEqual([]);
      expect(values.length).toBeGreaterThan(8000);
    });
  });
});
