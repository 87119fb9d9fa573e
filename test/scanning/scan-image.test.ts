/**
 * The image scan driver: hashes alongside the scan (equal to sha256sum/md5sum), zero-length
 * images, files that change while read, unreadable bytes while hashing, the progress bar, and
 * the pool (workers give the same hits as in-process scanning).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlongsideHasher } from '../../src/scanning/hash-alongside.js';
import { HitBuilder, hitAt, mergePackedHits, unpackHits } from '../../src/scanning/hits.js';
import { ProgressBar, formatBytes, formatDuration, renderProgress } from '../../src/scanning/progress.js';
import { scanImage } from '../../src/scanning/scan-image.js';
import { closePools, pool } from '../support/pools.js';
import { HitKind } from '../../src/scanning/signatures.js';
import type { ByteSource } from '../../src/sources/byte-source.js';
import { MemorySource } from '../../src/sources/byte-source.js';
import { openSegments } from '../../src/sources/split-raw.js';
import { noise } from '../support/bytes.js';
import { makeTempDir, removeDir } from '../support/sqlite3.js';
import { buildWal } from '../support/wal-fixtures.js';

let directory = '';
let imagePath = '';
const image = noise(5 * 1024 * 1024 + 3 * 512 + 100, 0xabc);

beforeAll(() => {
  directory = makeTempDir('exhume-scan-image-');
  const wal = buildWal({ pageSize: 1024, salt1: 3, salt2: 4 }, [1, 2, 3, 4].map((pageNumber) => ({ pageNumber })));
  image.set(wal.bytes, 4 * 1024 * 1024 - 2048); // straddles the 4 MiB boundary
  imagePath = join(directory, 'image.img');
  writeFileSync(imagePath, image);
});

afterAll(async () => {
  removeDir(directory);
  await closePools();
});

const sums = (path: string): { sha256: string; md5: string } => ({
  sha256: execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0] ?? '',
  md5: execFileSync('md5sum', [path], { encoding: 'utf8' }).split(' ')[0] ?? '',
});

describe('scanImage', () => {
  it('hashes the image once while scanning, as sha256sum and md5sum do; both read strategies, workers and in-process give the same hits', async () => {
    const inProcess = await scanImage(imagePath, { windowSizeInBytes: 1024 * 1024, progress: { quiet: true } });
    expect(inProcess.hashes).toEqual({ ...sums(imagePath), sizeInBytes: image.length, complete: true, unreadable: [] });
    expect(unpackHits(inProcess.hits).map((hit) => hit.kind)).toEqual(['wal-header', 'wal-frame', 'wal-frame', 'wal-frame', 'wal-frame']);
    for (const readStrategy of ['shared', 'workers-read'] as const) {
      for (const workers of [0, 2]) {
        const result = await scanImage(imagePath, { pool: pool(workers), readStrategy, windowSizeInBytes: 1024 * 1024, progress: { quiet: true } });
        expect(result.hashes, `${readStrategy} ${workers}`).toEqual(inProcess.hashes);
        expect(result.hits).toEqual(inProcess.hits);
        expect(result.windowCount).toBe(6);
        expect(result.issues).toEqual([]);
        expect(result.changedDuringScan).toBe(false);
      }
    }
  });

  it('hashes MD5 on its own thread for images of 64 MiB and more, with the same result', async () => {
    const large = join(directory, 'large.img');
    const bytes = new Uint8Array(64 * 1024 * 1024 + 4096);
    bytes.set(image, 1000 * 512);
    writeFileSync(large, bytes);
    const result = await scanImage(large, { pool: pool(1), progress: { quiet: true } });
    expect(result.hashes).toEqual({ ...sums(large), sizeInBytes: bytes.length, complete: true, unreadable: [] });
    expect(unpackHits(result.hits).map((hit) => hit.imageOffset - 1000 * 512)).toEqual(unpackHits((await scanImage(imagePath, { progress: { quiet: true } })).hits).map((hit) => hit.imageOffset));
  });

  it('scans a zero-length image: no window, no hit, the empty hashes', async () => {
    const empty = join(directory, 'empty.img');
    writeFileSync(empty, new Uint8Array(0));
    const result = await scanImage(empty, { progress: { quiet: true } });
    expect(result.windowCount).toBe(0);
    expect(result.hits.count).toBe(0);
    expect(result.hashes).toEqual({ ...sums(empty), sizeInBytes: 0, complete: true, unreadable: [] });
  });

  it('reports an image that grows while it is scanned', async () => {
    const changing = join(directory, 'changing.img');
    writeFileSync(changing, image);
    const result = await scanImage(changing, {
      windowSizeInBytes: 1024 * 1024,
      progress: { quiet: true },
      onWindow: (_result, window) => {
        if (window.index === 1) appendFileSync(changing, new Uint8Array(4096));
      },
    });
    expect(result.changedDuringScan).toBe(true);
    expect(result.issues.map((found) => [found.code, found.severity])).toEqual([['input.changed-during-scan', 'error']]);
    expect(result.issues[0]?.message).toBe(`${changing} changed while it was scanned (size, times or inode differ); offsets and hashes may not describe the same bytes`);
  });

  it.each(['shared', 'workers-read'] as const)('with verifyHashes, reports bytes rewritten in place behind the hash cursor (%s)', async (readStrategy) => {
    const rewritten = join(directory, `rewritten-${readStrategy}.img`);
    writeFileSync(rewritten, image);
    const result = await scanImage(rewritten, {
      readStrategy,
      windowSizeInBytes: 1024 * 1024,
      leadWindowCount: 1,
      verifyHashes: true,
      progress: { quiet: true },
      onWindow: (_result, window) => {
        if (window.index !== 4) return;
        const descriptor = openSync(rewritten, 'r+');
        try {
          writeSync(descriptor, Uint8Array.of(0x42), 0, 1, 10);
        } finally {
          closeSync(descriptor);
        }
      },
    });
    expect(result.changedDuringScan).toBe(true);
    const messages = result.issues.filter((found) => found.code === 'input.changed-during-scan').map((found) => found.message);
    expect(messages.some((message) => message.startsWith(`${rewritten} changed while it was scanned: SHA-256 ${result.hashes?.sha256} during the scan, `))).toBe(true);
    expect(result.hashes?.complete).toBe(false);
  });

  it('reports unreadable sectors with their range, hashes them as zeros and scans on', async () => {
    const bad = { start: 3 * 1024 * 1024 + 4096, length: 1536 };
    const openSource = (paths: readonly string[], location: string): ByteSource => {
      const inner = openSegments(paths, location);
      return {
        location,
        sizeInBytes: inner.sizeInBytes,
        read(offset: number, length: number): Uint8Array {
          if (offset < bad.start + bad.length && offset + length > bad.start) throw new Error('EIO: i/o error, read');
          return inner.read(offset, length);
        },
        close: () => inner.close(),
      };
    };
    const result = await scanImage(imagePath, { pool: pool(1), windowSizeInBytes: 1024 * 1024, openSource, progress: { quiet: true } });
    expect(result.unreadable).toEqual([{ imageOffset: bad.start, lengthInBytes: bad.length, message: 'EIO: i/o error, read' }]);
    expect(result.issues.map((found) => [found.code, found.offsetInLeaf, found.message])).toEqual([['scan.read-error', bad.start, 'Read error at 0x00301000, 1536 bytes: EIO: i/o error, read; scanned as zeros']]);
    const zeroed = Uint8Array.from(image);
    zeroed.fill(0, bad.start, bad.start + bad.length);
    const expected = await new AlongsideHasher(new MemorySource('zeroed', zeroed)).finish();
    expect(result.hashes).toEqual({ sha256: expected.sha256, md5: expected.md5, sizeInBytes: image.length, complete: false, unreadable: result.unreadable });
    expect(unpackHits(result.hits).map((hit) => hit.kind)).toEqual(['wal-header', 'wal-frame', 'wal-frame', 'wal-frame', 'wal-frame']);
  });

  it('throws when the image cannot be opened', async () => {
    await expect(scanImage(join(directory, 'missing.img'), {})).rejects.toThrow(/ENOENT/);
  });
});

describe('AlongsideHasher', () => {
  it('hashes unreadable sectors as zeros and says so', async () => {
    const bytes = noise(100_000, 3);
    const failing: ByteSource = {
      location: 'failing.img',
      sizeInBytes: bytes.length,
      read(offset: number, length: number): Uint8Array {
        if (offset < 40_960 && offset + length > 40_448) throw new Error('EIO: i/o error, read');
        return bytes.subarray(offset, Math.min(bytes.length, offset + length));
      },
      close() {},
    };
    const result = await new AlongsideHasher(failing, 16_384).finish();
    const zeroed = Uint8Array.from(bytes);
    zeroed.fill(0, 40_448, 40_960);
    const expected = await new AlongsideHasher(new MemorySource('x', zeroed)).finish();
    expect(result).toEqual({ sha256: expected.sha256, md5: expected.md5, sizeInBytes: bytes.length, complete: false, unreadable: [{ imageOffset: 40_448, lengthInBytes: 512, message: 'EIO: i/o error, read' }] });
  });
});

describe('hits', () => {
  it('pack, grow, merge in image order and unpack', () => {
    const builder = new HitBuilder();
    for (let index = 0; index < 200; index++) builder.add(HitKind.btreePage, (200 - index) * 512, 0x0d, 4096, index, 0);
    builder.add(HitKind.sqliteHeader, 512, 4096, 10, 1, 0, 1, 7);
    const merged = mergePackedHits([builder.finish()]);
    expect(merged.count).toBe(201);
    expect(hitAt(merged, 0)).toEqual({ kind: 'sqlite-header', imageOffset: 512, pageSize: 4096, databaseSizeInPagesField: 10, sizeTrusted: true, reservedBytesPerPage: 0, textEncodingField: 1, fileChangeCounter: 7 });
    expect(hitAt(merged, 1)).toEqual({ kind: 'btree-page', imageOffset: 512, pageType: 0x0d, pageSize: 4096, cellCount: 199, emptied: false });
    expect(unpackHits(merged).map((hit) => hit.imageOffset)).toEqual([512, ...Array.from({ length: 200 }, (_, index) => (index + 1) * 512)]);
  });
});

describe('progress', () => {
  it('renders bytes, rate, hits and time left', () => {
    expect(renderProgress({ bytesDone: 500_000_000, bytesTotal: 2_000_000_000, hits: 12, elapsedMilliseconds: 1000, label: 'scan' }, 80)).toBe(
      'scan [#######-------------------]  25% 500 MB/2.0 GB 500 MB/s 12 hits ETA 00:03',
    );
    expect(renderProgress({ bytesDone: 0, bytesTotal: 0, hits: 0, elapsedMilliseconds: 0, label: 'scan' })).toBe('scan [##############################] 100% 0 B/0 B 0 B/s 0 hits ETA --:--');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_500_000_000_000)).toBe('1.5 TB');
    expect(formatDuration(3725)).toBe('1:02:05');
  });

  it('draws only on a terminal, never when quiet, at most once per interval', () => {
    const written: string[] = [];
    let now = 0;
    const terminal = { isTTY: true, columns: 100, write: (text: string) => written.push(text) };
    const bar = new ProgressBar({ stream: terminal, now: () => now, intervalMilliseconds: 100 });
    bar.update(10, 100, 1);
    now = 50;
    bar.update(20, 100, 1);
    now = 150;
    bar.update(30, 100, 2);
    bar.finish(100, 100, 3);
    expect(written).toHaveLength(4);
    expect(written[0]).toMatch(/^\rscan \[/);
    expect(written[3]).toBe('\n');
    const silent: string[] = [];
    new ProgressBar({ stream: { isTTY: false, write: (text: string) => silent.push(text) } }).finish(1, 1, 1);
    new ProgressBar({ stream: { ...terminal, write: (text: string) => silent.push(text) }, quiet: true }).finish(1, 1, 1);
    expect(silent).toEqual([]);
  });
});
