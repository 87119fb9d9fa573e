/**
 * Report text of a batch of records, rendered where the records are (pool workers, or in-process by
 * `ReportWriter.addRecords`), so that the writer only stamps record ids and appends bytes. Pure: no
 * I/O, no clock; the input and output are plain data (they cross the worker boundary).
 *
 * Every string comes from the same per-record functions the writer has always used
 * (`provenanceCells` and `recordCsvRow` in columns.ts, `dfxmlFileobject` in dfxml.ts,
 * `encodeRecordLine` in evidence-file.ts, `csvRowText` in csv.ts), so each column has one
 * definition. record_id is the arrival number, only known to the writer: records are rendered with
 * id 0 (`RENDER_PLACEHOLDER_ID`), the part that holds the id is cut out, and the writer puts the real
 * id in at the recorded place:
 * - CSV row: rendered without its record_id cell; the file holds `${recordId},` then the row;
 * - DFXML fileobject: rendered without indentation, its `<id>0</id>` removed; the file holds the
 *   indentation, the bytes up to `xml.idAt[i]`, `<id>${recordId}</id>`, the rest;
 * - evidence.ndjson line: rendered without `{"kind":"record","id":0,`; the file holds
 *   `{"kind":"record","id":${recordId},` then the rest of the line (newline included).
 *
 * Each record's bytes are delimited by offsets recorded while rendering, never found again by
 * searching the concatenated text (evidence values may contain any marker one could choose).
 *
 * The text crosses the worker boundary as UTF-8 bytes in one Uint8Array per output, not as one
 * string per record: measured on the 100k-row bench, receiving string arrays cost the writer's
 * thread about 36 µs per record (deserialisation, garbage collection of 300k strings, and
 * flattening a batch that turned two-byte when one value held a non-Latin-1 character), against a
 * few µs to copy bytes. Encoding costs the renderer about 2 µs per record.
 *
 * Cost: about 100 µs per record for the 15-column bench table with CSV, DFXML and NDJSON,
 * XMLBuilder three quarters of it (dfxml.ts), csv-stringify most of the rest.
 */
import type { EvidenceRecord, RecordState, RecordStatus, TableDescriptor } from '../evidence/record.js';
import { rootLocation } from '../provenance/path.js';
import { provenanceCells, recordCsvRow } from './columns.js';
import { csvRowText } from './csv.js';
import { dfxmlFileobject } from './dfxml.js';
import { encodeRecordLine } from './evidence-file.js';

/** The record_id rendered into every string before the part holding it is cut out. */
export const RENDER_PLACEHOLDER_ID = 0;
/** How every evidence.ndjson record line starts, up to its id. */
export const NDJSON_RECORD_ID_KEY = '{"kind":"record","id":';
/** How `encodeRecordLine(record, RENDER_PLACEHOLDER_ID)` starts (cut out of every rendered line). */
export const RENDERED_NDJSON_PREFIX = `${NDJSON_RECORD_ID_KEY}${RENDER_PLACEHOLDER_ID},`;
/** The id element of a fileobject rendered with the placeholder id (the first `<id>` of the fragment). */
export const RENDERED_XML_ID = `<id>${RENDER_PLACEHOLDER_ID}</id>`;

/** What to render for one table: the writer's `renderSpecFor(descriptor)`. Plain data. */
export interface RenderSpec {
  readonly descriptor: TableDescriptor;
  /** `--excel` (formula neutralisation and `values_hex` in CSV rows). */
  readonly excel: boolean;
  /** Render record CSV rows. */
  readonly csv: boolean;
  /** Render DFXML fileobjects. */
  readonly xml: boolean;
}

/** UTF-8 text of `ends.length` records: record i is `bytes[ends[i - 1] ?? 0, ends[i])`. */
export interface RenderedRecords {
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
}

/** The rendered text of `count` records of one table, in order (see the file comment). Plain data. */
export interface RenderedBatch {
  /** The spec's descriptor and excel switch, echoed so the writer can check them. */
  readonly descriptor: TableDescriptor;
  readonly excel: boolean;
  readonly count: number;
  /** With `csv`: each record's CSV row from the data_type cell on, newline-terminated. */
  readonly csv?: RenderedRecords;
  /** With `xml`: each record's fileobject without indentation and `<id>`, newline-terminated. */
  readonly xml?: RenderedRecords & {
    /** Where (absolute offset in `bytes`) each record's `<id>` element goes. */
    readonly idAt: Uint32Array;
  };
  /** Each record's evidence.ndjson line without `RENDERED_NDJSON_PREFIX`, newline-terminated. */
  readonly ndjson: RenderedRecords;
  /** Distinct images (location of the file layer of each chain), and each record's index in it. */
  readonly images: readonly string[];
  readonly imageIndexes: Uint32Array;
  /** How many records of the batch have each state and each status (manifest counts). */
  readonly stateCounts: Readonly<Partial<Record<RecordState, number>>>;
  readonly statusCounts: Readonly<Partial<Record<RecordStatus, number>>>;
}

/**
 * Appends strings (as UTF-8) and bytes into one growing buffer; `bytes()` returns an exact-size,
 * freshly allocated copy (safe to clone or transfer). Strings are encoded as `Buffer.from` does.
 */
export class ByteBuilder {
  private buffer: Buffer;
  private length = 0;

  constructor(capacity = 64 * 1024) {
    this.buffer = Buffer.from(new ArrayBuffer(Math.max(16, capacity)));
  }

  get size(): number {
    return this.length;
  }

  /** Appends `text` as UTF-8 (`'latin1'` only for text known to be ASCII, such as digits). */
  text(text: string, encoding: 'utf8' | 'latin1' = 'utf8'): void {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes (a surrogate pair: 4 for 2 units).
    this.reserve(encoding === 'latin1' ? text.length : text.length * 3);
    this.length += this.buffer.write(text, this.length, encoding);
  }

  /** Appends `bytes[start, end)`. */
  slice(bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    this.reserve(length);
    this.buffer.set(length === bytes.length ? bytes : bytes.subarray(start, end), this.length);
    this.length += length;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    out.set(this.buffer.subarray(0, this.length));
    return out;
  }

  /** The bytes as a view of this builder's buffer (no copy; valid until the next append). */
  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.from(new ArrayBuffer(capacity));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/**
 * Renders `records` (all of `spec.descriptor`'s table) with the placeholder id, cut as described in
 * the file comment.
 * @throws Error for a record of another table (a programmer error).
 */
export function renderRecordBatch(records: readonly EvidenceRecord[], spec: RenderSpec): RenderedBatch {
  const { descriptor, excel } = spec;
  const count = records.length;
  const columnCount = descriptor.columns.length;
  // Capacities are guesses (the builders grow); about 300, 1200 and 700 bytes per bench record.
  const csv = spec.csv ? { builder: new ByteBuilder(count * 256), ends: new Uint32Array(count) } : undefined;
  const xml = spec.xml ? { builder: new ByteBuilder(count * 1024), ends: new Uint32Array(count), idAt: new Uint32Array(count) } : undefined;
  const ndjson = { builder: new ByteBuilder(count * 512), ends: new Uint32Array(count) };
  const images: string[] = [];
  const imageIndexes = new Uint32Array(count);
  const stateCounts: Partial<Record<RecordState, number>> = {};
  const statusCounts: Partial<Record<RecordStatus, number>> = {};
  let lastImage = '';
  let lastImageIndex = -1;
  for (let index = 0; index < count; index++) {
    const record = records[index] as EvidenceRecord;
    if (record.database !== descriptor.database || record.table !== descriptor.table) {
      throw new Error(`renderRecordBatch: a record of ${record.database}/${record.table} in a batch for ${descriptor.database}/${descriptor.table}`);
    }
    const cells = provenanceCells(record, RENDER_PLACEHOLDER_ID);
    if (csv !== undefined) {
      const row = recordCsvRow(cells, record, columnCount, excel);
      row.shift(); // record_id: stamped by the writer
      csv.builder.text(csvRowText(row, excel));
      csv.ends[index] = csv.builder.size;
    }
    if (xml !== undefined) {
      const fragment = dfxmlFileobject(record, RENDER_PLACEHOLDER_ID, cells, descriptor, '');
      // The first `<id>`: filename, the only element before it, has `<` escaped in its text.
      const at = fragment.indexOf(RENDERED_XML_ID);
      if (at < 0) throw new Error('renderRecordBatch: a fileobject without its <id> element');
      xml.builder.text(fragment.slice(0, at));
      xml.idAt[index] = xml.builder.size;
      xml.builder.text(fragment.slice(at + RENDERED_XML_ID.length));
      xml.ends[index] = xml.builder.size;
    }
    const line = encodeRecordLine(record, RENDER_PLACEHOLDER_ID);
    if (!line.startsWith(RENDERED_NDJSON_PREFIX)) throw new Error('renderRecordBatch: an evidence line that does not start with kind and id');
    ndjson.builder.text(line.slice(RENDERED_NDJSON_PREFIX.length));
    ndjson.builder.text('\n', 'latin1');
    ndjson.ends[index] = ndjson.builder.size;

    const image = rootLocation(record.path);
    if (image !== lastImage || lastImageIndex < 0) {
      lastImageIndex = images.indexOf(image);
      if (lastImageIndex < 0) {
        lastImageIndex = images.length;
        images.push(image);
      }
      lastImage = image;
    }
    imageIndexes[index] = lastImageIndex;
    stateCounts[record.state] = (stateCounts[record.state] ?? 0) + 1;
    statusCounts[record.status] = (statusCounts[record.status] ?? 0) + 1;
  }
  return {
    descriptor,
    excel,
    count,
    ...(csv === undefined ? {} : { csv: { bytes: csv.builder.bytes(), ends: csv.ends } }),
    ...(xml === undefined ? {} : { xml: { bytes: xml.builder.bytes(), ends: xml.ends, idAt: xml.idAt } }),
    ndjson: { bytes: ndjson.builder.bytes(), ends: ndjson.ends },
    images,
    imageIndexes,
    stateCounts,
    statusCounts,
  };
}

/**
 * Checks that `rendered` delimits `count` records within its bytes (ends non-decreasing, the last
 * at the end, every `idAt` inside its record). Returns a reason, or undefined when it does.
 */
export function checkRenderedRecords(rendered: RenderedRecords, count: number, idAt?: Uint32Array): string | undefined {
  const { bytes, ends } = rendered;
  if (ends.length !== count || (idAt !== undefined && idAt.length !== count)) return `does not hold ${count} records`;
  let start = 0;
  for (let index = 0; index < count; index++) {
    const end = ends[index] as number;
    if (end < start) return `record ${index} ends before it starts`;
    if (idAt !== undefined) {
      const at = idAt[index] as number;
      if (at < start || at > end) return `record ${index} has its <id> outside its bytes`;
    }
    start = end;
  }
  return start === bytes.length ? undefined : `records end at ${start}, bytes at ${bytes.length}`;
}
