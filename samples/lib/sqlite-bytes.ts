/**
 * Byte builders for SQLite structures (tier-1 tests build their inputs in code with these).
 * Spec: https://www.sqlite.org/fileformat2.html (and shared/docs/sqlite.md §1).
 *
 * Deliberately independent of src/: the overflow arithmetic and the varint encoder are written
 * out again here, so a test that builds bytes with these and parses them with src/ checks two
 * implementations against each other rather than one against itself.
 */

const encoder = new TextEncoder();

/** A SQLite varint, always in the shortest form SQLite itself writes. */
export function varint(input: number | bigint): Uint8Array {
  let value = BigInt.asUintN(64, BigInt(input));
  if (value > 0x00ffffffffffffffn) {
    const out = new Uint8Array(9);
    out[8] = Number(value & 0xffn);
    value >>= 8n;
    for (let index = 7; index >= 0; index--) {
      out[index] = Number(value & 0x7fn) | 0x80;
      value >>= 7n;
    }
    return out;
  }
  const groups: number[] = [];
  do {
    groups.unshift(Number(value & 0x7fn));
    value >>= 7n;
  } while (value > 0n);
  return Uint8Array.from(groups.map((group, index) => (index < groups.length - 1 ? group | 0x80 : group)));
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function writeU16(target: Uint8Array, at: number, value: number): void {
  target[at] = (value >>> 8) & 0xff;
  target[at + 1] = value & 0xff;
}

function writeU32(target: Uint8Array, at: number, value: number): void {
  target[at] = (value >>> 24) & 0xff;
  target[at + 1] = (value >>> 16) & 0xff;
  target[at + 2] = (value >>> 8) & 0xff;
  target[at + 3] = value & 0xff;
}

export interface SqliteHeaderOptions {
  /** Page size in bytes; 65536 is stored as 1. Default 512. */
  readonly pageSize?: number;
  /** Raw page-size field, overriding `pageSize` (for invalid values). */
  readonly pageSizeField?: number;
  readonly writeVersion?: number;
  readonly readVersion?: number;
  readonly reservedBytesPerPage?: number;
  readonly payloadFractions?: readonly [number, number, number];
  readonly fileChangeCounter?: number;
  readonly databaseSizeInPages?: number;
  readonly firstFreelistTrunkPage?: number;
  readonly freelistPageCount?: number;
  readonly schemaCookie?: number;
  readonly schemaFormatNumber?: number;
  readonly largestRootBtreePage?: number;
  /** 1 UTF-8, 2 UTF-16le, 3 UTF-16be. Default 1. */
  readonly textEncoding?: number;
  readonly userVersion?: number;
  readonly applicationId?: number;
  /** Default: equal to the change counter (so the in-header size is trusted). */
  readonly versionValidFor?: number;
  readonly sqliteVersionNumber?: number;
}

/** The 100-byte database header. */
export function sqliteHeader(options: SqliteHeaderOptions = {}): Uint8Array {
  const out = new Uint8Array(100);
  out.set(encoder.encode('SQLite format 3\u0000'), 0);
  const pageSize = options.pageSize ?? 512;
  writeU16(out, 16, options.pageSizeField ?? (pageSize === 65_536 ? 1 : pageSize));
  out[18] = options.writeVersion ?? 1;
  out[19] = options.readVersion ?? 1;
  out[20] = options.reservedBytesPerPage ?? 0;
  const [maximumFraction, minimumFraction, leafFraction] = options.payloadFractions ?? [64, 32, 32];
  out[21] = maximumFraction;
  out[22] = minimumFraction;
  out[23] = leafFraction;
  const changeCounter = options.fileChangeCounter ?? 1;
  writeU32(out, 24, changeCounter);
  writeU32(out, 28, options.databaseSizeInPages ?? 1);
  writeU32(out, 32, options.firstFreelistTrunkPage ?? 0);
  writeU32(out, 36, options.freelistPageCount ?? 0);
  writeU32(out, 40, options.schemaCookie ?? 1);
  writeU32(out, 44, options.schemaFormatNumber ?? 4);
  writeU32(out, 48, 0);
  writeU32(out, 52, options.largestRootBtreePage ?? 0);
  writeU32(out, 56, options.textEncoding ?? 1);
  writeU32(out, 60, options.userVersion ?? 0);
  writeU32(out, 64, 0);
  writeU32(out, 68, options.applicationId ?? 0);
  writeU32(out, 92, options.versionValidFor ?? changeCounter);
  writeU32(out, 96, options.sqliteVersionNumber ?? 3_040_001);
  return out;
}

/** A record field: the value and, optionally, the exact serial type and body to write. */
export type RecordField =
  | null
  | number
  | bigint
  | string
  | Uint8Array
  | { readonly real: number }
  | { readonly integer: number | bigint; readonly size: 1 | 2 | 3 | 4 | 6 | 8 }
  | { readonly text: string; readonly encoding: 'utf-8' | 'utf-16le' | 'utf-16be' }
  | { readonly serialType: number; readonly body?: Uint8Array };

function integerBody(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let rest = BigInt.asUintN(size * 8, value);
  for (let index = size - 1; index >= 0; index--) {
    out[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** Smallest serial type SQLite would use for an integer (schema format 4: 0 and 1 are types 8/9). */
function integerSerialType(value: bigint): { serialType: number; size: number } {
  if (value === 0n) return { serialType: 8, size: 0 };
  if (value === 1n) return { serialType: 9, size: 0 };
  const sizes: [number, number][] = [
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [5, 6],
    [6, 8],
  ];
  for (const [serialType, size] of sizes) {
    const limit = 1n << BigInt(size * 8 - 1);
    if (value >= -limit && value < limit) return { serialType, size };
  }
  return { serialType: 6, size: 8 };
}

function encodeText(text: string, encoding: 'utf-8' | 'utf-16le' | 'utf-16be'): Uint8Array {
  if (encoding === 'utf-8') return encoder.encode(text);
  const out = new Uint8Array(text.length * 2);
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (encoding === 'utf-16le') {
      out[2 * index] = unit & 0xff;
      out[2 * index + 1] = unit >>> 8;
    } else {
      out[2 * index] = unit >>> 8;
      out[2 * index + 1] = unit & 0xff;
    }
  }
  return out;
}

function fieldParts(field: RecordField): { serialType: number; body: Uint8Array } {
  if (field === null) return { serialType: 0, body: new Uint8Array(0) };
  if (typeof field === 'number' || typeof field === 'bigint') {
    const value = BigInt(field);
    const { serialType, size } = integerSerialType(value);
    return { serialType, body: integerBody(value, size) };
  }
  if (typeof field === 'string') {
    const body = encoder.encode(field);
    return { serialType: 13 + 2 * body.length, body };
  }
  if (field instanceof Uint8Array) return { serialType: 12 + 2 * field.length, body: field };
  if ('real' in field) {
    const body = new Uint8Array(8);
    new DataView(body.buffer).setFloat64(0, field.real, false);
    return { serialType: 7, body };
  }
  if ('integer' in field) {
    const serialType = { 1: 1, 2: 2, 3: 3, 4: 4, 6: 5, 8: 6 }[field.size];
    return { serialType, body: integerBody(BigInt(field.integer), field.size) };
  }
  if ('text' in field) {
    const body = encodeText(field.text, field.encoding);
    return { serialType: 13 + 2 * body.length, body };
  }
  return { serialType: field.serialType, body: field.body ?? new Uint8Array(0) };
}

/** Header size of a record whose serial-type varints take `typesSize` bytes (the size counts itself). */
function headerSizeFor(typesSize: number): number {
  let size = typesSize + 1;
  while (varint(size).length + typesSize !== size) size = varint(size).length + typesSize;
  return size;
}

/** A record: header-size varint, serial-type varints, then the bodies back to back. */
export function record(fields: readonly RecordField[]): Uint8Array {
  const parts = fields.map(fieldParts);
  const types = concatBytes(parts.map((part) => varint(part.serialType)));
  const headerSize = headerSizeFor(types.length);
  return concatBytes([varint(headerSize), types, ...parts.map((part) => part.body)]);
}

/** Most payload bytes kept on the page (sqlite.md §1.7), written out independently of src/. */
export function maximumLocal(usableSize: number, isTable: boolean): number {
  return isTable ? usableSize - 35 : Math.trunc(((usableSize - 12) * 64) / 255) - 23;
}

export function minimumLocal(usableSize: number): number {
  return Math.trunc(((usableSize - 12) * 32) / 255) - 23;
}

export function localSize(payloadSize: number, usableSize: number, isTable: boolean): number {
  const maximum = maximumLocal(usableSize, isTable);
  if (payloadSize <= maximum) return payloadSize;
  const minimum = minimumLocal(usableSize);
  const k = minimum + ((payloadSize - minimum) % (usableSize - 4));
  return k <= maximum ? k : minimum;
}

export interface CellOptions {
  /** Usable page size, for the local/overflow split. Default 512. */
  readonly usableSize?: number;
  /** First overflow page written after the local part when the payload spills. Default 0. */
  readonly overflowPage?: number;
  /** Payload-size field to write instead of the real length (for damaged cells). */
  readonly payloadSizeField?: number | bigint;
}

/** Local part of `payload` plus the overflow pointer, when the payload spills. */
function localAndOverflow(payload: Uint8Array, options: CellOptions, isTable: boolean): Uint8Array[] {
  const usableSize = options.usableSize ?? 512;
  const local = localSize(payload.length, usableSize, isTable);
  if (local >= payload.length) return [payload];
  const pointer = new Uint8Array(4);
  writeU32(pointer, 0, options.overflowPage ?? 0);
  return [payload.subarray(0, local), pointer];
}

/** Table-leaf cell (page type 0x0d): payload size, rowid, local payload, overflow pointer if it spills. */
export function tableLeafCell(rowid: number | bigint, payload: Uint8Array, options: CellOptions = {}): Uint8Array {
  return concatBytes([varint(options.payloadSizeField ?? payload.length), varint(rowid), ...localAndOverflow(payload, options, true)]);
}

/** Index-leaf cell (0x0a): payload size, local payload, overflow pointer if it spills. */
export function indexLeafCell(payload: Uint8Array, options: CellOptions = {}): Uint8Array {
  return concatBytes([varint(options.payloadSizeField ?? payload.length), ...localAndOverflow(payload, options, false)]);
}

/** Index-interior cell (0x02): left child, payload size, local payload, overflow pointer. */
export function indexInteriorCell(leftChild: number, payload: Uint8Array, options: CellOptions = {}): Uint8Array {
  const child = new Uint8Array(4);
  writeU32(child, 0, leftChild);
  return concatBytes([child, varint(options.payloadSizeField ?? payload.length), ...localAndOverflow(payload, options, false)]);
}

/** Table-interior cell (0x05): left child page, rowid key. */
export function tableInteriorCell(leftChild: number, rowid: number | bigint): Uint8Array {
  const child = new Uint8Array(4);
  writeU32(child, 0, leftChild);
  return concatBytes([child, varint(rowid)]);
}

export interface BtreePageOptions {
  /** 0x02, 0x05, 0x0a or 0x0d (any byte, for damaged pages). */
  readonly type: number;
  readonly cells?: readonly Uint8Array[];
  /** Default 512. */
  readonly pageSize?: number;
  /** Default `pageSize` (reserved bytes form a trailer filled with `reservedFill`). */
  readonly usableSize?: number;
  /** 100 on page 1. Default 0. */
  readonly headerOffset?: number;
  readonly rightChild?: number;
  readonly firstFreeblock?: number;
  readonly fragmentedBytes?: number;
  /** Overrides for damaged pages. */
  readonly cellCountField?: number;
  readonly contentStartField?: number;
  /** Cell pointers to write instead of the computed ones. */
  readonly cellPointers?: readonly number[];
  /** Bytes to place at the start of the page before the header (page 1: the database header). */
  readonly prefix?: Uint8Array;
}

export interface BuiltPage {
  readonly bytes: Uint8Array;
  /** In-page offset of each cell, in the order given. */
  readonly cellOffsets: readonly number[];
  readonly contentStart: number;
}

/**
 * A b-tree page: header at `headerOffset`, the cell-pointer array, then the cells packed from the
 * end of the usable area down (first cell highest, as SQLite fills a fresh page).
 */
export function btreePageWithOffsets(options: BtreePageOptions): BuiltPage {
  const pageSize = options.pageSize ?? 512;
  const usableSize = options.usableSize ?? pageSize;
  const headerOffset = options.headerOffset ?? 0;
  const bytes = new Uint8Array(pageSize);
  if (options.prefix !== undefined) bytes.set(options.prefix, 0);
  const interior = options.type === 0x02 || options.type === 0x05;
  const headerSize = interior ? 12 : 8;
  const cells = options.cells ?? [];
  let contentStart = usableSize;
  const cellOffsets: number[] = [];
  for (const cell of cells) {
    contentStart -= cell.length;
    if (contentStart < headerOffset + headerSize + 2 * cells.length) throw new Error('btreePage: cells do not fit');
    bytes.set(cell, contentStart);
    cellOffsets.push(contentStart);
  }
  bytes[headerOffset] = options.type;
  writeU16(bytes, headerOffset + 1, options.firstFreeblock ?? 0);
  writeU16(bytes, headerOffset + 3, options.cellCountField ?? cells.length);
  writeU16(bytes, headerOffset + 5, options.contentStartField ?? (contentStart === 65_536 ? 0 : contentStart));
  bytes[headerOffset + 7] = options.fragmentedBytes ?? 0;
  if (interior) writeU32(bytes, headerOffset + 8, options.rightChild ?? 0);
  const pointers = options.cellPointers ?? cellOffsets;
  pointers.forEach((pointer, index) => writeU16(bytes, headerOffset + headerSize + 2 * index, pointer));
  return { bytes, cellOffsets, contentStart };
}

export function btreePage(options: BtreePageOptions): Uint8Array {
  return btreePageWithOffsets(options).bytes;
}

/** An overflow page: 4-byte next page (0 = last), then payload bytes. */
export function overflowPage(nextPage: number, data: Uint8Array, pageSize = 512): Uint8Array {
  const bytes = new Uint8Array(pageSize);
  writeU32(bytes, 0, nextPage);
  bytes.set(data.subarray(0, pageSize - 4), 4);
  return bytes;
}

/** A freelist trunk page: next trunk, leaf count (or `leafCountField`), leaf page numbers. */
export function freelistTrunkPage(nextTrunk: number, leaves: readonly number[], pageSize = 512, leafCountField?: number): Uint8Array {
  const bytes = new Uint8Array(pageSize);
  writeU32(bytes, 0, nextTrunk);
  writeU32(bytes, 4, leafCountField ?? leaves.length);
  leaves.forEach((leaf, index) => writeU32(bytes, 8 + 4 * index, leaf));
  return bytes;
}

/** Pages back to back, each padded (or cut) to `pageSize`. */
export function databaseImage(pages: readonly Uint8Array[], pageSize = 512): Uint8Array {
  const out = new Uint8Array(pages.length * pageSize);
  pages.forEach((page, index) => out.set(page.subarray(0, pageSize), index * pageSize));
  return out;
}

/**
 * Page 1: the database header followed by a table-leaf (or interior) b-tree page for
 * sqlite_schema whose header starts at offset 100.
 */
export function firstPage(header: SqliteHeaderOptions, page: Omit<BtreePageOptions, 'headerOffset' | 'prefix'>): Uint8Array {
  return btreePage({ ...page, pageSize: header.pageSize ?? page.pageSize ?? 512, headerOffset: 100, prefix: sqliteHeader(header) });
}

/** A sqlite_schema row: (type, name, tbl_name, rootpage, sql). */
export function schemaRow(type: string, name: string, rootPage: number, sql: string | null, tableName = name): Uint8Array {
  return record([type, name, tableName, rootPage, sql]);
}
