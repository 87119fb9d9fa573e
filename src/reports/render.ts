/**
 * Report text of a batch of records, rendered where the records are (pool workers, or in-process by
 * `ReportWriter.addRecords`), so that the writer only stamps record ids and appends text. Pure: no
 * I/O, no clock; the input and output are plain data (they cross the worker boundary).
 *
 * Every string comes from the same per-record functions the writer has always used
 * (`provenanceCells` and `recordCsvRow` in columns.ts, `dfxmlFileobject` in dfxml.ts,
 * `encodeRecordLine` in evidence-file.ts, `csvRowText` in csv.ts), so each column has one
 * definition. record_id is the arrival number, only known to the writer: records are rendered with
 * id 0 (`RENDER_PLACEHOLDER_ID`) and the `stamp*` functions below put the real id in. Each record
 * gets its own strings (never one concatenated text to be split again: evidence values may contain
 * any marker one could choose).
 *
 * Cost: per record about what the writer paid on the main thread before (XMLBuilder is most of it),
 * now spread over the workers.
 */
import type { EvidenceRecord, RecordState, RecordStatus, TableDescriptor } from '../evidence/record.js';
import { rootLocation } from '../provenance/path.js';
import { provenanceCells, recordCsvRow } from './columns.js';
import { csvRowText } from './csv.js';
import { dfxmlFileobject } from './dfxml.js';
import { encodeRecordLine } from './evidence-file.js';

/** The record_id rendered into every string; the writer replaces it. */
export const RENDER_PLACEHOLDER_ID = 0;
/** How every rendered evidence.ndjson record line starts. */
export const RENDERED_NDJSON_PREFIX = `{"kind":"record","id":${RENDER_PLACEHOLDER_ID},`;
/** The id element of every rendered DFXML fileobject (the first `<id>` of the fragment). */
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

/** The rendered text of `count` records of one table, in order. Plain data. */
export interface RenderedBatch {
  /** The spec's descriptor and excel switch, echoed so the writer can check them. */
  readonly descriptor: TableDescriptor;
  readonly excel: boolean;
  readonly count: number;
  /**
   * Per record (with `csv`): its CSV row WITHOUT the record_id cell, i.e. from the data_type cell on,
   * newline-terminated. The row in the file is `${recordId},${row}` (record_id is a plain number).
   */
  readonly csvRows?: readonly string[];
  /**
   * Per record (with `xml`): its DFXML `fileobject`, without indentation, newline-terminated, whose
   * first `<id>` element is `RENDERED_XML_ID`.
   */
  readonly xmlFragments?: readonly string[];
  /** Per record: its evidence.ndjson line without the newline, starting with `RENDERED_NDJSON_PREFIX`. */
  readonly ndjsonLines: readonly string[];
  /** Distinct images (location of the file layer of each chain), and each record's index in it. */
  readonly images: readonly string[];
  readonly imageIndexes: Uint32Array;
  /** How many records of the batch have each state and each status (manifest counts). */
  readonly stateCounts: Readonly<Partial<Record<RecordState, number>>>;
  readonly statusCounts: Readonly<Partial<Record<RecordStatus, number>>>;
}

/**
 * Renders `records` (all of `spec.descriptor`'s table) with the placeholder id.
 * @throws Error for a record of another table (a programmer error).
 */
export function renderRecordBatch(records: readonly EvidenceRecord[], spec: RenderSpec): RenderedBatch {
  const { descriptor, excel } = spec;
  const count = records.length;
  const columnCount = descriptor.columns.length;
  const csvRows = spec.csv ? new Array<string>(count) : undefined;
  const xmlFragments = spec.xml ? new Array<string>(count) : undefined;
  const ndjsonLines = new Array<string>(count);
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
    if (csvRows !== undefined) {
      const row = recordCsvRow(cells, record, columnCount, excel);
      row.shift(); // record_id: stamped by the writer
      csvRows[index] = csvRowText(row, excel);
    }
    if (xmlFragments !== undefined) xmlFragments[index] = dfxmlFileobject(record, RENDER_PLACEHOLDER_ID, cells, descriptor, '');
    ndjsonLines[index] = encodeRecordLine(record, RENDER_PLACEHOLDER_ID);
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
    ...(csvRows === undefined ? {} : { csvRows }),
    ...(xmlFragments === undefined ? {} : { xmlFragments }),
    ndjsonLines,
    images,
    imageIndexes,
    stateCounts,
    statusCounts,
  };
}

/** A rendered evidence.ndjson line with its real record id. @throws Error when it is not a rendered record line. */
export function stampNdjsonLine(line: string, recordId: number): string {
  if (!line.startsWith(RENDERED_NDJSON_PREFIX)) throw new Error('stampNdjsonLine: not a rendered record line');
  return `{"kind":"record","id":${recordId},${line.slice(RENDERED_NDJSON_PREFIX.length)}`;
}

/** A rendered fileobject with its real record id and indentation. @throws Error when it has no placeholder id. */
export function stampXmlFragment(fragment: string, recordId: number, indent: string): string {
  const at = fragment.indexOf(RENDERED_XML_ID);
  if (at < 0) throw new Error('stampXmlFragment: no placeholder <id> element');
  return `${indent}${fragment.slice(0, at)}<id>${recordId}</id>${fragment.slice(at + RENDERED_XML_ID.length)}`;
}

/** A rendered CSV row (without its record_id cell) with its record_id cell. */
export function stampCsvRow(row: string, recordId: number): string {
  return `${recordId},${row}`;
}
