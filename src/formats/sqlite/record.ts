/**
 * SQLite records (sqlite.md §1.6): a header-size varint (counting itself), one serial-type varint
 * per column, then the values back to back.
 * Spec: https://www.sqlite.org/fileformat2.html#record_format
 */
import { readVarintInto } from '../../bytes/varint.js';
import type { SqlText, StorageClass } from '../../evidence/record.js';
import type { TextEncoding } from './layout.js';
import { formatReal } from './values.js';

export interface RecordHeader {
  /** Value of the header-size varint (bytes, including itself). */
  readonly headerSizeInBytes: number;
  readonly serialTypes: readonly number[];
  /** Sum of the body sizes the serial types call for. */
  readonly bodySizeInBytes: number;
}

export type HeaderOutcome = { readonly ok: true; readonly header: RecordHeader } | { readonly ok: false; readonly problem: string };

const scratch = { value: 0, big: undefined as bigint | undefined };

/** Body size in bytes of a serial type; -1 for the reserved types 10 and 11. */
export function serialTypeSize(serialType: number): number {
  if (serialType >= 12) return Math.floor((serialType - 12) / 2);
  switch (serialType) {
    case 0:
    case 8:
    case 9:
      return 0;
    case 1:
      return 1;
    case 2:
      return 2;
    case 3:
      return 3;
    case 4:
      return 4;
    case 5:
      return 6;
    case 6:
    case 7:
      return 8;
    default:
      return -1;
  }
}

export function storageClassOf(serialType: number): StorageClass {
  if (serialType === 0) return 'null';
  if (serialType === 7) return 'real';
  if (serialType >= 12) return serialType % 2 === 0 ? 'blob' : 'text';
  return 'integer';
}

/**
 * Reads a record header at `at` whose header must end by `end`. Fails on a header-size varint
 * smaller than its own size or running past `end`, on reserved serial types 10/11, or on a
 * serial-type varint that crosses the header end.
 */
export function parseRecordHeader(bytes: Uint8Array, at: number, end: number, maximumColumns = 32_767): HeaderOutcome {
  const size = readVarintInto(bytes, at, end, scratch);
  if (size === 0) return { ok: false, problem: 'header-size varint runs past the payload' };
  const headerSize = scratch.value;
  if (scratch.big !== undefined || headerSize < size || at + headerSize > end) {
    return { ok: false, problem: `header size ${scratch.big ?? headerSize} does not fit the payload` };
  }
  const headerEnd = at + headerSize;
  const serialTypes: number[] = [];
  let bodySize = 0;
  let position = at + size;
  while (position < headerEnd) {
    const typeSize = readVarintInto(bytes, position, headerEnd, scratch);
    if (typeSize === 0) return { ok: false, problem: 'serial-type varint crosses the header end' };
    const serialType = scratch.value;
    if (scratch.big !== undefined || serialType < 0 || serialType === 10 || serialType === 11 || serialType > 0x7fffffff) {
      return { ok: false, problem: `serial type ${scratch.big ?? serialType} is invalid` };
    }
    serialTypes.push(serialType);
    if (serialTypes.length > maximumColumns) return { ok: false, problem: `more than ${maximumColumns} columns` };
    bodySize += serialType >= 12 ? (serialType - 12) >> 1 : serialTypeSize(serialType);
    position += typeSize;
  }
  return { ok: true, header: { headerSizeInBytes: headerSize, serialTypes, bodySizeInBytes: bodySize } };
}

export interface DecodedValues {
  readonly types: StorageClass[];
  readonly values: SqlText[];
  /** True when some TEXT held bytes invalid in the database encoding (replaced by U+FFFD). */
  readonly textInvalid: boolean;
}

// ignoreBOM: a leading U+FEFF is part of the stored value (sqlite3 returns it), not a marker to strip.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Lenient = new TextDecoder('utf-8', { ignoreBOM: true });
const utf16le = new TextDecoder('utf-16le', { ignoreBOM: true });
const utf16be = new TextDecoder('utf-16be', { ignoreBOM: true });

/** Decodes text in the database encoding; `valid` is false when bytes had to be replaced. */
export function decodeText(bytes: Uint8Array, start: number, end: number, encoding: TextEncoding): { text: string; valid: boolean } {
  if (encoding === 1) {
    // Fast path for ASCII, by far the most common case in POS ledgers.
    let ascii = true;
    for (let index = start; index < end; index++) {
      if ((bytes[index] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return { text: Buffer.prototype.latin1Slice.call(bytes, start, end) as string, valid: true };
    const view = bytes.subarray(start, end);
    try {
      return { text: utf8.decode(view), valid: true };
    } catch {
      return { text: utf8Lenient.decode(view), valid: false };
    }
  }
  const length = end - start;
  const even = length % 2 === 0;
  const view = bytes.subarray(start, even ? end : end - 1);
  const text = (encoding === 2 ? utf16le : utf16be).decode(view);
  return { text, valid: even };
}

const hexDigits = '0123456789abcdef';

export function bytesToHex(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > 64) return Buffer.prototype.hexSlice.call(bytes, start, end) as string;
  let out = '';
  for (let index = start; index < end; index++) {
    const byte = bytes[index] as number;
    out += (hexDigits[byte >> 4] as string) + (hexDigits[byte & 15] as string);
  }
  return out;
}

function readSignedInteger(bytes: Uint8Array, at: number, size: number): number | bigint {
  if (size <= 6) {
    let unsigned = 0;
    for (let index = 0; index < size; index++) unsigned = unsigned * 256 + (bytes[at + index] as number);
    return (bytes[at] as number) & 0x80 ? unsigned - 2 ** (8 * size) : unsigned;
  }
  let big = 0n;
  for (let index = 0; index < 8; index++) big = (big << 8n) | BigInt(bytes[at + index] as number);
  big = BigInt.asIntN(64, big);
  if (big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(big);
  return big;
}

const realView = new DataView(new ArrayBuffer(8));

/**
 * Decodes the values of a record whose serial types are known and whose body starts at `bodyStart`
 * in `bytes` and must end by `end`. Returns undefined when the body does not fit.
 */
export function decodeRecordBody(
  bytes: Uint8Array,
  bodyStart: number,
  end: number,
  serialTypes: readonly number[],
  encoding: TextEncoding,
): DecodedValues | undefined {
  const types: StorageClass[] = new Array<StorageClass>(serialTypes.length);
  const values: SqlText[] = new Array<SqlText>(serialTypes.length);
  let textInvalid = false;
  let at = bodyStart;
  for (let column = 0; column < serialTypes.length; column++) {
    const serialType = serialTypes[column] as number;
    if (serialType >= 12) {
      const size = (serialType - 12) >> 1;
      if (at + size > end) return undefined;
      if (serialType & 1) {
        const decoded = decodeText(bytes, at, at + size, encoding);
        if (!decoded.valid) textInvalid = true;
        types[column] = 'text';
        values[column] = decoded.text;
      } else {
        types[column] = 'blob';
        values[column] = bytesToHex(bytes, at, at + size);
      }
      at += size;
      continue;
    }
    switch (serialType) {
      case 0:
        types[column] = 'null';
        values[column] = null;
        break;
      case 8:
        types[column] = 'integer';
        values[column] = '0';
        break;
      case 9:
        types[column] = 'integer';
        values[column] = '1';
        break;
      case 7: {
        if (at + 8 > end) return undefined;
        for (let index = 0; index < 8; index++) realView.setUint8(index, bytes[at + index] as number);
        const real = realView.getFloat64(0, false);
        // SQLite reads a stored NaN as NULL (sqlite3VdbeSerialGet); report it the way sqlite3 does.
        types[column] = Number.isNaN(real) ? 'null' : 'real';
        values[column] = Number.isNaN(real) ? null : formatReal(real);
        at += 8;
        break;
      }
      default: {
        const size = serialTypeSize(serialType);
        if (at + size > end) return undefined;
        types[column] = 'integer';
        values[column] = String(readSignedInteger(bytes, at, size));
        at += size;
      }
    }
  }
  return { types, values, textInvalid };
}
