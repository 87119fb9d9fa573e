/**
 * Part of another source seen as a whole: the bytes [start, start + sizeInBytes) of `inner`,
 * read at offsets relative to `start`. Carved WALs and journals inside a raw image go through the
 * same log pipeline as files this way; their provenance says where they lie (a `range` layer).
 */
import type { ByteSource } from './byte-source.js';

export class RangeSource implements ByteSource {
  readonly location: string;
  readonly sizeInBytes: number;
  readonly #inner: ByteSource;
  readonly #start: number;

  /** `sizeInBytes` is clipped to what `inner` holds after `start`. */
  constructor(inner: ByteSource, start: number, sizeInBytes: number, location = inner.location) {
    this.#inner = inner;
    this.#start = Math.max(0, Math.min(start, inner.sizeInBytes));
    this.sizeInBytes = Math.max(0, Math.min(sizeInBytes, inner.sizeInBytes - this.#start));
    this.location = location;
  }

  read(offset: number, length: number): Uint8Array {
    const start = Math.max(0, Math.min(offset, this.sizeInBytes));
    const end = Math.max(start, Math.min(offset + length, this.sizeInBytes));
    return end === start ? new Uint8Array(0) : this.#inner.read(this.#start + start, end - start);
  }

  /** Closes the inner source too (the range owns it). */
  close(): void {
    this.#inner.close();
  }
}
