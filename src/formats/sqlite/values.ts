/**
 * Rendering values exactly as the sqlite3 CLI prints them: integers as decimal text, reals through
 * SQLite's "%!.15g" (15 significant digits, always a decimal point, exponent when the decimal
 * exponent is < −4 or ≥ 15, at least two exponent digits, "Inf"/"-Inf"), text as text, blobs as hex.
 */

export function formatReal(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return '0.0'; // SQLite's printf drops the sign of −0.0.
  // Fast path: whole numbers below 1e15 print as "<integer>.0".
  if (Number.isInteger(value) && value > -1e15 && value < 1e15) return `${value}.0`;
  // Fast path: when the shortest round-trip form has at most 15 significant digits and a plain
  // decimal form in SQLite's fixed-notation range, it is exactly what "%!.15g" prints.
  const shortest = String(value);
  if (shortest.indexOf('e') < 0) {
    const absolute = Math.abs(value);
    if (absolute >= 1e-4 && absolute < 1e15) {
      const significant = shortest.replace(/^-?0*\.?0*/, '').replace('.', '');
      if (significant.length <= 15) return shortest.includes('.') ? shortest : `${shortest}.0`;
    }
  }
  const negative = value < 0;
  const absolute = Math.abs(value);
  // toPrecision is correctly rounded; SQLite 3.40's printf is not. It scales the value into
  // [1, 10) and peels digits off in x87 80-bit long double arithmetic, so a value whose 16th and
  // later digits lie close to "5000…" can round the other way. Only there is that arithmetic
  // replayed (sqliteDigits); everywhere else both agree. Its error stays below 0.003 units of the
  // 15th digit up to 1e100 and below 0.05 beyond (there the double constant 1e100, a scale
  // factor, is itself off by 1.6e-17), so the margins keep a factor of two or more.
  // 17 digits (V8's fast path; 21 would take its slow bignum path) leave two digits past the
  // 15th: "49".."51" cover every true remainder within 0.01 of a tie, "40".."60" within 0.1.
  const text = absolute.toPrecision(17);
  let digits: string;
  let exponent: number;
  const e = text.indexOf('e');
  if (e >= 0) {
    digits = text.slice(0, e).replace('.', '');
    exponent = Number(text.slice(e + 1));
  } else {
    const point = text.indexOf('.');
    const integerPart = point >= 0 ? text.slice(0, point) : text;
    const fraction = point >= 0 ? text.slice(point + 1) : '';
    if (integerPart !== '0') {
      digits = integerPart + fraction;
      exponent = integerPart.length - 1;
    } else {
      const firstNonZero = fraction.search(/[1-9]/);
      digits = fraction.slice(firstNonZero);
      exponent = -(firstNonZero + 1);
    }
  }
  const beyond = (digits.charCodeAt(15) - 48) * 10 + (digits.charCodeAt(16) - 48) - 50;
  if (beyond >= -10 && beyond <= 10 && (absolute >= 1e100 || (beyond >= -1 && beyond <= 1))) {
    const replayed = sqliteDigits(absolute);
    digits = replayed.digits;
    exponent = replayed.exponent;
  } else if (beyond > 0) {
    // Round the 17 correctly rounded digits up to 15 (far from a tie, so no double rounding):
    // increment the last digit that is not a 9; the 9s after it become zeros, dropped below.
    let last = 14;
    while (last >= 0 && digits.charCodeAt(last) === 57) last--;
    if (last < 0) {
      digits = '1';
      exponent += 1;
    } else {
      digits = digits.slice(0, last) + String.fromCharCode(digits.charCodeAt(last) + 1);
    }
  } else {
    digits = digits.slice(0, 15);
  }
  digits = digits.replace(/0+$/, '');
  if (digits === '') digits = '0';
  let out: string;
  if (exponent < -4 || exponent >= 15) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : `${digits}.0`;
    const sign = exponent < 0 ? '-' : '+';
    out = `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  } else if (exponent >= 0) {
    const integerDigits = digits.length > exponent + 1 ? digits.slice(0, exponent + 1) : digits.padEnd(exponent + 1, '0');
    const fraction = digits.length > exponent + 1 ? digits.slice(exponent + 1) : '0';
    out = `${integerDigits}.${fraction}`;
  } else {
    out = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  return negative ? `-${out}` : out;
}

/**
 * A positive x87 extended-precision value m × 2^e, with m = 0 or 2^63 ≤ m < 2^64 (64-bit
 * significand, round half to even: the x86-64 Linux `long double` SQLite's printf computes in).
 */
interface Extended {
  readonly m: bigint;
  readonly e: number;
}

const significandLimit = 1n << 64n;

function bitLength(value: bigint): number {
  let bits = 0;
  let rest = value;
  while (rest >= significandLimit) {
    rest >>= 64n;
    bits += 64;
  }
  const high = Number(rest >> 32n);
  return high !== 0 ? bits + 64 - Math.clz32(high) : bits + 32 - Math.clz32(Number(rest));
}

function rounded(m: bigint, e: number): Extended {
  if (m === 0n) return { m: 0n, e: 0 };
  const bits = bitLength(m);
  if (bits <= 64) return { m: m << BigInt(64 - bits), e: e - (64 - bits) };
  const shift = BigInt(bits - 64);
  let kept = m >> shift;
  const rest = m - (kept << shift);
  const half = 1n << (shift - 1n);
  if (rest > half || (rest === half && (kept & 1n) === 1n)) kept += 1n;
  if (kept === significandLimit) return { m: kept >> 1n, e: e + bits - 63 };
  return { m: kept, e: e + bits - 64 };
}

const bitsView = new DataView(new ArrayBuffer(8));

function extendedOf(value: number): Extended {
  bitsView.setFloat64(0, value);
  const high = bitsView.getUint32(0);
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(bitsView.getUint32(4));
  const biased = (high >>> 20) & 0x7ff;
  return biased === 0 ? rounded(fraction, -1074) : rounded(fraction | (1n << 52n), biased - 1075);
}

function multiply(a: Extended, b: Extended): Extended {
  return rounded(a.m * b.m, a.e + b.e);
}

function divide(a: Extended, b: Extended): Extended {
  const numerator = a.m << 66n;
  const quotient = numerator / b.m;
  const sticky = numerator - quotient * b.m === 0n ? 0n : 1n;
  return rounded((quotient << 1n) | sticky, a.e - b.e - 67);
}

function addOrSubtract(a: Extended, b: Extended, sign: 1n | -1n): Extended {
  if (b.m === 0n) return a;
  if (a.m === 0n) return b;
  const e = Math.min(a.e, b.e);
  return rounded((a.m << BigInt(a.e - e)) + sign * (b.m << BigInt(b.e - e)), e);
}

function compare(a: Extended, b: Extended): number {
  if (a.m === 0n || b.m === 0n) return a.m === b.m ? 0 : a.m === 0n ? -1 : 1;
  if (a.e !== b.e) return a.e - b.e;
  return a.m === b.m ? 0 : a.m < b.m ? -1 : 1;
}

const one = extendedOf(1);
const ten = extendedOf(10);
const tenth = extendedOf(0.1);
const e8 = extendedOf(1e8);
const eMinus8 = extendedOf(1e-8);
const e10 = extendedOf(1e10);
const e100 = extendedOf(1e100);
/** arRound[14 % 10] × 1.0e-10, computed in double as SQLite does (`double rounder`). */
const rounder = extendedOf(5.0e-5 * 1.0e-10);

/**
 * The 15 digits and decimal exponent SQLite 3.40's sqlite3_str_vappendf produces for "%!.15g" of a
 * positive finite `absolute`: the normalisation loops, the added rounder and et_getdigit(),
 * replayed step by step in 80-bit arithmetic.
 */
function sqliteDigits(absolute: number): { digits: string; exponent: number } {
  let real = extendedOf(absolute);
  let exponent = 0;
  let scale = one;
  while (compare(real, multiply(e100, scale)) >= 0 && exponent <= 350) {
    scale = multiply(scale, e100);
    exponent += 100;
  }
  while (compare(real, multiply(e10, scale)) >= 0 && exponent <= 350) {
    scale = multiply(scale, e10);
    exponent += 10;
  }
  while (compare(real, multiply(ten, scale)) >= 0 && exponent <= 350) {
    scale = multiply(scale, ten);
    exponent += 1;
  }
  real = divide(real, scale);
  while (compare(real, eMinus8) < 0) {
    real = multiply(real, e8);
    exponent -= 8;
  }
  while (compare(real, one) < 0) {
    real = multiply(real, ten);
    exponent -= 1;
  }
  real = addOrSubtract(real, rounder, 1n);
  if (compare(real, ten) >= 0) {
    real = multiply(real, tenth);
    exponent += 1;
  }
  // et_getdigit: digit = (int)value; value = (value − digit) × 10. The value stays below 10, so
  // e < 0, and the subtraction only clears integer bits (exact); the product is rounded.
  let digits = '';
  for (let index = 0; index < 15; index++) {
    const shift = BigInt(-real.e);
    const digit = real.m >> shift;
    digits += String(digit);
    real = rounded((real.m - (digit << shift)) * 10n, real.e);
  }
  return { digits, exponent };
}
