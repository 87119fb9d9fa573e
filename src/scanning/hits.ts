/**
 * Hits: what the window scan found, in two forms.
 * - `PackedHits`: three flat typed arrays (kind, image offset, eight 32-bit fields per hit). This
 *   is what crosses the worker boundary (structured clone of a few typed arrays costs microseconds
 *   where one object per hit would cost far more) and what the main thread keeps: about 41 bytes
 *   per hit, so a scan's memory grows with what it finds, never with the image size.
 * - `Hit`: one small read-only object per hit, for assembly and tests (`unpackHits`, `hitAt`).
 *
 * Every hit belongs to the window its first byte lies in; `imageOffset` is absolute in the image.
 */
import type { HitKind as HitKindValue } from './signatures.js';
import { HitKind } from './signatures.js';

export interface SqliteHeaderHit {
  readonly kind: 'sqlite-header';
  readonly imageOffset: number;
  readonly pageSize: number;
  /** Header offset 28, as stored (0 when never written). */
  readonly databaseSizeInPagesField: number;
  /** The in-header size is non-zero and the change counter equals version-valid-for (sqlite.md §1.1). */
  readonly sizeTrusted: boolean;
  readonly reservedBytesPerPage: number;
  readonly textEncodingField: number;
  readonly fileChangeCounter: number;
}

export interface BtreePageHit {
  readonly kind: 'btree-page';
  readonly imageOffset: number;
  /** 0x02 index interior, 0x05 table interior, 0x0a index leaf, 0x0d table leaf. */
  readonly pageType: number;
  /**
   * The smallest page size the page is plausible at (a lower bound of the true size: cells fill a
   * page from its end, so it is usually exact).
   */
  readonly pageSize: number;
  readonly cellCount: number;
  /** No live cell: an emptied leaf (header reset by SQLite) or a page with only freeblocks. */
  readonly emptied: boolean;
}

export interface FreelistTrunkHit {
  readonly kind: 'freelist-trunk';
  readonly imageOffset: number;
  readonly nextTrunkPageNumber: number;
  readonly leafCount: number;
  readonly firstLeafPageNumber: number;
}

export interface WalHeaderHit {
  readonly kind: 'wal-header';
  readonly imageOffset: number;
  readonly pageSize: number;
  readonly checkpointSequence: number;
  readonly salt1: number;
  readonly salt2: number;
  readonly checksum1: number;
  readonly checksum2: number;
  readonly bigEndianChecksumWords: boolean;
  readonly checksumValid: boolean;
  /** False when the magic was damaged and repaired by the header checksum. */
  readonly magicValid: boolean;
}

export interface WalFrameHit {
  readonly kind: 'wal-frame';
  readonly imageOffset: number;
  readonly pageSize: number;
  readonly pageNumber: number;
  readonly commitSizeInPages: number;
  readonly salt1: number;
  readonly salt2: number;
  readonly checksum1: number;
  readonly checksum2: number;
  readonly bigEndianChecksumWords: boolean;
  /** The frame 24 + page size bytes before has the same salts, and this frame's checksum continues it. */
  readonly linkedToPrevious: boolean;
  /** The frame 24 + page size bytes after has the same salts and continues this frame's checksum. */
  readonly linkedToNext: boolean;
}

export interface JournalHeaderHit {
  readonly kind: 'journal-header';
  readonly imageOffset: number;
  readonly recordCountField: number;
  readonly nonce: number;
  readonly initialDatabaseSizeInPages: number;
  readonly sectorSize: number;
  /** The page-size field as stored (0 before SQLite 3.5.8). */
  readonly pageSize: number;
}

export interface JournalRecordHit {
  readonly kind: 'journal-record';
  readonly imageOffset: number;
  readonly pageSize: number;
  readonly pageNumber: number;
  /** Stored checksum − sampled bytes: the segment nonce, shared with the linked neighbour. */
  readonly nonce: number;
  readonly storedChecksum: number;
  readonly linkedToPrevious: boolean;
  readonly linkedToNext: boolean;
}

export type Hit = SqliteHeaderHit | BtreePageHit | FreelistTrunkHit | WalHeaderHit | WalFrameHit | JournalHeaderHit | JournalRecordHit;

/** Fields per hit in `PackedHits.fields`. */
export const HIT_FIELD_COUNT = 8;

export interface PackedHits {
  readonly count: number;
  readonly kinds: Uint8Array;
  readonly imageOffsets: Float64Array;
  /** `HIT_FIELD_COUNT` unsigned 32-bit fields per hit; their meaning depends on the kind (see `hitAt`). */
  readonly fields: Uint32Array;
}

export const emptyPackedHits: PackedHits = { count: 0, kinds: new Uint8Array(0), imageOffsets: new Float64Array(0), fields: new Uint32Array(0) };

/** Appends hits into growable typed arrays; `finish()` returns trimmed copies (fresh, transferable). */
export class HitBuilder {
  #count = 0;
  #kinds = new Uint8Array(64);
  #offsets = new Float64Array(64);
  #fields = new Uint32Array(64 * HIT_FIELD_COUNT);

  get count(): number {
    return this.#count;
  }

  add(kind: HitKindValue, imageOffset: number, f0 = 0, f1 = 0, f2 = 0, f3 = 0, f4 = 0, f5 = 0, f6 = 0, f7 = 0): void {
    if (this.#count === this.#kinds.length) this.#grow();
    const index = this.#count++;
    this.#kinds[index] = kind;
    this.#offsets[index] = imageOffset;
    const base = index * HIT_FIELD_COUNT;
    const fields = this.#fields;
    fields[base] = f0;
    fields[base + 1] = f1;
    fields[base + 2] = f2;
    fields[base + 3] = f3;
    fields[base + 4] = f4;
    fields[base + 5] = f5;
    fields[base + 6] = f6;
    fields[base + 7] = f7;
  }

  /** Appends every hit of `packed`. */
  addPacked(packed: PackedHits): void {
    for (let index = 0; index < packed.count; index++) {
      const base = index * HIT_FIELD_COUNT;
      const f = packed.fields;
      this.add(packed.kinds[index] as HitKindValue, packed.imageOffsets[index] as number, f[base], f[base + 1], f[base + 2], f[base + 3], f[base + 4], f[base + 5], f[base + 6], f[base + 7]);
    }
  }

  #grow(): void {
    const capacity = this.#kinds.length * 2;
    const kinds = new Uint8Array(capacity);
    kinds.set(this.#kinds);
    const offsets = new Float64Array(capacity);
    offsets.set(this.#offsets);
    const fields = new Uint32Array(capacity * HIT_FIELD_COUNT);
    fields.set(this.#fields);
    this.#kinds = kinds;
    this.#offsets = offsets;
    this.#fields = fields;
  }

  finish(): PackedHits {
    const count = this.#count;
    return {
      count,
      kinds: this.#kinds.slice(0, count),
      imageOffsets: this.#offsets.slice(0, count),
      fields: this.#fields.slice(0, count * HIT_FIELD_COUNT),
    };
  }
}

const flag = (value: number, bit: number): boolean => (value & (1 << bit)) !== 0;

/** The hit at `index` of `packed`, as an object. */
export function hitAt(packed: PackedHits, index: number): Hit {
  const kind = packed.kinds[index] as HitKindValue;
  const imageOffset = packed.imageOffsets[index] as number;
  const base = index * HIT_FIELD_COUNT;
  const f = (at: number): number => packed.fields[base + at] as number;
  switch (kind) {
    case HitKind.sqliteHeader:
      return {
        kind: 'sqlite-header',
        imageOffset,
        pageSize: f(0),
        databaseSizeInPagesField: f(1),
        sizeTrusted: flag(f(2), 0),
        reservedBytesPerPage: f(3),
        textEncodingField: f(4),
        fileChangeCounter: f(5),
      };
    case HitKind.btreePage:
      return { kind: 'btree-page', imageOffset, pageType: f(0), pageSize: f(1), cellCount: f(2), emptied: flag(f(3), 0) };
    case HitKind.freelistTrunk:
      return { kind: 'freelist-trunk', imageOffset, nextTrunkPageNumber: f(0), leafCount: f(1), firstLeafPageNumber: f(2) };
    case HitKind.walHeader:
      return {
        kind: 'wal-header',
        imageOffset,
        pageSize: f(0),
        salt1: f(1),
        salt2: f(2),
        checkpointSequence: f(3),
        bigEndianChecksumWords: flag(f(4), 0),
        checksumValid: flag(f(4), 1),
        magicValid: flag(f(4), 2),
        checksum1: f(5),
        checksum2: f(6),
      };
    case HitKind.walFrame:
      return {
        kind: 'wal-frame',
        imageOffset,
        pageSize: f(0),
        pageNumber: f(1),
        commitSizeInPages: f(2),
        salt1: f(3),
        salt2: f(4),
        checksum1: f(5),
        checksum2: f(6),
        bigEndianChecksumWords: flag(f(7), 0),
        linkedToPrevious: flag(f(7), 1),
        linkedToNext: flag(f(7), 2),
      };
    case HitKind.journalHeader:
      return { kind: 'journal-header', imageOffset, recordCountField: f(0), nonce: f(1), initialDatabaseSizeInPages: f(2), sectorSize: f(3), pageSize: f(4) };
    case HitKind.journalRecord:
      return { kind: 'journal-record', imageOffset, pageSize: f(0), pageNumber: f(1), nonce: f(2), storedChecksum: f(3), linkedToPrevious: flag(f(4), 1), linkedToNext: flag(f(4), 2) };
  }
}

export function unpackHits(packed: PackedHits): Hit[] {
  const out: Hit[] = new Array<Hit>(packed.count);
  for (let index = 0; index < packed.count; index++) out[index] = hitAt(packed, index);
  return out;
}

/** Concatenates packed batches and orders hits by image offset, then kind (deterministic whatever the window order). */
export function mergePackedHits(batches: readonly PackedHits[]): PackedHits {
  const builder = new HitBuilder();
  for (const batch of batches) builder.addPacked(batch);
  return sortPackedHits(builder.finish());
}

export function sortPackedHits(packed: PackedHits): PackedHits {
  const order = Array.from({ length: packed.count }, (_, index) => index);
  order.sort((a, b) => (packed.imageOffsets[a] as number) - (packed.imageOffsets[b] as number) || (packed.kinds[a] as number) - (packed.kinds[b] as number));
  const builder = new HitBuilder();
  for (const index of order) {
    const base = index * HIT_FIELD_COUNT;
    const f = packed.fields;
    builder.add(packed.kinds[index] as HitKindValue, packed.imageOffsets[index] as number, f[base], f[base + 1], f[base + 2], f[base + 3], f[base + 4], f[base + 5], f[base + 6], f[base + 7]);
  }
  return builder.finish();
}

/** Hits per kind name, for progress and summaries. */
export function countHitsByKind(packed: PackedHits): Record<Hit['kind'], number> {
  const counts: Record<Hit['kind'], number> = {
    'sqlite-header': 0,
    'btree-page': 0,
    'freelist-trunk': 0,
    'wal-header': 0,
    'wal-frame': 0,
    'journal-header': 0,
    'journal-record': 0,
  };
  for (let index = 0; index < packed.count; index++) counts[hitAt(packed, index).kind]++;
  return counts;
}
