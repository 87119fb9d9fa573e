/**
 * ByteSource: the only way evidence bytes are read. `read` is positional and never loads the
 * whole image; a short read at the end of the source returns fewer bytes.
 */
export interface ByteSource {
  /** Where the bytes come from, as it appears in provenance (`file:` layer) and reports. */
  readonly location: string;
  readonly sizeInBytes: number;
  /** Reads up to `length` bytes at `offset`; returns fewer at the end of the source. */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export class MemorySource implements ByteSource {
  readonly location: string;
  readonly sizeInBytes: number;
  readonly #bytes: Uint8Array;

  constructor(location: string, bytes: Uint8Array) {
    this.location = location;
    this.#bytes = bytes;
    this.sizeInBytes = bytes.length;
  }

  read(offset: number, length: number): Uint8Array {
    const start = Math.max(0, Math.min(offset, this.sizeInBytes));
    const end = Math.max(start, Math.min(offset + length, this.sizeInBytes));
    return this.#bytes.subarray(start, end);
  }

  close(): void {}
}
