/**
 * WindowedByteView: a journal parsed through a window much smaller than the file gives exactly
 * what parsing the whole file in memory gives, while reading it in pieces.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseJournal } from '../../src/formats/journal/parse-journal.js';
import { filePath } from '../../src/provenance/path.js';
import { MemorySource } from '../../src/sources/byte-source.js';
import { FileSource } from '../../src/sources/file-source.js';
import { WindowedByteView } from '../../src/sources/windowed-view.js';

describe('WindowedByteView', () => {
  it('reads every byte as the array holds it, undefined outside, through small windows', () => {
    const bytes = Uint8Array.from({ length: 10_000 }, (_, index) => (index * 7) % 251);
    const view = new WindowedByteView(new MemorySource('m', bytes), 1000);
    expect(view.length).toBe(10_000);
    for (const offset of [0, 999, 1000, 5555, 9999, 4000, 3999, 12]) expect(view.at(offset)).toBe(bytes[offset]);
    expect([view.at(-1), view.at(10_000), view.at(Number.NaN)]).toEqual([undefined, undefined, undefined]);
    expect(view.windowReadCount).toBeGreaterThan(1);
    expect(() => new WindowedByteView(new MemorySource('m', bytes), 0)).toThrow('window size');
  });

  for (const location of ['samples/pos-persist/trans.db-journal', 'samples/pos-hot-journal/trans.db-journal']) {
    it(`${location}: parsed through an 8 KiB window, equal to the whole-file parse`, () => {
      const whole = parseJournal(new Uint8Array(readFileSync(location)), 0, filePath(location), { pageSize: 4096 });
      const source = new FileSource(location);
      try {
        expect(source.sizeInBytes).toBeGreaterThan(4 * 8192);
        const view = new WindowedByteView(source, 8192);
        expect(parseJournal(view, 0, filePath(location), { pageSize: 4096 })).toEqual(whole);
        expect(view.windowReadCount).toBeGreaterThan(4);
      } finally {
        source.close();
      }
    });
  }
});
