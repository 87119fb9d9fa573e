/**
 * Which b-tree a page belongs to at one point in time, kept up to date page version by page
 * version instead of re-walking every tree after every transaction.
 *
 * The state is the child lists of interior pages (and so each page's parent) plus the root pages
 * the schema names. A page's owner is found by climbing parents to a root. Applying a new version
 * of a page replaces its child list, so splits, merges and freed subtrees follow from the pages a
 * transaction rewrote: a leaf SQLite frees is not rewritten, but its parent is, and the leaf then
 * has no parent and no owner. Climbs are bounded by the b-tree depth limit, so a loop in damaged
 * pages cannot hang them.
 *
 * Pure: page images come in as bytes (`applyPage`) or through a PageReader (`addTree`).
 */
import { maximumBtreeDepth } from '../../bytes/limits.js';
import { headerOffsetOf, interiorChildPageNumbers } from '../../formats/sqlite/btree.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import type { SchemaEntry } from '../../recovery/database.js';

export interface BtreeOwner {
  /** Name of the b-tree: the table's, or the index's. */
  readonly name: string;
  readonly kind: 'table' | 'index';
  /** The table an index belongs to (the table itself for a table). */
  readonly tableName: string;
  readonly rootPageNumber: number;
}

export const sqliteSchemaOwner: BtreeOwner = { name: 'sqlite_schema', kind: 'table', tableName: 'sqlite_schema', rootPageNumber: 1 };

/**
 * Child page numbers of an interior b-tree page (left children in cell order, then the right-most
 * child), or undefined when the page is not an interior page; page 1's b-tree header is at 100.
 */
export function interiorChildren(page: Uint8Array, pageNumber: number, usableSize: number): number[] | undefined {
  return interiorChildPageNumbers(page, headerOffsetOf(pageNumber), usableSize);
}

/** Root pages named by schema rows (tables and indexes with a b-tree), sqlite_schema at page 1. */
export function ownersFromSchema(entries: readonly SchemaEntry[]): Map<number, BtreeOwner> {
  const roots = new Map<number, BtreeOwner>([[1, sqliteSchemaOwner]]);
  for (const entry of entries) {
    if (entry.rootPageNumber <= 1 || roots.has(entry.rootPageNumber)) continue;
    if (entry.type === 'table') roots.set(entry.rootPageNumber, { name: entry.name, kind: 'table', tableName: entry.name, rootPageNumber: entry.rootPageNumber });
    else if (entry.type === 'index') roots.set(entry.rootPageNumber, { name: entry.name, kind: 'index', tableName: entry.tableName, rootPageNumber: entry.rootPageNumber });
  }
  return roots;
}

export class BtreeOwnership {
  readonly usableSize: number;
  #roots: Map<number, BtreeOwner>;
  readonly #children: Map<number, readonly number[]>;
  readonly #parents: Map<number, number>;

  constructor(usableSize: number, roots: ReadonlyMap<number, BtreeOwner> = new Map([[1, sqliteSchemaOwner]])) {
    this.usableSize = usableSize;
    this.#roots = new Map(roots);
    this.#children = new Map();
    this.#parents = new Map();
  }

  /** An independent copy (a stale WAL generation replays its own history from the same base). */
  clone(): BtreeOwnership {
    const copy = new BtreeOwnership(this.usableSize, this.#roots);
    for (const [page, children] of this.#children) copy.#children.set(page, children);
    for (const [child, parent] of this.#parents) copy.#parents.set(child, parent);
    return copy;
  }

  get roots(): ReadonlyMap<number, BtreeOwner> {
    return this.#roots;
  }

  /**
   * Replaces the root pages (after the schema changed). Returns the pages of trees whose root is no
   * longer named, with their owner: they left their tree (a dropped table or index).
   */
  setRoots(roots: ReadonlyMap<number, BtreeOwner>): Map<number, BtreeOwner> {
    const released = new Map<number, BtreeOwner>();
    for (const [rootPageNumber, owner] of this.#roots) {
      const now = roots.get(rootPageNumber);
      if (now !== undefined && now.name === owner.name) continue;
      for (const page of this.subtree(rootPageNumber)) released.set(page, owner);
    }
    this.#roots = new Map(roots);
    for (const page of released.keys()) if (this.ownerOf(page) !== undefined) released.delete(page);
    return released;
  }

  /**
   * Walks the tree rooted at `rootPageNumber` through `reader`, recording every interior page's
   * children. Bounded: each page at most once (shared `visited`), depth at most the b-tree limit.
   */
  addTree(reader: PageReader, rootPageNumber: number, visited: Set<number> = new Set()): void {
    const stack: { pageNumber: number; depth: number }[] = [{ pageNumber: rootPageNumber, depth: 0 }];
    while (stack.length > 0) {
      const { pageNumber, depth } = stack.pop() as { pageNumber: number; depth: number };
      if (visited.has(pageNumber) || depth > maximumBtreeDepth || pageNumber < 1 || pageNumber > reader.pageCount) continue;
      visited.add(pageNumber);
      const page = reader.readPage(pageNumber);
      if (page === undefined) continue;
      this.applyPage(pageNumber, page);
      for (const child of this.#children.get(pageNumber) ?? []) stack.push({ pageNumber: child, depth: depth + 1 });
    }
  }

  /**
   * Records that page `pageNumber` now holds `page` (undefined: its content is unknown or gone).
   * Returns the children the page no longer lists: pages that may have left their tree.
   */
  applyPage(pageNumber: number, page: Uint8Array | undefined): number[] {
    const previous = this.#children.get(pageNumber) ?? [];
    const next = page === undefined ? undefined : interiorChildren(page, pageNumber, this.usableSize);
    const kept = new Set(next ?? []);
    const dropped: number[] = [];
    for (const child of previous) {
      if (kept.has(child)) continue;
      if (this.#parents.get(child) === pageNumber) this.#parents.delete(child);
      dropped.push(child);
    }
    if (next === undefined || next.length === 0) this.#children.delete(pageNumber);
    else {
      this.#children.set(pageNumber, next);
      for (const child of next) if (child !== pageNumber) this.#parents.set(child, pageNumber);
    }
    return dropped;
  }

  /** Children recorded for interior page `pageNumber` (empty for any other page). */
  childrenOf(pageNumber: number): readonly number[] {
    return this.#children.get(pageNumber) ?? [];
  }

  /** The b-tree page `pageNumber` belongs to, or undefined when no named root is reached. */
  ownerOf(pageNumber: number): BtreeOwner | undefined {
    let current = pageNumber;
    for (let step = 0; step <= maximumBtreeDepth + 1; step++) {
      const root = this.#roots.get(current);
      if (root !== undefined) return root;
      const parent = this.#parents.get(current);
      if (parent === undefined) return undefined;
      current = parent;
    }
    return undefined;
  }

  /** `pageNumber` and every page below it in the recorded child lists (bounded by depth and visits). */
  subtree(pageNumber: number): number[] {
    const out: number[] = [];
    const seen = new Set<number>();
    const stack: { pageNumber: number; depth: number }[] = [{ pageNumber, depth: 0 }];
    while (stack.length > 0) {
      const item = stack.pop() as { pageNumber: number; depth: number };
      if (seen.has(item.pageNumber) || item.depth > maximumBtreeDepth + 1) continue;
      seen.add(item.pageNumber);
      out.push(item.pageNumber);
      for (const child of this.#children.get(item.pageNumber) ?? []) stack.push({ pageNumber: child, depth: item.depth + 1 });
    }
    return out;
  }
}
