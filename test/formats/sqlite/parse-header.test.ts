import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSqliteMagic, pageSizeFromField, parseDatabaseHeader } from '../../../src/formats/sqlite/parse-header.js';
import { filePath } from '../../../src/provenance/path.js';
import { sqliteHeader } from '../../../samples/lib/sqlite-bytes.js';
import { concat, hex, noise, withNoise } from '../../support/bytes.js';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../../support/sqlite3.js';

const path = filePath('evidence.bin');

describe('parseDatabaseHeader', () => {
  it('parses a well-formed header and derives page size, usable size, encoding and trusted size', () => {
    const outcome = parseDatabaseHeader(sqliteHeader({ databaseSizeInPages: 7, fileChangeCounter: 3, firstFreelistTrunkPage: 5, freelistPageCount: 2, userVersion: 9, applicationId: 0x0f0e0d0c }), 0, path);
    expect(outcome.kind).toBe('parsed');
    if (outcome.kind !== 'parsed') return;
    expect(outcome.issues).toEqual([]);
    expect(outcome.value).toMatchObject({
      pageSizeField: 512,
      pageSize: 512,
      usableSize: 512,
      writeVersion: 1,
      readVersion: 1,
      reservedBytesPerPage: 0,
      maximumEmbeddedPayloadFraction: 64,
      minimumEmbeddedPayloadFraction: 32,
      leafPayloadFraction: 32,
      fileChangeCounter: 3,
      databaseSizeInPagesField: 7,
      firstFreelistTrunkPage: 5,
      freelistPageCount: 2,
      schemaFormatNumber: 4,
      textEncodingField: 1,
      encoding: 1,
      userVersion: 9,
      applicationId: 0x0f0e0d0c,
      versionValidFor: 3,
      sqliteVersionNumber: 3_040_001,
      trustedDatabaseSizeInPages: 7,
    });
  });

  it.each([512, 1024, 2048, 4096, 8192, 16_384, 32_768, 65_536])('accepts page size %d (65536 stored as 1)', (pageSize) => {
    const outcome = parseDatabaseHeader(sqliteHeader({ pageSize }), 0, path);
    expect(outcome).toMatchObject({ kind: 'parsed', value: { pageSize, usableSize: pageSize, pageSizeField: pageSize === 65_536 ? 1 : pageSize } });
  });

  it('subtracts reserved bytes from the usable size', () => {
    expect(parseDatabaseHeader(sqliteHeader({ pageSize: 4096, reservedBytesPerPage: 40 }), 0, path)).toMatchObject({ kind: 'parsed', value: { usableSize: 4056 } });
    expect(parseDatabaseHeader(sqliteHeader({ pageSize: 512, reservedBytesPerPage: 32 }), 0, path)).toMatchObject({ kind: 'parsed', value: { usableSize: 480 } });
  });

  it('reads unsigned 32-bit fields with the high bit set', () => {
    const outcome = parseDatabaseHeader(sqliteHeader({ fileChangeCounter: 0xffffffff, databaseSizeInPages: 0x80000000, versionValidFor: 0xffffffff }), 0, path);
    expect(outcome).toMatchObject({ kind: 'parsed', value: { fileChangeCounter: 4_294_967_295, trustedDatabaseSizeInPages: 2_147_483_648 } });
  });

  it('trusts the in-header size only when non-zero and the change counter equals version-valid-for', () => {
    expect(parseDatabaseHeader(sqliteHeader({ databaseSizeInPages: 4, fileChangeCounter: 5, versionValidFor: 4 }), 0, path)).toMatchObject({ kind: 'parsed', value: { trustedDatabaseSizeInPages: undefined, databaseSizeInPagesField: 4 } });
    expect(parseDatabaseHeader(sqliteHeader({ databaseSizeInPages: 0 }), 0, path)).toMatchObject({ kind: 'parsed', value: { trustedDatabaseSizeInPages: undefined } });
  });

  it('parses the same header at a non-zero offset inside noise and reports absolute offsets', () => {
    const at = 0x1234;
    const bytes = withNoise(at, sqliteHeader({ payloadFractions: [65, 32, 32], textEncoding: 7 }));
    const outcome = parseDatabaseHeader(bytes, at, path);
    expect(outcome).toMatchObject({ kind: 'parsed', value: { pageSize: 512, encoding: 1, textEncodingField: 7 } });
    if (outcome.kind !== 'parsed') return;
    expect(outcome.issues).toEqual([
      { code: 'sqlite.header.payload-fractions', severity: 'warning', message: 'SQLite header at 0x00001234: payload fractions 65/32/32 differ from 64/32/32', path, offsetInLeaf: at + 21 },
      { code: 'sqlite.header.encoding-invalid', severity: 'warning', message: 'SQLite header at 0x0000126c: text encoding 7 is not 1, 2 or 3; UTF-8 assumed', path, offsetInLeaf: at + 56, details: { value: 7 } },
    ]);
  });

  describe('guards', () => {
    it('is not this format on an empty buffer, before the start, past the end or without the magic', () => {
      expect(parseDatabaseHeader(new Uint8Array(0), 0, path)).toEqual({ kind: 'not-this-format' });
      expect(parseDatabaseHeader(sqliteHeader(), -1, path)).toEqual({ kind: 'not-this-format' });
      expect(parseDatabaseHeader(sqliteHeader(), 100, path)).toEqual({ kind: 'not-this-format' });
      expect(parseDatabaseHeader(noise(100), 0, path)).toEqual({ kind: 'not-this-format' });
      const lower = sqliteHeader();
      lower[0] = 0x73; // 's'
      expect(parseDatabaseHeader(lower, 0, path)).toEqual({ kind: 'not-this-format' });
      const noTerminator = sqliteHeader();
      noTerminator[15] = 0x20;
      expect(parseDatabaseHeader(noTerminator, 0, path)).toEqual({ kind: 'not-this-format' });
    });

    it('reports sqlite.header.truncated one byte short, with what is available', () => {
      expect(parseDatabaseHeader(sqliteHeader().subarray(0, 99), 0, path)).toEqual({
        kind: 'malformed',
        issues: [{ code: 'sqlite.header.truncated', severity: 'error', message: 'SQLite header at 0x00000000: needs 100 bytes, 99 available', path, offsetInLeaf: 0 }],
      });
      const cut = concat(noise(300), sqliteHeader().subarray(0, 16));
      expect(parseDatabaseHeader(cut, 300, path)).toEqual({
        kind: 'malformed',
        issues: [{ code: 'sqlite.header.truncated', severity: 'error', message: 'SQLite header at 0x0000012c: needs 100 bytes, 16 available', path, offsetInLeaf: 300 }],
      });
    });

    it.each([0, 2, 256, 511, 513, 1000, 4097, 32_769, 65_535])('reports sqlite.header.page-size-invalid for field %d', (field) => {
      const at = 64;
      expect(parseDatabaseHeader(withNoise(at, sqliteHeader({ pageSizeField: field })), at, path)).toEqual({
        kind: 'malformed',
        issues: [
          {
            code: 'sqlite.header.page-size-invalid',
            severity: 'error',
            message: `SQLite header at 0x00000040: page size field ${field} is not a power of two in 512..65536`,
            path,
            offsetInLeaf: at + 16,
            details: { value: field },
          },
        ],
      });
    });

    it('reports sqlite.header.usable-size-invalid when reserved bytes leave fewer than 480', () => {
      expect(parseDatabaseHeader(withNoise(8, sqliteHeader({ pageSize: 512, reservedBytesPerPage: 33 })), 8, path)).toEqual({
        kind: 'malformed',
        issues: [
          {
            code: 'sqlite.header.usable-size-invalid',
            severity: 'error',
            message: 'SQLite header at 0x00000008: 33 reserved bytes leave a usable size of 479 (< 480)',
            path,
            offsetInLeaf: 28,
            details: { value: 33 },
          },
        ],
      });
      expect(parseDatabaseHeader(sqliteHeader({ pageSize: 1024, reservedBytesPerPage: 255 }), 0, path)).toMatchObject({ kind: 'parsed', value: { usableSize: 769 } });
    });

    it.each([
      [[64, 32, 33], '64/32/33'],
      [[0, 0, 0], '0/0/0'],
      [[255, 32, 32], '255/32/32'],
    ] as const)('warns sqlite.header.payload-fractions for %j', (fractions, text) => {
      const outcome = parseDatabaseHeader(sqliteHeader({ payloadFractions: fractions }), 0, path);
      expect(outcome).toMatchObject({ kind: 'parsed' });
      if (outcome.kind !== 'parsed') return;
      expect(outcome.issues).toEqual([
        { code: 'sqlite.header.payload-fractions', severity: 'warning', message: `SQLite header at 0x00000000: payload fractions ${text} differ from 64/32/32`, path, offsetInLeaf: 21 },
      ]);
    });

    it('accepts encodings 1, 2 and 3; treats 0 (never written) as UTF-8 silently; warns on anything else', () => {
      for (const encoding of [1, 2, 3]) expect(parseDatabaseHeader(sqliteHeader({ textEncoding: encoding }), 0, path)).toMatchObject({ kind: 'parsed', value: { encoding }, issues: [] });
      expect(parseDatabaseHeader(sqliteHeader({ textEncoding: 0 }), 0, path)).toMatchObject({ kind: 'parsed', value: { encoding: 1, textEncodingField: 0 }, issues: [] });
      const outcome = parseDatabaseHeader(sqliteHeader({ textEncoding: 0xffffffff }), 0, path);
      expect(outcome).toMatchObject({ kind: 'parsed', value: { encoding: 1 } });
      if (outcome.kind !== 'parsed') return;
      expect(outcome.issues).toEqual([
        {
          code: 'sqlite.header.encoding-invalid',
          severity: 'warning',
          message: 'SQLite header at 0x00000038: text encoding 4294967295 is not 1, 2 or 3; UTF-8 assumed',
          path,
          offsetInLeaf: 56,
          details: { value: 4_294_967_295 },
        },
      ]);
    });
  });

  describe('mutation sweep', () => {
    const base = sqliteHeader({ databaseSizeInPages: 3 });

    it('truncated at every length: not-this-format before the magic is whole, truncated after, parsed at 100', () => {
      for (let length = 0; length <= base.length; length++) {
        const outcome = parseDatabaseHeader(base.subarray(0, length), 0, path);
        if (length < 16) expect(outcome.kind).toBe('not-this-format');
        else if (length < 100) expect(outcome).toMatchObject({ kind: 'malformed', issues: [{ code: 'sqlite.header.truncated', offsetInLeaf: 0 }] });
        else expect(outcome.kind).toBe('parsed');
      }
    });

    it('every byte flipped to 0x00 and to 0xff gives a definite outcome, never a throw', () => {
      const known = new Set(['sqlite.header.page-size-invalid', 'sqlite.header.usable-size-invalid', 'sqlite.header.payload-fractions', 'sqlite.header.encoding-invalid']);
      for (let index = 0; index < base.length; index++) {
        for (const value of [0x00, 0xff]) {
          const mutated = base.slice();
          mutated[index] = value;
          const outcome = parseDatabaseHeader(mutated, 0, path);
          if (mutated[index] === base[index]) {
            expect(outcome).toMatchObject({ kind: 'parsed', issues: [] });
            continue;
          }
          if (index < 16) {
            expect(outcome.kind).toBe('not-this-format');
            continue;
          }
          if (outcome.kind === 'not-this-format') throw new Error(`byte ${index} → ${value}: magic intact but not-this-format`);
          for (const problem of outcome.issues) expect(known.has(problem.code)).toBe(true);
          if (index === 16 || index === 17) expect(outcome).toMatchObject({ kind: 'malformed', issues: [{ code: 'sqlite.header.page-size-invalid' }] });
          else if (index === 20 && value === 0xff) expect(outcome).toMatchObject({ kind: 'malformed', issues: [{ code: 'sqlite.header.usable-size-invalid' }] });
          else expect(outcome.kind).toBe('parsed');
        }
      }
    });
  });

  describe.skipIf(!hasSqlite3())('against a header written by sqlite3', () => {
    const directory = makeTempDir();
    afterAll(() => removeDir(directory));

    it.each(['UTF-8', 'UTF-16le', 'UTF-16be'])('reads page size, encoding, size and version of a %s database', (encoding) => {
      const location = join(directory, `${encoding}.db`);
      runSqlite(location, `PRAGMA page_size=512; PRAGMA encoding='${encoding}'; CREATE TABLE t(a); INSERT INTO t VALUES (randomblob(2000));`);
      const file = readFileSync(location);
      const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
      const outcome = parseDatabaseHeader(bytes, 0, path);
      expect(outcome).toMatchObject({
        kind: 'parsed',
        value: { pageSize: 512, usableSize: 512, encoding: { 'UTF-8': 1, 'UTF-16le': 2, 'UTF-16be': 3 }[encoding], trustedDatabaseSizeInPages: bytes.length / 512, sqliteVersionNumber: 3_040_001 },
        issues: [],
      });
      // The same header carved out of noise.
      const carved = withNoise(777, bytes.subarray(0, 100));
      expect(parseDatabaseHeader(carved, 777, path)).toMatchObject({ kind: 'parsed', value: { trustedDatabaseSizeInPages: bytes.length / 512 } });
    });
  });
});

describe('hasSqliteMagic and pageSizeFromField', () => {
  it('finds the magic only where all 16 bytes are present', () => {
    const magic = hex`53 51 4c 69 74 65 20 66 6f 72 6d 61 74 20 33 00`;
    expect(hasSqliteMagic(magic, 0)).toBe(true);
    expect(hasSqliteMagic(withNoise(3, magic), 3)).toBe(true);
    expect(hasSqliteMagic(magic.subarray(0, 15), 0)).toBe(false);
    expect(hasSqliteMagic(magic, 1)).toBe(false);
    expect(hasSqliteMagic(magic, -1)).toBe(false);
  });

  it('maps 1 to 65536 and rejects non powers of two and sizes outside 512..65536', () => {
    expect(pageSizeFromField(1)).toBe(65_536);
    expect(pageSizeFromField(512)).toBe(512);
    expect(pageSizeFromField(32_768)).toBe(32_768);
    for (const field of [0, 2, 256, 511, 513, 768, 65_535]) expect(pageSizeFromField(field)).toBeUndefined();
  });
});
