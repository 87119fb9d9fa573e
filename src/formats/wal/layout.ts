/**
 * SQLite write-ahead log (`-wal`): file header and frame header.
 * Spec: https://www.sqlite.org/fileformat2.html#walformat
 * Every header field is a big-endian 32-bit unsigned integer. The one exception is the checksum:
 * it sums the covered bytes as 32-bit words in the byte order the magic names (see checksum.ts).
 *
 * WAL header (32 bytes, at the start of the file)
 * | Offset | Size | Field                    | Notes                                                  |
 * |--------|------|--------------------------|--------------------------------------------------------|
 * | 0      | 4    | magic                    | 0x377f0682: little-endian checksum words; 0x377f0683: big-endian |
 * | 4      | 4    | file format version      | 3007000                                                |
 * | 8      | 4    | database page size       | power of two, 512..65536                               |
 * | 12     | 4    | checkpoint sequence      | incremented at every WAL restart                       |
 * | 16     | 4    | salt-1                   | incremented at every WAL restart                       |
 * | 20     | 4    | salt-2                   | a fresh random value at every restart                  |
 * | 24     | 4    | checksum-1               | over header bytes 0–23, starting from (0, 0)           |
 * | 28     | 4    | checksum-2               |                                                        |
 *
 * Frame (24-byte header, then one page image of `page size` bytes); frame k (from 1) starts at
 * 32 + (k − 1) × (24 + page size)
 * | Offset | Size | Field                    | Notes                                                  |
 * |--------|------|--------------------------|--------------------------------------------------------|
 * | 0      | 4    | page number              | 0 is never valid                                       |
 * | 4      | 4    | database size after commit | in pages, on a commit frame; 0 on every other frame  |
 * | 8      | 4    | salt-1                   | copied from the header when the frame was written      |
 * | 12     | 4    | salt-2                   |                                                        |
 * | 16     | 4    | checksum-1               | cumulative: previous frame's pair (the header's for frame 1), |
 * | 20     | 4    | checksum-2               | then frame bytes 0–7, then the whole page image        |
 */

import { WAL_FRAME_HEADER_SIZE_IN_BYTES } from '../../provenance/path.js';

/**
 * WAL header size (32 bytes) and frame-header size (24 bytes): declared once in provenance, which
 * needs them to fold a `wal-frame` layer back to an image offset.
 */
export { WAL_HEADER_SIZE_IN_BYTES, WAL_FRAME_HEADER_SIZE_IN_BYTES } from '../../provenance/path.js';
/** Magic for checksum words read little-endian (what x86 and ARM write). */
export const WAL_MAGIC_LITTLE_ENDIAN = 0x377f0682;
/** Magic for checksum words read big-endian. */
export const WAL_MAGIC_BIG_ENDIAN = 0x377f0683;
/** The only WAL format version SQLite has ever written (WAL_MAX_VERSION). */
export const WAL_FORMAT_VERSION = 3_007_000;
/** Header bytes covered by the header checksum: 0–23. */
export const WAL_HEADER_CHECKSUM_COVERAGE_IN_BYTES = 24;
/** Frame-header bytes covered by the frame checksum: 0–7 (page number, commit size). */
export const WAL_FRAME_HEADER_CHECKSUM_COVERAGE_IN_BYTES = 8;

/** Field offsets inside the WAL header. */
export const WalHeaderField = {
  magic: 0,
  formatVersion: 4,
  pageSize: 8,
  checkpointSequence: 12,
  salt1: 16,
  salt2: 20,
  checksum1: 24,
  checksum2: 28,
} as const;

/** Field offsets inside a frame header. */
export const WalFrameField = {
  pageNumber: 0,
  commitSizeInPages: 4,
  salt1: 8,
  salt2: 12,
  checksum1: 16,
  checksum2: 20,
} as const;

/** Size in bytes of one frame for a given page size. */
export function walFrameSizeInBytes(pageSize: number): number {
  return WAL_FRAME_HEADER_SIZE_IN_BYTES + pageSize;
}

/** True for a power of two in 512..65536, the page sizes SQLite accepts in a WAL header. */
export function isValidWalPageSize(pageSize: number): boolean {
  return Number.isInteger(pageSize) && pageSize >= 512 && pageSize <= 65_536 && (pageSize & (pageSize - 1)) === 0;
}
