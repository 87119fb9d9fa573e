/**
 * Input hashing alongside the window scan: SHA-256 and MD5 over one sequential read of the image,
 * in chunks the driver interleaves with worker results, so the hashes never cost a second pass.
 *
 * Two designs were measured on the 1 GiB benchmark image (bench/raw-image.js): this one, where
 * the main thread's sequential read is only for hashing and each worker reads its own window
 * (from the page cache, just behind or ahead of the hash cursor), and one where the hashing read
 * hands each window's bytes to a worker (transferred, not copied). Both are bound by the main
 * thread's hashing (MD5 is the slower of the two at ~0.6 GB/s); handing bytes over moved the
 * workers' read onto the main thread as a copy-free transfer but saved nothing measurable, and it
 * breaks the rule that evidence bytes never travel through the main thread, so workers read.
 *
 * Unreadable sectors are hashed as zeros (as ddrescue and most imagers fill them) and reported:
 * the hashes are then `complete: false` and describe the bytes that were scanned, not the medium.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import type { ByteSource } from '../sources/byte-source.js';
import type { UnreadableRange } from './read-window.js';
import { readWindowBytes } from './read-window.js';

export interface AlongsideHashes {
  readonly sha256: string;
  readonly md5: string;
  readonly sizeInBytes: number;
  /** False when some bytes could not be read (they were hashed as zeros). */
  readonly complete: boolean;
  readonly unreadable: readonly UnreadableRange[];
}

interface ReadIntoSource {
  readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): number;
}

export const defaultHashChunkSizeInBytes = 4 * 1024 * 1024;

export class AlongsideHasher {
  readonly #source: ByteSource;
  readonly #chunkSize: number;
  readonly #sha256: Hash = createHash('sha256');
  readonly #md5: Hash = createHash('md5');
  readonly #unreadable: UnreadableRange[] = [];
  #buffer: Uint8Array | undefined;
  #position = 0;
  #ended = false;

  constructor(source: ByteSource, chunkSizeInBytes = defaultHashChunkSizeInBytes) {
    this.#source = source;
    this.#chunkSize = chunkSizeInBytes;
  }

  /** Bytes hashed so far (the hash cursor). */
  get hashedBytes(): number {
    return this.#position;
  }

  get done(): boolean {
    return this.#ended;
  }

  /** Hashes the next chunk; returns false once the end of the source is reached. */
  step(): boolean {
    if (this.#ended) return false;
    const length = Math.min(this.#chunkSize, this.#source.sizeInBytes - this.#position);
    if (length <= 0) {
      this.#ended = true;
      return false;
    }
    let chunk: Uint8Array;
    const readInto = (this.#source as Partial<ReadIntoSource>).readInto;
    try {
      if (typeof readInto === 'function') {
        this.#buffer ??= new Uint8Array(this.#chunkSize);
        const filled = readInto.call(this.#source, this.#position, this.#buffer, 0, length);
        chunk = this.#buffer.subarray(0, filled);
      } else {
        chunk = this.#source.read(this.#position, length);
      }
    } catch {
      const careful = readWindowBytes(this.#source, this.#position, length);
      chunk = careful.bytes;
      this.#unreadable.push(...careful.unreadable);
    }
    if (chunk.length > 0) {
      this.#sha256.update(chunk);
      this.#md5.update(chunk);
    }
    this.#position += chunk.length;
    // A short read: the source ended early (it shrank while being read); stop, the size says so.
    if (chunk.length < length || this.#position >= this.#source.sizeInBytes) this.#ended = true;
    return !this.#ended;
  }

  /** Hashes everything left, yielding to the event loop between chunks. */
  async finish(): Promise<AlongsideHashes> {
    while (this.step()) await new Promise<void>((resolve) => setImmediate(resolve));
    return this.digest();
  }

  /** The hashes; call once, after the last step. */
  digest(): AlongsideHashes {
    return {
      sha256: this.#sha256.digest('hex'),
      md5: this.#md5.digest('hex'),
      sizeInBytes: this.#position,
      complete: this.#unreadable.length === 0,
      unreadable: this.#unreadable,
    };
  }
}
