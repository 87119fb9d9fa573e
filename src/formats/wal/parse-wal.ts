/**
 * WAL parsing: the header, then every complete frame with its checksum-chain state and a label.
 *
 * Frames are checked in file order by `WalFrameReader`, which keeps only the previous frame's
 * chain state, so a caller holding a ByteSource can feed a multi-GB WAL in chunks of whole frames.
 * `parseWal()` is the one-shot form for a WAL already in memory. Page images are never copied: a
 * frame carries `pageOffset`, and `walFramePage()` returns a subarray.
 *
 * Labels (see `labelWalFrame`):
 * - `committed`: accepted by SQLite (header valid, salts equal the header's, checksum chain
 *   unbroken from the header, page number non-zero) and at or before the last accepted commit
 *   frame.
 * - `uncommitted`: in the current generation after that commit frame, with no commit frame after
 *   it: the open transaction's tail. This includes zero-salt frames and frames whose checksum no
 *   longer matches, because SQLite 3.40.1 appends frames with zero salts and checksums once it has
 *   rewritten a spilled frame's page in place, and repairs the whole chain only at commit
 *   (observed: sqlite.md §2.5). An accepted frame after the last accepted commit is also here.
 * - `stale-generation`: salts differ from the header's (a previous generation left behind by a
 *   WAL restart). Zero-salt frames belong to the generation of the frame before them.
 * - `checksum-invalid`: in the current generation, rejected by SQLite, and at or before a later
 *   commit frame of the current generation: a transaction its writer committed that SQLite would
 *   no longer apply (damage).
 *
 * Checksum states (see `WalFrameChecksum`): every frame's checksum is computed once, continuing
 * from the previous frame's *stored* pair (the header's for frame 1). This is what SQLite does
 * while the chain holds, and after a break it tells a single damaged frame (the next frames
 * `linked` again) from an overwritten tail (every next frame a `mismatch`). A stale generation's
 * first surviving frame cannot be verified: its predecessor, and the old header, were overwritten.
 * Its later frames are verified by continuity with each other.
 */
import { formatHex, formatOffset } from '../../bytes/offsets.js';
import { u32be, u32beUnchecked } from '../../bytes/read.js';
import type { Issue, ParseOutcome, Severity } from '../../issues/issue.js';
import { issue, malformed, notThisFormat, parsed } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { extendPath } from '../../provenance/path.js';
import { continueWalChecksum, viewOf } from './checksum.js';
import { WalIssueCode } from './issue-codes.js';
import {
  WAL_FORMAT_VERSION,
  WAL_FRAME_HEADER_CHECKSUM_COVERAGE_IN_BYTES,
  WAL_FRAME_HEADER_SIZE_IN_BYTES,
  WAL_HEADER_CHECKSUM_COVERAGE_IN_BYTES,
  WAL_HEADER_SIZE_IN_BYTES,
  WAL_MAGIC_BIG_ENDIAN,
  WAL_MAGIC_LITTLE_ENDIAN,
  WalFrameField,
  WalHeaderField,
  isValidWalPageSize,
  walFrameSizeInBytes,
} from './layout.js';

/** The 32-byte WAL header. Field names follow the spec table in layout.ts. */
export interface WalHeader {
  /** Absolute offset of the header's first byte in the bytes it was parsed from. */
  readonly headerOffset: number;
  /** The magic as read (spec "magic number"); damaged when a `wal.header.bad-magic` issue says so. */
  readonly magicField: number;
  /** Checksum words are big-endian: the magic's low bit, or, for a damaged magic, the byte order that verifies the header checksum. */
  readonly bigEndianChecksumWords: boolean;
  /** Spec "file format version"; 3007000. */
  readonly formatVersion: number;
  /** Database page size in bytes. */
  readonly pageSize: number;
  readonly checkpointSequence: number;
  readonly salt1: number;
  readonly salt2: number;
  /** Stored header checksum. */
  readonly checksum1: number;
  readonly checksum2: number;
  /** Checksum computed over header bytes 0–23. */
  readonly computedChecksum1: number;
  readonly computedChecksum2: number;
  readonly checksumValid: boolean;
  /**
   * SQLite's recovery would use the WAL: magic as written, version 3007000, checksum valid.
   * When false, SQLite ignores every frame, so no frame is `acceptedBySqlite` and the current
   * generation's committed transactions are labelled `checksum-invalid`.
   */
  readonly acceptedBySqlite: boolean;
  /** No header was read: the stand-in of frames whose header is lost (`lostWalHeader`). */
  readonly lost?: true;
}

/**
 * How a frame's stored checksum relates to its predecessor's stored pair.
 * - `valid`: continues it, and every frame back to the header does too (SQLite's chain).
 * - `linked`: continues it, but the chain back to the header is broken or unknown (after a break,
 *   or inside a stale generation).
 * - `mismatch`: does not continue it.
 * - `unverifiable`: no predecessor to continue (first surviving frame of a stale generation, or
 *   after a zero-salt frame).
 * - `zeroed`: salts and checksums are all zero (appended before commit, sqlite.md §2.5).
 */
export type WalFrameChecksum = 'valid' | 'linked' | 'mismatch' | 'unverifiable' | 'zeroed';

export type WalFrameLabel = 'committed' | 'uncommitted' | 'stale-generation' | 'checksum-invalid';

/** A frame after its checks, before labelling (the label needs the whole WAL: see `labelWalFrame`). */
export interface CheckedWalFrame {
  /** 1-based position in the WAL, as SQLite and sqlite.md count frames. */
  readonly frameNumber: number;
  /** Offset of the 24-byte frame header (absolute in the parsed bytes, or in the reader's coordinates). */
  readonly frameOffset: number;
  /** Offset of the page image: `frameOffset + 24`; `pageSize` bytes long. */
  readonly pageOffset: number;
  readonly pageNumber: number;
  /** Spec "for commit records, the size of the database file in pages after the commit"; 0 otherwise. */
  readonly commitSizeInPages: number;
  readonly isCommit: boolean;
  /** Salts and checksums as stored in the frame header. */
  readonly salt1: number;
  readonly salt2: number;
  readonly checksum1: number;
  readonly checksum2: number;
  readonly checksum: WalFrameChecksum;
  readonly saltsMatchHeader: boolean;
  /** The salts differ from the previous frame's generation, yet the checksum continues that frame: the salt bytes were damaged. */
  readonly saltsDamaged: boolean;
  /** Salt pair of the generation the frame belongs to: its own salts, the previous frame's for a zero-salt frame or damaged salts. */
  readonly generationSalt1: number;
  readonly generationSalt2: number;
  /** The generation is the header's. */
  readonly inCurrentGeneration: boolean;
  /** SQLite's recovery would accept the frame: it and every frame before it are valid. */
  readonly acceptedBySqlite: boolean;
}

export interface WalFrame extends CheckedWalFrame {
  readonly label: WalFrameLabel;
}

/** What the reader learned from the whole WAL; `labelWalFrame` needs it. */
export interface WalFrameSummary {
  /** Offset of the WAL header, in the reader's coordinates. */
  readonly walOffset: number;
  readonly pageSize: number;
  /** Complete frames read. */
  readonly frameCount: number;
  /** Frames 1..acceptedFrameCount are the ones SQLite's recovery would accept. */
  readonly acceptedFrameCount: number;
  /** Last accepted commit frame (SQLite's mxFrame); 0 when none. */
  readonly lastCommittedFrameNumber: number;
  /** Last commit frame of the current generation, accepted or not; 0 when none. */
  readonly lastCurrentGenerationCommitFrameNumber: number;
  /** Bytes of an incomplete frame after the last complete one (0 when none). */
  readonly truncatedTailSizeInBytes: number;
  /** End of the WAL bytes (header offset + size), in the reader's coordinates. */
  readonly endOffset: number;
  /** `endOffset - walOffset`. */
  readonly sizeInBytes: number;
}

export interface WalFrameReadResult {
  readonly summary: WalFrameSummary;
  readonly issues: readonly Issue[];
}

export interface Wal {
  readonly header: WalHeader;
  readonly frames: readonly WalFrame[];
  readonly summary: WalFrameSummary;
}

function hex32(value: number): string {
  return formatHex(value >>> 0, 8);
}

function readHeaderChecksum(bytes: Uint8Array, at: number, bigEndianWords: boolean, magic: number | undefined): { checksum1: number; checksum2: number } {
  const out = new Uint32Array(2);
  if (magic === undefined) {
    continueWalChecksum(viewOf(bytes), at, WAL_HEADER_CHECKSUM_COVERAGE_IN_BYTES, bigEndianWords, 0, 0, out);
  } else {
    // A damaged magic: checksum a copy with the candidate magic in place.
    const copy = bytes.slice(at, at + WAL_HEADER_CHECKSUM_COVERAGE_IN_BYTES);
    copy[0] = magic >>> 24;
    copy[1] = (magic >>> 16) & 0xff;
    copy[2] = (magic >>> 8) & 0xff;
    copy[3] = magic & 0xff;
    continueWalChecksum(viewOf(copy), 0, WAL_HEADER_CHECKSUM_COVERAGE_IN_BYTES, bigEndianWords, 0, 0, out);
  }
  return { checksum1: out[0] as number, checksum2: out[1] as number };
}

/**
 * Parses the 32-byte WAL header at `at`.
 *
 * Outcomes:
 * - not-this-format: no WAL magic (and not a header with a damaged magic), or under 4 bytes.
 * - malformed: `wal.header.truncated` (magic, but under 32 bytes), `wal.header.page-size-invalid`,
 *   `wal.header.bad-magic` (version and page size fit, but no byte order verifies the checksum).
 * - parsed, with `wal.header.checksum-mismatch` (error: SQLite would ignore every frame; the
 *   frames are still evidence), `wal.header.version-unsupported` (warning) or
 *   `wal.header.bad-magic` (warning: repaired, the checksum verified with a WAL magic).
 */
export function parseWalHeader(bytes: Uint8Array, at: number, path: SourcePath): ParseOutcome<WalHeader> {
  const magicField = u32be(bytes, at);
  if (magicField === undefined) return notThisFormat;
  const magicValid = magicField === WAL_MAGIC_LITTLE_ENDIAN || magicField === WAL_MAGIC_BIG_ENDIAN;
  const available = bytes.length - at;
  const where = `WAL header at ${formatOffset(at)}`;
  if (available < WAL_HEADER_SIZE_IN_BYTES) {
    if (!magicValid) return notThisFormat;
    return malformed(
      issue(WalIssueCode.headerTruncated, 'error', path, at, `${where}: needs ${WAL_HEADER_SIZE_IN_BYTES} bytes, ${available} available`, {
        availableSizeInBytes: available,
      }),
    );
  }
  const formatVersion = u32beUnchecked(bytes, at + WalHeaderField.formatVersion);
  const pageSize = u32beUnchecked(bytes, at + WalHeaderField.pageSize);
  const issues: Issue[] = [];
  let bigEndianChecksumWords: boolean;
  let computed: { checksum1: number; checksum2: number };
  const checksum1 = u32beUnchecked(bytes, at + WalHeaderField.checksum1);
  const checksum2 = u32beUnchecked(bytes, at + WalHeaderField.checksum2);
  if (magicValid) {
    bigEndianChecksumWords = (magicField & 1) === 1;
    computed = readHeaderChecksum(bytes, at, bigEndianChecksumWords, undefined);
  } else {
    // Four damaged bytes should not hide a WAL whose version and page size still fit: the header
    // checksum covers the magic, so the magic that makes it verify is the one that was written.
    if (formatVersion !== WAL_FORMAT_VERSION || !isValidWalPageSize(pageSize)) return notThisFormat;
    let repaired: { magic: number; checksum: { checksum1: number; checksum2: number } } | undefined;
    for (const magic of [WAL_MAGIC_LITTLE_ENDIAN, WAL_MAGIC_BIG_ENDIAN]) {
      const checksum = readHeaderChecksum(bytes, at, (magic & 1) === 1, magic);
      if (checksum.checksum1 === checksum1 && checksum.checksum2 === checksum2) {
        repaired = { magic, checksum };
        break;
      }
    }
    if (repaired === undefined) {
      return malformed(
        issue(
          WalIssueCode.headerBadMagic,
          'error',
          path,
          at,
          `${where}: magic ${hex32(magicField)} is not ${hex32(WAL_MAGIC_LITTLE_ENDIAN)} or ${hex32(WAL_MAGIC_BIG_ENDIAN)}, and neither makes the header checksum verify`,
          { value: magicField },
        ),
      );
    }
    issues.push(
      issue(
        WalIssueCode.headerBadMagic,
        'warning',
        path,
        at,
        `${where}: magic ${hex32(magicField)} is not ${hex32(WAL_MAGIC_LITTLE_ENDIAN)} or ${hex32(WAL_MAGIC_BIG_ENDIAN)}; the header checksum verifies with ${hex32(repaired.magic)}`,
        { value: magicField, repairedMagic: repaired.magic },
      ),
    );
    bigEndianChecksumWords = (repaired.magic & 1) === 1;
    computed = repaired.checksum;
  }
  if (formatVersion !== WAL_FORMAT_VERSION) {
    issues.push(
      issue(WalIssueCode.headerVersionUnsupported, 'warning', path, at + WalHeaderField.formatVersion, `${where}: format version ${formatVersion} is not ${WAL_FORMAT_VERSION}`, {
        value: formatVersion,
      }),
    );
  }
  if (!isValidWalPageSize(pageSize)) {
    return malformed(
      issue(WalIssueCode.headerPageSizeInvalid, 'error', path, at + WalHeaderField.pageSize, `${where}: page size ${pageSize} is not a power of two in 512..65536`, {
        value: pageSize,
      }),
      ...issues,
    );
  }
  const checksumValid = computed.checksum1 === checksum1 && computed.checksum2 === checksum2;
  if (!checksumValid) {
    issues.push(
      issue(
        WalIssueCode.headerChecksumMismatch,
        'error',
        path,
        at + WalHeaderField.checksum1,
        `${where}: checksum ${hex32(checksum1)}/${hex32(checksum2)} differs from computed ${hex32(computed.checksum1)}/${hex32(computed.checksum2)}`,
        { stored: `${hex32(checksum1)}/${hex32(checksum2)}`, computed: `${hex32(computed.checksum1)}/${hex32(computed.checksum2)}` },
      ),
    );
  }
  return parsed(
    {
      headerOffset: at,
      magicField,
      bigEndianChecksumWords,
      formatVersion,
      pageSize,
      checkpointSequence: u32beUnchecked(bytes, at + WalHeaderField.checkpointSequence),
      salt1: u32beUnchecked(bytes, at + WalHeaderField.salt1),
      salt2: u32beUnchecked(bytes, at + WalHeaderField.salt2),
      checksum1,
      checksum2,
      computedChecksum1: computed.checksum1,
      computedChecksum2: computed.checksum2,
      checksumValid,
      acceptedBySqlite: magicValid && formatVersion === WAL_FORMAT_VERSION && checksumValid,
    },
    issues,
  );
}

/**
 * The stand-in header of WAL frames found without theirs (a fragment carved from a raw image):
 * page size and checksum byte order as the frames give them, every other field 0, not accepted by
 * SQLite. `WalFrameReader` then takes the first frame's checksum as given (`unverifiable`) and
 * chains the next ones from it; no frame is of the header's generation, so every frame is
 * labelled `stale-generation` (SQLite cannot read them; whether they were current is unknown).
 */
export function lostWalHeader(headerOffset: number, pageSize: number, bigEndianChecksumWords: boolean): WalHeader {
  return {
    headerOffset,
    magicField: 0,
    bigEndianChecksumWords,
    formatVersion: 0,
    pageSize,
    checkpointSequence: 0,
    salt1: 0,
    salt2: 0,
    checksum1: 0,
    checksum2: 0,
    computedChecksum1: 0,
    computedChecksum2: 0,
    checksumValid: false,
    acceptedBySqlite: false,
    lost: true,
  };
}

/** What the next frame needs to know about the one before it (the header acts as frame 0). */
interface Predecessor {
  readonly frameNumber: number;
  readonly zeroed: boolean;
  readonly checksum1: number;
  readonly checksum2: number;
  readonly generationSalt1: number;
  readonly generationSalt2: number;
  readonly checksumFromHeader: boolean;
  readonly accepted: boolean;
}

/** A checksum mismatch whose severity waits on whether a commit frame of its generation follows. */
interface PendingMismatch {
  readonly frame: CheckedWalFrame;
  readonly computed1: number;
  readonly computed2: number;
}

export interface WalFrameReaderOptions {
  /**
   * Offset of the WAL header in the coordinates the frames and issues are reported in (those of
   * `path`'s last layer). Defaults to `header.headerOffset`, which is right when the chunks fed to
   * `readFrames` come from the same bytes the header was parsed from.
   */
  readonly walOffset?: number;
}

/**
 * Checks WAL frames in file order, fed in chunks of whole frames; keeps only the previous
 * frame's chain state and the issues. Usage:
 * ```ts
 * const reader = new WalFrameReader(header, path);
 * while (reader.nextFrameOffset + reader.frameSizeInBytes <= size) {
 *   const chunk = source.read(reader.nextFrameOffset, reader.frameSizeInBytes * 1024);
 *   for (const frame of reader.readFrames(chunk, 0)) handle(frame);
 * }
 * const { summary, issues } = reader.finish(size);
 * // then labelWalFrame(frame, summary) for each frame kept
 * ```
 */
export class WalFrameReader {
  readonly header: WalHeader;
  readonly path: SourcePath;
  readonly frameSizeInBytes: number;
  readonly walOffset: number;
  #nextFrameNumber = 1;
  #nextFrameOffset: number;
  #previous: Predecessor;
  #acceptedFrameCount = 0;
  #lastCommittedFrameNumber = 0;
  #lastCurrentGenerationCommitFrameNumber = 0;
  #pending: PendingMismatch[] = [];
  #issues: Issue[] = [];
  #finished = false;
  readonly #scratch = new Uint32Array(2);

  constructor(header: WalHeader, path: SourcePath, options: WalFrameReaderOptions = {}) {
    this.header = header;
    this.path = path;
    this.frameSizeInBytes = walFrameSizeInBytes(header.pageSize);
    this.walOffset = options.walOffset ?? header.headerOffset;
    this.#nextFrameOffset = this.walOffset + WAL_HEADER_SIZE_IN_BYTES;
    this.#previous = {
      frameNumber: 0,
      // A lost header has no checksum to continue: like a zeroed frame, it leaves the first frame unverifiable.
      zeroed: header.lost === true,
      checksum1: header.checksum1,
      checksum2: header.checksum2,
      generationSalt1: header.salt1,
      generationSalt2: header.salt2,
      checksumFromHeader: true,
      accepted: header.acceptedBySqlite,
    };
  }

  /** Offset (reader coordinates) of the next frame to read. */
  get nextFrameOffset(): number {
    return this.#nextFrameOffset;
  }

  get nextFrameNumber(): number {
    return this.#nextFrameNumber;
  }

  /**
   * Checks every whole frame in `bytes[at, end)`, where `bytes[at]` is the byte at
   * `nextFrameOffset`. Bytes of a trailing partial frame are not consumed: feed them again at the
   * start of the next chunk, or pass the end to `finish()`.
   * @throws Error when the range lies outside `bytes` or after `finish()` (programmer errors).
   */
  readFrames(bytes: Uint8Array, at: number, end: number = bytes.length): CheckedWalFrame[] {
    if (this.#finished) throw new Error('WalFrameReader.readFrames: called after finish()');
    if (!Number.isSafeInteger(at) || !Number.isSafeInteger(end) || at < 0 || end > bytes.length || at > end) {
      throw new Error(`WalFrameReader.readFrames: range ${at}..${end} outside ${bytes.length} bytes`);
    }
    const view = viewOf(bytes);
    const frames: CheckedWalFrame[] = [];
    const frameSize = this.frameSizeInBytes;
    // The loop is bounded by the buffer: no length from evidence drives it.
    for (let position = at; position + frameSize <= end; position += frameSize) {
      frames.push(this.#checkFrame(bytes, view, position, this.#nextFrameOffset));
      this.#nextFrameOffset += frameSize;
      this.#nextFrameNumber++;
    }
    return frames;
  }

  #checkFrame(bytes: Uint8Array, view: DataView, position: number, frameOffset: number): CheckedWalFrame {
    const header = this.header;
    const frameNumber = this.#nextFrameNumber;
    const previous = this.#previous;
    const pageNumber = u32beUnchecked(bytes, position + WalFrameField.pageNumber);
    const commitSizeInPages = u32beUnchecked(bytes, position + WalFrameField.commitSizeInPages);
    const salt1 = u32beUnchecked(bytes, position + WalFrameField.salt1);
    const salt2 = u32beUnchecked(bytes, position + WalFrameField.salt2);
    const checksum1 = u32beUnchecked(bytes, position + WalFrameField.checksum1);
    const checksum2 = u32beUnchecked(bytes, position + WalFrameField.checksum2);
    const zeroed = salt1 === 0 && salt2 === 0 && checksum1 === 0 && checksum2 === 0;
    const saltsMatchHeader = salt1 === header.salt1 && salt2 === header.salt2;
    const where = `WAL frame ${frameNumber} at ${formatOffset(frameOffset)}`;

    let checksum: WalFrameChecksum;
    let generationSalt1 = previous.generationSalt1;
    let generationSalt2 = previous.generationSalt2;
    let saltsDamaged = false;
    let linked: boolean | undefined;
    let computed1 = 0;
    let computed2 = 0;
    if (zeroed) {
      checksum = 'zeroed';
    } else {
      if (!previous.zeroed) {
        const out = this.#scratch;
        continueWalChecksum(view, position, WAL_FRAME_HEADER_CHECKSUM_COVERAGE_IN_BYTES, header.bigEndianChecksumWords, previous.checksum1, previous.checksum2, out);
        continueWalChecksum(view, position + WAL_FRAME_HEADER_SIZE_IN_BYTES, header.pageSize, header.bigEndianChecksumWords, out[0] as number, out[1] as number, out);
        computed1 = out[0] as number;
        computed2 = out[1] as number;
        linked = computed1 === checksum1 && computed2 === checksum2;
      }
      const sameGeneration = salt1 === previous.generationSalt1 && salt2 === previous.generationSalt2;
      if (sameGeneration) {
        checksum = linked === undefined ? 'unverifiable' : linked ? (previous.checksumFromHeader ? 'valid' : 'linked') : 'mismatch';
      } else if (linked === true) {
        // Salts are not covered by the checksum: a frame that continues its predecessor's chain
        // under different salts had its salt bytes damaged; it stays in that generation.
        saltsDamaged = true;
        checksum = previous.checksumFromHeader ? 'valid' : 'linked';
      } else {
        generationSalt1 = salt1;
        generationSalt2 = salt2;
        checksum = 'unverifiable';
      }
    }
    const inCurrentGeneration = generationSalt1 === header.salt1 && generationSalt2 === header.salt2;
    const acceptedBySqlite = previous.accepted && saltsMatchHeader && pageNumber !== 0 && linked === true;
    const isCommit = commitSizeInPages !== 0;

    const frame: CheckedWalFrame = {
      frameNumber,
      frameOffset,
      pageOffset: frameOffset + WAL_FRAME_HEADER_SIZE_IN_BYTES,
      pageNumber,
      commitSizeInPages,
      isCommit,
      salt1,
      salt2,
      checksum1,
      checksum2,
      checksum,
      saltsMatchHeader,
      saltsDamaged,
      generationSalt1,
      generationSalt2,
      inCurrentGeneration,
      acceptedBySqlite,
    };

    // Issues, in the order a reader of the frame would want them.
    const generationChanged = generationSalt1 !== previous.generationSalt1 || generationSalt2 !== previous.generationSalt2;
    if (generationChanged) this.#flushPending('info');
    if (generationChanged && !inCurrentGeneration) {
      const differing = salt1 !== header.salt1 ? `salt-1 ${hex32(salt1)} differs from header salt-1 ${hex32(header.salt1)}` : `salt-2 ${hex32(salt2)} differs from header salt-2 ${hex32(header.salt2)}`;
      this.#issues.push(
        issue(WalIssueCode.frameSaltMismatch, 'info', this.path, frameOffset + WalFrameField.salt1, `${where}: ${differing}`, {
          frameNumber,
          salt1,
          salt2,
        }),
      );
    }
    if (saltsDamaged) {
      const before = previous.frameNumber === 0 ? 'the header' : `frame ${previous.frameNumber}`;
      const differing =
        salt1 !== previous.generationSalt1
          ? `salt-1 ${hex32(salt1)} differs from salt-1 ${hex32(previous.generationSalt1)} of ${before}`
          : `salt-2 ${hex32(salt2)} differs from salt-2 ${hex32(previous.generationSalt2)} of ${before}`;
      this.#issues.push(
        issue(WalIssueCode.frameSaltMismatch, 'warning', this.path, frameOffset + WalFrameField.salt1, `${where}: ${differing}, yet its checksum continues ${before}'s: the salts are damaged`, {
          frameNumber,
          salt1,
          salt2,
        }),
      );
    }
    if (zeroed && !previous.zeroed) {
      this.#issues.push(
        issue(
          WalIssueCode.frameZeroed,
          'info',
          this.path,
          frameOffset + WalFrameField.salt1,
          `${where}: salts and checksums are zero (appended before commit after SQLite rewrote a frame in place)`,
          { frameNumber },
        ),
      );
    }
    if (pageNumber === 0) {
      this.#issues.push(issue(WalIssueCode.framePageNumberInvalid, 'warning', this.path, frameOffset + WalFrameField.pageNumber, `${where}: page number 0 is invalid`, { frameNumber }));
    }
    if (checksum === 'mismatch') this.#pending.push({ frame, computed1, computed2 });
    if (isCommit && !zeroed) {
      // A commit frame of this generation: the mismatches before it broke a committed transaction.
      this.#flushPending('warning');
    }

    if (acceptedBySqlite) {
      this.#acceptedFrameCount = frameNumber;
      if (isCommit) this.#lastCommittedFrameNumber = frameNumber;
    }
    if (isCommit && inCurrentGeneration && !zeroed) this.#lastCurrentGenerationCommitFrameNumber = frameNumber;

    this.#previous = {
      frameNumber,
      zeroed,
      checksum1,
      checksum2,
      generationSalt1,
      generationSalt2,
      checksumFromHeader: checksum === 'valid',
      accepted: acceptedBySqlite,
    };
    return frame;
  }

  #flushPending(severity: Severity): void {
    for (const { frame, computed1, computed2 } of this.#pending) {
      const before = frame.frameNumber === 1 ? "the header's" : `frame ${frame.frameNumber - 1}'s`;
      const tail = severity === 'info' ? '; in the tail after the last commit frame of its generation, where SQLite rewrites spilled pages in place and repairs checksums only at commit' : '';
      this.#issues.push(
        issue(
          WalIssueCode.frameChecksumMismatch,
          severity,
          this.path,
          frame.frameOffset + WalFrameField.checksum1,
          `WAL frame ${frame.frameNumber} at ${formatOffset(frame.frameOffset)}: checksum ${hex32(frame.checksum1)}/${hex32(frame.checksum2)} does not continue ${before} (computed ${hex32(computed1)}/${hex32(computed2)})${tail}`,
          {
            frameNumber: frame.frameNumber,
            stored: `${hex32(frame.checksum1)}/${hex32(frame.checksum2)}`,
            computed: `${hex32(computed1)}/${hex32(computed2)}`,
          },
        ),
      );
    }
    this.#pending = [];
  }

  /**
   * Ends the WAL at `endOffset` (reader coordinates; defaults to `nextFrameOffset`). Bytes between
   * the last complete frame and `endOffset` are a truncated frame (`wal.frame.truncated`).
   * @throws Error when called twice, or when `endOffset` leaves a whole unread frame or lies
   * before `nextFrameOffset` (programmer errors).
   */
  finish(endOffset: number = this.#nextFrameOffset): WalFrameReadResult {
    if (this.#finished) throw new Error('WalFrameReader.finish: called twice');
    const tail = endOffset - this.#nextFrameOffset;
    if (!Number.isSafeInteger(endOffset) || tail < 0 || tail >= this.frameSizeInBytes) {
      throw new Error(`WalFrameReader.finish: end ${endOffset} must lie within one frame after ${this.#nextFrameOffset}`);
    }
    this.#finished = true;
    this.#flushPending('info');
    if (tail > 0) {
      this.#issues.push(
        issue(
          WalIssueCode.frameTruncated,
          'warning',
          this.path,
          this.#nextFrameOffset,
          `WAL frame ${this.#nextFrameNumber} at ${formatOffset(this.#nextFrameOffset)}: only ${tail} of ${this.frameSizeInBytes} bytes present`,
          { frameNumber: this.#nextFrameNumber, availableSizeInBytes: tail },
        ),
      );
    }
    // Pending mismatches were emitted after later frames' issues: order by offset, then as raised.
    const issues = this.#issues
      .map((value, order) => ({ value, order }))
      .sort((a, b) => a.value.offsetInLeaf - b.value.offsetInLeaf || a.order - b.order)
      .map(({ value }) => value);
    return {
      summary: {
        walOffset: this.walOffset,
        pageSize: this.header.pageSize,
        frameCount: this.#nextFrameNumber - 1,
        acceptedFrameCount: this.#acceptedFrameCount,
        lastCommittedFrameNumber: this.#lastCommittedFrameNumber,
        lastCurrentGenerationCommitFrameNumber: this.#lastCurrentGenerationCommitFrameNumber,
        truncatedTailSizeInBytes: tail,
        endOffset,
        sizeInBytes: endOffset - this.walOffset,
      },
      issues,
    };
  }
}

/** The label of a checked frame, given the summary of the whole WAL (rules at the top of this file). */
export function labelWalFrame(frame: CheckedWalFrame, summary: WalFrameSummary): WalFrameLabel {
  if (!frame.inCurrentGeneration) return 'stale-generation';
  if (frame.acceptedBySqlite) return frame.frameNumber <= summary.lastCommittedFrameNumber ? 'committed' : 'uncommitted';
  if (frame.frameNumber > summary.lastCurrentGenerationCommitFrameNumber) return 'uncommitted';
  return 'checksum-invalid';
}

export interface ParseWalOptions {
  /** End of the WAL's bytes (exclusive, absolute); defaults to `bytes.length`. */
  readonly end?: number;
}

/**
 * Checks and labels every complete frame after `header` in `bytes` (one-shot form of
 * `WalFrameReader`; offsets are absolute in `bytes`). Issues: `wal.frame.truncated`,
 * `wal.frame.checksum-mismatch`, `wal.frame.salt-mismatch`, `wal.frame.page-number-invalid`,
 * `wal.frame.zeroed`.
 */
export function parseWalFrames(
  bytes: Uint8Array,
  header: WalHeader,
  path: SourcePath,
  options: ParseWalOptions = {},
): { readonly frames: WalFrame[]; readonly summary: WalFrameSummary; readonly issues: readonly Issue[] } {
  const start = header.headerOffset + WAL_HEADER_SIZE_IN_BYTES;
  const end = Math.max(start, Math.min(options.end ?? bytes.length, bytes.length));
  const reader = new WalFrameReader(header, path);
  const checked = reader.readFrames(bytes, start, end);
  const { summary, issues } = reader.finish(end);
  const frames = checked.map((frame) => ({ ...frame, label: labelWalFrame(frame, summary) }));
  return { frames, summary, issues };
}

/**
 * Parses a whole WAL at `at`: the header (see `parseWalHeader` for its outcomes), then every
 * complete frame, checked and labelled (see `parseWalFrames`).
 */
export function parseWal(bytes: Uint8Array, at: number, path: SourcePath, options: ParseWalOptions = {}): ParseOutcome<Wal> {
  const header = parseWalHeader(bytes, at, path);
  if (header.kind !== 'parsed') return header;
  const { frames, summary, issues } = parseWalFrames(bytes, header.value, path, options);
  return parsed({ header: header.value, frames, summary }, [...header.issues, ...issues]);
}

/** The page image of a frame parsed from `bytes` (a subarray: no copy). */
export function walFramePage(bytes: Uint8Array, frame: CheckedWalFrame, pageSize: number): Uint8Array {
  return bytes.subarray(frame.pageOffset, frame.pageOffset + pageSize);
}

/**
 * Provenance of a frame's page image: `walPath` (the chain to the bytes the WAL was read from)
 * extended by a `wal-frame` layer, through a `range` layer when the WAL does not start at offset
 * 0 of `walPath`'s last layer. `toImageOffset(result, offsetInPage)` then gives the image offset.
 * The layer's `frameIndex` holds the 1-based frame number (toImageOffset counts from 1).
 */
export function walFramePath(walPath: SourcePath, summary: WalFrameSummary, frame: CheckedWalFrame): SourcePath {
  const parent = summary.walOffset === 0 ? walPath : extendPath(walPath, { kind: 'range', start: summary.walOffset, length: summary.sizeInBytes });
  return extendPath(parent, {
    kind: 'wal-frame',
    frameIndex: frame.frameNumber,
    pageNumber: frame.pageNumber,
    salt1: frame.salt1,
    salt2: frame.salt2,
    pageSize: summary.pageSize,
  });
}
