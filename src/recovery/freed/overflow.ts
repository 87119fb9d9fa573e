/**
 * Overflow chains of freed records (issue item 4). When a record is deleted its overflow pages go
 * to the freelist, where they may be reused by anything. A chain is followed only through pages
 * whose current role says the bytes are still the record's:
 * - a freelist leaf page (never rewritten while free, secure_delete off);
 * - a live overflow page, only when the live record owning that chain has byte-identical local
 *   payload (the candidate is then a copy of that live record: b-tree rebalancing left it behind).
 * A freelist trunk (its first 8 + 4L bytes overwritten), a live b-tree page, a pointer-map page or a
 * next-page pointer that contradicts the chain length ends the chain: the record comes back partial
 * and flagged, never with a silently shortened value.
 */
import { maximumOverflowChainLength } from '../../bytes/limits.js';
import { u32beUnchecked } from '../../bytes/read.js';
import { sha256Hex } from '../../bytes/sha256.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';

/** What a page is used for now; one byte per page number (plain data, crosses worker boundaries). */
export const PageRole = {
  unknown: 0,
  btree: 1,
  overflow: 2,
  freelistTrunk: 3,
  freelistLeaf: 4,
  pointerMap: 5,
  lockByte: 6,
} as const;
export type PageRole = (typeof PageRole)[keyof typeof PageRole];

export interface PageRoles {
  /** Index = page number (index 0 unused). */
  readonly roles: Uint8Array;
  /** First page of every live overflow chain → fingerprint of the owning live cell's local payload. */
  readonly liveChains: LiveChainTable;
}

/**
 * Live overflow chains as two sorted typed arrays (plain data that crosses the worker boundary
 * without copying when backed by a SharedArrayBuffer): first page numbers, and the first 48 bits
 * of the SHA-256 of the owning cell's local payload. A fingerprint collision could only let a
 * freed cell read a live chain its local bytes do not match: about one chance in 2^48 per chain.
 */
export interface LiveChainTable {
  readonly firstPages: Float64Array;
  readonly fingerprints: Float64Array;
}

/** The 48-bit fingerprint of a local payload (first 12 hex digits of its SHA-256). */
export function localPayloadFingerprint(local: Uint8Array): number {
  return Number.parseInt(sha256Hex(local).slice(0, 12), 16);
}

/** Builds the table from first page → fingerprint pairs, in shared memory. */
export function liveChainTable(chains: ReadonlyMap<number, number>): LiveChainTable {
  const pages = [...chains.keys()].sort((a, b) => a - b);
  const firstPages = new Float64Array(new SharedArrayBuffer(8 * pages.length));
  const fingerprints = new Float64Array(new SharedArrayBuffer(8 * pages.length));
  pages.forEach((page, at) => {
    firstPages[at] = page;
    fingerprints[at] = chains.get(page) as number;
  });
  return { firstPages, fingerprints };
}

/** Fingerprint of the live chain starting at `pageNumber`, or undefined. */
export function liveChainFingerprint(table: LiveChainTable, pageNumber: number): number | undefined {
  let low = 0;
  let high = table.firstPages.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const current = table.firstPages[middle] as number;
    if (current === pageNumber) return table.fingerprints[middle];
    if (current < pageNumber) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

export interface FreedOverflowRead {
  /** Local part followed by what the chain still holds; shorter than the payload when broken. */
  readonly payload: Uint8Array;
  readonly complete: boolean;
  readonly pageNumbers: readonly number[];
  readonly problem: string | undefined;
  readonly reasons: readonly string[];
}

function roleName(role: number): string {
  switch (role) {
    case PageRole.btree:
      return 'a live b-tree page';
    case PageRole.overflow:
      return 'a live overflow page of another record';
    case PageRole.freelistTrunk:
      return 'a freelist trunk (first bytes overwritten)';
    case PageRole.pointerMap:
      return 'a pointer-map page';
    case PageRole.lockByte:
      return 'the lock-byte page';
    default:
      return 'unknown';
  }
}

/**
 * Reassembles the payload of a freed cell: `local` then the chain from `firstOverflowPageNumber`.
 * Without `roles` (tests on bare pages) every page is accepted, but next-page pointers are still
 * checked (0 exactly on the last page, in range before it).
 */
export function readFreedOverflow(reader: PageReader, usableSize: number, local: Uint8Array, payloadSize: number, firstOverflowPageNumber: number, roles: PageRoles | undefined): FreedOverflowRead {
  const payload = new Uint8Array(payloadSize);
  let filled = Math.min(local.length, payloadSize);
  payload.set(local.subarray(0, filled), 0);
  const pageNumbers: number[] = [];
  const reasons: string[] = [];
  const perPage = usableSize - 4;
  const seen = new Set<number>();
  let next = firstOverflowPageNumber;
  let throughLiveChain = false;
  if (roles !== undefined && roles.roles[next] === PageRole.overflow) {
    // Only a byte-identical copy of a live record may read the live record's chain.
    const live = liveChainFingerprint(roles.liveChains, next);
    if (live !== undefined && live === localPayloadFingerprint(local)) {
      throughLiveChain = true;
      reasons.push(`overflow chain from page ${next} is the chain of a live record with identical local payload`);
    }
  }
  const partial = (problem: string): FreedOverflowRead => ({ payload: payload.subarray(0, filled), complete: false, pageNumbers, problem, reasons });
  while (filled < payloadSize) {
    if (next < 1 || next > reader.pageCount) return partial(`overflow page ${next} is outside the ${reader.pageCount} pages present`);
    if (seen.has(next) || pageNumbers.length >= maximumOverflowChainLength) return partial(`overflow chain loops at page ${next}`);
    const role = roles?.roles[next] ?? PageRole.unknown;
    const acceptable = roles === undefined || role === PageRole.freelistLeaf || role === PageRole.unknown || (throughLiveChain && role === PageRole.overflow);
    if (!acceptable) return partial(`overflow page ${next} is now ${roleName(role)}`);
    const page = reader.readPage(next);
    if (page === undefined || page.length < usableSize) return partial(`overflow page ${next} is truncated`);
    const take = Math.min(perPage, payloadSize - filled);
    const following = u32beUnchecked(page, 0);
    const last = filled + take >= payloadSize;
    // The next-page pointer must agree with the length still missing; otherwise the page was reused.
    if (last ? following !== 0 : following < 1 || following > reader.pageCount) {
      return partial(`overflow page ${next}: next-page pointer ${following} contradicts the ${payloadSize - filled - take} bytes still missing (page reused)`);
    }
    seen.add(next);
    pageNumbers.push(next);
    payload.set(page.subarray(4, 4 + take), filled);
    filled += take;
    if (role === PageRole.unknown && roles !== undefined) reasons.push(`overflow page ${next} is referenced by no live structure`);
    next = following;
  }
  return { payload, complete: true, pageNumbers, problem: undefined, reasons };
}
