/** Tier 1: overflow chains of freed records are followed only through pages still free. */
import { describe, expect, it } from 'vitest';
import { databaseImage, overflowPage } from '../../../samples/lib/sqlite-bytes.js';
import { MemoryPageReader } from '../../../src/formats/sqlite/page-reader.js';
import type { PageRoles } from '../../../src/recovery/freed/overflow.js';
import { PageRole, liveChainTable, localPayloadFingerprint, readFreedOverflow } from '../../../src/recovery/freed/overflow.js';

const local = new Uint8Array(40).fill(0x41);
const tail = new Uint8Array(600).fill(0x42);
// Page 3 holds the first 508 bytes of the tail and points to page 4, which holds the last 92.
const image = databaseImage([new Uint8Array(512), new Uint8Array(512), overflowPage(4, tail.subarray(0, 508)), overflowPage(0, tail.subarray(508))]);
const reader = new MemoryPageReader(image, 512);
const payloadSize = local.length + tail.length;

function roles(third: number, fourth: number, liveChains = new Map<number, number>()): PageRoles {
  const array = new Uint8Array(5);
  array[3] = third;
  array[4] = fourth;
  return { roles: array, liveChains: liveChainTable(liveChains) };
}

describe('readFreedOverflow', () => {
  it('follows a chain through freelist leaf pages', () => {
    const read = readFreedOverflow(reader, 512, local, payloadSize, 3, roles(PageRole.freelistLeaf, PageRole.freelistLeaf));
    expect(read).toMatchObject({ complete: true, pageNumbers: [3, 4] });
    expect(read.payload).toEqual(new Uint8Array([...local, ...tail]));
  });

  it('stops at a page that became a freelist trunk or a live b-tree page', () => {
    expect(readFreedOverflow(reader, 512, local, payloadSize, 3, roles(PageRole.freelistLeaf, PageRole.freelistTrunk))).toMatchObject({ complete: false, pageNumbers: [3], problem: 'overflow page 4 is now a freelist trunk (first bytes overwritten)' });
    expect(readFreedOverflow(reader, 512, local, payloadSize, 3, roles(PageRole.btree, PageRole.freelistLeaf))).toMatchObject({ complete: false, pageNumbers: [] });
  });

  it('reads a live chain only for a byte-identical copy of its live record', () => {
    const live = new Map([[3, localPayloadFingerprint(local)]]);
    expect(readFreedOverflow(reader, 512, local, payloadSize, 3, roles(PageRole.overflow, PageRole.overflow, live)).complete).toBe(true);
    const other = new Uint8Array(40).fill(0x43);
    expect(readFreedOverflow(reader, 512, other, payloadSize, 3, roles(PageRole.overflow, PageRole.overflow, live)).complete).toBe(false);
  });

  it('rejects a chain whose next-page pointers contradict the length still missing (pages reused)', () => {
    const longer = readFreedOverflow(reader, 512, local, payloadSize + 600, 3, undefined);
    expect(longer.complete).toBe(false);
    expect(longer.problem).toContain('contradicts');
    const shorter = readFreedOverflow(reader, 512, local, payloadSize - 200, 3, undefined);
    expect(shorter).toMatchObject({ complete: false });
  });
});
