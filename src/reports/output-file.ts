/**
 * Atomic output files: bytes go to `<final>.partial` and only `commit()` renames them to the final
 * name, so an interrupted run never leaves a report that looks complete. Every byte written is
 * hashed on the way (SHA-256 and size for the manifest), so outputs are never re-read.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';

export const PARTIAL_SUFFIX = '.partial';

/** What the manifest records about one output file. */
export interface OutputFileSummary {
  /** Relative to the output folder, `/`-separated. */
  readonly path: string;
  readonly sha256: string;
  readonly sizeInBytes: number;
}

/** A running SHA-256 and byte count over everything that passes through. */
export class ContentDigest {
  private readonly hash: Hash = createHash('sha256');
  sizeInBytes = 0;

  update(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.hash.update(bytes);
    this.sizeInBytes += bytes.length;
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  /** A pass-through stream feeding this digest (for piped writers such as csv-stringify). */
  tap(): Transform {
    return new Transform({
      transform: (chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback) => {
        this.update(chunk);
        callback(null, chunk);
      },
    });
  }
}

/** Absolute `.partial` path of an output given its path relative to the folder. */
export function partialPathOf(directory: string, relativePath: string): string {
  return join(directory, ...relativePath.split('/')) + PARTIAL_SUFFIX;
}

/** A text output written in order through one stream. */
export class AtomicTextFile {
  readonly relativePath: string;
  readonly partialPath: string;
  readonly finalPath: string;
  private readonly digest = new ContentDigest();
  private stream: WriteStream | undefined;
  private closed = false;
  private failure: Error | undefined;

  constructor(directory: string, relativePath: string) {
    this.relativePath = relativePath;
    this.finalPath = join(directory, ...relativePath.split('/'));
    this.partialPath = this.finalPath + PARTIAL_SUFFIX;
  }

  /** Creates the `.partial` file (its folder too). Fails if it already exists. */
  async open(): Promise<void> {
    await mkdir(dirname(this.partialPath), { recursive: true });
    const stream = createWriteStream(this.partialPath, { flags: 'wx' });
    await once(stream, 'open');
    // Keep a write error (ENOSPC …) for the next call instead of an unhandled 'error' event.
    stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
    this.stream = stream;
  }

  /** Writes text; resolves at once unless the stream asks to wait (backpressure). */
  async write(text: string): Promise<void> {
    if (text === '') return;
    const stream = this.requireStream();
    const bytes = Buffer.from(text, 'utf8');
    this.digest.update(bytes);
    if (!stream.write(bytes)) await once(stream, 'drain');
  }

  /** Appends the whole content of another file (a fragment), hashing it on the way. */
  async appendFile(path: string): Promise<void> {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      const stream = this.requireStream();
      this.digest.update(chunk);
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stream = this.stream;
    if (stream === undefined) return;
    if (!stream.closed) {
      stream.end();
      await once(stream, 'close');
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Closes, renames `.partial` to the final name, and returns the manifest entry. */
  async commit(): Promise<OutputFileSummary> {
    await this.close();
    await rename(this.partialPath, this.finalPath);
    return { path: this.relativePath, sha256: this.digest.digest(), sizeInBytes: this.digest.sizeInBytes };
  }

  /** Closes and deletes the `.partial` file. */
  async discard(): Promise<void> {
    if (!this.closed && this.stream !== undefined) {
      this.closed = true;
      if (!this.stream.closed) {
        const closing = once(this.stream, 'close').catch(() => undefined);
        this.stream.destroy();
        await closing;
      }
    }
    await rm(this.partialPath, { force: true });
  }

  private requireStream(): WriteStream {
    if (this.failure !== undefined) throw this.failure;
    if (this.stream === undefined || this.closed) throw new Error(`AtomicTextFile ${this.relativePath}: not open`);
    return this.stream;
  }
}
