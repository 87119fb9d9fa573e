/**
 * What the SQLite format code needs to reach other pages (b-tree children, overflow pages):
 * an interface only, implemented over a ByteSource in sources/ and over memory in tests.
 */
export interface PageReader {
  readonly pageSize: number;
  /** Pages present in the carrier (file length / page size, rounded down). */
  readonly pageCount: number;
  /** The page image, or undefined when page `pageNumber` is outside the carrier. Short at a truncated end. */
  readPage(pageNumber: number): Uint8Array | undefined;
}

export class MemoryPageReader implements PageReader {
  readonly pageSize: number;
  readonly pageCount: number;
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array, pageSize: number) {
    this.#bytes = bytes;
    this.pageSize = pageSize;
    this.pageCount = Math.ceil(bytes.length / pageSize);
  }

  readPage(pageNumber: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(pageNumber) || pageNumber < 1 || pageNumber > this.pageCount) return undefined;
    const start = (pageNumber - 1) * this.pageSize;
    return this.#bytes.subarray(start, Math.min(start + this.pageSize, this.#bytes.length));
  }
}
