/**
 * Live cells of b-tree pages → EvidenceRecords. One call per page; pure over a PageReader.
 */
import { formatOffset } from '../bytes/offsets.js';
import { sha256Hex } from '../bytes/sha256.js';
import type { EvidenceRecord, FoundBy, IntegrityFlag, RecordState, RecordStatus, StorageClass } from '../evidence/record.js';
import { IntegrityFlag as Flags } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { toImageOffset } from '../provenance/path.js';
import { readOverflowPayload } from '../formats/sqlite/btree.js';
import type { TextEncoding } from '../formats/sqlite/layout.js';
import type { PageReader } from '../formats/sqlite/page-reader.js';
import type { LeafCell } from '../formats/sqlite/parse-cell.js';
import { parsePayloadCell } from '../formats/sqlite/parse-cell.js';
import { decodeRecordBody, parseRecordHeader } from '../formats/sqlite/record.js';
import type { TableDecodeInfo } from './table-info.js';
import { mapFieldsToColumns } from './table-info.js';

export interface PageDecodeContext {
  readonly databaseName: string;
  readonly usableSize: number;
  readonly encoding: TextEncoding;
  readonly reader: PageReader;
  readonly state: RecordState;
  readonly status: RecordStatus;
  readonly foundBy: FoundBy;
}

export interface DecodedCells {
  readonly records: EvidenceRecord[];
  readonly issues: Issue[];
}

const liveReason = 'cell reached through the live b-tree';
const liveConfidence = Object.freeze({ level: 'high' as const, reasons: Object.freeze([liveReason]) });
const noFlags: readonly IntegrityFlag[] = Object.freeze([]);

export type CellKind = 'table-leaf' | 'index-leaf' | 'index-interior';

/**
 * Decodes the cells at `cellOffsetsInPage` of one page image (`page`, whose provenance is
 * `pagePath`). Each cell that cannot be decoded yields a `sqlite.cell.*` issue naming its offset.
 */
export function decodeCells(
  page: Uint8Array,
  pageNumber: number,
  pagePath: SourcePath,
  kind: CellKind,
  cellOffsetsInPage: readonly number[],
  table: TableDecodeInfo,
  context: PageDecodeContext,
): DecodedCells {
  const records: EvidenceRecord[] = [];
  const issues: Issue[] = [];
  for (const offsetInPage of cellOffsetsInPage) {
    const outcome = parsePayloadCell(page, 0, offsetInPage, context.usableSize, kind);
    if (!outcome.ok) {
      issues.push(issue('sqlite.cell.unreadable', 'warning', pagePath, offsetInPage, `Page ${pageNumber}, cell at ${formatOffset(offsetInPage)}: ${outcome.problem}`));
      continue;
    }
    const record = recordFromCell(page, pageNumber, pagePath, outcome.cell, table, context, issues);
    if (record !== undefined) records.push(record);
  }
  return { records, issues };
}

function recordFromCell(
  page: Uint8Array,
  pageNumber: number,
  pagePath: SourcePath,
  cell: LeafCell,
  table: TableDecodeInfo,
  context: PageDecodeContext,
  issues: Issue[],
): EvidenceRecord | undefined {
  const flags: IntegrityFlag[] = [];
  const reasons: string[] = [];
  let payload: Uint8Array;
  let payloadStart: number;
  let payloadEnd: number;
  if (cell.firstOverflowPageNumber !== 0) {
    const local = page.subarray(cell.localPayloadStartInPage, cell.localPayloadStartInPage + cell.localPayloadSize);
    const chain = readOverflowPayload(context.reader, context.usableSize, local, cell.payloadSize, cell.firstOverflowPageNumber);
    payload = chain.payload;
    payloadStart = 0;
    payloadEnd = chain.payload.length;
    reasons.push(`payload continues on overflow page(s) ${chain.pageNumbers.join(',')}`);
    if (!chain.complete) {
      flags.push(Flags.overflowMissing, Flags.truncated);
      issues.push(
        issue('sqlite.overflow.broken-chain', 'warning', pagePath, cell.offsetInPage, `Page ${pageNumber}, cell at ${formatOffset(cell.offsetInPage)}: ${chain.problem ?? 'overflow chain broken'}`, {
          firstOverflowPage: cell.firstOverflowPageNumber,
        }),
      );
    }
  } else {
    payload = page;
    payloadStart = cell.localPayloadStartInPage;
    payloadEnd = payloadStart + cell.payloadSize;
  }
  const header = parseRecordHeader(payload, payloadStart, payloadEnd);
  if (!header.ok) {
    issues.push(issue('sqlite.record.header-invalid', 'warning', pagePath, cell.offsetInPage, `Page ${pageNumber}, cell at ${formatOffset(cell.offsetInPage)}: record ${header.problem}`));
    return undefined;
  }
  const serialTypes = header.header.serialTypes;
  let decoded = decodeRecordBody(payload, payloadStart + header.header.headerSizeInBytes, payloadEnd, serialTypes, context.encoding);
  if (decoded === undefined) {
    if (flags.includes(Flags.truncated)) {
      // Keep what the broken chain left: decode field by field until the bytes run out.
      decoded = decodePrefix(payload, payloadStart + header.header.headerSizeInBytes, payloadEnd, serialTypes, context.encoding);
    } else {
      issues.push(
        issue('sqlite.record.body-overrun', 'warning', pagePath, cell.offsetInPage, `Page ${pageNumber}, cell at ${formatOffset(cell.offsetInPage)}: record body needs ${header.header.bodySizeInBytes} bytes, payload has ${payloadEnd - payloadStart - header.header.headerSizeInBytes}`),
      );
      return undefined;
    }
  }
  if (decoded.textInvalid) flags.push(Flags.textInvalid);
  const columnCount = Math.max(table.columns.length, table.schemaKnown ? 0 : serialTypes.length);
  const fieldCount = Math.min(serialTypes.length, decoded.values.length);
  const mapped = mapFieldsToColumns(table, columnCount, fieldCount, decoded.types, decoded.values);
  const types = mapped.types as StorageClass[];
  const values = mapped.values;
  const filled = mapped.filledCount;
  if (serialTypes.length > table.recordToColumn.length && table.schemaKnown) {
    issues.push(
      issue('sqlite.record.extra-fields', 'info', pagePath, cell.offsetInPage, `Page ${pageNumber}, cell at ${formatOffset(cell.offsetInPage)}: record has ${serialTypes.length} fields, table ${table.name} has ${table.recordToColumn.length} stored columns`),
    );
  }
  let rowid: string | null = null;
  if (!table.withoutRowid && cell.rowid !== undefined) rowid = cell.rowidBig !== undefined ? cell.rowidBig.toString() : String(cell.rowid);
  for (let column = 0; column < columnCount; column++) {
    if (types[column] !== undefined) continue;
    if (column === table.rowidAliasIndex && rowid !== null) {
      types[column] = 'integer';
      values[column] = rowid;
      continue;
    }
    const fallback = table.defaults[column] ?? { type: 'null' as const, text: null };
    types[column] = fallback.type;
    values[column] = fallback.text;
    if (!flags.includes(Flags.truncated) && !flags.includes(Flags.fewerColumns) && filled < columnCount) flags.push(Flags.fewerColumns);
  }
  // An INTEGER PRIMARY KEY is stored as NULL; its value is the rowid.
  if (table.rowidAliasIndex >= 0 && rowid !== null && types[table.rowidAliasIndex] === 'null') {
    types[table.rowidAliasIndex] = 'integer';
    values[table.rowidAliasIndex] = rowid;
  }
  // Built directly (not through extendPath's validation): the offset comes from a checked pointer.
  const cellPath: SourcePath = { layer: { kind: 'cell', offsetInPage: cell.offsetInPage }, parent: pagePath };
  const raw = page.subarray(cell.offsetInPage, Math.min(page.length, cell.offsetInPage + cell.cellSizeInBytes));
  return {
    dataType: 'sqlite:record',
    path: cellPath,
    imageOffset: toImageOffset(cellPath, 0),
    lengthInBytes: raw.length,
    state: context.state,
    status: context.status,
    foundBy: context.foundBy,
    confidence:
      reasons.length === 0 && flags.length === 0
        ? liveConfidence
        : { level: flags.length === 0 || (flags.length === 1 && flags[0] === Flags.fewerColumns) ? 'high' : 'medium', reasons: [liveReason, ...reasons] },
    flags: flags.length === 0 ? noFlags : flags,
    rawSha256: sha256Hex(raw),
    database: context.databaseName,
    table: table.name,
    pageNumber,
    offsetInPage: cell.offsetInPage,
    rowid,
    types,
    values,
  };
}

function decodePrefix(bytes: Uint8Array, bodyStart: number, end: number, serialTypes: readonly number[], encoding: TextEncoding) {
  for (let count = serialTypes.length - 1; count >= 0; count--) {
    const decoded = decodeRecordBody(bytes, bodyStart, end, serialTypes.slice(0, count), encoding);
    if (decoded !== undefined) return decoded;
  }
  return { types: [], values: [], textInvalid: false };
}
