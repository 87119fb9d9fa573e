/**
 * Issue codes raised by the WAL parser (a closed union, so `--fail-on` values are type-checked).
 */
export const WalIssueCode = {
  /** The header magic starts the file but fewer than 32 bytes follow. */
  headerTruncated: 'wal.header.truncated',
  /** Version and page size look like a WAL header, the magic does not (repaired when the header checksum names the byte order). */
  headerBadMagic: 'wal.header.bad-magic',
  /** Format version other than 3007000; SQLite would refuse the file. */
  headerVersionUnsupported: 'wal.header.version-unsupported',
  /** Page size not a power of two in 512..65536: frames cannot be located. */
  headerPageSizeInvalid: 'wal.header.page-size-invalid',
  /** Stored header checksum differs from the computed one; SQLite would ignore every frame. */
  headerChecksumMismatch: 'wal.header.checksum-mismatch',
  /** The last frame has fewer than 24 + page size bytes. */
  frameTruncated: 'wal.frame.truncated',
  /** A frame's checksum does not continue its predecessor's stored pair. */
  frameChecksumMismatch: 'wal.frame.checksum-mismatch',
  /** A frame's salts start a different generation than the header's, or are damaged. */
  frameSaltMismatch: 'wal.frame.salt-mismatch',
  /** Page number 0, which SQLite never writes. */
  framePageNumberInvalid: 'wal.frame.page-number-invalid',
  /** Salts and checksums are zero: appended after an in-place rewrite, before commit. */
  frameZeroed: 'wal.frame.zeroed',
} as const;
export type WalIssueCode = (typeof WalIssueCode)[keyof typeof WalIssueCode];
