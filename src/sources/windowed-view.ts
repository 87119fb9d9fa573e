/**
 * A byte view over a ByteSource that keeps one window of it in memory: `at(offset)` reads a new
 * window when the offset falls outside the current one. Parsers that walk a file mostly forward
 * (a rollback journal's headers and records) read a file of any size with memory bounded by the
 * window, instead of reading it whole.
 */
import type { ByteSource } from './byte-source.js';

/** Default window: large enough for a 64 KiB page record many times over, small enough to keep memory flat. */
export const defaultWindowSizeInBytes = 8 * 1024 * 1024;

/** Bytes kept before the requested offset when a window is read (short backward steps stay in the window). */
const backwardReachInBytes = 128 * 1024;

export class WindowedByteView {
  readonly length: number;
  readonly #source: ByteSource;
  readonly #windowSizeInBytes: number;
  #windowStart = 0;
  #window: Uint8Array = new Uint8Array(0);
  /** Windows read so far (tests check that a large file is read in pieces). */
  windowReadCount = 0;

  /** @throws Error when `windowSizeInBytes` is not a positive safe integer (a caller bug). */
  constructor(source: ByteSource, windowSizeInBytes = defaultWindowSizeInBytes) {
    if (!Number.isSafeInteger(windowSizeInBytes) || windowSizeInBytes <= 0) throw new Error(`WindowedByteView: window size ${windowSizeInBytes} is not a positive integer`);
    this.#source = source;
    this.#windowSizeInBytes = windowSizeInBytes;
    this.length = source.sizeInBytes;
  }

  at(offset: number): number | undefined {
    if (!(offset >= 0 && offset < this.length)) return undefined;
    let index = offset - this.#windowStart;
    if (index < 0 || index >= this.#window.length) {
      this.#windowStart = Math.max(0, offset - Math.min(backwardReachInBytes, Math.floor(this.#windowSizeInBytes / 4)));
      this.#window = this.#source.read(this.#windowStart, this.#windowSizeInBytes);
      this.windowReadCount++;
      index = offset - this.#windowStart;
    }
    return this.#window[index];
  }

  /** Up to `length` bytes at `offset` (a fresh read, not kept). */
  read(offset: number, length: number): Uint8Array {
    return this.#source.read(offset, length);
  }
}
