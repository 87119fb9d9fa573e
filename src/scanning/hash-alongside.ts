/**
 * Input hashing alongside the window scan: SHA-256 and MD5 of the image without a second pass.
 *
 * Two ways, both used by scan-image.ts (`readStrategy`) and both measured by bench/raw-image.js:
 * - `shared` (default): the main thread reads each window once into a slot of a
 *   SharedArrayBuffer; it updates SHA-256 with the window's owned bytes, an `Md5Thread` updates
 *   MD5 from the same shared bytes on its own thread, and a pool worker scans the same slot. Every
 *   byte is read once and never copied between threads, and the hashes describe exactly the bytes
 *   that were scanned (a file rewritten between two reads cannot make them disagree).
 * - `workers-read`: the main thread streams the image for hashing only (`AlongsideHasher`, both
 *   hashes on the main thread), and each worker reads its own window from the page cache, just
 *   behind the hash cursor. Every byte is read twice.
 * Node's MD5 runs at about 0.6 GB/s and its SHA-256 (SHA-NI) at about 1.2 GB/s on the benchmark
 * machine (1 GiB, one thread each, measured alone), so the hashes, not the scan, bound the whole
 * scan; putting MD5 on its own thread is what the `shared` strategy buys. On the shared, heavily
 * loaded benchmark machine the two strategies measured within noise of each other.
 *
 * Unreadable sectors are hashed as zeros (as ddrescue and most imagers fill them) and reported:
 * the hashes are then `complete: false` and describe the bytes that were scanned, not the medium.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { ByteSource } from '../sources/byte-source.js';
import type { UnreadableRange } from './read-window.js';
import { readRangeInto } from './read-window.js';

export interface AlongsideHashes {
  readonly sha256: string;
  readonly md5: string;
  readonly sizeInBytes: number;
  /** False when some bytes could not be read (they were hashed as zeros). */
  readonly complete: boolean;
  readonly unreadable: readonly UnreadableRange[];
}

export const defaultHashChunkSizeInBytes = 4 * 1024 * 1024;

/** Sequential SHA-256 + MD5 over a source, one chunk per `step()` (the `workers-read` strategy and re-verification). */
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
    this.#buffer ??= new Uint8Array(this.#chunkSize);
    const read = readRangeInto(this.#source, this.#position, this.#buffer.subarray(0, length));
    this.#unreadable.push(...read.unreadable);
    const chunk = this.#buffer.subarray(0, read.filled);
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

/**
 * The MD5 thread's code. A worker from source text, so no second compiled entry file is needed;
 * it only hashes bytes it is pointed at in a SharedArrayBuffer, in the order it is told.
 */
const md5ThreadSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const md5 = createHash('md5');
const shared = new Uint8Array(workerData);
parentPort.on('message', (message) => {
  if (message.kind === 'update') {
    md5.update(shared.subarray(message.byteOffset, message.byteOffset + message.length));
    parentPort.postMessage({ kind: 'updated', sequence: message.sequence });
  } else if (message.kind === 'digest') {
    parentPort.postMessage({ kind: 'digest', md5: md5.digest('hex') });
  }
});
`;

/**
 * MD5 of byte ranges of one SharedArrayBuffer, on its own thread, in the order `update` is
 * called. `update` resolves when the range has been hashed (its bytes may then be reused).
 */
export class Md5Thread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, () => void>();
  #sequence = 0;
  #digest: { resolve: (md5: string) => void; reject: (error: Error) => void } | undefined;
  #failure: Error | undefined;

  constructor(shared: SharedArrayBuffer) {
    this.#worker = new Worker(md5ThreadSource, { eval: true, workerData: shared });
    this.#worker.on('message', (message: { kind: 'updated'; sequence: number } | { kind: 'digest'; md5: string }) => {
      if (message.kind === 'updated') {
        this.#pending.get(message.sequence)?.();
        this.#pending.delete(message.sequence);
      } else this.#digest?.resolve(message.md5);
    });
    this.#worker.on('error', (error) => {
      this.#failure = error;
      for (const resolve of this.#pending.values()) resolve();
      this.#digest?.reject(error);
    });
  }

  update(byteOffset: number, length: number): Promise<void> {
    const sequence = this.#sequence++;
    return new Promise<void>((resolve) => {
      this.#pending.set(sequence, resolve);
      this.#worker.postMessage({ kind: 'update', sequence, byteOffset, length });
    });
  }

  /**
   * The MD5 of everything updated so far; ends the thread.
   * @throws Error when the thread failed (a bug: it only hashes memory).
   */
  async digest(): Promise<string> {
    try {
      if (this.#failure !== undefined) throw this.#failure;
      return await new Promise<string>((resolve, reject) => {
        this.#digest = { resolve, reject };
        this.#worker.postMessage({ kind: 'digest' });
      });
    } finally {
      await this.#worker.terminate();
    }
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
