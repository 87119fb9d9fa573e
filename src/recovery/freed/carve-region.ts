/**
 * Carving one free region of a page image (a freeblock, the unallocated gap, space the freeblock
 * chain no longer reaches, the surviving tail of a freelist trunk) for records of one signature.
 *
 * 1. Every byte position is tried as an intact cell (found when a cell was merged into the
 *    freeblock before it, which leaves its first 4 bytes alone, or when content start moved).
 * 2. Positions holding a freeblock header (the chain's blocks, stale headers whose size lands on a
 *    boundary, stale cell pointers, the end of a cell just decoded) are tried as cells whose first
 *    4 bytes were overwritten (header-rebuild.ts). Their readings are ranked by evidence; a start
 *    whose best readings decode to different values is ambiguous: reported, never guessed.
 * 3. A non-overlapping set of the best-scored cells is kept (weighted interval scheduling), and
 *    bytes no cell explains are returned so the caller can report them.
 */
import { u16beUnchecked } from '../../bytes/read.js';
import type { DecodedCandidate, FreedCarveContext } from './build-record.js';
import { decodeCandidate as decodeFreedCandidate, valuesKey } from './build-record.js';
import type { CellCandidate, EndHint, FreedCellKind, PartialLayout } from './header-rebuild.js';
import { CandidateScore, FREEBLOCK_HEADER_SIZE_IN_BYTES, clobberedLayoutsAt, firstTypeBytes, freeblockSizeAt, intactCellAt, looksLikeFreeblockHeader, readingsForHints } from './header-rebuild.js';
import type { RecordSignature } from './signature.js';
import { classesPlausible, profileAdmits } from './signature.js';

export type RegionKind = 'freeblock' | 'unreached' | 'unallocated-gap' | 'trunk-tail' | 'freed-page';

export interface FreeRegion {
  readonly kind: RegionKind;
  readonly startInPage: number;
  /** Exclusive. */
  readonly endInPage: number;
  /** Offsets where a freeblock header is known to sit over a cell start (the chain's blocks). */
  readonly headerStarts: readonly number[];
}

/** Most fragment bytes (1–3) SQLite may leave between two cells. */
export const maximumFragmentSizeInBytes = 3;
/** Boundaries (nearest first) offered as the end of a cell whose lost serial types need one. */
export const maximumBoundaryHints = 3;
/** Zero bytes that split two undecoded runs. */
export const zeroGapSizeInBytes = 8;
/** Undecoded runs shorter than this are fragments, not worth an issue. */
export const minimumReportedUndecodedSizeInBytes = 4;

export interface ChosenCell {
  readonly decoded: DecodedCandidate;
  readonly score: number;
  /** Set when the choice among rebuilt readings used the live records' type pattern. */
  readonly byProfile: boolean;
}

export interface AmbiguousStart {
  readonly offsetInPage: number;
  /** Distinct decodings of the best readings (empty when too many to enumerate). */
  readonly readings: readonly DecodedCandidate[];
}

export interface RegionCarve {
  readonly cells: readonly ChosenCell[];
  readonly ambiguous: readonly AmbiguousStart[];
  readonly undecoded: readonly { readonly startInPage: number; readonly endInPage: number }[];
}

export interface RegionCarveOptions {
  /** Page-wide hints of cell starts (stale cell-pointer entries left in the gap). */
  readonly hintStarts: readonly number[];
  /** Intact-cell scan of every byte position (off only for speed tests). */
  readonly scanIntact?: boolean;
}

interface Scored {
  readonly decoded: DecodedCandidate;
  score: number;
  readonly byProfile: boolean;
  readonly intact: boolean;
}

function rebuiltTypesAdmitted(candidate: CellCandidate, signature: RecordSignature): boolean {
  for (let index = 0; index < candidate.rebuiltTypeCount; index++) {
    if (signature.fields[index]?.storedAsNull === true) continue;
    if (!profileAdmits(signature.profile?.[index], candidate.serialTypes[index] as number)) return false;
  }
  return true;
}

export function carveRegion(page: Uint8Array, region: FreeRegion, kinds: readonly FreedCellKind[], signature: RecordSignature, context: FreedCarveContext, options: RegionCarveOptions): RegionCarve {
  const decodeCandidate = (bytes: Uint8Array, candidate: CellCandidate, carveContext: FreedCarveContext): DecodedCandidate | undefined =>
    classesPlausible(signature, candidate.serialTypes) ? decodeFreedCandidate(bytes, candidate, carveContext) : undefined;
  const start = region.startInPage;
  const end = Math.min(region.endInPage, page.length, context.usableSize);
  const usable = context.usableSize;
  const pool: Scored[] = [];
  const ambiguous: AmbiguousStart[] = [];
  const intactStarts = new Set<number>();
  if (end - start < 2) return { cells: [], ambiguous, undecoded: [] };

  // One pass over the region: intact cells at every byte, and positions holding a plausible
  // freeblock header (kept for the anchor test below). Index loops, no closures: this is the
  // innermost loop of freed-space recovery.
  const scanIntact = options.scanIntact !== false;
  const kindCount = kinds.length;
  const minimumPayload = 1 + signature.minimumFieldCount;
  const typeBytes = firstTypeBytes(signature);
  const headerPositions: number[] = [];
  for (let position = start; position < end - 1; position++) {
    const first = page[position] as number;
    if (position + FREEBLOCK_HEADER_SIZE_IN_BYTES <= end) {
      const size = ((page[position + 2] as number) << 8) | (page[position + 3] as number);
      if (size >= 4 && position + size <= usable && looksLikeFreeblockHeader(page, position, usable)) headerPositions.push(position);
    }
    if (!scanIntact) continue;
    for (let kindIndex = 0; kindIndex < kindCount; kindIndex++) {
      const kind = kinds[kindIndex] as FreedCellKind;
      // A leaf cell starts with its payload size: never 0, and at least the header's size.
      if (kind !== 'index-interior' && (first === 0 || (first < 0x80 && first < minimumPayload))) continue;
      const cell = intactCellAt(page, position, end, kind, signature, usable, typeBytes);
      if (cell === undefined) continue;
      const decoded = decodeCandidate(page, cell, context);
      if (decoded === undefined) continue;
      pool.push({ decoded, score: CandidateScore.intact, byProfile: false, intact: true });
      intactStarts.add(position);
    }
  }

  const inRegion = (position: number): boolean => position >= start && position + FREEBLOCK_HEADER_SIZE_IN_BYTES <= end;
  const headerAt = (position: number): boolean => inRegion(position) && looksLikeFreeblockHeader(page, position, usable);
  const hintStarts = options.hintStarts.length === 0 ? options.hintStarts : options.hintStarts.filter(inRegion);
  const boundaries = new Set<number>([end, ...intactStarts, ...region.headerStarts, ...hintStarts]);
  const anchors = new Set<number>();
  for (const headerStart of region.headerStarts) if (inRegion(headerStart)) anchors.add(headerStart);
  for (const hint of hintStarts) if (headerAt(hint)) anchors.add(hint);
  // Right after an intact cell (plus 0–3 fragment bytes) the next cell starts: possibly one whose
  // first 4 bytes were overwritten (a stale freeblock header whose size may no longer fit).
  for (const entry of pool) {
    const cellEnd = entry.decoded.candidate.cellEndInPage;
    for (let gap = 0; gap <= maximumFragmentSizeInBytes; gap++) if (headerAt(cellEnd + gap)) anchors.add(cellEnd + gap);
  }
  const unconditional = new Set(anchors);
  // A stale freeblock header (a cell start overwritten long ago) is tried when the block it
  // describes ends at a boundary (the region end, a chain block, a decoded cell: tested when it
  // is reached, so cells decoded after it count) or runs past the region (its end was reused since,
  // as when SQLite moved the content start). A header whose block ends anywhere else is more likely
  // bytes inside some record than a cell start. Stale headers are starts to try, never ends.
  const conditional = new Set<number>();
  for (const position of headerPositions) {
    if (unconditional.has(position)) continue;
    conditional.add(position);
    anchors.add(position);
  }
  // Last anchor first: a cell decoded at a higher offset becomes the pinned end of the one before.
  const worklist = [...anchors].sort((a, b) => b - a);
  const processed = new Set<number>();
  while (worklist.length > 0) {
    const anchor = worklist.shift() as number;
    if (processed.has(anchor) || !headerAt(anchor)) continue;
    const sizeEnd = anchor + freeblockSizeAt(page, anchor);
    if (conditional.has(anchor) && !(sizeEnd > end || boundaries.has(sizeEnd))) continue;
    processed.add(anchor);
    // A cell never extends past the freeblock written over its start: the freeblock only grows by
    // merging and shrinks only when its end is reused (then the cell's tail is gone).
    const limit = Math.min(end, sizeEnd);
    let tooMany = false;
    const decodedReadings: DecodedCandidate[] = [];
    const partial: PartialLayout[] = [];
    for (const kind of kinds) {
      const layouts = clobberedLayoutsAt(page, anchor, limit, kind, signature, usable);
      partial.push(...layouts.partial);
      for (const reading of layouts.exact) {
        const decoded = decodeCandidate(page, reading, context);
        if (decoded !== undefined) decodedReadings.push(decoded);
      }
    }
    const readTier = (tierHints: readonly EndHint[]): void => {
      const readings = readingsForHints(page, partial, tierHints, usable);
      if (readings.some((reading) => reading.score < 0)) tooMany = true;
      // Readings that fit the live records' type pattern are decoded first; when one of them
      // decodes, the others of this tier cannot win (see the choice below) and are skipped.
      const admitted = readings.filter((reading) => reading.score >= 0 && rebuiltTypesAdmitted(reading, signature));
      let found = false;
      for (const reading of admitted) {
        const decoded = decodeCandidate(page, reading, context);
        if (decoded === undefined) continue;
        decodedReadings.push(decoded);
        found = true;
      }
      if (found) return;
      for (const reading of readings) {
        if (reading.score < 0 || admitted.includes(reading)) continue;
        const decoded = decodeCandidate(page, reading, context);
        if (decoded !== undefined) decodedReadings.push(decoded);
      }
    };
    if (partial.length > 0) {
      const hints = endHints(anchor, limit, sizeEnd, boundaries);
      // Hints are tried tier by tier (best evidence first): a lower tier is read only when no
      // reading of a higher one decodes, which also bounds the enumeration of lost types.
      const tiers = [...new Set(hints.map((hint) => hint.score))].sort((a, b) => b - a);
      for (const tier of tiers) {
        if (decodedReadings.some((decoded) => decoded.candidate.choiceMade)) break;
        readTier(hints.filter((hint) => hint.score === tier));
      }
    }
    if (decodedReadings.length === 0) {
      if (tooMany) ambiguous.push({ offsetInPage: anchor, readings: [] });
      continue;
    }
    // Among readings that needed no choice, one whose extent matches the freeblock size or a
    // boundary is preferred; readings that needed a choice already carry their hint's score.
    const effective = (decoded: DecodedCandidate): number => {
      const candidate = decoded.candidate;
      if (candidate.choiceMade) return candidate.score;
      if (candidate.cellEndInPage === sizeEnd) return candidate.score + 0.5;
      return boundaries.has(candidate.cellEndInPage) ? candidate.score + 0.25 : candidate.score;
    };
    let top = -Infinity;
    for (const decoded of decodedReadings) top = Math.max(top, effective(decoded));
    const best = decodedReadings.length === 1 ? decodedReadings : distinct(decodedReadings.filter((decoded) => effective(decoded) === top));
    let chosen: DecodedCandidate | undefined;
    let byProfile = false;
    if (best.length === 1 && !(tooMany && top < CandidateScore.clobberedExact)) chosen = best[0];
    else {
      const admitted = best.filter((decoded) => decoded.candidate.choiceMade && rebuiltTypesAdmitted(decoded.candidate, signature));
      if (admitted.length === 1 && !tooMany) {
        chosen = admitted[0];
        byProfile = true;
      }
    }
    if (chosen === undefined) {
      ambiguous.push({ offsetInPage: anchor, readings: best });
      continue;
    }
    pool.push({ decoded: chosen, score: top, byProfile, intact: false });
    const cellEnd = chosen.candidate.cellEndInPage;
    boundaries.add(chosen.candidate.cellStartInPage);
    boundaries.add(cellEnd);
    for (let gap = 0; gap <= maximumFragmentSizeInBytes; gap++) {
      if (!headerAt(cellEnd + gap) || processed.has(cellEnd + gap)) continue;
      conditional.delete(cellEnd + gap);
      worklist.push(cellEnd + gap);
    }
  }

  // Intact cells are anchored when they start at a structural position (region start, a chain or
  // hinted cell start, the end of an anchored cell plus 0–3 fragment bytes) or end at one (the
  // region end, or just before another cell's start).
  const structural = new Set<number>([start, ...region.headerStarts, ...hintStarts]);
  const starts = new Set<number>(pool.map((entry) => entry.decoded.candidate.cellStartInPage));
  const near = (set: ReadonlySet<number>, position: number, backwards: boolean): boolean => {
    for (let gap = 0; gap <= maximumFragmentSizeInBytes; gap++) if (set.has(backwards ? position - gap : position + gap)) return true;
    return false;
  };
  const anchored = new Set<Scored>();
  const ordered = [...pool].sort((a, b) => a.decoded.candidate.cellStartInPage - b.decoded.candidate.cellStartInPage);
  for (const entry of ordered) {
    const candidate = entry.decoded.candidate;
    const byStart = near(structural, candidate.cellStartInPage, true);
    const byEnd = candidate.cellEndInPage === end || near(starts, candidate.cellEndInPage, false);
    if (!entry.intact || byStart || byEnd) anchored.add(entry);
    if (!entry.intact || byStart) structural.add(candidate.cellEndInPage);
  }
  // A cell whose extent contains, strictly inside, the start of another anchored freed cell (or of
  // a chain freeblock) lies partly under newer bytes: an older image of the page (before a rebuild
  // or defragmentation) whose tail was overwritten. It is dropped, never reported with that tail.
  const strongStarts = [...new Set([...region.headerStarts, ...[...anchored].map((entry) => entry.decoded.candidate.cellStartInPage)])].sort((a, b) => a - b);
  const kept = pool.filter((entry) => {
    const candidate = entry.decoded.candidate;
    return !strongStarts.some((position) => position > candidate.cellStartInPage && position < candidate.cellEndInPage);
  });
  // Anchored intact cells are strong evidence; a floating one is weaker than a rebuilt cell.
  for (const entry of kept) if (entry.intact && !anchored.has(entry)) entry.score = CandidateScore.intact / 2;
  pool.length = 0;
  pool.push(...kept);
  const cells = schedule(pool);
  const covered = new Set<number>(cells.map((cell) => cell.decoded.candidate.cellStartInPage));
  return {
    cells,
    ambiguous: ambiguous.filter((entry) => !covered.has(entry.offsetInPage) && !cells.some((cell) => cell.decoded.candidate.cellStartInPage <= entry.offsetInPage && entry.offsetInPage < cell.decoded.candidate.cellEndInPage)),
    undecoded: undecodedRuns(page, region, end, cells, usable),
  };
}

function endHints(anchor: number, limit: number, sizeEnd: number, boundaries: ReadonlySet<number>): EndHint[] {
  const scores = new Map<number, number>();
  const offer = (position: number, score: number): void => {
    if (position <= anchor + FREEBLOCK_HEADER_SIZE_IN_BYTES || position > limit) return;
    if ((scores.get(position) ?? -1) < score) scores.set(position, score);
  };
  // Only the nearest boundaries can be where this cell ends: a later one would swallow the cell
  // that starts at the nearer one.
  const nearest = [...boundaries].filter((boundary) => boundary > anchor + FREEBLOCK_HEADER_SIZE_IN_BYTES && boundary <= limit).sort((a, b) => a - b).slice(0, maximumBoundaryHints);
  for (const boundary of nearest) offer(boundary, CandidateScore.endIsBoundary + (boundary === sizeEnd ? CandidateScore.endIsFreeblockSize : 0));
  offer(sizeEnd, CandidateScore.endIsFreeblockSize + (boundaries.has(sizeEnd) ? CandidateScore.endIsBoundary : 0));
  for (const [position, score] of [...scores]) {
    if (score < CandidateScore.endIsBoundary) continue;
    for (let gap = 1; gap <= maximumFragmentSizeInBytes; gap++) offer(position - gap, CandidateScore.endNearBoundary);
  }
  return [...scores].map(([endInPage, score]) => ({ endInPage, score })).sort((a, b) => b.score - a.score || a.endInPage - b.endInPage);
}

/** Readings with distinct values (the first of each kept: hints come best first). */
function distinct(readings: readonly DecodedCandidate[]): DecodedCandidate[] {
  const seen = new Map<string, DecodedCandidate>();
  for (const reading of readings) {
    const key = valuesKey(reading.types, reading.values);
    if (!seen.has(key)) seen.set(key, reading);
  }
  return [...seen.values()];
}

/** Weighted interval scheduling: the non-overlapping set of cells with the highest total score. */
function schedule(pool: readonly Scored[]): ChosenCell[] {
  if (pool.length === 0) return [];
  const items = [...pool].sort((a, b) => a.decoded.candidate.cellEndInPage - b.decoded.candidate.cellEndInPage || b.score - a.score);
  const best: number[] = new Array<number>(items.length + 1).fill(0);
  const take: boolean[] = new Array<boolean>(items.length).fill(false);
  const previous: number[] = new Array<number>(items.length).fill(0);
  for (let index = 0; index < items.length; index++) {
    const item = items[index] as Scored;
    // Largest j (count of items) whose last item ends at or before this one starts.
    let low = 0;
    let high = index;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((items[middle - 1] as Scored).decoded.candidate.cellEndInPage <= item.decoded.candidate.cellStartInPage) low = middle;
      else high = middle - 1;
    }
    previous[index] = low;
    const withIt = item.score + (best[low] as number);
    const without = best[index] as number;
    take[index] = withIt > without;
    best[index + 1] = Math.max(withIt, without);
  }
  const chosen: ChosenCell[] = [];
  for (let index = items.length - 1; index >= 0; ) {
    if (take[index] === true) {
      const item = items[index] as Scored;
      chosen.push({ decoded: item.decoded, score: item.score, byProfile: item.byProfile });
      index = (previous[index] as number) - 1;
    } else index--;
  }
  return chosen.reverse();
}

function undecodedRuns(page: Uint8Array, region: FreeRegion, end: number, cells: readonly ChosenCell[], usable: number): { startInPage: number; endInPage: number }[] {
  let start = region.startInPage;
  if (region.kind === 'unallocated-gap') {
    // Stale cell-pointer entries sit at the start of the gap (sqlite.md §1.8): not record bytes.
    while (start + 2 <= end) {
      const value = u16beUnchecked(page, start);
      if (value === 0 || value >= usable) break;
      start += 2;
    }
  }
  const runs: { startInPage: number; endInPage: number }[] = [];
  let position = start;
  // Zero bytes are never record content: runs are the non-zero stretches, split at zero gaps.
  const flush = (to: number): void => {
    let runStart = -1;
    let lastNonZero = -1;
    const close = (): void => {
      if (runStart >= 0 && lastNonZero + 1 - runStart >= minimumReportedUndecodedSizeInBytes) runs.push({ startInPage: runStart, endInPage: lastNonZero + 1 });
      runStart = -1;
    };
    for (let index = position; index < to; index++) {
      if (page[index] === 0) {
        if (runStart >= 0 && index - lastNonZero >= zeroGapSizeInBytes) close();
        continue;
      }
      if (runStart < 0) runStart = index;
      lastNonZero = index;
    }
    close();
  };
  for (const cell of cells) {
    const cellStart = cell.decoded.candidate.cellStartInPage;
    if (cellStart > position) flush(Math.min(cellStart, end));
    position = Math.max(position, cell.decoded.candidate.cellEndInPage);
  }
  if (position < end) flush(end);
  return runs;
}
