/**
 * Read-only file source. Opens with O_RDONLY only, reads positionally, never writes.
 */
import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';
import type { ByteSource } from './byte-source.js';

export class FileSource implements ByteSource {
  readonly location: string;
  readonly sizeInBytes: number;
  #descriptor: number | undefined;

  /** @throws the file system's error when the file cannot be opened (the CLI maps it to exit 1). */
  constructor(filePath: string, location: string = filePath) {
    this.location = location;
    this.#descriptor = openSync(filePath, constants.O_RDONLY);
    this.sizeInBytes = fstatSync(this.#descriptor).size;
  }

  read(offset: number, length: number): Uint8Array {
    if (this.#descriptor === undefined) throw new Error(`FileSource ${this.location} is closed`);
    const start = Math.max(0, Math.min(offset, this.sizeInBytes));
    const wanted = Math.max(0, Math.min(offset + length, this.sizeInBytes) - start);
    // Not zero-filled (every byte returned is read first): a plain Uint8Array over its own memory.
    const buffer = new Uint8Array(Buffer.allocUnsafeSlow(wanted).buffer, 0, wanted);
    let filled = 0;
    while (filled < wanted) {
      const count = readSync(this.#descriptor, buffer, filled, wanted - filled, start + filled);
      if (count === 0) break;
      filled += count;
    }
    return filled === wanted ? buffer : buffer.subarray(0, filled);
  }

  close(): void {
    if (this.#descriptor !== undefined) closeSync(this.#descriptor);
    this.#descriptor = undefined;
  }
}
