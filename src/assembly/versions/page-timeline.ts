/**
 * One history of a database's pages: a base (the main file, or nothing for a stray log) and log
 * page versions applied transaction by transaction in the order they were written. After each
 * transaction the timeline knows which b-tree every page belongs to (`BtreeOwnership`), which
 * version of every page is current, and how the transaction moved pages between trees.
 *
 * A WAL generation is one timeline (its frames in file order); a stale generation replays its
 * surviving frames over the same base. A rollback journal's pre-images are applied as one
 * transaction over the main file, which gives the database as it was before the journalled
 * transaction (the direction is reversed: the caller reads `before` as the later state).
 *
 * Pure: the log's bytes come through `PageImageSource`, the base through a `PageReader`.
 */
import type { SchemaEntry } from '../../recovery/database.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import { PageType, isPageType } from '../../formats/sqlite/layout.js';
import type { BtreeOwner } from './btree-ownership.js';
import { BtreeOwnership, interiorChildren } from './btree-ownership.js';
import type { PageImageSource } from './overlay-page-reader.js';
import { OverlayPageReader } from './overlay-page-reader.js';
import type { PageOverlaySnapshot } from './page-images.js';

/** Which version of a page a transition refers to. */
export type VersionRef =
  /** The base database's page (the main file). */
  | { readonly kind: 'base' }
  /** A log page version: a WAL frame number or a journal record number. */
  | { readonly kind: 'log'; readonly versionNumber: number }
  /** Beyond the base's end: the page did not exist (no rows). */
  | { readonly kind: 'absent' }
  /** Not known: a stale generation's or stray log's page whose earlier version was overwritten or never seen. */
  | { readonly kind: 'unknown' };

export const baseRef: VersionRef = { kind: 'base' };
export const absentRef: VersionRef = { kind: 'absent' };
export const unknownRef: VersionRef = { kind: 'unknown' };

export interface LogPageVersion {
  /** WAL frame number or journal record number (1-based). */
  readonly versionNumber: number;
  readonly pageNumber: number;
  /** Offset of the page image in the log file. */
  readonly fileOffset: number;
  /** Type byte at the b-tree header offset of the image (offset 100 on page 1); anything for other pages. */
  readonly pageType: number;
}

/**
 * How one page changed in a transaction.
 * - `written`: the transaction wrote a new version (`before` → `after`).
 * - `moved`: not written, but its tree changed: a leaf SQLite freed without rewriting it left its
 *   table (`ownerAfter` undefined), a dropped table's pages left theirs; in a journal's reversed
 *   view, a leaf the transaction freed without journaling it enters its table again. `before` and
 *   `after` are the same, unchanged version.
 */
export interface PageTransition {
  readonly pageNumber: number;
  readonly change: 'written' | 'moved';
  readonly ownerBefore: BtreeOwner | undefined;
  readonly ownerAfter: BtreeOwner | undefined;
  readonly before: VersionRef;
  readonly after: VersionRef;
}

export interface TransactionTransitions {
  /** Written pages in order of their last version in the transaction, then released and joined pages ascending. */
  readonly pages: readonly PageTransition[];
  /** Owner of each applied version's page after the transaction (by version number). */
  readonly owners: ReadonlyMap<number, BtreeOwner | undefined>;
  /** Index of the overlay snapshot (non-b-tree pages, for overflow chains) after the transaction; -1 for the base alone. */
  readonly overlayIndex: number;
  /** The transaction rewrote schema pages, and the schema was read again. */
  readonly schemaChanged: boolean;
}

export interface SchemaReading {
  readonly entries: readonly SchemaEntry[];
}

export interface PageTimelineOptions {
  readonly base: PageReader | undefined;
  /** The base's pages are this timeline's starting point (false for a stale generation, whose base is newer, and for a stray log). */
  readonly baseIsPredecessor: boolean;
  readonly pageSize: number;
  readonly log: PageImageSource;
  /** Ownership at the start (shared state is cloned by the caller). */
  readonly ownership: BtreeOwnership;
  /** Shared list the timeline appends overlay snapshots to. */
  readonly overlays: PageOverlaySnapshot[];
  /** Reads sqlite_schema as the timeline sees it after a transaction that rewrote schema pages; undefined when it cannot. */
  readonly readSchema: (reader: PageReader) => SchemaReading | undefined;
  /** Turns schema rows into root owners (`ownersFromSchema`). */
  readonly rootsOf: (entries: readonly SchemaEntry[]) => ReadonlyMap<number, BtreeOwner>;
}

function isInteriorType(type: number): boolean {
  return type === PageType.tableInterior || type === PageType.indexInterior;
}

export class PageTimeline {
  readonly #options: PageTimelineOptions;
  readonly #ownership: BtreeOwnership;
  /** Page → file offset of its current log version. */
  readonly #overlay = new Map<number, number>();
  /** Page → version number of its current log version. */
  readonly #current = new Map<number, number>();
  /** Current log versions that are not b-tree pages (overflow, freelist, pointer map): what overflow chains read. */
  readonly #nonBtree = new Map<number, number>();
  #overlayIndex = -1;

  constructor(options: PageTimelineOptions) {
    this.#options = options;
    this.#ownership = options.ownership;
  }

  get ownership(): BtreeOwnership {
    return this.#ownership;
  }

  /** The version of `pageNumber` the timeline holds now. */
  currentRef(pageNumber: number): VersionRef {
    const version = this.#current.get(pageNumber);
    if (version !== undefined) return { kind: 'log', versionNumber: version };
    if (!this.#options.baseIsPredecessor) return unknownRef;
    const base = this.#options.base;
    return base !== undefined && pageNumber <= base.pageCount ? baseRef : absentRef;
  }

  /** A copy of the log pages currently laid over the base (page → file offset). */
  overlaySnapshot(): Map<number, number> {
    return new Map(this.#overlay);
  }

  /** The database as the timeline sees it now. */
  reader(pageCount?: number): OverlayPageReader {
    return new OverlayPageReader(this.#options.base, this.#options.pageSize, this.#options.log, new Map(this.#overlay), pageCount === undefined ? {} : { pageCount });
  }

  /** Applies one transaction's page versions, in the order they were written. */
  apply(versions: readonly LogPageVersion[]): TransactionTransitions {
    const ownership = this.#ownership;
    const pageSize = this.#options.pageSize;
    const lastVersionOf = new Map<number, LogPageVersion>();
    for (const version of versions) {
      if (version.pageNumber < 1) continue;
      lastVersionOf.delete(version.pageNumber);
      lastVersionOf.set(version.pageNumber, version);
    }
    const written = [...lastVersionOf.keys()];
    const writtenSet = new Set(written);
    const ownerBefore = new Map<number, BtreeOwner | undefined>();
    const refBefore = new Map<number, VersionRef>();
    for (const pageNumber of written) {
      ownerBefore.set(pageNumber, ownership.ownerOf(pageNumber));
      refBefore.set(pageNumber, this.currentRef(pageNumber));
    }
    // Interior images are read once; a page's children before and after the transaction differ
    // only where a tree gained or lost pages, so only those children (and what hangs below them)
    // can change owner without being written.
    const images = new Map<LogPageVersion, Uint8Array>();
    for (const version of versions) {
      if (version.pageNumber >= 1 && isInteriorType(version.pageType)) images.set(version, this.#options.log.read(version.fileOffset, pageSize));
    }
    const candidates = new Map<number, BtreeOwner | undefined>();
    const consider = (pageNumber: number): void => {
      for (const page of ownership.subtree(pageNumber)) if (!writtenSet.has(page) && !candidates.has(page)) candidates.set(page, ownership.ownerOf(page));
    };
    for (const pageNumber of written) {
      const last = lastVersionOf.get(pageNumber) as LogPageVersion;
      const image = images.get(last);
      const after = new Set(image === undefined ? [] : (interiorChildren(image, pageNumber, ownership.usableSize) ?? []));
      const before = new Set(ownership.childrenOf(pageNumber));
      for (const child of before) if (!after.has(child)) consider(child);
      for (const child of after) if (!before.has(child)) consider(child);
    }

    let nonBtreeChanged = false;
    let schemaTouched = false;
    for (const version of versions) {
      const pageNumber = version.pageNumber;
      if (pageNumber < 1) continue;
      ownership.applyPage(pageNumber, images.get(version));
      this.#overlay.set(pageNumber, version.fileOffset);
      this.#current.set(pageNumber, version.versionNumber);
      if (isPageType(version.pageType)) {
        if (this.#nonBtree.delete(pageNumber)) nonBtreeChanged = true;
      } else {
        this.#nonBtree.set(pageNumber, version.fileOffset);
        nonBtreeChanged = true;
      }
      if (pageNumber === 1 || ownerBefore.get(pageNumber)?.name === 'sqlite_schema') schemaTouched = true;
    }
    for (const pageNumber of written) if (ownership.ownerOf(pageNumber)?.name === 'sqlite_schema') schemaTouched = true;

    let schemaChanged = false;
    if (schemaTouched) {
      const schema = this.#options.readSchema(this.reader());
      if (schema !== undefined) {
        schemaChanged = true;
        for (const [pageNumber, owner] of ownership.setRoots(this.#options.rootsOf(schema.entries))) {
          if (!writtenSet.has(pageNumber)) candidates.set(pageNumber, owner);
        }
      }
    }

    const pages: PageTransition[] = [];
    for (const pageNumber of written) {
      const version = lastVersionOf.get(pageNumber) as LogPageVersion;
      pages.push({
        pageNumber,
        change: 'written',
        ownerBefore: ownerBefore.get(pageNumber),
        ownerAfter: ownership.ownerOf(pageNumber),
        before: refBefore.get(pageNumber) as VersionRef,
        after: { kind: 'log', versionNumber: version.versionNumber },
      });
    }
    for (const pageNumber of [...candidates.keys()].sort((a, b) => a - b)) {
      const before = candidates.get(pageNumber);
      const after = ownership.ownerOf(pageNumber);
      if (before?.name === after?.name) continue;
      const ref = this.currentRef(pageNumber);
      pages.push({ pageNumber, change: 'moved', ownerBefore: before, ownerAfter: after, before: ref, after: ref });
    }
    const owners = new Map<number, BtreeOwner | undefined>();
    for (const version of versions) owners.set(version.versionNumber, ownership.ownerOf(version.pageNumber));

    if (nonBtreeChanged) {
      const pageNumbers = [...this.#nonBtree.keys()].sort((a, b) => a - b);
      this.#options.overlays.push({ pageNumbers, fileOffsets: pageNumbers.map((pageNumber) => this.#nonBtree.get(pageNumber) as number), pageCount: undefined });
      this.#overlayIndex = this.#options.overlays.length - 1;
    }
    return { pages, owners, overlayIndex: this.#overlayIndex, schemaChanged };
  }
}
