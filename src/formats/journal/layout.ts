/**
 * SQLite rollback journal (`-journal`): segment header and page record.
 * Spec: https://www.sqlite.org/fileformat2.html#the_rollback_journal
 * Every integer is big-endian.
 *
 * Segment header (padded with zeros to the sector size; the first one starts the file, each later
 * one starts at the next multiple of the sector size after the previous segment's records)
 * | Offset | Size | Field                        | Notes                                                |
 * |--------|------|------------------------------|------------------------------------------------------|
 * | 0      | 8    | magic                        | D9 D5 05 F9 20 A1 63 D7; zero until the journal is synced |
 * | 8      | 4    | page-record count            | 0xFFFFFFFF: records run to the end of the file; 0: none rolled back (unsynced records may follow) |
 * | 12     | 4    | checksum nonce               | random, per segment                                  |
 * | 16     | 4    | initial database size        | in pages, before the transaction                     |
 * | 20     | 4    | sector size                  | power of two 32..65536; the header occupies this many bytes |
 * | 24     | 4    | database page size           | power of two 512..65536 (0 before SQLite 3.5.8)      |
 *
 * Page record (page size + 8 bytes, records back to back after the header's sector)
 * | Offset        | Size      | Field       | Notes                                                |
 * |---------------|-----------|-------------|------------------------------------------------------|
 * | 0             | 4         | page number | 0 is never valid                                     |
 * | 4             | page size | page image  | the page before the transaction (a pre-image)        |
 * | 4 + page size | 4         | checksum    | nonce + the bytes at page offsets size−200, size−400, … (> 0), mod 2^32 |
 *
 * Journal modes: DELETE deletes the file at commit, TRUNCATE truncates it to 0 bytes, PERSIST
 * overwrites the first 28 bytes with zeros (the records stay).
 */

/** The 8-byte journal magic. */
export const JOURNAL_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7);
/** Bytes of the header that carry fields (the rest of the sector is padding). */
export const JOURNAL_HEADER_FIELDS_SIZE_IN_BYTES = 28;
/** Bytes of a record around the page image: 4-byte page number + 4-byte checksum. */
export const JOURNAL_RECORD_OVERHEAD_IN_BYTES = 8;
/** Page-record count meaning "the rest of the file is records, no more headers" (written without sync). */
export const JOURNAL_RECORD_COUNT_TO_END_OF_FILE = 0xffff_ffff;
/** The checksum samples one byte every this many bytes, from the end of the page backwards. */
export const JOURNAL_CHECKSUM_SAMPLE_STRIDE_IN_BYTES = 200;
/** SQLite's smallest accepted sector size (readJournalHdr). */
export const minimumJournalSectorSizeInBytes = 32;
/** SQLite's MAX_SECTOR_SIZE. */
export const maximumJournalSectorSizeInBytes = 65_536;
/** Sector sizes tried when a zeroed header hides where the records start. */
export const candidateJournalSectorSizesInBytes: readonly number[] = [512, 1024, 2048, 4096, 8192, 16_384, 32_768, 65_536];
/** Page sizes tried when neither the header nor the caller gives one. */
export const candidateJournalPageSizesInBytes: readonly number[] = [512, 1024, 2048, 4096, 8192, 16_384, 32_768, 65_536];

/** Field offsets inside a segment header. */
export const JournalHeaderField = {
  magic: 0,
  recordCount: 8,
  nonce: 12,
  initialDatabaseSizeInPages: 16,
  sectorSize: 20,
  pageSize: 24,
} as const;

export function journalRecordSizeInBytes(pageSize: number): number {
  return pageSize + JOURNAL_RECORD_OVERHEAD_IN_BYTES;
}

function isPowerOfTwoIn(value: number, minimum: number, maximum: number): boolean {
  return Number.isInteger(value) && value >= minimum && value <= maximum && (value & (value - 1)) === 0;
}

export function isValidJournalSectorSize(value: number): boolean {
  return isPowerOfTwoIn(value, minimumJournalSectorSizeInBytes, maximumJournalSectorSizeInBytes);
}

export function isValidJournalPageSize(value: number): boolean {
  return isPowerOfTwoIn(value, 512, 65_536);
}
