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
  const text = Math.abs(value).toPrecision(15);
  // toPrecision gives either "d.dddd" / "ddd.dd" or "d.ddde+X".
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
