/**
 * CSV text through csv-stringify's sync API (explicit `columns` and `header: true` for the header,
 * bigint cast), written atomically (`.partial`, renamed on commit) and hashed on the way.
 *
 * Dialect: comma, `"` quoting only where needed (delimiter, quote, CR or LF inside), LF record
 * ends, UTF-8. NULL is an empty unquoted cell and the empty string a quoted `""` cell
 * (`quoted_match: /^$/` only ever matches ''). `--excel` adds a UTF-8 BOM and csv-stringify's
 * `escape_formulas` (a `'` before text starting with = + - @ TAB CR and their full-width forms).
 *
 * Rows are rendered one at a time (`csvRowText`), so a row's text can be built anywhere (in a pool
 * worker: render.ts) and appended later (`writeRows`): csv-stringify quotes and escapes each field
 * on its own, so the rows of a file are exactly the rows csv-stringify's stream would have written.
 * Every row goes through `csvRowText`, whether `write(cells)` or pre-rendered, so both give the same
 * bytes. The header is rendered once, with the same options and csv-stringify's own BOM and header
 * logic (`csvHeaderText`).
 *
 * A file can be suspended (stream closed, digest kept) and resumed in append mode without a second
 * header, which lets the writer bound the number of open files whatever the number of tables.
 */
import { stringify, type Options } from 'csv-stringify/sync';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import type { Cell } from './columns.js';
import { ContentDigest, PARTIAL_SUFFIX, type OutputFileSummary } from './output-file.js';

const cast: NonNullable<Options['cast']> = {
  bigint: (value: bigint) => value.toString(),
  boolean: (value: boolean) => (value ? 'true' : 'false'),
};

/** The options of a whole file written by csv-stringify (header and BOM on the first open only). */
export function csvOptions(headers: readonly string[], firstOpen: boolean, excel: boolean): Options {
  return {
    columns: [...headers],
    header: firstOpen,
    bom: excel && firstOpen,
    escape_formulas: excel,
    quoted_match: /^$/,
    cast,
  };
}

/** Options for single rows: no columns, no header, no BOM; field rendering as in `csvOptions`. */
const rowOptions: Readonly<Record<'plain' | 'excel', Options>> = {
  plain: { header: false, bom: false, escape_formulas: false, quoted_match: /^$/, cast },
  excel: { header: false, bom: false, escape_formulas: true, quoted_match: /^$/, cast },
};

/** Characters that make csv-stringify quote a field: the delimiter, the quote, CR and LF. */
const needsQuoting = /[",\r\n]/;

/** One field as csv-stringify writes it under `rowOptions.plain`. */
function plainField(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'string') {
    if (cell === '') return '""';
    // split/join, not replaceAll: replaceAll (and a global regex replace) returns a tree of one
    // cons string per quote, 115 MB for the 8 MB details cell of a 60,000-event transaction;
    // join builds one flat string, and is no slower on short cells.
    return needsQuoting.test(cell) ? `"${cell.split('"').join('""')}"` : cell;
  }
  return typeof cell === 'bigint' ? cell.toString() : `${cell}`;
}

/**
 * One CSV row (cells in column order), newline-terminated, exactly as csv-stringify writes it in a
 * file. The plain dialect is written here (a row per record is the hot path of report writing:
 * csv-stringify's sync API builds a stringifier per call, about 30 µs a row in a pool worker);
 * `--excel` rows, whose formula escaping has more rules, go through csv-stringify itself. A test
 * compares the plain rows with csv-stringify's on hostile fields (test/reports/csv.test.ts).
 */
export function csvRowText(cells: readonly Cell[], excel: boolean): string {
  if (excel) return stringify([cells as Cell[]], rowOptions.excel);
  let out = '';
  for (let index = 0; index < cells.length; index++) {
    if (index > 0) out += ',';
    out += plainField(cells[index] as Cell);
  }
  return `${out}\n`;
}

/** BOM (under excel) and header line, newline-terminated, exactly as csv-stringify starts a file. */
export function csvHeaderText(headers: readonly string[], excel: boolean): string {
  return stringify([], csvOptions(headers, true, excel));
}

/**
 * An output file written in order: created as `<final>.partial` (never overwriting), hashed on the
 * way, renamed by `commit()`. It takes text or bytes (report text rendered in pool workers arrives
 * as UTF-8 bytes, render.ts), and can be suspended (stream closed, digest kept) and resumed in
 * append mode. Writes queue on the stream; `drain()` waits when the stream asks to (bounded memory).
 * A write error is kept and rethrown by the next call.
 */
export class AppendOnlyOutput {
  readonly relativePath: string;
  readonly partialPath: string;
  readonly finalPath: string;
  private readonly digest = new ContentDigest();
  private stream: WriteStream | undefined;
  private failure: unknown;
  private started = false;
  private needsDrain = false;

  constructor(directory: string, relativePath: string) {
    this.relativePath = relativePath;
    this.finalPath = join(directory, ...relativePath.split('/'));
    this.partialPath = this.finalPath + PARTIAL_SUFFIX;
  }

  get isOpen(): boolean {
    return this.stream !== undefined;
  }

  /** Opens (first time: creates the `.partial` file and its folder; fails if it exists) or resumes (append). */
  async open(): Promise<void> {
    if (this.stream !== undefined) return;
    if (this.failure !== undefined) throw this.failure;
    const firstOpen = !this.started;
    if (firstOpen) await mkdir(dirname(this.partialPath), { recursive: true });
    const stream = createWriteStream(this.partialPath, { flags: firstOpen ? 'wx' : 'a' });
    await once(stream, 'open');
    // Errors are kept and rethrown by the next call (never an unhandled 'error' event).
    stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
    this.started = true;
    this.stream = stream;
    if (firstOpen) this.writeText(this.prologue());
  }

  /** Queues text (as UTF-8). */
  writeText(text: string): void {
    if (text !== '') this.writeBytes(Buffer.from(text, 'utf8'));
  }

  /** Queues bytes; they must not change afterwards (the stream writes them later). */
  writeBytes(bytes: Uint8Array): void {
    const stream = this.stream;
    if (stream === undefined) throw new Error(`${this.relativePath}: not open`);
    if (this.failure !== undefined) throw this.failure;
    if (bytes.length === 0) return;
    const view = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.digest.update(view);
    if (!stream.write(view)) this.needsDrain = true;
  }

  /** Waits until queued writes have been handed to the file, when the stream asked to wait. */
  async drain(): Promise<void> {
    const stream = this.stream;
    if (!this.needsDrain || stream === undefined) return;
    this.needsDrain = false;
    if (stream.writableNeedDrain && this.failure === undefined) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('drain', done);
          stream.off('error', done);
          resolve();
        };
        stream.on('drain', done);
        stream.on('error', done);
      });
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Appends the whole content of another file (a fragment), hashing it on the way. */
  async appendFile(path: string): Promise<void> {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      this.writeBytes(chunk);
      await this.drain();
    }
  }

  /** Closes the stream, keeping the digest, so `open()` can resume in append mode. */
  async suspend(): Promise<void> {
    const stream = this.stream;
    if (stream === undefined) return;
    this.stream = undefined;
    this.needsDrain = false;
    if (!stream.closed) {
      const closed = once(stream, 'close').catch(() => undefined);
      stream.end();
      await closed;
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Final close: a file never opened is opened first, so that it exists (with its prologue). */
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

  /** Closes and deletes the `.partial` file. */
  async discard(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream !== undefined && !stream.closed) {
      const closed = once(stream, 'close').catch(() => undefined);
      stream.destroy();
      await closed;
    }
    await rm(this.partialPath, { force: true });
  }

  /** What a new file starts with (nothing; a CSV's header). */
  protected prologue(): string {
    return '';
  }
}

/** A CSV output: header (and BOM under excel) on creation, then rows. */
export class CsvOutput extends AppendOnlyOutput {
  readonly headers: readonly string[];
  rowCount = 0;
  private readonly excel: boolean;

  constructor(directory: string, relativePath: string, headers: readonly string[], excel: boolean) {
    super(directory, relativePath);
    this.headers = headers;
    this.excel = excel;
  }

  /** Queues one row (cells aligned with `headers`). Call `drain()` before queueing many more. */
  write(row: readonly Cell[]): void {
    this.writeRows(csvRowText(row, this.excel), 1);
  }

  /**
   * Queues `rowCount` rows already rendered as `csvRowText` renders them (concatenated, each
   * newline-terminated), as text or UTF-8 bytes. Call `drain()` before queueing many more.
   */
  writeRows(rows: string | Uint8Array, rowCount: number): void {
    if (typeof rows === 'string') this.writeText(rows);
    else this.writeBytes(rows);
    this.rowCount += rowCount;
  }

  protected override prologue(): string {
    return csvHeaderText(this.headers, this.excel);
  }
}
