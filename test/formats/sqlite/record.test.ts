import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex, decodeRecordBody, decodeText, parseRecordHeader, serialTypeSize, storageClassOf } from '../../../src/formats/sqlite/record.js';
import { record, varint } from '../../../samples/lib/sqlite-bytes.js';
import type { RecordField } from '../../../samples/lib/sqlite-bytes.js';
import { asOracleRows, readDatabaseFile } from '../../support/read-database.js';
import { concat, hex, noise, withNoise } from '../../support/bytes.js';
import { hasSqlite3, makeTempDir, oracleRows, removeDir, runSqlite } from '../../support/sqlite3.js';

/** Header then body of `fields`, decoded as the live decoder does. */
function roundTrip(fields: readonly RecordField[], encoding: 1 | 2 | 3 = 1, prefix = 0) {
  const bytes = withNoise(prefix, record(fields));
  const end = prefix + record(fields).length;
  const header = parseRecordHeader(bytes, prefix, end);
  if (!header.ok) throw new Error(header.problem);
  return { header: header.header, body: decodeRecordBody(bytes, prefix + header.header.headerSizeInBytes, end, header.header.serialTypes, encoding) };
}

function real(bitsHex: string): RecordField {
  return { serialType: 7, body: Uint8Array.from(Buffer.from(bitsHex, 'hex')) };
}

describe('serial types', () => {
  it('sizes every serial type 0–13 and large blobs/text; 10 and 11 are reserved', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map(serialTypeSize)).toEqual([0, 1, 2, 3, 4, 6, 8, 8, 0, 0, -1, -1, 0, 0, 1, 1]);
    expect(serialTypeSize(12 + 2 * 1000)).toBe(1000);
    expect(serialTypeSize(13 + 2 * 1000)).toBe(1000);
    expect(serialTypeSize(0x7fffffff)).toBe((0x7fffffff - 13) / 2);
  });

  it('maps serial types to storage classes', () => {
    expect([0, 1, 6, 7, 8, 9, 12, 13, 100, 101].map(storageClassOf)).toEqual(['null', 'integer', 'integer', 'real', 'integer', 'integer', 'blob', 'text', 'blob', 'text']);
  });
});

describe('parseRecordHeader', () => {
  it('reads header size, serial types and body size for every serial type 0–9', () => {
    const fields: RecordField[] = [null, { integer: 1, size: 1 }, { integer: 2, size: 2 }, { integer: 3, size: 3 }, { integer: 4, size: 4 }, { integer: 5, size: 6 }, { integer: 6, size: 8 }, { real: 1.5 }, 0, 1];
    const bytes = record(fields);
    expect(bytes[0]).toBe(11);
    expect(parseRecordHeader(bytes, 0, bytes.length)).toEqual({ ok: true, header: { headerSizeInBytes: 11, serialTypes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], bodySizeInBytes: 1 + 2 + 3 + 4 + 6 + 8 + 8 } });
  });

  it('counts blob and text bodies and multi-byte serial-type varints', () => {
    const text = 'x'.repeat(100);
    const bytes = record([new Uint8Array(3), text, '']);
    // 13 + 2 × 100 = 213 needs a 2-byte varint.
    expect(parseRecordHeader(bytes, 0, bytes.length)).toEqual({ ok: true, header: { headerSizeInBytes: 5, serialTypes: [18, 213, 13], bodySizeInBytes: 103 } });
  });

  it('reads a header whose size needs a 2-byte varint (it counts itself)', () => {
    const fields = new Array<RecordField>(130).fill(null);
    const bytes = record(fields);
    expect([...bytes.subarray(0, 2)]).toEqual([0x81, 0x04]);
    expect(parseRecordHeader(bytes, 0, bytes.length)).toMatchObject({ ok: true, header: { headerSizeInBytes: 132, bodySizeInBytes: 0 } });
  });

  it('reads at a non-zero offset inside noise, bounded by an absolute end', () => {
    const bytes = record([null, 'abc', 7]);
    const framed = withNoise(301, bytes);
    expect(parseRecordHeader(framed, 301, 301 + bytes.length)).toEqual({ ok: true, header: { headerSizeInBytes: 4, serialTypes: [0, 19, 1], bodySizeInBytes: 4 } });
    // The header may end exactly at `end`, body or not.
    expect(parseRecordHeader(framed, 301, 305)).toMatchObject({ ok: true });
  });

  it('accepts an empty record (header size 1, no columns)', () => {
    expect(parseRecordHeader(hex`01`, 0, 1)).toEqual({ ok: true, header: { headerSizeInBytes: 1, serialTypes: [], bodySizeInBytes: 0 } });
  });

  it.each([
    ['an empty payload', new Uint8Array(0), 'header-size varint runs past the payload'],
    ['a cut header-size varint', hex`81`, 'header-size varint runs past the payload'],
    ['header size 0', hex`00 01`, 'header size 0 does not fit the payload'],
    ['a 2-byte header-size varint claiming 1', hex`80 01 01`, 'header size 1 does not fit the payload'],
    ['header size one byte past the end', hex`04 01 01`, 'header size 4 does not fit the payload'],
    ['a 64-bit header size', concat(varint(2n ** 63n - 1n), hex`01`), 'header size 9223372036854775807 does not fit the payload'],
    ['a negative header size', concat(varint(-1), hex`01`), 'header size -1 does not fit the payload'],
    ['serial type 10', hex`02 0a`, 'serial type 10 is invalid'],
    ['serial type 11', hex`03 01 0b 05`, 'serial type 11 is invalid'],
    ['a serial-type varint crossing the header end', hex`02 81 01`, 'serial-type varint crosses the header end'],
    ['a negative serial type', concat(hex`0a`, varint(-1)), 'serial type -1 is invalid'],
    ['a 64-bit serial type', concat(hex`0a`, varint(2n ** 62n)), 'serial type 4611686018427387904 is invalid'],
    ['a serial type above 2^31 − 1', concat(hex`06`, varint(2 ** 31)), 'serial type 2147483648 is invalid'],
  ] as const)('rejects %s', (_name, bytes, problem) => {
    expect(parseRecordHeader(bytes, 0, bytes.length)).toEqual({ ok: false, problem });
  });

  it('rejects more columns than the maximum', () => {
    const bytes = record([null, null, null]);
    expect(parseRecordHeader(bytes, 0, bytes.length, 2)).toEqual({ ok: false, problem: 'more than 2 columns' });
    expect(parseRecordHeader(bytes, 0, bytes.length, 3)).toMatchObject({ ok: true });
  });

  it('never throws and never reads past `end` across truncations and byte flips', () => {
    const bytes = record([null, 'A1B2C3D4', 12_345, { real: 0.1 }, new Uint8Array(5), 2n ** 62n]);
    const failures: string[] = [];
    const check = (input: Uint8Array, end: number): void => {
      const outcome = parseRecordHeader(input, 0, end);
      if (outcome.ok && outcome.header.headerSizeInBytes > end) failures.push(`header past end ${end}`);
      if (outcome.ok) {
        const body = decodeRecordBody(input, outcome.header.headerSizeInBytes, end, outcome.header.serialTypes, 1);
        if (body !== undefined && body.values.length !== outcome.header.serialTypes.length) failures.push('value count');
      }
    };
    for (let length = 0; length <= bytes.length; length++) check(bytes.subarray(0, length), length);
    for (let index = 0; index < bytes.length; index++) {
      for (const value of [0x00, 0xff]) {
        const mutated = bytes.slice();
        mutated[index] = value;
        check(mutated, mutated.length);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('decodeRecordBody', () => {
  it('decodes integers of 1/2/3/4/6/8 bytes at both signed extremes', () => {
    const cases: [1 | 2 | 3 | 4 | 6 | 8, bigint][] = [
      [1, 127n], [1, -128n], [1, -1n],
      [2, 32_767n], [2, -32_768n],
      [3, 8_388_607n], [3, -8_388_608n],
      [4, 2_147_483_647n], [4, -2_147_483_648n],
      [6, 140_737_488_355_327n], [6, -140_737_488_355_328n],
      [8, 9_223_372_036_854_775_807n], [8, -9_223_372_036_854_775_808n],
      [8, 9_007_199_254_740_991n], [8, 9_007_199_254_740_993n], [8, -9_007_199_254_740_993n], [8, 0n],
    ];
    const { body } = roundTrip(cases.map(([size, integer]) => ({ integer, size })), 1, 17);
    expect(body?.types).toEqual(cases.map(() => 'integer'));
    expect(body?.values).toEqual(cases.map(([, integer]) => integer.toString()));
  });

  it('decodes serial types 0, 8 and 9 as NULL, 0 and 1 without body bytes', () => {
    expect(roundTrip([null, 0, 1]).body).toEqual({ types: ['null', 'integer', 'integer'], values: [null, '0', '1'], textInvalid: false });
  });

  it('decodes doubles from their exact bits, as sqlite3 prints them', () => {
    const { body } = roundTrip([
      real('3ff8000000000000'), // 1.5
      real('3fb999999999999a'), // 0.1
      real('8000000000000000'), // −0.0
      real('7ff0000000000000'), // +Inf
      real('fff0000000000000'), // −Inf
      real('0000000000000001'), // smallest denormal
      real('7fefffffffffffff'), // largest double
      real('54b249ad2594c37d'), // 1e100
      real('c059000000000000'), // −100
    ]);
    expect(body?.types).toEqual(new Array(9).fill('real'));
    expect(body?.values).toEqual(['1.5', '0.1', '0.0', 'Inf', '-Inf', '4.94065645841247e-324', '1.79769313486232e+308', '1.0e+100', '-100.0']);
  });

  it('reads a stored NaN as NULL, as sqlite3 does', () => {
    expect(roundTrip([real('7ff8000000000000'), real('fff0000000000001'), { real: 2 }]).body).toEqual({ types: ['null', 'null', 'real'], values: [null, null, '2.0'], textInvalid: false });
  });

  it('decodes blobs as lower-case hex, short and long, at an offset', () => {
    const long = Uint8Array.from({ length: 100 }, (_, index) => (index * 37) & 0xff);
    const { body } = roundTrip([hex`00 0a ff`, new Uint8Array(0), long], 1, 9);
    expect(body?.types).toEqual(['blob', 'blob', 'blob']);
    expect(body?.values).toEqual(['000aff', '', Buffer.from(long).toString('hex')]);
  });

  it('decodes UTF-8, UTF-16le and UTF-16be text', () => {
    const text = 'Café 示例 😀';
    expect(roundTrip(['ascii only', text], 1).body).toEqual({ types: ['text', 'text'], values: ['ascii only', text], textInvalid: false });
    expect(roundTrip([{ text, encoding: 'utf-16le' }], 2).body).toEqual({ types: ['text'], values: [text], textInvalid: false });
    expect(roundTrip([{ text, encoding: 'utf-16be' }], 3).body).toEqual({ types: ['text'], values: [text], textInvalid: false });
  });

  it('flags invalid UTF-8 and odd-length UTF-16 (the odd byte is dropped, as sqlite3 does)', () => {
    expect(roundTrip([{ serialType: 13 + 2 * 3, body: hex`41 ff 42` }], 1).body).toEqual({ types: ['text'], values: ['A\ufffdB'], textInvalid: true });
    expect(roundTrip([{ serialType: 13 + 2 * 3, body: hex`41 00 42` }], 2).body).toEqual({ types: ['text'], values: ['A'], textInvalid: true });
    expect(roundTrip([{ serialType: 13 + 2 * 3, body: hex`00 41 42` }], 3).body).toEqual({ types: ['text'], values: ['A'], textInvalid: true });
  });

  it('keeps a leading byte-order mark as part of the text', () => {
    expect(roundTrip([{ serialType: 13 + 2 * 4, body: hex`ef bb bf 41` }], 1).body?.values).toEqual(['\ufeffA']);
    expect(roundTrip([{ serialType: 13 + 2 * 4, body: hex`ff fe 41 00` }], 2).body?.values).toEqual(['\ufeffA']);
    expect(roundTrip([{ serialType: 13 + 2 * 4, body: hex`fe ff 00 41` }], 3).body?.values).toEqual(['\ufeffA']);
  });

  it('returns undefined when any value runs one byte past `end`', () => {
    const fieldsList: RecordField[][] = [[{ integer: 5, size: 1 }], [{ integer: 5, size: 2 }], [{ integer: 5, size: 3 }], [{ integer: 5, size: 4 }], [{ integer: 5, size: 6 }], [{ integer: 5, size: 8 }], [{ real: 1 }], ['text'], [hex`01 02`], [null, 'x', 300]];
    for (const fields of fieldsList) {
      const bytes = record(fields);
      const header = parseRecordHeader(bytes, 0, bytes.length);
      if (!header.ok) throw new Error(header.problem);
      expect(decodeRecordBody(bytes, header.header.headerSizeInBytes, bytes.length, header.header.serialTypes, 1)).toBeDefined();
      expect(decodeRecordBody(bytes, header.header.headerSizeInBytes, bytes.length - 1, header.header.serialTypes, 1)).toBeUndefined();
    }
  });
});

describe('decodeText and bytesToHex', () => {
  it('decode only the given range of a larger buffer', () => {
    const framed = withNoise(50, new TextEncoder().encode('hello'));
    expect(decodeText(framed, 50, 55, 1)).toEqual({ text: 'hello', valid: true });
    expect(decodeText(framed, 50, 50, 1)).toEqual({ text: '', valid: true });
    expect(decodeText(framed, 50, 50, 2)).toEqual({ text: '', valid: true });
    expect(bytesToHex(framed, 50, 55)).toBe('68656c6c6f');
    const long = noise(200, 9);
    expect(bytesToHex(withNoise(3, long), 3, 203)).toBe(Buffer.from(long).toString('hex'));
    expect(bytesToHex(long, 10, 10)).toBe('');
  });
});

describe.skipIf(!hasSqlite3())('text and real edge cases against sqlite3', () => {
  const directory = makeTempDir();
  afterAll(() => removeDir(directory));

  // Each encoding's own byte-order mark, then text ending in half a UTF-16 unit. (U+FFFE is left
  // out: the oracle's json_array() rewrites it to U+FFFD although sqlite3 itself returns it.)
  it.each([
    ['UTF-8', 'efbbbf41'],
    ['UTF-16le', 'fffe4100'],
    ['UTF-16be', 'feff0041'],
  ])('%s: a byte-order mark, odd-length text and a NaN real read like sqlite3 reads them', (encoding, bom) => {
    const location = join(directory, `${encoding}.db`);
    runSqlite(
      location,
      `PRAGMA page_size=512; PRAGMA encoding='${encoding}';
       CREATE TABLE t(id INTEGER PRIMARY KEY, a, r REAL);
       INSERT INTO t VALUES (1, CAST(x'${bom}' AS TEXT), 1.25), (2, CAST(x'${bom}${bom}' AS TEXT), 2.5), (3, CAST(x'410042' AS TEXT), 4.125), (4, CAST(x'41' AS TEXT), 4.5);`,
    );
    // Overwrite the stored 1.25 with a NaN bit pattern (SQLite itself never writes one).
    const file = readFileSync(location);
    const at = file.indexOf(Buffer.from('3ff4000000000000', 'hex'));
    expect(at).toBeGreaterThan(0);
    Buffer.from('7ff8000000000000', 'hex').copy(file, at);
    const patched = join(directory, `${encoding}-nan.db`);
    writeFileSync(patched, file);
    const ours = readDatabaseFile(patched).records.get('t') ?? [];
    expect(asOracleRows(ours, false)).toEqual(oracleRows(patched, 't'));
    expect(ours[0]?.values[2]).toBeNull();
    expect(ours[0]?.values[1]).toBe('\ufeffA');
  });
});
