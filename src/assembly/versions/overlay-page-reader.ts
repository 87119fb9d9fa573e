/**
 * A database as some point in time saw it: page images from a log (WAL frames or journal
 * pre-images) laid over a base database (the main file), or over nothing for a stray log.
 *
 * Pure: the log's bytes come through `PageImageSource.read`, the base through a `PageReader`, so
 * the same class serves the main thread (over a FileSource), pool workers and tests (over memory).
 */
import type { PageReader } from '../../formats/sqlite/page-reader.js';

/** Positional reads of the file that holds the page images (a WAL or a journal). */
export interface PageImageSource {
  /** Up to `length` bytes at `offset`; fewer at the end of the file. */
  read(offset: number, length: number): Uint8Array;
}

/** Page number → file offset of the page image (in the `PageImageSource`) that replaces the base's page. */
export type PageOverlay = ReadonlyMap<number, number>;

export interface OverlayPageReaderOptions {
  /**
   * Pages the view has: a WAL commit frame's "database size after commit", a journal's initial
   * database size. Defaults to the larger of the base's page count and the highest overlaid page.
   * Pages above it read as absent (a commit that shrank the database hides the pages beyond).
   */
  readonly pageCount?: number;
  /** Recently read log pages kept in memory (b-tree walks revisit interior pages). Default 64. */
  readonly cacheLimit?: number;
}

export class OverlayPageReader implements PageReader {
  readonly pageSize: number;
  readonly pageCount: number;
  readonly #base: PageReader | undefined;
  readonly #images: PageImageSource;
  readonly #overlay: PageOverlay;
  readonly #cache = new Map<number, Uint8Array>();
  readonly #cacheLimit: number;

  /**
   * @throws Error when the base's page size differs from `pageSize` (a caller bug: a WAL whose
   * page size differs from its database's is decoded without a base).
   */
  constructor(base: PageReader | undefined, pageSize: number, images: PageImageSource, overlay: PageOverlay, options: OverlayPageReaderOptions = {}) {
    if (base !== undefined && base.pageSize !== pageSize) throw new Error(`OverlayPageReader: base page size ${base.pageSize} differs from ${pageSize}`);
    this.#base = base;
    this.pageSize = pageSize;
    this.#images = images;
    this.#overlay = overlay;
    this.#cacheLimit = options.cacheLimit ?? 64;
    let highest = base?.pageCount ?? 0;
    for (const pageNumber of overlay.keys()) if (pageNumber > highest) highest = pageNumber;
    this.pageCount = options.pageCount ?? highest;
  }

  /** True when page `pageNumber` comes from the log rather than the base. */
  isOverlaid(pageNumber: number): boolean {
    return this.#overlay.has(pageNumber);
  }

  readPage(pageNumber: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(pageNumber) || pageNumber < 1 || pageNumber > this.pageCount) return undefined;
    const fileOffset = this.#overlay.get(pageNumber);
    if (fileOffset === undefined) return this.#base?.readPage(pageNumber);
    const cached = this.#cache.get(pageNumber);
    if (cached !== undefined) return cached;
    const page = this.#images.read(fileOffset, this.pageSize);
    if (page.length === 0) return undefined;
    if (this.#cache.size >= this.#cacheLimit) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(pageNumber, page);
    return page;
  }
}

/** A PageReader with no pages: the base of a stray log. */
export const emptyPageReader = (pageSize: number): PageReader => ({ pageSize, pageCount: 0, readPage: () => undefined });
