/**
 * The window scan over bytes built in code and made by the real sqlite3 engine, planted at odd
 * 512-aligned offsets inside noise: every hit at its absolute image offset, each exactly once
 * whatever the window size, nothing in pure noise, bad input never throws.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filePath } from '../../src/provenance/path.js';
import type { Hit, WalFrameHit } from '../../src/scanning/hits.js';
import { mergePackedHits, unpackHits } from '../../src/scanning/hits.js';
import { planWindows } from '../../src/scanning/plan-windows.js';
import { scanBytes, scanSourceWindow } from '../../src/scanning/scan-window.js';
import { scanLeadSizeInBytes, scanMarginSizeInBytes } from '../../src/scanning/signatures.js';
import type { ByteSource } from '../../src/sources/byte-source.js';
import { MemorySource } from '../../src/sources/byte-source.js';
import { concat, noise, u32be } from '../support/bytes.js';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../support/sqlite3.js';
import { buildJournal, buildWal, patternPage } from '../support/wal-fixtures.js';

const path = filePath('noise.img');

/** Every hit of `source`, scanned window by window. */
function scanAll(source: ByteSource, windowSizeInBytes: number): Hit[] {
  const batches = planWindows(source.sizeInBytes, { windowSizeInBytes }).map((window) => scanSourceWindow(source, window, path).hits);
  return unpackHits(mergePackedHits(batches));
}

function plant(image: Uint8Array, at: number, bytes: Uint8Array): void {
  image.set(bytes.subarray(0, Math.min(bytes.length, image.length - at)), at);
}

const hasEngine = hasSqlite3();
let directory = '';
let database = new Uint8Array(0);

beforeAll(() => {
  directory = makeTempDir('exhume-scan-');
  if (!hasEngine) return;
  const databasePath = join(directory, 'small.db');
  runSqlite(
    databasePath,
    `PRAGMA page_size=1024;
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<400) INSERT INTO t SELECT x, printf('row %d', x), x/3.0 FROM c;
CREATE INDEX t_v ON t(v);
CREATE TABLE k(a TEXT PRIMARY KEY, b INTEGER) WITHOUT ROWID;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<200) INSERT INTO k SELECT printf('key %05d', x), x FROM c;`,
  );
  database = new Uint8Array(readFileSync(databasePath));
});

afterAll(() => removeDir(directory));

describe('scanBytes: SQLite databases', () => {
  it.skipIf(!hasEngine)('finds the header and every b-tree page of a real database at an odd 512-aligned offset, with its page size', () => {
    const at = 512 * 1001;
    const image = noise(2 * 1024 * 1024, 0x31);
    plant(image, at, database);
    const hits = unpackHits(scanBytes(image, 0, 0, image.length, path));
    const header = hits.filter((hit) => hit.kind === 'sqlite-header');
    expect(header).toEqual([
      { kind: 'sqlite-header', imageOffset: at, pageSize: 1024, databaseSizeInPagesField: database.length / 1024, sizeTrusted: true, reservedBytesPerPage: 0, textEncodingField: 1, fileChangeCounter: expect.any(Number) },
    ]);
    const pages = hits.filter((hit) => hit.kind === 'btree-page');
    // Page 1's b-tree header sits at offset 100 (after the database header): it is the header hit.
    const expected: number[] = [];
    for (let pageNumber = 2; pageNumber <= database.length / 1024; pageNumber++) {
      if ([0x02, 0x05, 0x0a, 0x0d].includes(database[(pageNumber - 1) * 1024] as number)) expected.push(at + (pageNumber - 1) * 1024);
    }
    expect(pages.map((hit) => hit.imageOffset)).toEqual(expected);
    expect(pages.every((hit) => hit.kind === 'btree-page' && hit.pageSize === 1024)).toBe(true);
    expect(new Set(pages.map((hit) => (hit.kind === 'btree-page' ? hit.pageType : 0)))).toEqual(new Set([0x02, 0x05, 0x0a, 0x0d]));
    expect(hits.filter((hit) => hit.kind !== 'btree-page' && hit.kind !== 'sqlite-header')).toEqual([]);
  });

  it('keeps an emptied leaf (header reset by SQLite, old cells left in place) and refuses an all-zero one', () => {
    const page = patternPage(4096, 9);
    page.set([0x0d, 0, 0, 0, 0, 0x10, 0x00, 0], 0);
    const image = concat(noise(4096, 1), page, new Uint8Array(4096), noise(512, 2));
    image.set([0x0d, 0, 0, 0, 0, 0x10, 0x00, 0], 8192);
    const hits = unpackHits(scanBytes(image, 0, 0, image.length, path)).filter((hit) => hit.kind === 'btree-page');
    expect(hits).toEqual([{ kind: 'btree-page', imageOffset: 4096, pageType: 0x0d, pageSize: 4096, cellCount: 0, emptied: true }]);
  });

  it('finds nothing in 8 MiB of noise', () => {
    const image = noise(8 * 1024 * 1024, 0x5eed);
    expect(unpackHits(scanBytes(image, 0, 0, image.length, path))).toEqual([]);
  });

  it('finds nothing in zeros', () => {
    const image = new Uint8Array(1024 * 1024);
    expect(scanBytes(image, 0, 0, image.length, path).count).toBe(0);
  });
});

describe('scanBytes: WAL headers and frames', () => {
  const wal = buildWal(
    { pageSize: 1024, salt1: 0x11223344, salt2: 0x55667788 },
    [1, 2, 3, 4, 5].map((pageNumber) => ({ pageNumber, commitSizeInPages: pageNumber === 5 ? 5 : 0 })),
  );

  it('finds the header and every frame at 32 + k × (24 + page size), linked to its neighbours', () => {
    const at = 512 * 37;
    const image = noise(256 * 1024, 0x77);
    plant(image, at, wal.bytes);
    const hits = unpackHits(scanBytes(image, 0, 0, image.length, path));
    expect(hits.filter((hit) => hit.kind === 'wal-header')).toEqual([
      {
        kind: 'wal-header',
        imageOffset: at,
        pageSize: 1024,
        salt1: 0x11223344,
        salt2: 0x55667788,
        checkpointSequence: 0,
        bigEndianChecksumWords: false,
        checksumValid: true,
        magicValid: true,
        checksum1: wal.header.checksum.checksum1,
        checksum2: wal.header.checksum.checksum2,
      },
    ]);
    const frames = hits.filter((hit): hit is WalFrameHit => hit.kind === 'wal-frame');
    expect(frames.map((frame) => frame.imageOffset)).toEqual([0, 1, 2, 3, 4].map((index) => at + 32 + index * (24 + 1024)));
    expect(frames.map((frame) => [frame.pageNumber, frame.commitSizeInPages, frame.linkedToPrevious, frame.linkedToNext])).toEqual([
      // Frame 1's predecessor is the header, not a frame: it is linked forward only.
      [1, 0, false, true],
      [2, 0, true, true],
      [3, 0, true, true],
      [4, 0, true, true],
      [5, 5, true, false],
    ]);
    expect(frames.every((frame) => frame.pageSize === 1024 && frame.salt1 === 0x11223344 && !frame.bigEndianChecksumWords)).toBe(true);
  });

  it('recognises frames whose header is gone, in big-endian checksum order too', () => {
    const bigEndian = buildWal({ pageSize: 512, bigEndian: true, salt1: 7, salt2: 9 }, [{ pageNumber: 3 }, { pageNumber: 4 }, { pageNumber: 5, commitSizeInPages: 5 }]);
    const headerless = bigEndian.bytes.subarray(32);
    const image = noise(64 * 1024, 0x78);
    const at = 4096 + 32; // frames keep their 8-byte alignment inside a WAL that started at 4096
    plant(image, at, headerless);
    const frames = unpackHits(scanBytes(image, 0, 0, image.length, path)).filter((hit): hit is WalFrameHit => hit.kind === 'wal-frame');
    expect(frames.map((frame) => [frame.imageOffset, frame.pageNumber, frame.bigEndianChecksumWords])).toEqual([
      [at, 3, true],
      [at + 536, 4, true],
      [at + 1072, 5, true],
    ]);
  });

  it('does not link frames whose checksum chain is broken, nor zero-salt frames', () => {
    const damaged = buildWal({ pageSize: 512 }, [{ pageNumber: 1 }, { pageNumber: 2, damageByteAt: 100 }, { pageNumber: 3 }, { pageNumber: 4, zeroed: true }]);
    const image = noise(64 * 1024, 0x79);
    plant(image, 8192, damaged.bytes);
    const frames = unpackHits(scanBytes(image, 0, 0, image.length, path)).filter((hit): hit is WalFrameHit => hit.kind === 'wal-frame');
    // Frame 2's page was damaged: frame 1 → 2 does not link; 2 → 3 still does (3 continues 2's stored pair).
    expect(frames.map((frame) => [frame.pageNumber, frame.linkedToPrevious, frame.linkedToNext])).toEqual([
      [2, false, true],
      [3, true, false],
    ]);
  });

  it('repairs a damaged WAL magic by its checksum, and ignores the version alone', () => {
    const bytes = Uint8Array.from(wal.bytes);
    bytes[3] = 0x00;
    const image = concat(noise(1024, 3), bytes, noise(1024, 4));
    const headers = unpackHits(scanBytes(image, 0, 0, image.length, path)).filter((hit) => hit.kind === 'wal-header');
    expect(headers).toMatchObject([{ imageOffset: 1024, magicValid: false, checksumValid: true }]);
    const fake = concat(noise(1024, 3), concat(u32be(0x12345678), u32be(3_007_000), noise(24, 5)), noise(1024, 4));
    expect(unpackHits(scanBytes(fake, 0, 0, fake.length, path)).filter((hit) => hit.kind === 'wal-header')).toEqual([]);
  });
});

describe('scanBytes: journals', () => {
  const journal = buildJournal({
    sectorSize: 512,
    pageSize: 1024,
    segments: [{ nonce: 0x0badcafe, initialDatabaseSizeInPages: 9, records: [2, 3, 5, 8].map((pageNumber) => ({ pageNumber })) }],
  });

  it('finds the header and every page record (linked by the nonce their checksums imply)', () => {
    const image = noise(64 * 1024, 0x90);
    plant(image, 512 * 9, journal);
    const hits = unpackHits(scanBytes(image, 0, 0, image.length, path));
    expect(hits.filter((hit) => hit.kind === 'journal-header')).toEqual([
      { kind: 'journal-header', imageOffset: 512 * 9, recordCountField: 4, nonce: 0x0badcafe, initialDatabaseSizeInPages: 9, sectorSize: 512, pageSize: 1024 },
    ]);
    const records = hits.filter((hit) => hit.kind === 'journal-record');
    expect(records.map((record) => [record.imageOffset, record.kind === 'journal-record' ? [record.pageNumber, record.nonce, record.pageSize] : []])).toEqual(
      [2, 3, 5, 8].map((pageNumber, index) => [512 * 10 + index * 1032, [pageNumber, 0x0badcafe, 1024]]),
    );
  });

  it('finds the records of a journal whose header was zeroed (PERSIST)', () => {
    const zeroed = buildJournal({ sectorSize: 1024, pageSize: 512, segments: [{ form: 'zeroed', nonce: 0x1234, records: [{ pageNumber: 4 }, { pageNumber: 6 }] }] });
    const image = noise(32 * 1024, 0x91);
    plant(image, 4096, zeroed);
    const records = unpackHits(scanBytes(image, 0, 0, image.length, path)).filter((hit) => hit.kind === 'journal-record');
    expect(records.map((record) => record.imageOffset)).toEqual([4096 + 1024, 4096 + 1024 + 520]);
  });
});

describe('windows', () => {
  it.skipIf(!hasEngine)('report every hit exactly once, whatever the window size (structures straddling boundaries, hits in the last margin)', () => {
    const wal = buildWal({ pageSize: 512, salt1: 1, salt2: 2 }, [1, 2, 3, 4, 5, 6].map((pageNumber) => ({ pageNumber })));
    const journal = buildJournal({ sectorSize: 512, pageSize: 512, segments: [{ nonce: 99, records: [1, 2, 3].map((pageNumber) => ({ pageNumber })) }] });
    const size = 3 * 1024 * 1024 + 7 * 512;
    const image = noise(size, 0x42);
    plant(image, 1024 * 1024 - 5 * 1024 - 512, database); // straddles the 1 MiB boundary
    plant(image, 2 * 1024 * 1024 - 512 * 3, wal.bytes);
    plant(image, 2 * 1024 * 1024 + 512 * 11, journal);
    // The image ends inside the last database page (its header is in the last window).
    plant(image, size - 1024 - 512, database);
    const source = new MemorySource('noise.img', image);
    const reference = scanAll(source, size);
    for (const windowSize of [4096, 65_536, 1024 * 1024 - 512, 1024 * 1024, 16 * 1024 * 1024]) {
      expect(scanAll(source, windowSize), `window ${windowSize}`).toEqual(reference);
    }
    const kinds = reference.map((hit) => hit.kind);
    expect(reference.filter((hit) => hit.kind === 'sqlite-header').map((hit) => hit.imageOffset)).toEqual([1024 * 1024 - 5 * 1024 - 512, size - 1536]);
    expect(kinds.filter((kind) => kind === 'wal-header')).toHaveLength(1);
    expect(kinds.filter((kind) => kind === 'wal-frame')).toHaveLength(6);
    expect(kinds.filter((kind) => kind === 'journal-header')).toHaveLength(1);
    expect(kinds.filter((kind) => kind === 'journal-record')).toHaveLength(3);
  });

  it('recognises the frames of a WAL cut by the image end up to the last whole one', () => {
    const tailWal = buildWal({ pageSize: 512, salt1: 5, salt2: 6 }, [{ pageNumber: 1 }, { pageNumber: 2 }, { pageNumber: 3 }]);
    const image = noise(64 * 1024, 0x43);
    const at = image.length - 1536;
    plant(image, at, tailWal.bytes); // 1640 bytes: frame 3 loses its last 104 bytes
    const source = new MemorySource('noise.img', image);
    for (const windowSize of [512, 4096, 64 * 1024]) {
      const hits = scanAll(source, windowSize);
      expect(hits.map((hit) => [hit.kind, hit.imageOffset])).toEqual([
        ['wal-header', at],
        ['wal-frame', at + 32],
        ['wal-frame', at + 32 + 536],
      ]);
    }
  });

  it('plan: windows tile the image, margins and leads are clipped, an empty image has none', () => {
    expect(planWindows(0)).toEqual([]);
    const windows = planWindows(10 * 1024 * 1024 + 100, { windowSizeInBytes: 4 * 1024 * 1024 });
    expect(windows.map((window) => [window.start, window.pageLength])).toEqual([
      [0, 4 * 1024 * 1024],
      [4 * 1024 * 1024, 4 * 1024 * 1024],
      [8 * 1024 * 1024, 2 * 1024 * 1024 + 100],
    ]);
    expect(windows.map((window) => window.leadLength)).toEqual([0, scanLeadSizeInBytes, scanLeadSizeInBytes]);
    expect(windows.map((window) => window.marginLength)).toEqual([scanMarginSizeInBytes, scanMarginSizeInBytes, 0]);
    // A window size that is not a multiple of 512 is rounded up: start positions stay sector-aligned.
    expect(planWindows(5000, { windowSizeInBytes: 1000 }).map((window) => window.start)).toEqual([0, 1024, 2048, 3072, 4096]);
    expect(() => planWindows(-1)).toThrow(/non-negative/);
    expect(() => planWindows(10, { windowSizeInBytes: 0 })).toThrow(/positive/);
    expect(scanMarginSizeInBytes).toBeGreaterThanOrEqual(2 * (24 + 65_536));
  });
});

describe('bad input', () => {
  it('reports unreadable sectors with their range and scans on', () => {
    const image = noise(3 * 65_536, 0x13);
    const wal = buildWal({ pageSize: 512 }, [{ pageNumber: 1 }, { pageNumber: 2 }]);
    plant(image, 2 * 65_536 + 4096, wal.bytes);
    const bad = { start: 65_536 + 1024, end: 65_536 + 2048 };
    const source: ByteSource = {
      location: 'failing.img',
      sizeInBytes: image.length,
      read(offset: number, length: number): Uint8Array {
        if (offset < bad.end && offset + length > bad.start) throw new Error('EIO: i/o error, read');
        return image.subarray(offset, Math.min(image.length, offset + length));
      },
      close() {},
    };
    const result = scanSourceWindow(source, { start: 0, pageLength: image.length, leadLength: 0, marginLength: 0 }, filePath('failing.img'));
    expect(result.unreadable).toEqual([{ imageOffset: bad.start, lengthInBytes: 1024, message: 'EIO: i/o error, read' }]);
    expect(result.issues.map((found) => [found.code, found.severity, found.offsetInLeaf, found.message])).toEqual([
      ['scan.read-error', 'error', bad.start, 'Read error at 0x00010400, 1024 bytes: EIO: i/o error, read; scanned as zeros'],
    ]);
    expect(unpackHits(result.hits).map((hit) => hit.kind)).toEqual(['wal-header', 'wal-frame', 'wal-frame']);
  });

  it('never throws on truncated or mutated structures (sweep)', () => {
    const wal = buildWal({ pageSize: 512 }, [{ pageNumber: 1 }, { pageNumber: 2 }, { pageNumber: 3 }]);
    const journal = buildJournal({ sectorSize: 512, pageSize: 512, segments: [{ nonce: 5, records: [{ pageNumber: 1 }, { pageNumber: 2 }] }] });
    const base = concat(wal.bytes, new Uint8Array(512 - (wal.bytes.length % 512)), journal);
    for (let length = 0; length <= base.length; length += 37) {
      const bytes = base.subarray(0, length);
      expect(() => scanBytes(bytes, 0, 0, bytes.length, path)).not.toThrow();
    }
    for (let at = 0; at < 600; at += 3) {
      for (const value of [0x00, 0xff]) {
        const bytes = Uint8Array.from(base);
        bytes[at] = value;
        expect(() => scanBytes(bytes, 0, 0, bytes.length, path)).not.toThrow();
      }
    }
  });

  it('scans a buffer that does not start at an 8-byte image boundary like an aligned one', () => {
    const wal = buildWal({ pageSize: 512 }, [{ pageNumber: 1 }, { pageNumber: 2 }, { pageNumber: 3 }]);
    const image = noise(16 * 1024, 0x21);
    plant(image, 4096, wal.bytes);
    const aligned = unpackHits(scanBytes(image, 0, 0, image.length, path));
    const shifted = unpackHits(scanBytes(image.subarray(3), 3, 3, image.length, path));
    expect(shifted).toEqual(aligned);
  });
});
