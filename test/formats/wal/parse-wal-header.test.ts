import { describe, expect, it } from 'vitest';
import { parseWalHeader } from '../../../src/formats/wal/parse-wal.js';
import { filePath } from '../../../src/provenance/path.js';
import { withNoise } from '../../support/bytes.js';
import { walHeaderBytes } from '../../support/wal-fixtures.js';

const path = filePath('test.db-wal');
const hex8 = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

describe('parseWalHeader', () => {
  it('parses a little-endian-checksum header', () => {
    const { bytes, checksum } = walHeaderBytes({ pageSize: 4096, checkpointSequence: 7, salt1: 0x0edbc67f, salt2: 0xdeadbeef });
    const outcome = parseWalHeader(bytes, 0, path);
    expect(outcome).toEqual({
      kind: 'parsed',
      issues: [],
      value: {
        headerOffset: 0,
        magicField: 0x377f0682,
        bigEndianChecksumWords: false,
        formatVersion: 3_007_000,
        pageSize: 4096,
        checkpointSequence: 7,
        salt1: 0x0edbc67f,
        salt2: 0xdeadbeef,
        checksum1: checksum.checksum1,
        checksum2: checksum.checksum2,
        computedChecksum1: checksum.checksum1,
        computedChecksum2: checksum.checksum2,
        checksumValid: true,
        acceptedBySqlite: true,
      },
    });
  });

  it('parses a big-endian-checksum header', () => {
    const { bytes } = walHeaderBytes({ bigEndian: true, pageSize: 65_536 });
    const outcome = parseWalHeader(bytes, 0, path);
    expect(outcome.kind).toBe('parsed');
    if (outcome.kind !== 'parsed') return;
    expect(outcome.value.bigEndianChecksumWords).toBe(true);
    expect(outcome.value.magicField).toBe(0x377f0683);
    expect(outcome.value.pageSize).toBe(65_536);
    expect(outcome.value.checksumValid).toBe(true);
  });

  it('reports absolute offsets when the header sits inside noise', () => {
    const { bytes } = walHeaderBytes({ pageSize: 1024 });
    const image = withNoise(1001, bytes);
    const outcome = parseWalHeader(image, 1001, path);
    expect(outcome.kind).toBe('parsed');
    if (outcome.kind !== 'parsed') return;
    expect(outcome.value.headerOffset).toBe(1001);
    expect(outcome.value.checksumValid).toBe(true);
    // A damaged copy: the issue names the absolute offset.
    const damaged = image.slice();
    damaged[1001 + 26] = (damaged[1001 + 26] as number) ^ 0x01;
    const bad = parseWalHeader(damaged, 1001, path);
    expect(bad.kind).toBe('parsed');
    if (bad.kind !== 'parsed') return;
    expect(bad.issues.map((value) => [value.code, value.offsetInLeaf, value.message.slice(0, 31)])).toEqual([
      ['wal.header.checksum-mismatch', 1001 + 24, 'WAL header at 0x000003e9: check'],
    ]);
  });

  it('is not this format on empty input, under 4 bytes, or without a magic', () => {
    expect(parseWalHeader(new Uint8Array(0), 0, path)).toEqual({ kind: 'not-this-format' });
    expect(parseWalHeader(Uint8Array.of(0x37, 0x7f, 0x06), 0, path)).toEqual({ kind: 'not-this-format' });
    expect(parseWalHeader(new Uint8Array(32), 0, path)).toEqual({ kind: 'not-this-format' });
    expect(parseWalHeader(walHeaderBytes().bytes, 1, path)).toEqual({ kind: 'not-this-format' });
    expect(parseWalHeader(walHeaderBytes().bytes, 64, path)).toEqual({ kind: 'not-this-format' });
    expect(parseWalHeader(walHeaderBytes().bytes, -4, path)).toEqual({ kind: 'not-this-format' });
  });

  it('reports wal.header.truncated one byte short', () => {
    const bytes = walHeaderBytes().bytes.subarray(0, 31);
    expect(parseWalHeader(bytes, 0, path)).toEqual({
      kind: 'malformed',
      issues: [
        {
          code: 'wal.header.truncated',
          severity: 'error',
          path,
          offsetInLeaf: 0,
          message: 'WAL header at 0x00000000: needs 32 bytes, 31 available',
          details: { availableSizeInBytes: 31 },
        },
      ],
    });
  });

  it('reports wal.header.page-size-invalid', () => {
    for (const pageSize of [0, 256, 1000, 131_072]) {
      const outcome = parseWalHeader(walHeaderBytes({ pageSize }).bytes, 0, path);
      expect(outcome).toEqual({
        kind: 'malformed',
        issues: [
          {
            code: 'wal.header.page-size-invalid',
            severity: 'error',
            path,
            offsetInLeaf: 8,
            message: `WAL header at 0x00000000: page size ${pageSize} is not a power of two in 512..65536`,
            details: { value: pageSize },
          },
        ],
      });
    }
  });

  it('reports wal.header.checksum-mismatch and still parses', () => {
    const { bytes, checksum } = walHeaderBytes({ checksum: { checksum1: 1, checksum2: 2 } });
    const correct = walHeaderBytes().checksum;
    expect(checksum).toEqual({ checksum1: 1, checksum2: 2 });
    const outcome = parseWalHeader(bytes, 0, path);
    expect(outcome.kind).toBe('parsed');
    if (outcome.kind !== 'parsed') return;
    expect(outcome.value.checksumValid).toBe(false);
    expect(outcome.value.acceptedBySqlite).toBe(false);
    expect(outcome.issues).toEqual([
      {
        code: 'wal.header.checksum-mismatch',
        severity: 'error',
        path,
        offsetInLeaf: 24,
        message: `WAL header at 0x00000000: checksum 0x00000001/0x00000002 differs from computed ${hex8(correct.checksum1)}/${hex8(correct.checksum2)}`,
        details: { stored: '0x00000001/0x00000002', computed: `${hex8(correct.checksum1)}/${hex8(correct.checksum2)}` },
      },
    ]);
  });

  it('reports wal.header.version-unsupported and still parses', () => {
    const outcome = parseWalHeader(walHeaderBytes({ formatVersion: 3_007_001 }).bytes, 0, path);
    expect(outcome.kind).toBe('parsed');
    if (outcome.kind !== 'parsed') return;
    expect(outcome.value.acceptedBySqlite).toBe(false);
    expect(outcome.issues).toEqual([
      {
        code: 'wal.header.version-unsupported',
        severity: 'warning',
        path,
        offsetInLeaf: 4,
        message: 'WAL header at 0x00000000: format version 3007001 is not 3007000',
        details: { value: 3_007_001 },
      },
    ]);
  });

  it('repairs a damaged magic when the header checksum names the byte order (wal.header.bad-magic)', () => {
    for (const bigEndian of [false, true]) {
      const bytes = walHeaderBytes({ bigEndian }).bytes.slice();
      bytes[3] = 0x00;
      const outcome = parseWalHeader(bytes, 0, path);
      expect(outcome.kind).toBe('parsed');
      if (outcome.kind !== 'parsed') return;
      expect(outcome.value.bigEndianChecksumWords).toBe(bigEndian);
      expect(outcome.value.checksumValid).toBe(true);
      expect(outcome.value.acceptedBySqlite).toBe(false);
      expect(outcome.issues).toEqual([
        {
          code: 'wal.header.bad-magic',
          severity: 'warning',
          path,
          offsetInLeaf: 0,
          message: `WAL header at 0x00000000: magic 0x377f0600 is not 0x377f0682 or 0x377f0683; the header checksum verifies with ${bigEndian ? '0x377f0683' : '0x377f0682'}`,
          details: { value: 0x377f0600, repairedMagic: bigEndian ? 0x377f0683 : 0x377f0682 },
        },
      ]);
    }
  });

  it('is malformed (wal.header.bad-magic) when no byte order verifies a damaged magic', () => {
    const bytes = walHeaderBytes().bytes.slice();
    bytes[0] = 0x00;
    bytes[20] = (bytes[20] as number) ^ 0x10;
    expect(parseWalHeader(bytes, 0, path)).toEqual({
      kind: 'malformed',
      issues: [
        {
          code: 'wal.header.bad-magic',
          severity: 'error',
          path,
          offsetInLeaf: 0,
          message: 'WAL header at 0x00000000: magic 0x007f0682 is not 0x377f0682 or 0x377f0683, and neither makes the header checksum verify',
          details: { value: 0x007f0682 },
        },
      ],
    });
  });

  it('never throws on truncations and byte flips (mutation sweep)', () => {
    const { bytes } = walHeaderBytes();
    const kinds = new Set<string>();
    for (let length = 0; length <= bytes.length; length++) kinds.add(parseWalHeader(bytes.subarray(0, length), 0, path).kind);
    for (let index = 0; index < bytes.length; index++) {
      for (const value of [0x00, 0xff]) {
        const mutated = bytes.slice();
        mutated[index] = value;
        const outcome = parseWalHeader(mutated, 0, path);
        kinds.add(outcome.kind);
        if (outcome.kind === 'parsed' && mutated[index] !== bytes[index]) {
          // Any changed header byte is caught: by the checksum, or by a field check.
          expect(outcome.issues.length).toBeGreaterThan(0);
        }
      }
    }
    expect([...kinds].sort()).toEqual(['malformed', 'not-this-format', 'parsed']);
  });
});
