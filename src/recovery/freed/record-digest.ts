/**
 * Record digests: 52-bit fingerprints of a record's serial types and body bytes, so freed records
 * are compared with live rows without decoding the live rows. A stale copy is a byte copy of its
 * live cell's record, and SQLite serialises a given row one way only (shortest integer types, the
 * column's affinity applied before storing), so equal records have equal bytes. An INTEGER
 * PRIMARY KEY is stored as NULL, so the digest never depends on the rowid.
 * A digest collision can only make a deleted record look like a copy of a live one.
 */
import { readOverflowPayload } from '../../formats/sqlite/btree.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import { parsePayloadCell } from '../../formats/sqlite/parse-cell.js';
import type { BtreePage } from '../../formats/sqlite/parse-page.js';
import { PageType } from '../../formats/sqlite/layout.js';
import { parseRecordHeader, serialTypeSize } from '../../formats/sqlite/record.js';
import { localPayloadFingerprint } from './overflow.js';

const PRIME_FIRST = 0x01000193;
const PRIME_SECOND = 0x5bd1e995;

export interface DigestState {
  first: number;
  second: number;
}

function start(): DigestState {
  return { first: 0x811c9dc5, second: 0x01234567 };
}

function mix(state: DigestState, value: number): void {
  state.first = Math.imul(state.first ^ value, PRIME_FIRST);
  state.second = Math.imul(state.second ^ value, PRIME_SECOND) ^ (state.second >>> 15);
}

function finish(state: DigestState): number {
  return (state.first >>> 0) * 0x100000 + ((state.second >>> 0) & 0xfffff);
}

function mixField(state: DigestState, serialType: number, bytes: Uint8Array, from: number, to: number): void {
  mix(state, serialType & 0xffff);
  mix(state, serialType >>> 16);
  for (let index = from; index < to; index++) mix(state, bytes[index] as number);
  mix(state, 0x1ff);
}

function bodySize(serialType: number): number {
  return serialType >= 12 ? (serialType - 12) >> 1 : serialTypeSize(serialType);
}

/** Field offsets of a record body: offsets[i] = start of field i, offsets[length] = end. */
function fieldOffsets(serialTypes: readonly number[], bodyStart: number): number[] {
  const offsets = new Array<number>(serialTypes.length + 1);
  let at = bodyStart;
  for (let index = 0; index < serialTypes.length; index++) {
    offsets[index] = at;
    at += bodySize(serialTypes[index] as number);
  }
  offsets[serialTypes.length] = at;
  return offsets;
}

export interface RecordDigests {
  /** Every field (serial types and bodies). */
  readonly full: number;
  /** One digest per requested field set (WITHOUT ROWID primary key, UNIQUE column sets). */
  readonly sets: readonly number[];
}

/**
 * Digests of a record whose body starts at `bodyStart` in `bytes` and must end by `end`;
 * undefined when the body does not fit (a partial record cannot be compared in full).
 * `fieldSets` list record field indexes; a set naming a field the record lacks digests NULL there.
 */
export function recordDigests(serialTypes: readonly number[], bytes: Uint8Array, bodyStart: number, end: number, fieldSets: readonly (readonly number[])[]): RecordDigests | undefined {
  let bodyEnd = bodyStart;
  for (const serialType of serialTypes) bodyEnd += bodySize(serialType);
  if (bodyEnd > end) return undefined;
  // Serial types fix the field boundaries, so the types followed by the whole body identify the record.
  const full = start();
  for (const serialType of serialTypes) {
    mix(full, serialType & 0xffff);
    mix(full, serialType >>> 16);
  }
  let index = bodyStart;
  for (; index + 4 <= bodyEnd; index += 4) mix(full, (((bytes[index] as number) << 24) | ((bytes[index + 1] as number) << 16) | ((bytes[index + 2] as number) << 8) | (bytes[index + 3] as number)) >>> 0);
  for (; index < bodyEnd; index++) mix(full, bytes[index] as number);
  mix(full, 0x1ff);
  if (fieldSets.length === 0) return { full: finish(full), sets: [] };
  const offsets = fieldOffsets(serialTypes, bodyStart);
  const sets = fieldSets.map((fields) => {
    const state = start();
    for (const field of fields) {
      if (field < serialTypes.length) mixField(state, serialTypes[field] as number, bytes, offsets[field] as number, offsets[field + 1] as number);
      else mixField(state, 0, bytes, 0, 0);
    }
    return finish(state);
  });
  return { full: finish(full), sets };
}

export interface LivePageDigests {
  /** Rowid of each cell (rowid tables), in cell order; NaN for WITHOUT ROWID. */
  readonly rowids: number[];
  readonly digests: RecordDigests[];
  /** Fewest fields seen in a record of the page. */
  minimumFieldCount: number;
  /** Overflow chains of the page's cells: first page, pages, fingerprint of the local payload. */
  readonly overflowChains: { readonly firstPageNumber: number; readonly pageNumbers: readonly number[]; readonly localFingerprint: number }[];
}

/**
 * Digests of the live cells of one b-tree page (all listed cells, or `cellOffsets` for index
 * interior pages of WITHOUT ROWID tables). Cells that cannot be read are skipped: the live decode
 * reports them.
 */
export function liveDigestsOfPage(reader: PageReader, page: Uint8Array, btreePage: BtreePage, usableSize: number, fieldSets: readonly (readonly number[])[], cellOffsets?: readonly number[]): LivePageDigests {
  const out: LivePageDigests = { rowids: [], digests: [], minimumFieldCount: Number.MAX_SAFE_INTEGER, overflowChains: [] };
  const type = btreePage.type;
  const kind = cellOffsets !== undefined ? 'index-interior' : type === PageType.tableLeaf ? 'table-leaf' : type === PageType.indexLeaf ? 'index-leaf' : undefined;
  if (kind === undefined) return out;
  for (const offset of cellOffsets ?? btreePage.cellOffsetsInPage) {
    const parsed = parsePayloadCell(page, 0, offset, usableSize, kind);
    if (!parsed.ok) continue;
    const cell = parsed.cell;
    let bytes = page;
    let payloadStart = cell.localPayloadStartInPage;
    let payloadEnd = payloadStart + cell.payloadSize;
    if (cell.firstOverflowPageNumber !== 0) {
      const local = page.subarray(cell.localPayloadStartInPage, cell.localPayloadStartInPage + cell.localPayloadSize);
      const chain = readOverflowPayload(reader, usableSize, local, cell.payloadSize, cell.firstOverflowPageNumber);
      out.overflowChains.push({ firstPageNumber: cell.firstOverflowPageNumber, pageNumbers: chain.pageNumbers, localFingerprint: localPayloadFingerprint(local) });
      if (!chain.complete) continue;
      bytes = chain.payload;
      payloadStart = 0;
      payloadEnd = chain.payload.length;
    }
    const header = parseRecordHeader(bytes, payloadStart, payloadEnd);
    if (!header.ok) continue;
    const digests = recordDigests(header.header.serialTypes, bytes, payloadStart + header.header.headerSizeInBytes, payloadEnd, fieldSets);
    if (digests === undefined) continue;
    out.rowids.push(kind === 'table-leaf' ? (cell.rowid ?? Number.NaN) : Number.NaN);
    out.digests.push(digests);
    out.minimumFieldCount = Math.min(out.minimumFieldCount, header.header.serialTypes.length);
  }
  return out;
}
