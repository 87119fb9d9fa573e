/**
 * Report columns, defined once for the CSV and DFXML projections.
 *
 * A record CSV row is: the provenance columns below (same order in every file), `value_types`,
 * the table's columns by name, `extra_values`, and under `--excel` a final `values_hex`.
 *
 * Cell conventions (the examiner must be able to tell NULL from ''):
 * - NULL (and an absent field) is an empty, unquoted cell; an empty string is a quoted `""` cell.
 * - `value_types` lists, space-separated and in column order, each value's storage class (`null`,
 *   `integer`, `real`, `text`, `blob`), `absent` where the record has fewer values than the schema,
 *   and one more class per extra value. This is the authoritative answer, also for readers that
 *   drop quoting (Excel): `text` with an empty cell is '', `null` is NULL, and a `blob` cell is hex.
 * - Values are exactly as SQLite prints them (integers and reals as decimal text, text as text, blobs
 *   as lowercase hex), so 64-bit integers stay exact.
 * - Values beyond the table's columns (a record longer than its schema) go to `extra_values` as a JSON
 *   array of strings and nulls: never dropped.
 * - `values_hex` (`--excel` only) is a JSON array holding, for every value, the hex of its exact
 *   UTF-8 bytes (null for NULL), so a neutralised formula (`'=1+1`) can be undone exactly.
 */
import type { EvidenceRecord, TableDescriptor } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import { issueImageOffset } from '../issues/issue.js';
import { formatOffset } from '../bytes/offsets.js';
import { renderPath, rootLocation } from '../provenance/path.js';
import { forensicPath } from './forensic-path.js';
import type { PageVersionRow, TransactionRow } from './types.js';

/** One CSV cell before csv-stringify casts it (bigint via `cast.bigint`; null is an empty cell). */
export type Cell = string | number | bigint | null;

/**
 * Where the DFXML projection carries a column: as an attribute of the record's `<ex:provenance>`
 * element, or in a standard DFXML element / repeated `ex:` element (`where` documents which).
 */
export type DfxmlPlacement =
  | { readonly kind: 'provenance-attribute'; readonly name: string }
  | { readonly kind: 'element'; readonly where: string };

export interface ProvenanceColumn {
  /** CSV header. */
  readonly name: string;
  readonly dfxml: DfxmlPlacement;
  readonly cell: (record: EvidenceRecord, recordId: number) => Cell;
}

const attribute = (name: string): DfxmlPlacement => ({ kind: 'provenance-attribute', name });
const element = (where: string): DfxmlPlacement => ({ kind: 'element', where });

/**
 * The provenance columns, first in every record CSV. `record_id` is the 1-based arrival number of
 * the record in the run (the caller's order is deterministic, so ids are too); DFXML `<id>` is the
 * same number.
 */
export const PROVENANCE_COLUMNS: readonly ProvenanceColumn[] = [
  { name: 'record_id', dfxml: element('fileobject/id'), cell: (_record, recordId) => recordId },
  { name: 'data_type', dfxml: attribute('data-type'), cell: (record) => record.dataType },
  { name: 'state', dfxml: attribute('state'), cell: (record) => record.state },
  { name: 'status', dfxml: attribute('status'), cell: (record) => record.status },
  { name: 'found_by', dfxml: attribute('found-by'), cell: (record) => record.foundBy },
  { name: 'confidence', dfxml: attribute('confidence'), cell: (record) => record.confidence.level },
  {
    name: 'confidence_reasons',
    dfxml: element('ex:provenance/ex:reason (one per reason)'),
    cell: (record) => (record.confidence.reasons.length === 0 ? null : record.confidence.reasons.join('; ')),
  },
  {
    name: 'flags',
    dfxml: element('ex:flag (one per flag)'),
    cell: (record) => (record.flags.length === 0 ? null : record.flags.join(' ')),
  },
  { name: 'image', dfxml: attribute('image'), cell: (record) => rootLocation(record.path) },
  { name: 'image_offset', dfxml: element('byte_run/@img_offset'), cell: (record) => record.imageOffset ?? null },
  {
    name: 'image_offset_hex',
    dfxml: element('byte_run/@img_offset (decimal there)'),
    cell: (record) => (record.imageOffset === undefined ? null : formatOffset(record.imageOffset)),
  },
  { name: 'length', dfxml: element('fileobject/filesize and byte_run/@len'), cell: (record) => record.lengthInBytes },
  { name: 'provenance', dfxml: attribute('path'), cell: (record) => renderPath(record.path) },
  { name: 'forensic_path', dfxml: attribute('forensic-path'), cell: (record) => forensicPath(record.path, record.imageOffset) },
  { name: 'database', dfxml: attribute('database'), cell: (record) => record.database },
  { name: 'table', dfxml: attribute('table'), cell: (record) => record.table },
  { name: 'page_number', dfxml: element('byte_run/@ex:page'), cell: (record) => record.pageNumber },
  { name: 'offset_in_page', dfxml: element('byte_run/@ex:offset-in-page'), cell: (record) => record.offsetInPage },
  { name: 'rowid', dfxml: attribute('rowid'), cell: (record) => record.rowid },
  { name: 'wal_frame', dfxml: attribute('wal-frame'), cell: (record) => record.frameIndex ?? null },
  { name: 'journal_record', dfxml: attribute('journal-record'), cell: (record) => record.journalRecordIndex ?? null },
  { name: 'checksum', dfxml: attribute('checksum'), cell: (record) => record.checksum ?? null },
  { name: 'transaction', dfxml: attribute('transaction'), cell: (record) => record.transaction ?? null },
  { name: 'raw_sha256', dfxml: element('fileobject/hashdigest[@type=sha256]'), cell: (record) => record.rawSha256 },
];

export const PROVENANCE_COLUMN_NAMES: readonly string[] = PROVENANCE_COLUMNS.map((column) => column.name);

/** Computes every provenance cell of a record once; CSV and DFXML both read this array. */
export function provenanceCells(record: EvidenceRecord, recordId: number): Cell[] {
  const cells: Cell[] = new Array<Cell>(PROVENANCE_COLUMNS.length);
  for (let index = 0; index < PROVENANCE_COLUMNS.length; index++) {
    cells[index] = (PROVENANCE_COLUMNS[index] as ProvenanceColumn).cell(record, recordId);
  }
  return cells;
}

export const VALUE_TYPES_COLUMN = 'value_types';
export const EXTRA_VALUES_COLUMN = 'extra_values';
export const VALUES_HEX_COLUMN = 'values_hex';

const reservedHeaders: ReadonlySet<string> = new Set([
  ...PROVENANCE_COLUMN_NAMES,
  VALUE_TYPES_COLUMN,
  EXTRA_VALUES_COLUMN,
  VALUES_HEX_COLUMN,
]);

/**
 * CSV headers for a table's columns, in order. A column keeps its name unless the name is empty
 * (`c<index>`), collides with a provenance column or with an earlier column (`value_<name>`, then
 * `value_<name>_<index>`). Deterministic; renamed headers are listed in the manifest.
 */
export function valueHeaders(columns: readonly string[]): string[] {
  const used = new Set<string>(reservedHeaders);
  const headers: string[] = [];
  columns.forEach((name, index) => {
    let header = name === '' ? `c${index}` : name;
    if (used.has(header)) header = `value_${header}`;
    if (used.has(header)) header = `${header}_${index}`;
    while (used.has(header)) header = `${header}_`;
    used.add(header);
    headers.push(header);
  });
  return headers;
}

/** Every header of a record CSV for `table`. */
export function recordCsvHeaders(table: TableDescriptor, excel: boolean): string[] {
  return [
    ...PROVENANCE_COLUMN_NAMES,
    VALUE_TYPES_COLUMN,
    ...valueHeaders(table.columns),
    EXTRA_VALUES_COLUMN,
    ...(excel ? [VALUES_HEX_COLUMN] : []),
  ];
}

/** The storage class of value `index`, `absent` past the record's end (see `value_types`). */
export function valueType(record: EvidenceRecord, index: number): string {
  if (index >= record.values.length) return 'absent';
  return record.types[index] ?? (record.values[index] === null ? 'null' : 'unknown');
}

/** A full record CSV row, aligned with `recordCsvHeaders(table, excel)`. */
export function recordCsvRow(cells: readonly Cell[], record: EvidenceRecord, columnCount: number, excel: boolean): Cell[] {
  const row: Cell[] = cells.slice();
  const valueCount = record.values.length;
  const typeCount = Math.max(columnCount, valueCount);
  let types = '';
  for (let index = 0; index < typeCount; index++) types += (index === 0 ? '' : ' ') + valueType(record, index);
  row.push(types === '' ? null : types);
  for (let index = 0; index < columnCount; index++) row.push(record.values[index] ?? null);
  row.push(valueCount > columnCount ? JSON.stringify(record.values.slice(columnCount)) : null);
  if (excel) row.push(JSON.stringify(record.values.map((value) => (value === null ? null : Buffer.from(value, 'utf8').toString('hex')))));
  return row;
}

/** issues.csv. `details` is the issue's details as JSON (empty when it has none). */
export const ISSUE_COLUMNS: readonly { readonly name: string; readonly cell: (issue: Issue) => Cell }[] = [
  { name: 'code', cell: (issue) => issue.code },
  { name: 'severity', cell: (issue) => issue.severity },
  { name: 'image', cell: (issue) => rootLocation(issue.path) },
  { name: 'image_offset', cell: (issue) => issueImageOffset(issue) ?? null },
  {
    name: 'image_offset_hex',
    cell: (issue) => {
      const offset = issueImageOffset(issue);
      return offset === undefined ? null : formatOffset(offset);
    },
  },
  { name: 'provenance', cell: (issue) => renderPath(issue.path) },
  { name: 'offset_in_leaf', cell: (issue) => issue.offsetInLeaf },
  { name: 'message', cell: (issue) => issue.message },
  { name: 'details', cell: (issue) => (issue.details === undefined ? null : JSON.stringify(issue.details)) },
];

/**
 * transactions.csv. bigint cells are written in decimal. `details` is the row's details as JSON,
 * with its row-level events (when it has any) under `events`.
 */
export const PAGE_VERSION_COLUMNS: readonly { readonly name: string; readonly cell: (row: PageVersionRow) => Cell }[] = [
  { name: 'database', cell: (row) => row.database },
  { name: 'page_number', cell: (row) => row.pageNumber },
  { name: 'version', cell: (row) => row.version },
  { name: 'source', cell: (row) => row.source },
  { name: 'source_number', cell: (row) => row.sourceNumber },
  { name: 'image', cell: (row) => row.image },
  { name: 'image_offset', cell: (row) => row.imageOffset },
  { name: 'image_offset_hex', cell: (row) => formatOffset(row.imageOffset) },
  { name: 'state', cell: (row) => row.state },
  { name: 'transaction', cell: (row) => row.transaction },
  { name: 'checksum', cell: (row) => row.checksum },
  { name: 'page_type', cell: (row) => row.pageType },
  { name: 'sha256', cell: (row) => row.sha256 },
];

export const TRANSACTION_COLUMNS: readonly { readonly name: string; readonly cell: (row: TransactionRow) => Cell }[] = [
  { name: 'transaction', cell: (row) => row.transaction },
  { name: 'database', cell: (row) => row.database },
  { name: 'source', cell: (row) => row.source },
  { name: 'sequence', cell: (row) => row.sequence },
  { name: 'generation', cell: (row) => row.generation },
  { name: 'commit_state', cell: (row) => row.commitState },
  { name: 'checksum_state', cell: (row) => row.checksumState },
  { name: 'first_frame', cell: (row) => row.firstFrame },
  { name: 'last_frame', cell: (row) => row.lastFrame },
  { name: 'pages', cell: (row) => (row.pages.length === 0 ? null : row.pages.join(' ')) },
  { name: 'insert_count', cell: (row) => row.insertCount },
  { name: 'update_count', cell: (row) => row.updateCount },
  { name: 'delete_count', cell: (row) => row.deleteCount },
  {
    name: 'details',
    cell: (row) => {
      const details = row.events === undefined || row.events.length === 0 ? row.details : { ...row.details, events: row.events };
      return details === undefined ? null : JSON.stringify(details, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    },
  },
];
