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

  constructor(source: ByteSource, pageSize: number, baseOffset = 0, sizeInBytes = source.sizeInBytes - baseOffset, cacheLimit = 64) {
    this.#source = source;
    this.#baseOffset = baseOffset;
    this.pageSize = pageSize;
    this.pageCount = Math.ceil(Math.max(0, sizeInBytes) / pageSize);
    this.#cacheLimit = cacheLimit;
  }

  readPage(pageNumber: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(pageNumber) || pageNumber < 1 || pageNumber > this.pageCount) return undefined;
    const cached = this.#cache.get(pageNumber);
    if (cached !== undefined) return cached;
    const page = this.#source.read(this.#baseOffset + (pageNumber - 1) * this.pageSize, this.pageSize);
    if (this.#cache.size >= this.#cacheLimit) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(pageNumber, page);
    return page;
  }

  /** Reads a run of pages with one read (the hot path for leaf batches). */
  readPages(firstPageNumber: number, count: number): Uint8Array {
    return this.#source.read(this.#baseOffset + (firstPageNumber - 1) * this.pageSize, count * this.pageSize);
  }
}
