/**
 * SQLite database file: header and b-tree page layout.
 * Spec: https://www.sqlite.org/fileformat2.html
 * Every multi-byte integer is big-endian.
 *
 * Database header (page 1, bytes 0–99)
 * | Offset | Size | Field                        | Notes                                        |
 * |--------|------|------------------------------|----------------------------------------------|
 * | 0      | 16   | magic "SQLite format 3\0"    | carving anchor                               |
 * | 16     | 2    | page size                    | 1 means 65536                                |
 * | 18     | 1    | write version                | 1 legacy, 2 WAL                              |
 * | 19     | 1    | read version                 |                                              |
 * | 20     | 1    | reserved bytes per page      | usable size U = page size − reserved         |
 * | 21..23 | 1×3  | payload fractions            | must be 64 / 32 / 32                         |
 * | 24     | 4    | file change counter          |                                              |
 * | 28     | 4    | in-header database size      | valid only if non-zero and 24 == 92          |
 * | 32     | 4    | first freelist trunk page    |                                              |
 * | 36     | 4    | total freelist pages         |                                              |
 * | 40     | 4    | schema cookie                |                                              |
 * | 44     | 4    | schema format number         | 1–4                                          |
 * | 48     | 4    | default page cache size      |                                              |
 * | 52     | 4    | largest root b-tree page     | non-zero: auto-vacuum, pointer-map pages     |
 * | 56     | 4    | text encoding                | 1 UTF-8, 2 UTF-16le, 3 UTF-16be              |
 * | 60     | 4    | user version                 |                                              |
 * | 64     | 4    | incremental-vacuum mode      |                                              |
 * | 68     | 4    | application id               |                                              |
 * | 72     | 20   | reserved for expansion       | zero                                         |
 * | 92     | 4    | version-valid-for            |                                              |
 * | 96     | 4    | SQLite version number        |                                              |
 *
 * B-tree page header (offset 0 of the page, 100 on page 1)
 * | Offset | Size | Field                                  |
 * |--------|------|----------------------------------------|
 * | 0      | 1    | page type 0x02, 0x05, 0x0a, 0x0d       |
 * | 1      | 2    | first freeblock (0 = none)             |
 * | 3      | 2    | cell count                             |
 * | 5      | 2    | cell content start (0 means 65536)     |
 * | 7      | 1    | fragmented free bytes                  |
 * | 8      | 4    | right-most child (interior pages only) |
 */
import { Parser } from 'binary-parser';

export const DATABASE_HEADER_SIZE_IN_BYTES = 100;
export const SQLITE_MAGIC = new TextEncoder().encode('SQLite format 3\u0000');

export const PageType = {
  indexInterior: 0x02,
  tableInterior: 0x05,
  indexLeaf: 0x0a,
  tableLeaf: 0x0d,
} as const;
export type PageType = (typeof PageType)[keyof typeof PageType];

export const LEAF_HEADER_SIZE_IN_BYTES = 8;
export const INTERIOR_HEADER_SIZE_IN_BYTES = 12;

export const TextEncoding = { utf8: 1, utf16le: 2, utf16be: 3 } as const;
export type TextEncoding = (typeof TextEncoding)[keyof typeof TextEncoding];

export function isPageType(value: number): value is PageType {
  return value === 0x02 || value === 0x05 || value === 0x0a || value === 0x0d;
}

export function isLeaf(type: PageType): boolean {
  return type === PageType.tableLeaf || type === PageType.indexLeaf;
}

export function isTablePage(type: PageType): boolean {
  return type === PageType.tableLeaf || type === PageType.tableInterior;
}

/** Raw header fields as stored (binary-parser declaration at module scope: compiled once). */
export const databaseHeaderLayout = new Parser()
  .endianness('big')
  .buffer('magic', { length: 16 })
  .uint16('pageSizeField')
  .uint8('writeVersion')
  .uint8('readVersion')
  .uint8('reservedBytesPerPage')
  .uint8('maximumEmbeddedPayloadFraction')
  .uint8('minimumEmbeddedPayloadFraction')
  .uint8('leafPayloadFraction')
  .uint32('fileChangeCounter')
  .uint32('databaseSizeInPagesField')
  .uint32('firstFreelistTrunkPage')
  .uint32('freelistPageCount')
  .uint32('schemaCookie')
  .uint32('schemaFormatNumber')
  .uint32('defaultPageCacheSize')
  .uint32('largestRootBtreePage')
  .uint32('textEncodingField')
  .uint32('userVersion')
  .uint32('incrementalVacuumMode')
  .uint32('applicationId')
  .buffer('reservedForExpansion', { length: 20 })
  .uint32('versionValidFor')
  .uint32('sqliteVersionNumber');

export interface DatabaseHeaderFields {
  readonly magic: Uint8Array;
  readonly pageSizeField: number;
  readonly writeVersion: number;
  readonly readVersion: number;
  readonly reservedBytesPerPage: number;
  readonly maximumEmbeddedPayloadFraction: number;
  readonly minimumEmbeddedPayloadFraction: number;
  readonly leafPayloadFraction: number;
  readonly fileChangeCounter: number;
  readonly databaseSizeInPagesField: number;
  readonly firstFreelistTrunkPage: number;
  readonly freelistPageCount: number;
  readonly schemaCookie: number;
  readonly schemaFormatNumber: number;
  readonly defaultPageCacheSize: number;
  readonly largestRootBtreePage: number;
  readonly textEncodingField: number;
  readonly userVersion: number;
  readonly incrementalVacuumMode: number;
  readonly applicationId: number;
  readonly reservedForExpansion: Uint8Array;
  readonly versionValidFor: number;
  readonly sqliteVersionNumber: number;
}
