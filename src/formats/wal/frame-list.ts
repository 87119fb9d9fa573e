/**
 * Every frame of a WAL, kept in columns: about 50 bytes a frame instead of the 700 or so one
 * object per frame costs on the heap (measured on a 31,700-frame WAL: 24 MB of frame objects).
 * A decode keeps every frame's header facts for its whole run, so this is what lets memory follow
 * the database rather than the WAL. `at(index)` builds a `WalFrame` on demand; hot loops read
 * single fields (`pageNumberAt`, `labelAt`, …) without building one.
 *
 * Filled in file order with `push` while `WalFrameReader` checks the chain, then labelled once the
 * whole WAL is known (`label`, which needs the reader's summary). Pure data, no I/O.
 */
import type { CheckedWalFrame, WalFrame, WalFrameChecksum, WalFrameLabel, WalFrameSummary } from './parse-wal.js';
import { labelWalFrame } from './parse-wal.js';
import { WAL_FRAME_HEADER_SIZE_IN_BYTES } from './layout.js';

const checksums: readonly WalFrameChecksum[] = ['valid', 'linked', 'mismatch', 'unverifiable', 'zeroed'];
const checksumCode: Readonly<Record<WalFrameChecksum, number>> = { valid: 0, linked: 1, mismatch: 2, unverifiable: 3, zeroed: 4 };
const labels: readonly WalFrameLabel[] = ['committed', 'uncommitted', 'stale-generation', 'checksum-invalid'];
const labelCode: Readonly<Record<WalFrameLabel, number>> = { committed: 0, uncommitted: 1, 'stale-generation': 2, 'checksum-invalid': 3 };
const unlabelled = 255;

const isCommitBit = 1;
const saltsMatchHeaderBit = 2;
const saltsDamagedBit = 4;
const inCurrentGenerationBit = 8;
const acceptedBySqliteBit = 16;

/** What `assembleWalTransactions` and the pipeline read frames through: an array of frames, or a `WalFrameList`. */
export interface IndexedWalFrames {
  readonly length: number;
  at(index: number): WalFrame | undefined;
}

export class WalFrameList implements IndexedWalFrames, Iterable<WalFrame> {
  #length = 0;
  #frameNumber: Uint32Array;
  #frameOffset: Float64Array;
  #pageNumber: Uint32Array;
  #commitSizeInPages: Uint32Array;
  #salt1: Uint32Array;
  #salt2: Uint32Array;
  #checksum1: Uint32Array;
  #checksum2: Uint32Array;
  #generationSalt1: Uint32Array;
  #generationSalt2: Uint32Array;
  #checksum: Uint8Array;
  #bits: Uint8Array;
  #label: Uint8Array;

  /** `expectedCount`: frames the file can hold (a hint; the list grows past it). */
  constructor(expectedCount = 16) {
    const capacity = Math.max(16, Math.floor(expectedCount));
    this.#frameNumber = new Uint32Array(capacity);
    this.#frameOffset = new Float64Array(capacity);
    this.#pageNumber = new Uint32Array(capacity);
    this.#commitSizeInPages = new Uint32Array(capacity);
    this.#salt1 = new Uint32Array(capacity);
    this.#salt2 = new Uint32Array(capacity);
    this.#checksum1 = new Uint32Array(capacity);
    this.#checksum2 = new Uint32Array(capacity);
    this.#generationSalt1 = new Uint32Array(capacity);
    this.#generationSalt2 = new Uint32Array(capacity);
    this.#checksum = new Uint8Array(capacity);
    this.#bits = new Uint8Array(capacity);
    this.#label = new Uint8Array(capacity).fill(unlabelled);
  }

  get length(): number {
    return this.#length;
  }

  push(frame: CheckedWalFrame): void {
    if (frame.pageOffset !== frame.frameOffset + WAL_FRAME_HEADER_SIZE_IN_BYTES) throw new Error(`WalFrameList.push: frame ${frame.frameNumber}'s page is not right after its header`);
    if (this.#length === this.#frameNumber.length) this.#grow();
    const index = this.#length++;
    this.#frameNumber[index] = frame.frameNumber;
    this.#frameOffset[index] = frame.frameOffset;
    this.#pageNumber[index] = frame.pageNumber;
    this.#commitSizeInPages[index] = frame.commitSizeInPages;
    this.#salt1[index] = frame.salt1;
    this.#salt2[index] = frame.salt2;
    this.#checksum1[index] = frame.checksum1;
    this.#checksum2[index] = frame.checksum2;
    this.#generationSalt1[index] = frame.generationSalt1;
    this.#generationSalt2[index] = frame.generationSalt2;
    this.#checksum[index] = checksumCode[frame.checksum];
    this.#bits[index] =
      (frame.isCommit ? isCommitBit : 0) |
      (frame.saltsMatchHeader ? saltsMatchHeaderBit : 0) |
      (frame.saltsDamaged ? saltsDamagedBit : 0) |
      (frame.inCurrentGeneration ? inCurrentGenerationBit : 0) |
      (frame.acceptedBySqlite ? acceptedBySqliteBit : 0);
  }

  /** Labels every frame (`labelWalFrame`); call once the reader has finished. */
  label(summary: WalFrameSummary): void {
    for (let index = 0; index < this.#length; index++) this.#label[index] = labelCode[labelWalFrame(this.#checked(index), summary)];
  }

  /** The frame at 0-based `index` (frame number `index + 1` in a whole WAL); undefined outside the list. */
  at(index: number): WalFrame | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.#length) return undefined;
    return { ...this.#checked(index), label: this.labelAt(index) };
  }

  *[Symbol.iterator](): Iterator<WalFrame> {
    for (let index = 0; index < this.#length; index++) yield this.at(index) as WalFrame;
  }

  pageNumberAt(index: number): number {
    return this.#pageNumber[index] ?? 0;
  }

  /** Offset of the page image (after the 24-byte frame header). */
  pageOffsetAt(index: number): number {
    return (this.#frameOffset[index] ?? 0) + WAL_FRAME_HEADER_SIZE_IN_BYTES;
  }

  labelAt(index: number): WalFrameLabel {
    const code = this.#label[index] ?? unlabelled;
    if (code === unlabelled) throw new Error(`WalFrameList: frame at ${index} read before label(summary)`);
    return labels[code] as WalFrameLabel;
  }

  #checked(index: number): CheckedWalFrame {
    const bits = this.#bits[index] as number;
    const frameOffset = this.#frameOffset[index] as number;
    return {
      frameNumber: this.#frameNumber[index] as number,
      frameOffset,
      pageOffset: frameOffset + WAL_FRAME_HEADER_SIZE_IN_BYTES,
      pageNumber: this.#pageNumber[index] as number,
      commitSizeInPages: this.#commitSizeInPages[index] as number,
      isCommit: (bits & isCommitBit) !== 0,
      salt1: this.#salt1[index] as number,
      salt2: this.#salt2[index] as number,
      checksum1: this.#checksum1[index] as number,
      checksum2: this.#checksum2[index] as number,
      checksum: checksums[this.#checksum[index] as number] as WalFrameChecksum,
      saltsMatchHeader: (bits & saltsMatchHeaderBit) !== 0,
      saltsDamaged: (bits & saltsDamagedBit) !== 0,
      generationSalt1: this.#generationSalt1[index] as number,
      generationSalt2: this.#generationSalt2[index] as number,
      inCurrentGeneration: (bits & inCurrentGenerationBit) !== 0,
      acceptedBySqlite: (bits & acceptedBySqliteBit) !== 0,
    };
  }

  #grow(): void {
    const capacity = this.#frameNumber.length * 2;
    const grown = <T extends Uint8Array | Uint32Array | Float64Array>(old: T, make: (size: number) => T, fill?: number): T => {
      const next = make(capacity);
      if (fill !== undefined) next.fill(fill);
      next.set(old);
      return next;
    };
    this.#frameNumber = grown(this.#frameNumber, (size) => new Uint32Array(size));
    this.#frameOffset = grown(this.#frameOffset, (size) => new Float64Array(size));
    this.#pageNumber = grown(this.#pageNumber, (size) => new Uint32Array(size));
    this.#commitSizeInPages = grown(this.#commitSizeInPages, (size) => new Uint32Array(size));
    this.#salt1 = grown(this.#salt1, (size) => new Uint32Array(size));
    this.#salt2 = grown(this.#salt2, (size) => new Uint32Array(size));
    this.#checksum1 = grown(this.#checksum1, (size) => new Uint32Array(size));
    this.#checksum2 = grown(this.#checksum2, (size) => new Uint32Array(size));
    this.#generationSalt1 = grown(this.#generationSalt1, (size) => new Uint32Array(size));
    this.#generationSalt2 = grown(this.#generationSalt2, (size) => new Uint32Array(size));
    this.#checksum = grown(this.#checksum, (size) => new Uint8Array(size));
    this.#bits = grown(this.#bits, (size) => new Uint8Array(size));
    this.#label = grown(this.#label, (size) => new Uint8Array(size), unlabelled);
  }
}
