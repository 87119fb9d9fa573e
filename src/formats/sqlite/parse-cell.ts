/**
 * B-tree cells (sqlite.md §1.4). All offsets are in-page; `pageStart` positions the page in `bytes`.
 * These run once per cell on the hot path, so they return small plain objects or a problem string
 * and leave Issue construction to the caller.
 */
import { readVarintInto } from '../../bytes/varint.js';
import { u32beUnchecked } from '../../bytes/read.js';
import { localPayloadSize } from './payload.js';

export interface LeafCell {
  readonly offsetInPage: number;
  readonly payloadSize: number;
  /** Rowid of a table-leaf cell (exact); undefined on index cells. */
  readonly rowid: number | undefined;
  readonly rowidBig: bigint | undefined;
  readonly localPayloadStartInPage: number;
  readonly localPayloadSize: number;
  /** 0 when the payload is entirely local. */
  readonly firstOverflowPageNumber: number;
  /** Bytes the cell occupies on the page (header varints + local payload + overflow pointer). */
  readonly cellSizeInBytes: number;
  /** Index interior cells: left child page. */
  readonly leftChildPageNumber: number;
}

export type CellOutcome = { readonly ok: true; readonly cell: LeafCell } | { readonly ok: false; readonly problem: string };

const scratch = { value: 0, big: undefined as bigint | undefined };

/**
 * Parses a payload-carrying cell: table leaf (payload size, rowid), index leaf (payload size) or
 * index interior (left child, payload size). `end` is the usable end of the page in `bytes`.
 */
export function parsePayloadCell(
  bytes: Uint8Array,
  pageStart: number,
  offsetInPage: number,
  usableSize: number,
  kind: 'table-leaf' | 'index-leaf' | 'index-interior',
): CellOutcome {
  const end = Math.min(bytes.length, pageStart + usableSize);
  let at = pageStart + offsetInPage;
  let leftChild = 0;
  if (kind === 'index-interior') {
    if (at + 4 > end) return { ok: false, problem: 'left child pointer runs past the page' };
    leftChild = u32beUnchecked(bytes, at);
    at += 4;
  }
  let size = readVarintInto(bytes, at, end, scratch);
  if (size === 0) return { ok: false, problem: 'payload-size varint runs past the page' };
  if (scratch.big !== undefined || scratch.value < 0 || scratch.value > 0x7fffffff) {
    return { ok: false, problem: `payload size ${scratch.big ?? scratch.value} is out of range` };
  }
  const payloadSize = scratch.value;
  at += size;
  let rowid: number | undefined;
  let rowidBig: bigint | undefined;
  if (kind === 'table-leaf') {
    size = readVarintInto(bytes, at, end, scratch);
    if (size === 0) return { ok: false, problem: 'rowid varint runs past the page' };
    rowid = scratch.value;
    rowidBig = scratch.big;
    at += size;
  }
  const local = localPayloadSize(payloadSize, usableSize, kind === 'table-leaf');
  const localStart = at;
  let overflow = 0;
  let cellEnd = localStart + local;
  if (local < payloadSize) {
    if (cellEnd + 4 > end) return { ok: false, problem: `local payload of ${local} bytes and overflow pointer run past the page` };
    overflow = u32beUnchecked(bytes, cellEnd);
    cellEnd += 4;
  } else if (cellEnd > end) {
    return { ok: false, problem: `payload of ${payloadSize} bytes runs past the page` };
  }
  return {
    ok: true,
    cell: {
      offsetInPage,
      payloadSize,
      rowid,
      rowidBig,
      localPayloadStartInPage: localStart - pageStart,
      localPayloadSize: local,
      firstOverflowPageNumber: overflow,
      cellSizeInBytes: cellEnd - (pageStart + offsetInPage),
      leftChildPageNumber: leftChild,
    },
  };
}

export interface TableInteriorCell {
  readonly leftChildPageNumber: number;
  readonly rowid: number;
}

export function parseTableInteriorCell(bytes: Uint8Array, pageStart: number, offsetInPage: number, usableSize: number): TableInteriorCell | undefined {
  const end = Math.min(bytes.length, pageStart + usableSize);
  const at = pageStart + offsetInPage;
  if (at + 5 > end) return undefined;
  const leftChild = u32beUnchecked(bytes, at);
  const size = readVarintInto(bytes, at + 4, end, scratch);
  if (size === 0) return undefined;
  return { leftChildPageNumber: leftChild, rowid: scratch.value };
}
