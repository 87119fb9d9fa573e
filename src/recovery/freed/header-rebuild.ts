/**
 * Where a freed cell's record header is, and what it says, when the first 4 bytes of the cell were
 * overwritten by a freeblock header (sqlite.md §1.8). Pure functions over a page image; offsets are
 * in-page. Value decoding and the choice between hypotheses happen in carve-region.ts.
 *
 * What the 4 clobbered bytes destroy depends on the varint sizes (k = bytes before the record):
 * | Cell kind      | k                         | Lost                                                  |
 * |----------------|---------------------------|-------------------------------------------------------|
 * | table leaf     | ≥ 4 (P, rowid ≥ 2+2 bytes)| payload size and rowid only: the header survives      |
 * | table leaf     | 3                         | also the header-size byte; serial types survive       |
 * | table leaf     | 2 (P < 128, rowid < 128)  | also the first serial type                            |
 * | index leaf     | 3 / 2 / 1                 | header size / + first type byte / + first 2 type bytes |
 * | index interior | 4 + P's size              | only the left-child pointer                           |
 * A lost serial type is rebuilt only when the signature forces it (an INTEGER PRIMARY KEY alias is
 * always 0) or when an independent end of the cell (the freeblock's size field, the start of the
 * next cell, the end of the region) pins its size; the caller then requires one distinct result.
 */
import { readVarintInto } from '../../bytes/varint.js';
import { u16beUnchecked, u32beUnchecked } from '../../bytes/read.js';
import { localPayloadSize, maximumLocalPayload } from '../../formats/sqlite/payload.js';
import { serialTypeSize } from '../../formats/sqlite/record.js';
import type { FieldSignature, RecordSignature } from './signature.js';
import { classBitOfSerialType, serialTypeAllowed } from './signature.js';

export type FreedCellKind = 'table-leaf' | 'index-leaf' | 'index-interior';

/** Bytes a freeblock header overwrites at the start of a freed cell. */
export const FREEBLOCK_HEADER_SIZE_IN_BYTES = 4;

/** Longest serial-type varint a rebuilt (lost) type may have: 3 bytes covers bodies up to 1 MiB. */
export const maximumLostTypeVarintSize = 3;
/** Type combinations tried for one rebuilt header before it is declared ambiguous. */
export const maximumRebuildCombinations = 4096;

/** Scores that rank interpretations of the same bytes (higher wins; ties mean ambiguity). */
export const CandidateScore = {
  /** Whole cell readable: payload size and rowid present, payload size equals header + body. */
  intact: 6,
  /** First 4 bytes lost, every serial type read or forced by the signature. */
  clobberedExact: 4,
  /** End of the cell equals the freeblock header's size field. */
  endIsFreeblockSize: 2,
  /** End of the cell equals a boundary: region end, next candidate, a stale freeblock header. */
  endIsBoundary: 1,
  /** End of the cell is a boundary minus 1–3 fragment bytes. */
  endNearBoundary: 0.25,
} as const;

export interface EndHint {
  readonly endInPage: number;
  readonly score: number;
}

export interface CellCandidate {
  readonly cellStartInPage: number;
  /** Exclusive end of the cell's bytes on the page (local payload and overflow pointer included). */
  readonly cellEndInPage: number;
  readonly recordStartInPage: number;
  readonly bodyStartInPage: number;
  readonly serialTypes: readonly number[];
  readonly headerSizeInBytes: number;
  readonly payloadSize: number;
  readonly localPayloadSize: number;
  readonly firstOverflowPageNumber: number;
  /** Rowid (table leaves with an intact prefix); undefined when lost. */
  readonly rowid: number | undefined;
  readonly rowidBig: bigint | undefined;
  /** True when the first 4 bytes are treated as overwritten. */
  readonly clobbered: boolean;
  /** Leading serial types inferred rather than read. */
  readonly rebuiltTypeCount: number;
  /** True when some rebuilt type was a choice among several, pinned by an end hint. */
  readonly choiceMade: boolean;
  readonly headerSizeRebuilt: boolean;
  readonly score: number;
  readonly reasons: readonly string[];
  /** For rebuilt choices: the cell end that fixed them. */
  readonly pinnedEnd?: number | undefined;
}

const scratch = { value: 0, big: undefined as bigint | undefined };

/** Shortest varint size of a non-negative safe integer (hot path: no bigint). */
function varintSize(value: number): number {
  let size = 1;
  let rest = value;
  while (rest > 0x7f && size < 9) {
    rest = Math.floor(rest / 128);
    size++;
  }
  return size;
}

/** Reads a varint that must be in SQLite's shortest form; returns its size or 0. */
function shortestVarint(page: Uint8Array, at: number, end: number): number {
  if (at >= end || page[at] === 0x80) return 0;
  return readVarintInto(page, at, end, scratch);
}

/**
 * Reads serial types from `at` up to exactly `headerEnd`, checking each against the signature field
 * of the same index; returns the types, or undefined on any mismatch (early exit, no allocation
 * before the first success).
 */
function readTypesToEnd(page: Uint8Array, at: number, headerEnd: number, signature: RecordSignature, firstField: number): number[] | undefined {
  const fields = signature.fields;
  const types: number[] = [];
  let position = at;
  let field = firstField;
  while (position < headerEnd) {
    const spec = fields[field];
    if (spec === undefined) return undefined;
    const size = shortestVarint(page, position, headerEnd);
    if (size === 0 || scratch.big !== undefined) return undefined;
    if (!serialTypeAllowed(spec, scratch.value)) return undefined;
    types.push(scratch.value);
    position += size;
    field++;
  }
  if (position !== headerEnd || field < signature.minimumFieldCount) return undefined;
  return types;
}

/** Reads exactly `count` serial types starting at `at` (header end unknown); returns the end or -1. */
function readTypesCounted(page: Uint8Array, at: number, limit: number, count: number, signature: RecordSignature, firstField: number, out: number[]): number {
  let position = at;
  for (let index = 0; index < count; index++) {
    const spec = signature.fields[firstField + index];
    if (spec === undefined) return -1;
    const size = shortestVarint(page, position, limit);
    if (size === 0 || scratch.big !== undefined || !serialTypeAllowed(spec, scratch.value)) return -1;
    out.push(scratch.value);
    position += size;
  }
  return position;
}

function bodySizeOf(types: readonly number[]): number {
  let total = 0;
  for (const type of types) total += type >= 12 ? (type - 12) >> 1 : serialTypeSize(type);
  return total;
}

/** Where the cell ends for a payload of `payloadSize` whose local part starts at `recordStart`. */
function cellExtent(page: Uint8Array, recordStart: number, payloadSize: number, usableSize: number, isTable: boolean, limit: number): { end: number; local: number; overflow: number } | undefined {
  const local = localPayloadSize(payloadSize, usableSize, isTable);
  let end = recordStart + local;
  let overflow = 0;
  if (local < payloadSize) {
    if (end + 4 > limit) return undefined;
    overflow = u32beUnchecked(page, end);
    if (overflow === 0) return undefined;
    end += 4;
  }
  if (end > limit) return undefined;
  return { end, local, overflow };
}

const typeByteCache = new WeakMap<RecordSignature, Uint8Array>();

/**
 * For each byte value: bit 0 set when it can start field 0's serial type, bit 1 for field 1 (a
 * byte ≥ 0x80 starts a multi-byte type: admitted when the field takes long text or blobs).
 */
export function firstTypeBytes(signature: RecordSignature): Uint8Array {
  let table = typeByteCache.get(signature);
  if (table !== undefined) return table;
  table = new Uint8Array(256);
  for (let field = 0; field < 2; field++) {
    const spec = signature.fields[field];
    for (let byte = 0; byte < 256; byte++) {
      const allowed = spec === undefined || (byte < 0x80 ? serialTypeAllowed(spec, byte) : serialTypeAllowed(spec, 12 + 2 * 64) || serialTypeAllowed(spec, 13 + 2 * 64));
      if (allowed) table[byte] = (table[byte] as number) | (1 << field);
    }
  }
  typeByteCache.set(signature, table);
  return table;
}

/**
 * An intact cell at `at` (nothing overwritten): payload size, rowid (table leaves), record header
 * and body, with the payload size equal to header + body, every varint in shortest form and every
 * serial type allowed by the signature. `limit` bounds the cell's bytes (exclusive).
 */
export function intactCellAt(page: Uint8Array, at: number, limit: number, kind: FreedCellKind, signature: RecordSignature, usableSize: number, typeBytes: Uint8Array = firstTypeBytes(signature)): CellCandidate | undefined {
  // Cheap rejection first (this runs at every byte of free space): skip the payload-size (and
  // rowid) varints and look at the header-size byte, which must count at least one byte per field.
  let probe = kind === 'index-interior' ? at + 4 : at;
  for (let varints = kind === 'table-leaf' ? 2 : 1; varints > 0; varints--) {
    const stop = Math.min(limit, probe + 9);
    while (probe < stop && ((page[probe] as number) & 0x80) !== 0) probe++;
    probe++;
  }
  if (probe + 2 >= limit) return undefined;
  const headerByte = page[probe] as number;
  if (headerByte < 0x80 ? headerByte < 1 + signature.minimumFieldCount : signature.fields.length < 14) return undefined;
  // The first two serial types must be ones their fields admit (one table lookup each).
  if (headerByte < 0x80) {
    const accepts = typeBytes;
    if ((((accepts[page[probe + 1] as number] as number) & 1) === 0)) return undefined;
    if (((page[probe + 1] as number) & 0x80) === 0 && signature.fields.length > 1 && ((accepts[page[probe + 2] as number] as number) & 2) === 0) return undefined;
  }
  let position = at;
  if (kind === 'index-interior') position += 4;
  const payloadVarint = shortestVarint(page, position, limit);
  if (payloadVarint === 0 || scratch.big !== undefined) return undefined;
  const payloadSize = scratch.value;
  if (payloadSize < 1 + signature.minimumFieldCount) return undefined;
  position += payloadVarint;
  let rowid: number | undefined;
  let rowidBig: bigint | undefined;
  if (kind === 'table-leaf') {
    const rowidVarint = readVarintInto(page, position, limit, scratch);
    if (rowidVarint === 0 || (rowidVarint > 1 && page[position] === 0x80)) return undefined;
    rowid = scratch.value;
    rowidBig = scratch.big;
    position += rowidVarint;
  }
  return recordAt(page, at, position, limit, kind, signature, usableSize, payloadSize, rowid, rowidBig, false, kind === 'index-interior' ? ['left-child pointer overwritten (not needed)'] : []);
}

function recordAt(
  page: Uint8Array,
  cellStart: number,
  recordStart: number,
  limit: number,
  kind: FreedCellKind,
  signature: RecordSignature,
  usableSize: number,
  payloadSize: number | undefined,
  rowid: number | undefined,
  rowidBig: bigint | undefined,
  clobbered: boolean,
  reasons: string[],
): CellCandidate | undefined {
  const headerVarint = shortestVarint(page, recordStart, limit);
  if (headerVarint === 0 || scratch.big !== undefined) return undefined;
  const headerSize = scratch.value;
  if (headerSize < headerVarint + signature.minimumFieldCount || headerSize > headerVarint + 9 * signature.fields.length) return undefined;
  const headerEnd = recordStart + headerSize;
  if (headerEnd > limit) return undefined;
  const types = readTypesToEnd(page, recordStart + headerVarint, headerEnd, signature, 0);
  if (types === undefined) return undefined;
  const computed = headerSize + bodySizeOf(types);
  if (payloadSize !== undefined && computed !== payloadSize) return undefined;
  const isTable = kind === 'table-leaf';
  const extent = cellExtent(page, recordStart, computed, usableSize, isTable, limit);
  if (extent === undefined) return undefined;
  return {
    cellStartInPage: cellStart,
    cellEndInPage: extent.end,
    recordStartInPage: recordStart,
    bodyStartInPage: headerEnd,
    serialTypes: types,
    headerSizeInBytes: headerSize,
    payloadSize: computed,
    localPayloadSize: extent.local,
    firstOverflowPageNumber: extent.overflow,
    rowid,
    rowidBig,
    clobbered,
    rebuiltTypeCount: 0,
    choiceMade: false,
    headerSizeRebuilt: false,
    score: clobbered ? CandidateScore.clobberedExact : CandidateScore.intact,
    reasons,
  };
}

/** True when bytes [from, to) are the tail of one varint: continuation bits set except on the last. */
function isVarintTail(page: Uint8Array, from: number, to: number): boolean {
  for (let position = from; position < to; position++) {
    const continues = ((page[position] as number) & 0x80) !== 0;
    if (continues !== position < to - 1) return false;
  }
  return true;
}

interface LostPrefix {
  /** Varint length of each lost (or partly lost) leading serial type. */
  readonly lengths: readonly number[];
  /** Known low bits of the last lost type (its surviving trailing bytes). */
  readonly tailBits: number;
  readonly tailValue: number;
}

/** Ways `lostBytes` overwritten bytes at the start of the serial types can split into varints. */
function lostPrefixes(page: Uint8Array, typesStart: number, survivingStart: number, maximumFields: number): LostPrefix[] {
  const lostBytes = survivingStart - typesStart;
  const out: LostPrefix[] = [];
  const extend = (lengths: number[], covered: number): void => {
    if (lengths.length >= maximumFields) return;
    for (let length = 1; length <= maximumLostTypeVarintSize; length++) {
      const next = covered + length;
      const chosen = [...lengths, length];
      if (next < lostBytes) {
        extend(chosen, next);
        continue;
      }
      // This varint reaches the surviving bytes: its trailing bytes there must form a varint tail.
      const tailEnd = typesStart + next;
      if (tailEnd > survivingStart && !isVarintTail(page, survivingStart, tailEnd)) continue;
      let tailValue = 0;
      for (let position = survivingStart; position < tailEnd; position++) tailValue = tailValue * 128 + ((page[position] as number) & 0x7f);
      out.push({ lengths: chosen, tailBits: 7 * Math.max(0, tailEnd - survivingStart), tailValue });
    }
  };
  if (lostBytes > 0) extend([], 0);
  return out;
}

/**
 * A reading of an overwritten cell whose leading serial types are lost and must be chosen: the
 * structure (where the record starts, the serial types that survive) parsed once, resolved later
 * against end hints by `readingsForHints`.
 */
export interface PartialLayout {
  readonly at: number;
  readonly limit: number;
  readonly isTable: boolean;
  readonly prefix: number;
  readonly recordStart: number;
  readonly headerEnd: number;
  readonly headerSize: number;
  readonly known: readonly number[];
  readonly knownBody: number;
  readonly lost: LostPrefix;
  readonly lostFields: readonly FieldSignature[];
  readonly reasons: readonly string[];
}

export interface ClobberedLayouts {
  /** Readings whose serial types are all read or forced: each has its own extent. */
  readonly exact: CellCandidate[];
  /** Readings that need lost serial types chosen by an end hint. */
  readonly partial: PartialLayout[];
}

const reasonHeaderIntactTable = Object.freeze(['payload size and rowid overwritten by a freeblock header; record header intact']);
const reasonHeaderIntactIndex = Object.freeze(['payload size overwritten by a freeblock header; record header intact']);
const reasonHeaderSize = Object.freeze(['header-size byte overwritten by a freeblock header; rebuilt from the serial types']);
const reasonAlias = Object.freeze(['header size and leading serial type overwritten by a freeblock header', 'lost serial type of the INTEGER PRIMARY KEY column is always 0 (NULL)']);
const reasonChild = Object.freeze(['left-child pointer overwritten by a freeblock header (not needed)']);

/**
 * Every reading of a cell at `at` whose first 4 bytes were overwritten (by the freeblock header
 * that sits there), split into exact readings and partial ones that need an end hint.
 * `limit` is the cell's largest possible extent (region end, or the freeblock size at `at`).
 */
export function clobberedLayoutsAt(page: Uint8Array, at: number, limit: number, kind: FreedCellKind, signature: RecordSignature, usableSize: number): ClobberedLayouts {
  const exact: CellCandidate[] = [];
  const partial: PartialLayout[] = [];
  const surviving = at + FREEBLOCK_HEADER_SIZE_IN_BYTES;
  if (surviving >= limit) return { exact, partial };
  if (kind === 'index-interior') {
    // Only the left-child pointer is lost: the rest is an intact index-leaf cell.
    const cell = intactCellAt(page, surviving, limit, 'index-leaf', signature, usableSize);
    if (cell !== undefined) exact.push({ ...cell, cellStartInPage: at, clobbered: true, score: CandidateScore.clobberedExact, reasons: reasonChild });
    return { exact, partial };
  }
  const isTable = kind === 'table-leaf';
  const maximumPrefix = isTable ? 13 : 4;
  const minimumPrefix = isTable ? 2 : 1;
  for (let prefix = minimumPrefix; prefix <= maximumPrefix; prefix++) {
    const recordStart = at + prefix;
    if (recordStart >= surviving) {
      // The record header survives whole; the payload size and rowid are lost.
      if (isTable && !isVarintTail(page, surviving, recordStart)) continue;
      const cell = recordAt(page, at, recordStart, limit, kind, signature, usableSize, undefined, undefined, undefined, true, []);
      if (cell === undefined) continue;
      const payloadVarint = varintSize(cell.payloadSize);
      // P's varint plus the rowid's must fill exactly the bytes before the header, and the 4
      // overwritten bytes must cover all of P.
      const rowidVarint = prefix - payloadVarint;
      if (isTable ? payloadVarint > 4 || rowidVarint < 1 || rowidVarint > 9 || rowidVarint < prefix - FREEBLOCK_HEADER_SIZE_IN_BYTES : payloadVarint !== prefix) continue;
      exact.push({ ...cell, reasons: isTable ? reasonHeaderIntactTable : reasonHeaderIntactIndex });
      continue;
    }
    for (const headerVarint of [1, 2]) {
      const typesStart = recordStart + headerVarint;
      // Only the header-size varint straddles the overwritten bytes: its tail byte must fit.
      if (typesStart > surviving && !isVarintTail(page, surviving, typesStart)) continue;
      const prefixes: LostPrefix[] = typesStart >= surviving ? [noLostPrefix] : lostPrefixes(page, typesStart, surviving, signature.fields.length);
      for (const lost of prefixes) {
        const lostCount = lost.lengths.length;
        let knownStart = typesStart;
        for (const length of lost.lengths) knownStart += length;
        for (let fieldCount = signature.fields.length; fieldCount >= Math.max(signature.minimumFieldCount, lostCount); fieldCount--) {
          const known: number[] = [];
          const headerEnd = readTypesCounted(page, knownStart, limit, fieldCount - lostCount, signature, lostCount, known);
          if (headerEnd < 0) continue;
          const headerSize = headerEnd - recordStart;
          if (varintSize(headerSize) !== headerVarint) continue;
          if (typesStart > surviving && (headerSize & 0x7f) !== ((page[surviving] as number) & 0x7f)) continue;
          const knownBody = bodySizeOf(known);
          const lostFields = lost.lengths.map((_, index) => signature.fields[index] as FieldSignature);
          const layout: PartialLayout = {
            at,
            limit,
            isTable,
            prefix,
            recordStart,
            headerEnd,
            headerSize,
            known,
            knownBody,
            lost,
            lostFields,
            reasons: lostCount === 0 ? reasonHeaderSize : [`header size and ${lostCount} leading serial type(s) overwritten by a freeblock header`],
          };
          if (lostCount === 0) {
            const reading = readingOf(page, layout, [], headerSize + knownBody, false, CandidateScore.clobberedExact, undefined, usableSize);
            if (reading !== undefined) exact.push(reading);
            continue;
          }
          // Forced types (an INTEGER PRIMARY KEY alias is always NULL): no choice to make.
          if (lostFields.every((field) => field.storedAsNull)) {
            if (lost.lengths.every((length) => length === 1) && lost.tailBits === 0) {
              const reading = readingOf(page, { ...layout, reasons: reasonAlias }, lostFields.map(() => 0), headerSize + knownBody, false, CandidateScore.clobberedExact, undefined, usableSize);
              if (reading !== undefined) exact.push(reading);
            }
            continue;
          }
          partial.push(layout);
        }
      }
    }
  }
  return { exact, partial };
}

const noLostPrefix: LostPrefix = { lengths: [], tailBits: 0, tailValue: 0 };

function readingOf(page: Uint8Array, layout: PartialLayout, lostTypes: readonly number[], payloadSize: number, choiceMade: boolean, score: number, pinnedEnd: number | undefined, usableSize: number): CellCandidate | undefined {
  const payloadVarint = varintSize(payloadSize);
  if (layout.isTable ? layout.prefix - payloadVarint < 1 : payloadVarint !== layout.prefix) return undefined;
  const extent = cellExtent(page, layout.recordStart, payloadSize, usableSize, layout.isTable, layout.limit);
  if (extent === undefined) return undefined;
  return {
    cellStartInPage: layout.at,
    cellEndInPage: extent.end,
    recordStartInPage: layout.recordStart,
    bodyStartInPage: layout.headerEnd,
    serialTypes: lostTypes.length === 0 ? layout.known : [...lostTypes, ...layout.known],
    headerSizeInBytes: layout.headerSize,
    payloadSize,
    localPayloadSize: extent.local,
    firstOverflowPageNumber: extent.overflow,
    rowid: undefined,
    rowidBig: undefined,
    clobbered: true,
    rebuiltTypeCount: lostTypes.length,
    choiceMade,
    headerSizeRebuilt: true,
    score,
    reasons: layout.reasons,
    pinnedEnd,
  };
}

/**
 * Readings of partial layouts whose lost serial types are fixed by an end hint: the payload must
 * end exactly there (local payloads only: an overflowing payload's size is not pinned by its end),
 * so the lost bodies sum to a known size. Each reading is scored by its hint. A layout with more
 * than `maximumRebuildCombinations` choices yields an ambiguity marker (score −1).
 */
export function readingsForHints(page: Uint8Array, layouts: readonly PartialLayout[], hints: readonly EndHint[], usableSize: number): CellCandidate[] {
  const out: CellCandidate[] = [];
  for (const layout of layouts) {
    const maximumLocal = maximumLocalPayload(usableSize, layout.isTable);
    for (const hint of hints) {
      const payloadSize = hint.endInPage - layout.recordStart;
      if (payloadSize <= 0 || payloadSize > maximumLocal || hint.endInPage > layout.limit) continue;
      const remaining = payloadSize - layout.headerSize - layout.knownBody;
      if (remaining < 0) continue;
      const combinations = lostTypeCombinations(layout.lostFields, layout.lost, remaining);
      if (combinations === undefined) {
        out.push(ambiguityMarker(layout.at, hint, layout.lostFields.length));
        continue;
      }
      for (const combination of combinations) {
        const reading = readingOf(page, layout, combination, payloadSize, true, hint.score, hint.endInPage, usableSize);
        if (reading !== undefined) out.push(reading);
      }
    }
  }
  return out;
}

/** Every reading at `at`: exact ones, and partial ones resolved against `hints`. */
export function clobberedCellsAt(page: Uint8Array, at: number, limit: number, kind: FreedCellKind, signature: RecordSignature, usableSize: number, hints: readonly EndHint[]): CellCandidate[] {
  const layouts = clobberedLayoutsAt(page, at, limit, kind, signature, usableSize);
  return [...layouts.exact, ...readingsForHints(page, layouts.partial, hints, usableSize)];
}

interface TypeOptions {
  /** Fixed-size serial types (0–9) the field may take with this varint length, with their body sizes. */
  readonly fixed: readonly (readonly [number, number])[];
  /** Body-size range of TEXT (13 + 2s) and BLOB (12 + 2s) types of this varint length; empty when not allowed. */
  readonly textSizes: readonly [number, number];
  readonly blobSizes: readonly [number, number];
}

/** Types of a given varint length: [2^(7(L−1)), 2^(7L) − 1] (L = 1: [0, 127]). */
function sizeRange(base: number, varintLength: number): [number, number] {
  const low = varintLength === 1 ? 0 : 2 ** (7 * (varintLength - 1));
  const high = 2 ** (7 * varintLength) - 1;
  return [Math.max(0, Math.ceil((low - base) / 2)), Math.floor((high - base) / 2)];
}

function typeOptions(field: FieldSignature, varintLength: number): TypeOptions {
  const allowed = (type: number): boolean => serialTypeAllowed(field, type) && (field.storedAsNull || (classBitOfSerialType(type) & field.rebuildable) !== 0);
  const fixed: [number, number][] = [];
  if (varintLength === 1) for (const type of [0, 8, 9, 1, 2, 3, 4, 5, 6, 7]) if (allowed(type)) fixed.push([type, serialTypeSize(type)]);
  const none: [number, number] = [1, 0];
  return {
    fixed,
    textSizes: allowed(13) && !field.storedAsNull ? sizeRange(13, varintLength) : none,
    blobSizes: allowed(12) && !field.storedAsNull ? sizeRange(12, varintLength) : none,
  };
}

/** Assignments of serial types to the lost fields whose bodies sum to `remaining`; undefined when too many. */
function lostTypeCombinations(fields: readonly FieldSignature[], lost: LostPrefix, remaining: number): number[][] | undefined {
  const out: number[][] = [];
  const last = fields.length - 1;
  const options = fields.map((field, index) => typeOptions(field, lost.lengths[index] as number));
  const chosen: number[] = new Array<number>(fields.length).fill(0);
  const tailOk = (type: number): boolean => lost.tailBits === 0 || type % 2 ** lost.tailBits === lost.tailValue;
  const walk = (index: number, left: number): boolean => {
    const option = options[index] as TypeOptions;
    const emit = (type: number, size: number): boolean => {
      chosen[index] = type;
      if (index === last) {
        if (!tailOk(type)) return true;
        out.push([...chosen]);
        return out.length <= maximumRebuildCombinations;
      }
      return walk(index + 1, left - size);
    };
    for (const [type, size] of option.fixed) if ((index === last ? size === left : size <= left) && !emit(type, size)) return false;
    for (const [base, range] of [
      [13, option.textSizes],
      [12, option.blobSizes],
    ] as const) {
      const from = index === last ? Math.max(range[0], left) : range[0];
      const to = Math.min(range[1], left);
      for (let size = from; size <= to; size++) if (!emit(base + 2 * size, size)) return false;
    }
    return true;
  };
  return walk(0, remaining) ? out : undefined;
}

/** A reading too ambiguous to enumerate: reported by the caller as an ambiguity, never decoded. */
function ambiguityMarker(at: number, hint: EndHint, lostCount: number): CellCandidate {
  return {
    cellStartInPage: at,
    cellEndInPage: hint.endInPage,
    recordStartInPage: at,
    bodyStartInPage: at,
    serialTypes: [],
    headerSizeInBytes: 0,
    payloadSize: 0,
    localPayloadSize: 0,
    firstOverflowPageNumber: 0,
    rowid: undefined,
    rowidBig: undefined,
    clobbered: true,
    rebuiltTypeCount: lostCount,
    choiceMade: true,
    headerSizeRebuilt: true,
    score: -1,
    reasons: [`more than ${maximumRebuildCombinations} ways to rebuild ${lostCount} lost serial type(s)`],
    pinnedEnd: undefined,
  };
}

/**
 * True when the 4 bytes at `at` can be a freeblock header (current or stale): a size of at least 4
 * that stays inside the page, and a next pointer that is 0 or lies beyond this block (SQLite keeps
 * the chain ascending and merges blocks less than 4 bytes apart).
 */
export function looksLikeFreeblockHeader(page: Uint8Array, at: number, usableSize: number): boolean {
  if (at + 4 > usableSize || at + 4 > page.length) return false;
  const next = u16beUnchecked(page, at);
  const size = u16beUnchecked(page, at + 2);
  if (size < 4 || at + size > usableSize) return false;
  return next === 0 || (next > at + size + 3 - 1 && next + 4 <= usableSize);
}

export function freeblockSizeAt(page: Uint8Array, at: number): number {
  return at + 4 <= page.length ? u16beUnchecked(page, at + 2) : 0;
}
