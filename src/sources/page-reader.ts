import type { PageReader } from '../formats/sqlite/page-reader.js';
import type { ByteSource } from './byte-source.js';

/**
 * Pages of a database that starts at `baseOffset` inside a ByteSource (0 for a plain file; the
 * carve offset inside a raw image). Keeps a small cache of recently read pages so b-tree walks and
 * overflow chains do not re-read the same page.
 */
export class SourcePageReader implements PageReader {
  readonly pageSize: number;
  readonly pageCount: number;
  readonly #source: ByteSource;
  readonly #baseOffset: number;
  readonly #cache = new Map<number, Uint8Array>();
  readonly #cacheLimit: number;
  readonly #readAheadPages: number;

  /**
   * `readAheadBytes`: a cache miss reads this many bytes of following pages with the same read
   * (walks that visit pages mostly in file order then make one read call per run, not one per
   * page); 0 reads one page at a time.
   */
  constructor(source: ByteSource, pageSize: number, baseOffset = 0, sizeInBytes = source.sizeInBytes - baseOffset, cacheLimit = 64, readAheadBytes = 0) {
    this.#source = source;
    this.#baseOffset = baseOffset;
    this.pageSize = pageSize;
    this.pageCount = Math.ceil(Math.max(0, sizeInBytes) / pageSize);
    this.#readAheadPages = Math.max(1, Math.min(Math.floor(readAheadBytes / pageSize), Math.max(1, cacheLimit >> 1)));
    this.#cacheLimit = Math.max(cacheLimit, this.#readAheadPages);
  }

  readPage(pageNumber: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(pageNumber) || pageNumber < 1 || pageNumber > this.pageCount) return undefined;
    const cached = this.#cache.get(pageNumber);
    if (cached !== undefined) return cached;
    const count = Math.min(this.#readAheadPages, this.pageCount - pageNumber + 1);
    const bytes = this.#source.read(this.#baseOffset + (pageNumber - 1) * this.pageSize, count * this.pageSize);
    let page: Uint8Array | undefined;
    for (let index = 0; index < count; index++) {
      const start = index * this.pageSize;
      if (start >= bytes.length && index > 0) break;
      const view = bytes.subarray(start, Math.min(bytes.length, start + this.pageSize));
      if (index === 0) page = view;
      else if (this.#cache.has(pageNumber + index)) continue;
      this.#remember(pageNumber + index, view);
    }
    return page;
  }

  #remember(pageNumber: number, page: Uint8Array): void {
    if (this.#cache.size >= this.#cacheLimit) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(pageNumber, page);
  }

  /** Reads a run of pages with one read (the hot path for leaf batches). */
  readPages(firstPageNumber: number, count: number): Uint8Array {
    return this.#source.read(this.#baseOffset + (firstPageNumber - 1) * this.pageSize, count * this.pageSize);
  }
}
