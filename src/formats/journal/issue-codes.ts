/**
 * Issue codes raised by the rollback-journal parser (a closed union).
 */
export const JournalIssueCode = {
  /** The magic (or a prefix of it) starts the bytes but the 28 header bytes are not all there. */
  headerTruncated: 'journal.header.truncated',
  /** Sector and page size fit, the magic differs in one or two bytes: parsed as a damaged header. */
  headerBadMagic: 'journal.header.bad-magic',
  /** The first 28 bytes are zero (PERSIST mode after commit): layout and nonce were inferred. */
  headerZeroed: 'journal.header.zeroed',
  /** Magic and record count are zero, the rest written: a header SQLite had not synced yet. */
  headerUnsynced: 'journal.header.unsynced',
  /** Sector size not a power of two in 32..65536. */
  headerSectorSizeInvalid: 'journal.header.sector-size-invalid',
  /** Page size not a power of two in 512..65536 (and no page size from the caller for 0). */
  headerPageSizeInvalid: 'journal.header.page-size-invalid',
  /** Stored record checksum differs from nonce + sampled bytes. */
  recordChecksumMismatch: 'journal.record.checksum-mismatch',
  /** The bytes end inside a page record. */
  recordTruncated: 'journal.record.truncated',
  /** Page number 0, or above the database size the header gives. */
  recordPageNumberInvalid: 'journal.record.page-number-invalid',
  /** Records follow a header whose record count is 0 (not synced; SQLite would not roll them back). */
  recordUnsynced: 'journal.record.unsynced',
  /** Records with a different, self-consistent nonce after the segments: left by an earlier transaction. */
  segmentLeftover: 'journal.segment.leftover',
} as const;
export type JournalIssueCode = (typeof JournalIssueCode)[keyof typeof JournalIssueCode];
