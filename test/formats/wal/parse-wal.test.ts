import { describe, expect, it } from 'vitest';
import type { WalFrame, WalFrameSummary } from '../../../src/formats/wal/parse-wal.js';
import { WalFrameReader, labelWalFrame, lostWalHeader, parseWal, parseWalHeader, walFramePage, walFramePath } from '../../../src/formats/wal/parse-wal.js';
import type { Issue } from '../../../src/issues/issue.js';
import { filePath, renderPath, toImageOffset } from '../../../src/provenance/path.js';
import { concat, noise, withNoise } from '../../support/bytes.js';
import type { WalFrameSpec } from '../../support/wal-fixtures.js';
import { buildWal, patternPage, referenceWalChecksum } from '../../support/wal-fixtures.js';

const path = filePath('test.db-wal');
const hex8 = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;
/** Offset of frame `k` (from 1) in a WAL at offset 0 with 512-byte pages. */
const frameAt = (k: number): number => 32 + (k - 1) * 536;

const header = { pageSize: 512, salt1: 0x0edbc67f, salt2: 0x1234abcd };
const staleA = { salt1: 0x0edbc67e, salt2: 0x0badf00d };
const staleB = { salt1: 0x0edbc67d, salt2: 0x600dcafe };

function parse(bytes: Uint8Array, at = 0, end?: number): { frames: readonly WalFrame[]; issues: readonly Issue[]; summary: WalFrameSummary } {
  const outcome = parseWal(bytes, at, path, end === undefined ? {} : { end });
  if (outcome.kind !== 'parsed') throw new Error(`expected parsed, got ${outcome.kind}`);
  return { frames: outcome.value.frames, issues: outcome.issues, summary: outcome.value.summary };
}

const labels = (frames: readonly WalFrame[]): string[] => frames.map((frame) => `${frame.frameNumber}:${frame.label}/${frame.checksum}`);
const brief = (issues: readonly Issue[]): string[] => issues.map((value) => `${value.code} ${value.severity} ${value.message}`);

/** Checksum a frame would have when computed from `previous` over the bytes actually stored. */
function computedFrom(bytes: Uint8Array, k: number, previous: { checksum1: number; checksum2: number }): string {
  const at = frameAt(k);
  const covered = concat(bytes.subarray(at, at + 8), bytes.subarray(at + 24, at + 536));
  const value = referenceWalChecksum(covered, false, previous);
  return `${hex8(value.checksum1)}/${hex8(value.checksum2)}`;
}

describe('parseWal: frames', () => {
  it('labels committed frames, an uncommitted tail, and parses the last frame (FQLite never does)', () => {
    const built = buildWal(header, [{ pageNumber: 1 }, { pageNumber: 2, commitSizeInPages: 2 }, { pageNumber: 3 }, { pageNumber: 2, commitSizeInPages: 3 }, { pageNumber: 3 }]);
    const { frames, issues, summary } = parse(built.bytes);
    expect(labels(frames)).toEqual(['1:committed/valid', '2:committed/valid', '3:committed/valid', '4:committed/valid', '5:uncommitted/valid']);
    expect(issues).toEqual([]);
    expect(summary).toEqual({
      walOffset: 0,
      pageSize: 512,
      frameCount: 5,
      acceptedFrameCount: 5,
      lastCommittedFrameNumber: 4,
      lastCurrentGenerationCommitFrameNumber: 4,
      truncatedTailSizeInBytes: 0,
      endOffset: 32 + 5 * 536,
      sizeInBytes: 32 + 5 * 536,
    });
    const last = frames[4] as WalFrame;
    expect(last).toEqual({
      frameNumber: 5,
      frameOffset: frameAt(5),
      pageOffset: frameAt(5) + 24,
      pageNumber: 3,
      commitSizeInPages: 0,
      isCommit: false,
      salt1: header.salt1,
      salt2: header.salt2,
      checksum1: built.frameChecksums[4]?.checksum1,
      checksum2: built.frameChecksums[4]?.checksum2,
      checksum: 'valid',
      saltsMatchHeader: true,
      saltsDamaged: false,
      generationSalt1: header.salt1,
      generationSalt2: header.salt2,
      inCurrentGeneration: true,
      acceptedBySqlite: true,
      label: 'uncommitted',
    });
  });

  it('hands on each page image by reference (no copy)', () => {
    const built = buildWal(header, [{ pageNumber: 7, commitSizeInPages: 7 }]);
    const { frames } = parse(built.bytes);
    const page = walFramePage(built.bytes, frames[0] as WalFrame, 512);
    expect(page.buffer).toBe(built.bytes.buffer);
    expect(page.byteOffset).toBe(built.bytes.byteOffset + 56);
    expect(page).toEqual(patternPage(512, 7));
  });

  it('reads a WAL with big-endian checksum words', () => {
    const built = buildWal({ ...header, bigEndian: true }, [{ pageNumber: 1 }, { pageNumber: 2, commitSizeInPages: 2 }]);
    expect(labels(parse(built.bytes).frames)).toEqual(['1:committed/valid', '2:committed/valid']);
  });

  it('reports wal.frame.truncated for a partial last frame, naming its offset', () => {
    const built = buildWal(header, [{ pageNumber: 1, commitSizeInPages: 1 }, { pageNumber: 2, commitSizeInPages: 2 }]);
    const bytes = concat(built.bytes, buildWal(header, [{ pageNumber: 3 }]).bytes.subarray(32, 132));
    const { frames, issues, summary } = parse(bytes);
    expect(frames).toHaveLength(2);
    expect(summary.truncatedTailSizeInBytes).toBe(100);
    expect(issues).toEqual([
      {
        code: 'wal.frame.truncated',
        severity: 'warning',
        path,
        offsetInLeaf: 0x450,
        message: 'WAL frame 3 at 0x00000450: only 100 of 536 bytes present',
        details: { frameNumber: 3, availableSizeInBytes: 100 },
      },
    ]);
  });

  it('tells a single damaged frame (later frames link again) and labels a broken committed transaction checksum-invalid', () => {
    const built = buildWal(header, [
      { pageNumber: 1 },
      { pageNumber: 2, commitSizeInPages: 2 },
      { pageNumber: 3, damageByteAt: 100 },
      { pageNumber: 4 },
      { pageNumber: 5, commitSizeInPages: 5 },
    ]);
    const { frames, issues, summary } = parse(built.bytes);
    expect(labels(frames)).toEqual(['1:committed/valid', '2:committed/valid', '3:checksum-invalid/mismatch', '4:checksum-invalid/linked', '5:checksum-invalid/linked']);
    expect(summary.acceptedFrameCount).toBe(2);
    expect(summary.lastCommittedFrameNumber).toBe(2);
    expect(summary.lastCurrentGenerationCommitFrameNumber).toBe(5);
    const stored = built.frameChecksums[2] as { checksum1: number; checksum2: number };
    const computed = computedFrom(built.bytes, 3, built.frameChecksums[1] as { checksum1: number; checksum2: number });
    expect(issues).toEqual([
      {
        code: 'wal.frame.checksum-mismatch',
        severity: 'warning',
        path,
        offsetInLeaf: 0x450 + 16,
        message: `WAL frame 3 at 0x00000450: checksum ${hex8(stored.checksum1)}/${hex8(stored.checksum2)} does not continue frame 2's (computed ${computed})`,
        details: { frameNumber: 3, stored: `${hex8(stored.checksum1)}/${hex8(stored.checksum2)}`, computed },
      },
    ]);
  });

  it('tells an overwritten tail (no frame links again); without a commit it is an uncommitted tail (info)', () => {
    const garbage = (seed: number): { checksum1: number; checksum2: number } => ({ checksum1: seed * 0x01010101, checksum2: seed * 0x10101 });
    const specs: WalFrameSpec[] = [
      { pageNumber: 1, commitSizeInPages: 1 },
      { pageNumber: 2, chainFrom: garbage(3) },
      { pageNumber: 3, chainFrom: garbage(5) },
    ];
    const built = buildWal(header, specs);
    const { frames, issues } = parse(built.bytes);
    expect(labels(frames)).toEqual(['1:committed/valid', '2:uncommitted/mismatch', '3:uncommitted/mismatch']);
    expect(issues.map((value) => [value.code, value.severity, value.offsetInLeaf])).toEqual([
      ['wal.frame.checksum-mismatch', 'info', frameAt(2) + 16],
      ['wal.frame.checksum-mismatch', 'info', frameAt(3) + 16],
    ]);
    const stored = built.frameChecksums[2] as { checksum1: number; checksum2: number };
    expect(issues[1]?.message).toBe(
      `WAL frame 3 at 0x00000450: checksum ${hex8(stored.checksum1)}/${hex8(stored.checksum2)} does not continue frame 2's (computed ${computedFrom(built.bytes, 3, built.frameChecksums[1] as { checksum1: number; checksum2: number })}); in the tail after the last commit frame of its generation, where SQLite rewrites spilled pages in place and repairs checksums only at commit`,
    );
    // With a commit frame after the break, the same frames are damage: warnings, checksum-invalid.
    const committed = buildWal(header, [...specs, { pageNumber: 4, commitSizeInPages: 4, chainFrom: garbage(7) }]);
    const after = parse(committed.bytes);
    expect(labels(after.frames)).toEqual(['1:committed/valid', '2:checksum-invalid/mismatch', '3:checksum-invalid/mismatch', '4:checksum-invalid/mismatch']);
    expect(after.issues.map((value) => value.severity)).toEqual(['warning', 'warning', 'warning']);
  });

  it('labels zero-salt frames and in-place rewritten frames of the open transaction uncommitted (sqlite.md §2.5)', () => {
    const built = buildWal(header, [
      { pageNumber: 1 },
      { pageNumber: 2, commitSizeInPages: 2 },
      { pageNumber: 3 },
      { pageNumber: 4, damageByteAt: 8 },
      { pageNumber: 5, zeroed: true },
      { pageNumber: 6, zeroed: true },
    ]);
    const { frames, issues } = parse(built.bytes);
    expect(labels(frames)).toEqual(['1:committed/valid', '2:committed/valid', '3:uncommitted/valid', '4:uncommitted/mismatch', '5:uncommitted/zeroed', '6:uncommitted/zeroed']);
    expect(frames[4]?.generationSalt1).toBe(header.salt1);
    expect(frames[4]?.saltsMatchHeader).toBe(false);
    expect(brief(issues)[1]).toBe(
      'wal.frame.zeroed info WAL frame 5 at 0x00000880: salts and checksums are zero (appended before commit after SQLite rewrote a frame in place)',
    );
    expect(issues[1]).toMatchObject({ offsetInLeaf: frameAt(5) + 8, details: { frameNumber: 5 } });
    expect(issues.map((value) => value.code)).toEqual(['wal.frame.checksum-mismatch', 'wal.frame.zeroed']);
  });

  it('groups stale generations, verifies their chains from the second surviving frame, and reports wal.frame.salt-mismatch once per generation', () => {
    const built = buildWal(header, [
      { pageNumber: 1 },
      { pageNumber: 2, commitSizeInPages: 2 },
      { pageNumber: 3, salts: staleA, chainFrom: { checksum1: 11, checksum2: 12 } },
      { pageNumber: 4, salts: staleA, commitSizeInPages: 9 },
      { pageNumber: 5, salts: staleA },
      { pageNumber: 6, salts: staleB, chainFrom: { checksum1: 13, checksum2: 14 } },
      { pageNumber: 7, salts: staleB, commitSizeInPages: 9 },
    ]);
    const { frames, issues } = parse(built.bytes);
    expect(labels(frames)).toEqual([
      '1:committed/valid',
      '2:committed/valid',
      '3:stale-generation/unverifiable',
      '4:stale-generation/linked',
      '5:stale-generation/linked',
      '6:stale-generation/unverifiable',
      '7:stale-generation/linked',
    ]);
    expect(frames.map((frame) => frame.generationSalt2)).toEqual([header.salt2, header.salt2, staleA.salt2, staleA.salt2, staleA.salt2, staleB.salt2, staleB.salt2]);
    expect(issues).toEqual([
      {
        code: 'wal.frame.salt-mismatch',
        severity: 'info',
        path,
        offsetInLeaf: frameAt(3) + 8,
        message: 'WAL frame 3 at 0x00000450: salt-1 0x0edbc67e differs from header salt-1 0x0edbc67f',
        details: { frameNumber: 3, salt1: staleA.salt1, salt2: staleA.salt2 },
      },
      {
        code: 'wal.frame.salt-mismatch',
        severity: 'info',
        path,
        offsetInLeaf: frameAt(6) + 8,
        message: 'WAL frame 6 at 0x00000a98: salt-1 0x0edbc67d differs from header salt-1 0x0edbc67f',
        details: { frameNumber: 6, salt1: staleB.salt1, salt2: staleB.salt2 },
      },
    ]);
  });

  it('names salt-2 when only salt-2 differs, and flags a broken chain inside a stale generation', () => {
    const other = { salt1: header.salt1, salt2: 0x77777777 };
    const built = buildWal(header, [
      { pageNumber: 1, commitSizeInPages: 1 },
      { pageNumber: 2, salts: other, chainFrom: { checksum1: 1, checksum2: 2 } },
      { pageNumber: 3, salts: other, damageByteAt: 0 },
      { pageNumber: 4, salts: other, commitSizeInPages: 4 },
    ]);
    const { frames, issues } = parse(built.bytes);
    expect(labels(frames)).toEqual(['1:committed/valid', '2:stale-generation/unverifiable', '3:stale-generation/mismatch', '4:stale-generation/linked']);
    expect(brief(issues)[0]).toBe('wal.frame.salt-mismatch info WAL frame 2 at 0x00000238: salt-2 0x77777777 differs from header salt-2 0x1234abcd');
    expect(issues.map((value) => [value.code, value.severity])).toEqual([
      ['wal.frame.salt-mismatch', 'info'],
      ['wal.frame.checksum-mismatch', 'warning'],
    ]);
  });

  it('recognises damaged salts: the checksum still continues the previous frame (wal.frame.salt-mismatch, warning)', () => {
    const built = buildWal(header, [{ pageNumber: 1 }, { pageNumber: 2, salts: { salt1: 0x11111111, salt2: header.salt2 } }, { pageNumber: 3, commitSizeInPages: 3 }]);
    const { frames, issues } = parse(built.bytes);
    expect(labels(frames)).toEqual(['1:uncommitted/valid', '2:checksum-invalid/valid', '3:checksum-invalid/valid']);
    expect(frames[1]).toMatchObject({ saltsDamaged: true, inCurrentGeneration: true, acceptedBySqlite: false, generationSalt1: header.salt1 });
    expect(issues).toEqual([
      {
        code: 'wal.frame.salt-mismatch',
        severity: 'warning',
        path,
        offsetInLeaf: frameAt(2) + 8,
        message: "WAL frame 2 at 0x00000238: salt-1 0x11111111 differs from salt-1 0x0edbc67f of frame 1, yet its checksum continues frame 1's: the salts are damaged",
        details: { frameNumber: 2, salt1: 0x11111111, salt2: header.salt2 },
      },
    ]);
  });

  it('reports wal.frame.page-number-invalid for page 0, which SQLite rejects', () => {
    const built = buildWal(header, [{ pageNumber: 1, commitSizeInPages: 1 }, { pageNumber: 0, commitSizeInPages: 1 }]);
    const { frames, issues } = parse(built.bytes);
    expect(labels(frames)).toEqual(['1:committed/valid', '2:checksum-invalid/valid']);
    expect(issues).toEqual([
      {
        code: 'wal.frame.page-number-invalid',
        severity: 'warning',
        path,
        offsetInLeaf: frameAt(2),
        message: 'WAL frame 2 at 0x00000238: page number 0 is invalid',
        details: { frameNumber: 2 },
      },
    ]);
  });

  it('with a damaged header SQLite ignores every frame: committed transactions become checksum-invalid', () => {
    const built = buildWal({ ...header, checksum: { checksum1: 1, checksum2: 2 } }, [{ pageNumber: 1, commitSizeInPages: 1 }, { pageNumber: 2, commitSizeInPages: 2 }, { pageNumber: 3 }]);
    const outcome = parseWal(built.bytes, 0, path);
    if (outcome.kind !== 'parsed') throw new Error('expected parsed');
    // The chain still verifies from the stored header pair: the frames themselves are intact.
    expect(labels(outcome.value.frames)).toEqual(['1:checksum-invalid/valid', '2:checksum-invalid/valid', '3:uncommitted/valid']);
    expect(outcome.value.summary.lastCommittedFrameNumber).toBe(0);
    expect(outcome.issues.map((value) => value.code)).toEqual(['wal.header.checksum-mismatch']);
  });

  it('reports absolute offsets for a WAL inside noise, and frame provenance folds back to the image offset', () => {
    const built = buildWal(header, [{ pageNumber: 1 }, { pageNumber: 2, commitSizeInPages: 2 }, { pageNumber: 3, damageByteAt: 5 }]);
    const image = withNoise(777, built.bytes);
    const end = 777 + built.bytes.length;
    const { frames, issues, summary } = parse(image, 777, end);
    expect(frames.map((frame) => frame.frameOffset)).toEqual([777 + 32, 777 + 32 + 536, 777 + 32 + 2 * 536]);
    expect(labels(frames)).toEqual(['1:committed/valid', '2:committed/valid', '3:uncommitted/mismatch']);
    expect(issues.map((value) => [value.code, value.offsetInLeaf, value.message.split(': ')[0]])).toEqual([
      ['wal.frame.checksum-mismatch', 777 + 32 + 2 * 536 + 16, 'WAL frame 3 at 0x00000759'],
    ]);
    const frame = frames[1] as WalFrame;
    const framePath = walFramePath(path, summary, frame);
    expect(renderPath(framePath)).toBe('file:test.db-wal > range@0x00000309+0x00000668 > wal-frame#2(page 2, salts 0x0edbc67f/0x1234abcd)');
    expect(toImageOffset(framePath, 0)).toBe(frame.pageOffset);
    expect(toImageOffset(framePath, 100)).toBe(frame.pageOffset + 100);
    // At offset 0 no range layer is needed.
    const plain = parse(built.bytes);
    const plainPath = walFramePath(path, plain.summary, plain.frames[2] as WalFrame);
    expect(renderPath(plainPath)).toBe('file:test.db-wal > wal-frame#3(page 3, salts 0x0edbc67f/0x1234abcd)');
    expect(toImageOffset(plainPath, 0)).toBe(frameAt(3) + 24);
    // Without an end, the noise after the WAL is a truncated tail.
    expect(parse(image, 777).issues.map((value) => value.message)).toContain('WAL frame 4 at 0x00000971: only 64 of 536 bytes present');
  });

  it('gives the same frames and issues when fed in chunks (WalFrameReader)', () => {
    const specs: WalFrameSpec[] = [];
    for (let k = 1; k <= 10; k++) specs.push({ pageNumber: k, ...(k % 4 === 0 ? { commitSizeInPages: k } : {}), ...(k === 6 ? { damageByteAt: 3 } : {}) });
    specs.push({ pageNumber: 11, zeroed: true });
    specs.push({ pageNumber: 12, salts: staleA, chainFrom: { checksum1: 1, checksum2: 1 } });
    specs.push({ pageNumber: 13, salts: staleA });
    const built = buildWal(header, specs);
    const bytes = concat(built.bytes, noise(300));
    const whole = parseWal(bytes, 0, path);
    if (whole.kind !== 'parsed') throw new Error('expected parsed');

    const parsedHeader = parseWalHeader(bytes, 0, path);
    if (parsedHeader.kind !== 'parsed') throw new Error('expected parsed');
    const reader = new WalFrameReader(parsedHeader.value, path);
    const collected = [];
    const chunkSize = 3 * reader.frameSizeInBytes + 200;
    while (reader.nextFrameOffset + reader.frameSizeInBytes <= bytes.length) {
      // A ByteSource-style positional read; the partial frame at the chunk's end is read again.
      const chunk = bytes.slice(reader.nextFrameOffset, reader.nextFrameOffset + chunkSize);
      collected.push(...reader.readFrames(chunk, 0));
    }
    const { summary, issues } = reader.finish(bytes.length);
    expect(collected.map((frame) => ({ ...frame, label: labelWalFrame(frame, summary) }))).toEqual(whole.value.frames);
    expect(summary).toEqual(whole.value.summary);
    expect(issues).toEqual(whole.issues);
    expect(() => reader.finish()).toThrow('called twice');
  });

  it('reads frames whose header is lost (lostWalHeader): the first frame unverifiable, the next ones chained from it, a break still caught, nothing accepted', () => {
    const specs: WalFrameSpec[] = [{ pageNumber: 1 }, { pageNumber: 2, commitSizeInPages: 2 }, { pageNumber: 3, damageByteAt: 40 }, { pageNumber: 4 }, { pageNumber: 5, commitSizeInPages: 5 }];
    for (const bigEndian of [false, true]) {
      const built = buildWal({ ...header, bigEndian }, specs);
      // The header overwritten: the fragment is read from a stand-in at offset 0 (the 32 bytes there are never read).
      const bytes = concat(noise(32, 3), built.bytes.subarray(32));
      const reader = new WalFrameReader(lostWalHeader(0, 512, bigEndian), path);
      const frames = reader.readFrames(bytes, 32);
      const { summary, issues } = reader.finish(bytes.length);
      expect(labels(frames.map((frame) => ({ ...frame, label: labelWalFrame(frame, summary) })))).toEqual([
        '1:stale-generation/unverifiable',
        '2:stale-generation/linked',
        '3:stale-generation/mismatch',
        // Frame 4 continues frame 3's stored pair: only frame 3's bytes were damaged.
        '4:stale-generation/linked',
        '5:stale-generation/linked',
      ]);
      expect(frames.every((frame) => !frame.acceptedBySqlite && !frame.inCurrentGeneration && frame.generationSalt1 === header.salt1)).toBe(true);
      expect(summary.acceptedFrameCount).toBe(0);
      expect(summary.lastCommittedFrameNumber).toBe(0);
      expect(issues.map((value) => value.code)).toContain('wal.frame.checksum-mismatch');
    }
  });

  it('throws on programmer errors in the reader (range outside the bytes, an end leaving a whole frame)', () => {
    const built = buildWal(header, [{ pageNumber: 1 }]);
    const parsedHeader = parseWalHeader(built.bytes, 0, path);
    if (parsedHeader.kind !== 'parsed') throw new Error('expected parsed');
    const reader = new WalFrameReader(parsedHeader.value, path);
    expect(() => reader.readFrames(built.bytes, 10, built.bytes.length + 1)).toThrow('outside');
    expect(() => reader.finish(32 + 536)).toThrow('within one frame');
  });

  it('never throws on truncations and byte flips; every effective flip is reported (mutation sweep)', () => {
    const built = buildWal(header, [{ pageNumber: 1 }, { pageNumber: 2, commitSizeInPages: 2 }, { pageNumber: 3 }]);
    const bytes = built.bytes;
    const started = performance.now();
    // Mismatches are collected and asserted once: a per-iteration expect() costs more than a parse.
    const wrong: string[] = [];
    for (let length = 0; length <= bytes.length; length++) {
      const outcome = parseWal(bytes.subarray(0, length), 0, path);
      const kind = length < 4 ? 'not-this-format' : length < 32 ? 'malformed' : 'parsed';
      if (outcome.kind !== kind) wrong.push(`length ${length}: ${outcome.kind}`);
      if (outcome.kind !== 'parsed') continue;
      const complete = Math.floor((length - 32) / 536);
      const codes = outcome.issues.map((value) => value.code).join(',');
      if (outcome.value.frames.length !== complete) wrong.push(`length ${length}: ${outcome.value.frames.length} frames`);
      if (codes !== ((length - 32) % 536 === 0 ? '' : 'wal.frame.truncated')) wrong.push(`length ${length}: ${codes}`);
    }
    for (let index = 0; index < bytes.length; index++) {
      for (const value of [0x00, 0xff]) {
        if (bytes[index] === value) continue;
        const mutated = bytes.slice();
        mutated[index] = value;
        const outcome = parseWal(mutated, 0, path);
        if (outcome.kind === 'parsed' ? outcome.issues.length === 0 : index >= 32) wrong.push(`byte ${index} = ${value}: ${outcome.kind}, not reported`);
      }
    }
    expect(wrong).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
