/**
 * Freed-space job results (recovery/freed/freed-jobs.ts) for the trip back from a worker: records
 * packed like live ones (record-batch.ts) with their digests in flat arrays, everything else plain.
 */
import type { Issue } from '../issues/issue.js';
import type { FreedRecord } from '../recovery/freed/build-record.js';
import type { FreedJobResult, LiveDigestResult } from '../recovery/freed/freed-jobs.js';
import type { PackedRecords } from './record-batch.js';
import { packRecords, unpackRecords } from './record-batch.js';

export interface PackedFreedRecords {
  readonly records: PackedRecords;
  /** Per record: full digest, NaN when the record has none (partial). */
  readonly full: Float64Array;
  /** Per record: number of set digests, then all set digests in record order. */
  readonly setCounts: Int32Array;
  readonly sets: Float64Array;
  /** Per record: first page of its freed overflow chain, 0 for none. */
  readonly overflowFirstPages: Float64Array;
}

interface WirePage {
  readonly attributedTo: string | undefined;
  readonly issues: readonly Issue[];
  /** Index into the result's record lists. */
  readonly records: number;
  readonly tied: readonly { readonly signatureName: string; readonly issues: readonly Issue[]; readonly records: number }[];
}

export type WireFreedResult =
  | LiveDigestResult
  | { readonly kind: 'carve-pages'; readonly records: PackedFreedRecords; readonly issues: readonly Issue[] }
  | { readonly kind: 'carve-freelist'; readonly pages: readonly (WirePage | undefined)[]; readonly lists: PackedFreedRecords; readonly listLengths: readonly number[] };

export function packFreedRecords(records: readonly FreedRecord[]): PackedFreedRecords {
  const full = new Float64Array(records.length);
  const overflowFirstPages = new Float64Array(records.length);
  const setCounts = new Int32Array(records.length);
  let total = 0;
  for (const record of records) total += record.digests?.sets.length ?? 0;
  const sets = new Float64Array(total);
  let at = 0;
  records.forEach((record, index) => {
    const digests = record.digests;
    full[index] = digests === undefined ? Number.NaN : digests.full;
    overflowFirstPages[index] = record.overflowFirstPage;
    setCounts[index] = digests?.sets.length ?? 0;
    for (const digest of digests?.sets ?? []) sets[at++] = digest;
  });
  // Digests travel in the arrays: the packed record is the evidence part only.
  return { records: packRecords(records), full, setCounts, sets, overflowFirstPages };
}

export function unpackFreedRecords(packed: PackedFreedRecords): FreedRecord[] {
  const records = unpackRecords(packed.records);
  let at = 0;
  // The unpacked records are fresh objects: the digests are added in place, not by copying.
  return records.map((record, index) => {
    const count = packed.setCounts[index] as number;
    const full = packed.full[index] as number;
    const sets = Array.from(packed.sets.subarray(at, at + count));
    at += count;
    const fresh = record as { digests?: FreedRecord['digests']; overflowFirstPage?: number };
    fresh.digests = Number.isNaN(full) ? undefined : { full, sets };
    fresh.overflowFirstPage = packed.overflowFirstPages[index] as number;
    return record as FreedRecord;
  });
}

export function packFreedResult(result: FreedJobResult): WireFreedResult {
  switch (result.kind) {
    case 'live-digests':
      return result;
    case 'carve-pages':
      return { kind: 'carve-pages', records: packFreedRecords(result.records), issues: result.issues };
    case 'carve-freelist': {
      const lists: (readonly FreedRecord[])[] = [];
      const listOf = (records: readonly FreedRecord[]): number => {
        const known = lists.indexOf(records);
        if (known >= 0) return known;
        lists.push(records);
        return lists.length - 1;
      };
      const pages = result.pages.map((page): WirePage | undefined =>
        page === undefined
          ? undefined
          : {
              attributedTo: page.attributedTo,
              issues: page.issues,
              records: listOf(page.records),
              tied: page.tied.map((entry) => ({ signatureName: entry.signatureName, issues: entry.issues, records: listOf(entry.records) })),
            },
      );
      return { kind: 'carve-freelist', pages, lists: packFreedRecords(lists.flat()), listLengths: lists.map((list) => list.length) };
    }
  }
}

export function unpackFreedResult(wire: WireFreedResult): FreedJobResult {
  switch (wire.kind) {
    case 'live-digests':
      return wire;
    case 'carve-pages':
      return { kind: 'carve-pages', records: unpackFreedRecords(wire.records), issues: [...wire.issues] };
    case 'carve-freelist': {
      const all = unpackFreedRecords(wire.lists);
      const lists: FreedRecord[][] = [];
      let at = 0;
      for (const length of wire.listLengths) {
        lists.push(all.slice(at, at + length));
        at += length;
      }
      const listAt = (index: number): FreedRecord[] => lists[index] ?? [];
      return {
        kind: 'carve-freelist',
        pages: wire.pages.map((page) =>
          page === undefined
            ? undefined
            : {
                attributedTo: page.attributedTo,
                issues: [...page.issues],
                records: listAt(page.records),
                tied: page.tied.map((entry) => ({ signatureName: entry.signatureName, issues: [...entry.issues], records: listAt(entry.records) })),
              },
        ),
      };
    }
  }
}
