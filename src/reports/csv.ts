/**
 * CSV outputs through csv-stringify's stream API (explicit `columns`, `header: true`, bigint cast),
 * written atomically (`.partial`, renamed on commit) and hashed on the way.
 *
 * Dialect: comma, `"` quoting only where needed (delimiter, quote, CR or LF inside), LF record
 * ends, UTF-8. NULL is an empty unquoted cell and the empty string a quoted `""` cell
 * (`quoted_match: /^$/` only ever matches ''). `--excel` adds a UTF-8 BOM and csv-stringify's
 * `escape_formulas` (a `'` before text starting with = + - @ TAB CR and their full-width forms).
 *
 * A file can be suspended (stream closed, digest kept) and resumed in append mode without a second
 * header, which lets the writer bound the number of open files whatever the number of tables.
 */
import { stringify, type Options, type Stringifier } from 'csv-stringify';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Cell } from './columns.js';
import { ContentDigest, PARTIAL_SUFFIX, type OutputFileSummary } from './output-file.js';

export function csvOptions(headers: readonly string[], firstOpen: boolean, excel: boolean): Options {
  return {
    columns: [...headers],
    header: firstOpen,
    bom: excel && firstOpen,
    escape_formulas: excel,
    quoted_match: /^$/,
    cast: {
      bigint: (value: bigint) => value.toString(),
      boolean: (value: boolean) => (value ? 'true' : 'false'),
    },
  };
}

export class CsvOutput {
  readonly relativePath: string;
  readonly partialPath: string;
  readonly finalPath: string;
  readonly headers: readonly string[];
  rowCount = 0;
  private readonly excel: boolean;
  private readonly digest = new ContentDigest();
  private stringifier: Stringifier | undefined;
  private done: Promise<void> | undefined;
  private failure: unknown;
  private started = false;
  private needsDrain = false;

  constructor(directory: string, relativePath: string, headers: readonly string[], excel: boolean) {
    this.relativePath = relativePath;
    this.finalPath = join(directory, ...relativePath.split('/'));
    this.partialPath = this.finalPath + PARTIAL_SUFFIX;
    this.headers = headers;
    this.excel = excel;
  }

  get isOpen(): boolean {
    return this.stringifier !== undefined;
  }

  /** Opens (first time: create, header, BOM under excel) or resumes (append, no header). */
  async open(): Promise<void> {
    if (this.stringifier !== undefined) return;
    const firstOpen = !this.started;
    if (firstOpen) await mkdir(dirname(this.partialPath), { recursive: true });
    const file = createWriteStream(this.partialPath, { flags: firstOpen ? 'wx' : 'a' });
    await once(file, 'open');
    this.started = true;
    const stringifier = stringify(csvOptions(this.headers, firstOpen, this.excel));
    this.stringifier = stringifier;
    // Errors are kept and rethrown by the next call (never an unhandled rejection).
    this.done = pipeline(stringifier, this.digest.tap(), file).catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /** Queues one row (aligned with `headers`). Call `drain()` before queueing many more. */
  write(row: readonly Cell[]): void {
    const stringifier = this.stringifier;
    if (stringifier === undefined) throw new Error(`CsvOutput ${this.relativePath}: not open`);
    if (this.failure !== undefined) throw this.failure;
    this.rowCount++;
    if (!stringifier.write(row)) this.needsDrain = true;
  }

  /** Waits until the queued rows have been handed to the file (bounded memory). */
  async drain(): Promise<void> {
    const stringifier = this.stringifier;
    if (!this.needsDrain || stringifier === undefined) return;
    this.needsDrain = false;
    if (stringifier.writableNeedDrain) await Promise.race([once(stringifier, 'drain'), this.done]);
    if (this.failure !== undefined) throw this.failure;
  }

  /** Closes the stream, keeping the digest, so `open()` can resume in append mode. */
  async suspend(): Promise<void> {
    const stringifier = this.stringifier;
    if (stringifier === undefined) return;
    this.stringifier = undefined;
    this.needsDrain = false;
    stringifier.end();
    await this.done;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Final close: a file never opened (no rows) is opened first so that its header is written. */
  async close(): Promise<void> {
    if (!this.started) await this.open();
    await this.suspend();
  }

  /** Closes and renames `.partial` to the final name; returns the manifest entry. */
  async commit(): Promise<OutputFileSummary> {
    await this.close();
    await rename(this.partialPath, this.finalPath);
    return { path: this.relativePath, sha256: this.digest.digest(), sizeInBytes: this.digest.sizeInBytes };
  }

  async discard(): Promise<void> {
    const stringifier = this.stringifier;
    this.stringifier = undefined;
    if (stringifier !== undefined) {
      stringifier.destroy();
      await this.done;
    }
    await rm(this.partialPath, { force: true });
  }
}
