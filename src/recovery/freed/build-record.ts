/**
 * A carved cell → values → EvidenceRecord. Decoding is strict: a candidate whose text is invalid
 * in the database encoding or whose REAL is a NaN (SQLite never stores one) is not a record.
 * Column mapping follows the live decode (recovery/decode-cells.ts) with two differences that are
 * the point of freed-space recovery: a lost rowid leaves the INTEGER PRIMARY KEY column empty and
 * flagged (never invented), and fields lost with a broken overflow chain are empty and flagged
 * `truncated` (never filled with column defaults).
 */
import { formatOffset } from '../../bytes/offsets.js';
import { sha256Hex } from '../../bytes/sha256.js';
import type { ConfidenceLevel, EvidenceRecord, IntegrityFlag, RecordState, SqlText, StorageClass } from '../../evidence/record.js';
import { IntegrityFlag as Flags, RecordStatus } from '../../evidence/record.js';
import type { TextEncoding } from '../../formats/sqlite/layout.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import { decodeRecordBody } from '../../formats/sqlite/record.js';
import type { SourcePath } from '../../provenance/path.js';
import { toImageOffset } from '../../provenance/path.js';
import type { CellCandidate } from './header-rebuild.js';
import type { PageRoles } from './overflow.js';
import { readFreedOverflow } from './overflow.js';
import type { RecordDigests } from './record-digest.js';
import { recordDigests } from './record-digest.js';
import { mapFieldsToColumns } from '../table-info.js';
import type { RecordSignature } from './signature.js';

/**
 * Text a carved record may not hold: C0 control characters other than tab, line feed and carriage
 * return, and U+FFFD (bytes invalid in the database encoding, or a lone UTF-16 surrogate). Such
 * characters in freed space mean misaligned or overwritten bytes far more often than real data.
 */
export const implausibleText = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffd]/;

/** What every freed-space carver needs besides the page: plain data plus a page reader. */
export interface FreedCarveContext {
  readonly databaseName: string;
  readonly usableSize: number;
  readonly encoding: TextEncoding;
  /** Reads overflow pages; the worker builds its own over the evidence file. */
  readonly reader: PageReader;
  /** Current role of every page, for overflow-chain validation; undefined accepts every page. */
  readonly pageRoles: PageRoles | undefined;
}

export interface DecodedCandidate {
  readonly candidate: CellCandidate;
  readonly types: readonly StorageClass[];
  readonly values: readonly SqlText[];
  /** Fields decoded (fewer than the serial types when the overflow chain broke). */
  readonly decodedFieldCount: number;
  readonly complete: boolean;
  readonly overflowPageNumbers: readonly number[];
  readonly overflowProblem: string | undefined;
  readonly reasons: readonly string[];
  /** Where the record body lies (the page, or the reassembled payload), for digests. */
  readonly bodyBytes: Uint8Array;
  readonly bodyStart: number;
  readonly bodyEnd: number;
}

/**
 * A record carved from freed space: an EvidenceRecord plus the digests of its bytes (undefined
 * when partial), which the classification compares with the live rows' digests.
 */
export interface FreedRecord extends EvidenceRecord {
  readonly digests: RecordDigests | undefined;
  /** First page of the freed overflow chain the record was read through (complete chains only), else 0. */
  readonly overflowFirstPage: number;
}

/** Stable text of decoded values, for equality between alternative readings. */
export function valuesKey(types: readonly StorageClass[], values: readonly SqlText[]): string {
  let out = '';
  for (let index = 0; index < types.length; index++) out += `${types[index] as string}\u0001${values[index] ?? '\u0002'}\u0000`;
  return out;
}

/**
 * Decodes a candidate's fields (following its overflow chain when it has one). Undefined when the
 * bytes do not decode cleanly; a broken chain gives the fields that lie wholly before the break.
 */
export function decodeCandidate(page: Uint8Array, candidate: CellCandidate, context: FreedCarveContext): DecodedCandidate | undefined {
  // A body without a single non-zero byte (all NULL, 0 or 1, zero-filled blobs) says nothing that
  // empty space would not say: zeroed areas read as such records, so they are not reported.
  const localBodyEnd = Math.min(candidate.recordStartInPage + candidate.localPayloadSize, page.length);
  let nonZero = false;
  for (let index = candidate.bodyStartInPage; index < localBodyEnd && !nonZero; index++) nonZero = page[index] !== 0;
  if (!nonZero && candidate.firstOverflowPageNumber === 0) return undefined;
  let bytes: Uint8Array = page;
  let bodyStart = candidate.bodyStartInPage;
  let end = candidate.recordStartInPage + candidate.payloadSize;
  let complete = true;
  let overflowPageNumbers: readonly number[] = [];
  let overflowProblem: string | undefined;
  const reasons: string[] = [];
  if (candidate.firstOverflowPageNumber !== 0) {
    const local = page.subarray(candidate.recordStartInPage, candidate.recordStartInPage + candidate.localPayloadSize);
    const chain = readFreedOverflow(context.reader, context.usableSize, local, candidate.payloadSize, candidate.firstOverflowPageNumber, context.pageRoles);
    bodyStart = candidate.headerSizeInBytes;
    complete = chain.complete;
    overflowProblem = chain.problem;
    reasons.push(...chain.reasons);
    if (chain.complete) {
      bytes = chain.payload;
      end = chain.payload.length;
      overflowPageNumbers = chain.pageNumbers;
      reasons.push(`payload continues on freed overflow page(s) ${chain.pageNumbers.join(',')}`);
    } else {
      // A broken chain means some page was reused, and a reused page's next pointer belongs to the
      // record that reused it: none of the chain's pages can be trusted. Keep the local part only.
      bytes = local;
      end = local.length;
      if (chain.pageNumbers.length > 0) reasons.push(`overflow page(s) ${chain.pageNumbers.join(',')} read before the break are not trusted`);
    }
  }
  const serialTypes = candidate.serialTypes;
  let fieldCount = serialTypes.length;
  let decoded = complete ? decodeRecordBody(bytes, bodyStart, end, serialTypes, context.encoding) : undefined;
  if (!complete) {
    for (fieldCount = serialTypes.length - 1; fieldCount >= 0; fieldCount--) {
      decoded = decodeRecordBody(bytes, bodyStart, end, serialTypes.slice(0, fieldCount), context.encoding);
      if (decoded !== undefined) break;
    }
  }
  if (decoded === undefined || decoded.textInvalid) return undefined;
  for (let index = 0; index < fieldCount; index++) {
    // decodeRecordBody reports a stored NaN as NULL; SQLite never writes one, so these bytes are not a record.
    if (serialTypes[index] === 7 && decoded.types[index] === 'null') return undefined;
    if (decoded.types[index] === 'text' && implausibleText.test(decoded.values[index] as string)) return undefined;
  }
  return { candidate, types: decoded.types, values: decoded.values, decodedFieldCount: Math.max(0, fieldCount), complete, overflowPageNumbers, overflowProblem, reasons, bodyBytes: bytes, bodyStart, bodyEnd: end };
}

export interface CarvedRecordOptions {
  readonly databaseName: string;
  readonly pageNumber: number;
  readonly pagePath: SourcePath;
  readonly state: RecordState;
  readonly level: ConfidenceLevel;
  readonly reasons: readonly string[];
}

/** The EvidenceRecord of a decoded candidate, attributed to `signature`'s table. Status is `unknown` (assembly classifies). */
export function carvedRecord(page: Uint8Array, decoded: DecodedCandidate, signature: RecordSignature, options: CarvedRecordOptions): FreedRecord {
  const table = signature.decode;
  const candidate = decoded.candidate;
  const flags: IntegrityFlag[] = [];
  if (candidate.headerSizeRebuilt || candidate.rebuiltTypeCount > 0) flags.push(Flags.headerRebuilt);
  if (!decoded.complete) flags.push(Flags.overflowMissing, Flags.truncated);
  const columnCount = Math.max(table.columns.length, table.schemaKnown ? 0 : candidate.serialTypes.length);
  // The decoded arrays are ours (decodeCandidate built them): the mapping may reuse them.
  const mapped = mapFieldsToColumns(table, columnCount, decoded.decodedFieldCount, decoded.types as StorageClass[], decoded.values as SqlText[]);
  const types = mapped.types as StorageClass[];
  const values = mapped.values;
  let rowid: string | null = null;
  if (!table.withoutRowid && candidate.rowid !== undefined) rowid = candidate.rowidBig !== undefined ? candidate.rowidBig.toString() : String(candidate.rowid);
  const rowidLost = !table.withoutRowid && rowid === null;
  if (rowidLost) flags.push(Flags.rowidUnknown);
  let fewer = false;
  for (let column = 0; column < columnCount; column++) {
    if (column === table.rowidAliasIndex) {
      // Stored as NULL; the value is the rowid, or nothing when the rowid is lost.
      types[column] = rowid === null ? 'null' : 'integer';
      values[column] = rowid;
      continue;
    }
    if (types[column] !== undefined) continue;
    if (!decoded.complete) {
      types[column] = 'null';
      values[column] = null;
      continue;
    }
    const fallback = table.defaults[column] ?? { type: 'null' as const, text: null };
    types[column] = fallback.type;
    values[column] = fallback.text;
    fewer = true;
  }
  if (fewer) flags.push(Flags.fewerColumns);
  const offsetInPage = candidate.cellStartInPage;
  const cellPath: SourcePath = { layer: { kind: 'cell', offsetInPage }, parent: options.pagePath };
  const raw = page.subarray(offsetInPage, candidate.cellEndInPage);
  const reasons = [...options.reasons, ...candidate.reasons, ...decoded.reasons];
  if (candidate.pinnedEnd !== undefined) reasons.push(`lost serial type(s) ${candidate.serialTypes.slice(0, candidate.rebuiltTypeCount).join(', ')} fixed by the cell end at ${formatOffset(candidate.pinnedEnd)}`);
  if (rowidLost) reasons.push('rowid lost with the overwritten cell prefix');
  if (!decoded.complete) reasons.push(`overflow chain broken: ${decoded.overflowProblem ?? 'unknown'}; ${candidate.serialTypes.length - decoded.decodedFieldCount} trailing field(s) lost`);
  return {
    dataType: 'sqlite:record',
    path: cellPath,
    imageOffset: toImageOffset(cellPath, 0),
    lengthInBytes: raw.length,
    state: options.state,
    status: RecordStatus.unknown,
    foundBy: 'page-scan',
    confidence: { level: options.level, reasons },
    flags,
    rawSha256: sha256Hex(raw),
    database: options.databaseName,
    table: signature.name,
    pageNumber: options.pageNumber,
    offsetInPage,
    rowid,
    types,
    values,
    digests: decoded.complete ? recordDigests(candidate.serialTypes, decoded.bodyBytes, decoded.bodyStart, decoded.bodyEnd, signature.digestFieldSets) : undefined,
    overflowFirstPage: decoded.overflowPageNumbers[0] ?? 0,
  };
}

/** Message fragment naming a page offset, shared by carver issues. */
export function at(pageNumber: number, offsetInPage: number): string {
  return `Page ${pageNumber}, offset ${formatOffset(offsetInPage)}`;
}
