/**
 * SQLite varints: 1–9 bytes, big-endian, 7 bits per byte with a continuation bit on bytes 1–8,
 * all 8 bits of a 9th byte; the result is a 64-bit two's-complement integer.
 * Spec: https://www.sqlite.org/fileformat2.html#varint
 */

export interface Varint {
  /** The value as a number when it is a safe integer; otherwise the exact bigint. */
  readonly value: number;
  /** Exact value, always present for 9-byte or large varints; equals BigInt(value) otherwise. */
  readonly big: bigint | undefined;
  readonly sizeInBytes: number;
}

/**
 * Reads a varint at `at`, stopping at `end` (exclusive). Returns the byte count consumed, or 0 when
 * the varint runs past `end`. The value is written to `out` to avoid allocation on hot paths:
 * `out.value` is a number (exact while below 2^53); `out.big` is set only when the value is not a
 * safe integer.
 */
export const varintScratch: { value: number; big: bigint | undefined } = { value: 0, big: undefined };

export function readVarintInto(bytes: Uint8Array, at: number, endAsked: number, out: { value: number; big: bigint | undefined }): number {
  // Never read outside the buffer, whatever `end` the caller computed from evidence.
  if (at < 0) return 0;
  const end = Math.min(endAsked, bytes.length);
  let value = 0;
  for (let index = 0; index < 8; index++) {
    const position = at + index;
    if (position >= end) return 0;
    const byte = bytes[position] as number;
    if (index < 7) {
      value = value * 128 + (byte & 0x7f);
    } else {
      // From the 8th byte on, values can exceed 2^53: switch to bigint.
      return readVarintSlow(bytes, at, end, out);
    }
    if ((byte & 0x80) === 0) {
      out.value = value;
      out.big = undefined;
      return index + 1;
    }
  }
  return 0;
}

function readVarintSlow(bytes: Uint8Array, at: number, end: number, out: { value: number; big: bigint | undefined }): number {
  let value = 0n;
  for (let index = 0; index < 9; index++) {
    const position = at + index;
    if (position >= end) return 0;
    const byte = bytes[position] as number;
    if (index === 8) {
      value = (value << 8n) | BigInt(byte);
      return finish(value, 9, out);
    }
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) return finish(value, index + 1, out);
  }
  return 0;
}

function finish(unsigned: bigint, size: number, out: { value: number; big: bigint | undefined }): number {
  const signed = BigInt.asIntN(64, unsigned);
  if (signed >= BigInt(Number.MIN_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER)) {
    out.value = Number(signed);
    out.big = undefined;
  } else {
    out.value = Number(signed);
    out.big = signed;
  }
  return size;
}

/** Convenience form: `undefined` when the varint runs past `end`. */
export function readVarint(bytes: Uint8Array, at: number, end: number = bytes.length): Varint | undefined {
  const out = { value: 0, big: undefined as bigint | undefined };
  const size = readVarintInto(bytes, at, end, out);
  if (size === 0) return undefined;
  return { value: out.value, big: out.big, sizeInBytes: size };
}

/** Number of bytes SQLite's own writer uses for `value` (always the shortest form). */
export function varintSize(value: bigint | number): number {
  let unsigned = BigInt.asUintN(64, BigInt(value));
  if (unsigned > 0x00ffffffffffffffn) return 9;
  let size = 1;
  while (unsigned > 0x7fn) {
    unsigned >>= 7n;
    size++;
  }
  return size;
}
