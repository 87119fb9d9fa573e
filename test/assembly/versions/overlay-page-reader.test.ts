import { describe, expect, it } from 'vitest';
import { MemoryPageReader } from '../../../src/formats/sqlite/page-reader.js';
import { OverlayPageReader, emptyPageReader } from '../../../src/assembly/versions/overlay-page-reader.js';

const pageSize = 512;
const page = (fill: number): Uint8Array => new Uint8Array(pageSize).fill(fill);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((part) => [...part]));

describe('OverlayPageReader', () => {
  const base = new MemoryPageReader(concat(page(1), page(2), page(3)), pageSize);
  // A "log" holding two page images at offsets 100 and 100 + 512.
  const log = concat(new Uint8Array(100), page(0xaa), page(0xbb));
  const images = { read: (offset: number, length: number) => log.subarray(offset, Math.min(log.length, offset + length)) };

  it('reads overlaid pages from the log and the rest from the base', () => {
    const reader = new OverlayPageReader(base, pageSize, images, new Map([[2, 100]]));
    expect(reader.readPage(1)?.[0]).toBe(1);
    expect(reader.readPage(2)?.[0]).toBe(0xaa);
    expect(reader.readPage(2)).toHaveLength(pageSize);
    expect(reader.readPage(3)?.[0]).toBe(3);
    expect(reader.isOverlaid(2)).toBe(true);
    expect(reader.isOverlaid(3)).toBe(false);
    expect(reader.pageCount).toBe(3);
  });

  it('grows to the highest overlaid page, and is cut by an explicit page count (a commit that shrank the file)', () => {
    const grown = new OverlayPageReader(base, pageSize, images, new Map([[5, 612]]));
    expect(grown.pageCount).toBe(5);
    expect(grown.readPage(5)?.[0]).toBe(0xbb);
    expect(grown.readPage(4)).toBeUndefined();
    const cut = new OverlayPageReader(base, pageSize, images, new Map([[2, 100]]), { pageCount: 2 });
    expect(cut.readPage(3)).toBeUndefined();
    expect(cut.readPage(0)).toBeUndefined();
    expect(cut.readPage(1.5)).toBeUndefined();
  });

  it('works without a base (a stray log) and refuses a base of another page size', () => {
    const alone = new OverlayPageReader(undefined, pageSize, images, new Map([[7, 100]]));
    expect(alone.pageCount).toBe(7);
    expect(alone.readPage(1)).toBeUndefined();
    expect(alone.readPage(7)?.[0]).toBe(0xaa);
    expect(emptyPageReader(pageSize).readPage(1)).toBeUndefined();
    expect(() => new OverlayPageReader(new MemoryPageReader(page(0), 1024), pageSize, images, new Map())).toThrow(/page size/);
  });

  it('a log image past the end of the log reads short or absent, never throws', () => {
    const reader = new OverlayPageReader(undefined, pageSize, images, new Map([[1, log.length - 10], [2, log.length + 10]]));
    expect(reader.readPage(1)).toHaveLength(10);
    expect(reader.readPage(2)).toBeUndefined();
  });
});
