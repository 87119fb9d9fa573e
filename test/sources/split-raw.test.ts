import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '../../src/sources/file-source.js';
import { SplitRawSource, changedFiles, fileIdentities, isLaterSplitSegment, openImageSource, splitSegmentPaths } from '../../src/sources/split-raw.js';
import { noise } from '../support/bytes.js';
import { makeTempDir, removeDir } from '../support/sqlite3.js';

let directory = '';
const whole = noise(10_000, 0x61);
// Odd segment sizes, so reads cross boundaries at unaligned offsets.
const cuts = [0, 3001, 3002, 7777, 10_000];

beforeAll(() => {
  directory = makeTempDir('exhume-split-');
  for (let index = 0; index + 1 < cuts.length; index++) {
    writeFileSync(join(directory, `image.${String(index + 1).padStart(3, '0')}`), whole.subarray(cuts[index], cuts[index + 1]));
  }
  writeFileSync(join(directory, 'zero.000'), whole.subarray(0, 100));
  writeFileSync(join(directory, 'zero.001'), whole.subarray(100, 250));
  writeFileSync(join(directory, 'lonely.001'), whole.subarray(0, 10));
  writeFileSync(join(directory, 'plain.dd'), whole);
});

afterAll(() => removeDir(directory));

describe('split raw images', () => {
  it('finds the segments in order from any of them', () => {
    const expected = [1, 2, 3, 4].map((number) => join(directory, `image.00${number}`));
    expect(splitSegmentPaths(join(directory, 'image.001'))).toEqual(expected);
    expect(splitSegmentPaths(join(directory, 'image.003'))).toEqual(expected);
    expect(splitSegmentPaths(join(directory, 'zero.001'))).toEqual([join(directory, 'zero.000'), join(directory, 'zero.001')]);
    expect(splitSegmentPaths(join(directory, 'lonely.001'))).toEqual([join(directory, 'lonely.001')]);
    expect(splitSegmentPaths(join(directory, 'plain.dd'))).toEqual([join(directory, 'plain.dd')]);
    expect(isLaterSplitSegment(join(directory, 'image.002'))).toBe(true);
    expect(isLaterSplitSegment(join(directory, 'image.001'))).toBe(false);
    expect(isLaterSplitSegment(join(directory, 'plain.dd'))).toBe(false);
  });

  it('reads the concatenation at every offset and length, across segment boundaries (one segment may be 1 byte)', () => {
    const source = new SplitRawSource(splitSegmentPaths(join(directory, 'image.001')), 'image.001');
    try {
      expect(source.sizeInBytes).toBe(whole.length);
      expect(source.segments.map((segment) => [segment.imageOffset, segment.sizeInBytes])).toEqual([
        [0, 3001],
        [3001, 1],
        [3002, 4775],
        [7777, 2223],
      ]);
      for (const offset of [0, 1, 2999, 3000, 3001, 3002, 3003, 7776, 7777, 9_999, 10_000, 12_000]) {
        for (const length of [0, 1, 2, 5, 4777, 20_000]) {
          const expected = whole.subarray(Math.min(offset, whole.length), Math.min(offset + length, whole.length));
          expect(source.read(offset, length), `${offset}+${length}`).toEqual(expected);
        }
      }
      const target = new Uint8Array(6000);
      expect(source.readInto(2000, target, 1000, 5000)).toBe(5000);
      expect(target.subarray(1000)).toEqual(whole.subarray(2000, 7000));
    } finally {
      source.close();
    }
    expect(() => source.read(0, 1)).toThrow(/closed/);
  });

  it('opens a split set as one source and anything else as a file', () => {
    const split = openImageSource(join(directory, 'image.002'));
    const plain = openImageSource(join(directory, 'plain.dd'));
    try {
      expect(split).toBeInstanceOf(SplitRawSource);
      expect(split.read(0, 10_000)).toEqual(plain.read(0, 10_000));
      expect(plain).toBeInstanceOf(FileSource);
    } finally {
      split.close();
      plain.close();
    }
    expect(() => new SplitRawSource([])).toThrow(/no segments/);
    expect(() => new SplitRawSource([join(directory, 'image.001'), join(directory, 'missing.002')])).toThrow(/ENOENT/);
  });

  it('notices a file that changed (size or times)', () => {
    const path = join(directory, 'changing.img');
    writeFileSync(path, whole.subarray(0, 100));
    const before = fileIdentities([path]);
    expect(changedFiles(before, fileIdentities([path]))).toEqual([]);
    writeFileSync(path, whole.subarray(0, 101));
    expect(changedFiles(before, fileIdentities([path])).map((file) => file.sizeInBytes)).toEqual([101]);
    expect(fileIdentities([join(directory, 'gone')])[0]?.sizeInBytes).toBe(-1);
  });
});
