/**
 * What the window scan looks for, as data: the structures, where they may start (their alignment
 * in the image), the magic bytes that anchor them and the limits that bound every check. The scan
 * loop (scan-window.ts) reads these tables; a heuristic is changed here, not inside the loop.
 *
 * Alignment, and why it is safe:
 * - A file system stores a file from a sector boundary, so a database, a WAL and a journal start
 *   at a multiple of 512 in the image. Database pages are multiples of 512 bytes, so every page of
 *   a contiguous database starts at a 512-byte boundary too.
 * - WAL frames sit at 32 + (k − 1) × (24 + page size) from the WAL's start, and journal page
 *   records at sector size + k × (page size + 8): both are multiples of 8 from a 512-aligned
 *   start, so frames and records are looked for at every 8-byte boundary.
 */
import { SQLITE_MAGIC } from '../formats/sqlite/layout.js';
import { JOURNAL_MAGIC } from '../formats/journal/layout.js';
import { WAL_FORMAT_VERSION, WAL_MAGIC_BIG_ENDIAN, WAL_MAGIC_LITTLE_ENDIAN } from '../formats/wal/layout.js';

/** Kinds of hit, as stored in `PackedHits.kinds` (a const object: no enums). */
export const HitKind = {
  sqliteHeader: 1,
  btreePage: 2,
  freelistTrunk: 3,
  walHeader: 4,
  walFrame: 5,
  journalHeader: 6,
  journalRecord: 7,
} as const;
export type HitKind = (typeof HitKind)[keyof typeof HitKind];

export const hitKindNames: Readonly<Record<HitKind, string>> = {
  1: 'sqlite-header',
  2: 'btree-page',
  3: 'freelist-trunk',
  4: 'wal-header',
  5: 'wal-frame',
  6: 'journal-header',
  7: 'journal-record',
};

export interface Signature {
  readonly kind: HitKind;
  /** Image offsets a hit may start at are multiples of this. */
  readonly alignmentInBytes: number;
  /** Bytes at the start of the structure, when it has any. */
  readonly magic: readonly Uint8Array[];
  /** Bytes needed to recognise the structure (the scan reads at most this far past a start). */
  readonly recognitionSizeInBytes: number;
  readonly description: string;
}

const u32 = (value: number): Uint8Array => Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);

/** Largest page (SQLite, WAL and journal): 65536 bytes. */
export const largestPageSizeInBytes = 65_536;
/** Page sizes tried for structures whose page size is not written down (power-of-two, 512–65536). */
export const candidatePageSizesInBytes: readonly number[] = [512, 1024, 2048, 4096, 8192, 16_384, 32_768, 65_536];

export const signatures: readonly Signature[] = [
  { kind: HitKind.sqliteHeader, alignmentInBytes: 512, magic: [SQLITE_MAGIC], recognitionSizeInBytes: 100, description: 'SQLite database header (page 1)' },
  {
    kind: HitKind.btreePage,
    alignmentInBytes: 512,
    magic: [Uint8Array.of(0x02), Uint8Array.of(0x05), Uint8Array.of(0x0a), Uint8Array.of(0x0d)],
    recognitionSizeInBytes: largestPageSizeInBytes,
    description: 'b-tree page (table/index, interior/leaf), validated structurally (sqlite.md §1.3)',
  },
  { kind: HitKind.freelistTrunk, alignmentInBytes: 512, magic: [], recognitionSizeInBytes: largestPageSizeInBytes, description: 'freelist trunk page candidate' },
  {
    kind: HitKind.walHeader,
    alignmentInBytes: 512,
    magic: [u32(WAL_MAGIC_LITTLE_ENDIAN), u32(WAL_MAGIC_BIG_ENDIAN)],
    recognitionSizeInBytes: 32,
    description: `WAL header (or a damaged magic before format version ${WAL_FORMAT_VERSION})`,
  },
  {
    kind: HitKind.walFrame,
    alignmentInBytes: 8,
    magic: [],
    recognitionSizeInBytes: 2 * (24 + largestPageSizeInBytes),
    description: 'WAL frame linked to a neighbour frame by equal salts and a continuing checksum',
  },
  { kind: HitKind.journalHeader, alignmentInBytes: 512, magic: [JOURNAL_MAGIC], recognitionSizeInBytes: 28, description: 'rollback-journal segment header' },
  {
    kind: HitKind.journalRecord,
    alignmentInBytes: 8,
    magic: [],
    recognitionSizeInBytes: 2 * (8 + largestPageSizeInBytes),
    description: 'rollback-journal page record whose neighbour record implies the same checksum nonce',
  },
];

/**
 * Bytes a window reads past its end so that every structure starting inside it can be read whole:
 * two WAL frames of 65536-byte pages (a frame is recognised by its successor's checksum), rounded
 * up to 4 KiB.
 */
export const scanMarginSizeInBytes = roundUp(Math.max(...signatures.map((signature) => signature.recognitionSizeInBytes)), 4096);
/**
 * Bytes a window reads before its start: one WAL frame or journal record of a 65536-byte page, so
 * the last frame of a run is recognised by its predecessor whichever window it falls in (results
 * never depend on where windows begin). Rounded up to 4 KiB.
 */
export const scanLeadSizeInBytes = roundUp(24 + largestPageSizeInBytes, 4096);
/** Default window length (the part whose start positions a window owns). */
export const defaultWindowSizeInBytes = 16 * 1024 * 1024;

/** Limits of the structural checks, with their unit and reason. */
export const scanLimits = {
  /** A fragmented free-byte count above this is not a well-formed page (sqlite.md §1.3). */
  maximumFragmentedFreeBytes: 60,
  /** Freeblocks followed per page before the chain is called a loop. */
  maximumFreeblocksPerPage: 16_384,
  /** Smallest freeblock (its 4-byte header). */
  minimumFreeblockSizeInBytes: 4,
  /**
   * Page numbers in WAL frames, journal records and freelist trunks are below 2^24 (a database of
   * 16 million pages, 8 GiB at 512 bytes): the top byte must be 0. This is the cheap first filter
   * of the 8-byte loop, and it rejects 255 of 256 random positions.
   */
  maximumCarvedPageNumber: 0x00ff_ffff,
  /** Freelist trunk leaf counts (U/4 − 2 at 65536). */
  maximumFreelistLeafCount: 65_536 / 4 - 2,
} as const;

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
