/**
 * WAL generations and transactions from labelled frames (sqlite.md §2.4).
 *
 * A generation is one salt pair: the header's (current) or one left behind by a WAL restart
 * (stale). Frames join the generation of their `generationSalt1/2` (a zero-salt frame belongs to
 * the frame before it), listed in order of first appearance in the file. Inside a generation,
 * frames split into transactions at commit frames, in file order; frames after the last commit
 * frame form a transaction without a commit (the uncommitted tail, or a stale generation's
 * unfinished one). The first surviving transaction of a stale generation may have lost its first
 * frames to the newer generation that overwrote the start of the file: `startKnown` says so.
 *
 * Plain data only, so the result crosses worker boundaries and feeds reports unchanged.
 */
import type { WalFrame, WalFrameChecksum, WalFrameLabel } from '../formats/wal/parse-wal.js';
import type { IndexedWalFrames } from '../formats/wal/frame-list.js';

export interface WalGeneration {
  /** 0-based, in order of first appearance in the file. */
  readonly generationIndex: number;
  readonly salt1: number;
  readonly salt2: number;
  readonly isCurrent: boolean;
  /**
   * (header salt-1 − salt-1) mod 2^32: salt-1 grows by one at every restart, so this counts the
   * restarts since the generation was written. An inference: undefined when above 1,000,000
   * (salts re-randomised when the WAL file was recreated).
   */
  readonly restartsBeforeCurrent: number | undefined;
  readonly frameNumbers: readonly number[];
  /** Indices into `WalAssembly.transactions`. */
  readonly transactionIndices: readonly number[];
}

/**
 * - `committed`: every frame is `committed` (SQLite applies the transaction).
 * - `uncommitted`: the current generation's tail after the last commit SQLite accepts.
 * - `stale-generation`: a transaction of a previous generation (`endsWithCommit` says whether its
 *   commit frame survived).
 * - `checksum-invalid`: a current-generation transaction with a frame SQLite rejects before its
 *   commit frame: committed by its writer, lost to SQLite.
 */
export type WalTransactionState = 'committed' | 'uncommitted' | 'stale-generation' | 'checksum-invalid';

export interface WalTransaction {
  /** 0-based, in file order of first frames. */
  readonly transactionIndex: number;
  readonly generationIndex: number;
  /** 1-based within its generation, in file order (the write order inside a generation). */
  readonly sequenceNumber: number;
  /** 1-based frame numbers, in file order. */
  readonly frameNumbers: readonly number[];
  /** Page number of each frame, aligned with `frameNumbers`. */
  readonly pageNumbers: readonly number[];
  readonly commitFrameNumber: number | undefined;
  /** The commit frame's database size in pages after the commit; undefined without a commit frame. */
  readonly databaseSizeInPages: number | undefined;
  readonly endsWithCommit: boolean;
  /** False for a stale generation's first surviving transaction, whose first frames may have been overwritten. */
  readonly startKnown: boolean;
  readonly state: WalTransactionState;
  /** Frames per checksum state. */
  readonly checksumCounts: Readonly<Record<WalFrameChecksum, number>>;
}

export interface WalAssembly {
  readonly generations: readonly WalGeneration[];
  readonly transactions: readonly WalTransaction[];
  /** Index of the header's generation in `generations`; undefined when none of its frames survive. */
  readonly currentGenerationIndex: number | undefined;
}

/** Above this, a salt-1 distance is not a restart count (see `restartsBeforeCurrent`). */
const maximumPlausibleRestartCount = 1_000_000;

function transactionState(labels: readonly WalFrameLabel[]): WalTransactionState {
  if (labels.includes('checksum-invalid')) return 'checksum-invalid';
  if (labels.every((label) => label === 'committed')) return 'committed';
  if (labels.includes('stale-generation')) return 'stale-generation';
  return 'uncommitted';
}

interface GenerationBuilder {
  readonly generationIndex: number;
  readonly salt1: number;
  readonly salt2: number;
  /** Indexes into the frames given. */
  readonly frames: number[];
}

/**
 * Groups labelled frames (from `parseWal`/`labelWalFrame`) into generations and transactions.
 * `header` gives the current salt pair.
 */
export function assembleWalTransactions(header: { readonly salt1: number; readonly salt2: number }, frames: IndexedWalFrames): WalAssembly {
  const byKey = new Map<string, GenerationBuilder>();
  const builders: GenerationBuilder[] = [];
  // Frames are read by index and not kept: a WalFrameList builds each one on demand.
  const frameAt = (index: number): WalFrame => frames.at(index) as WalFrame;
  for (let index = 0; index < frames.length; index++) {
    const frame = frameAt(index);
    const key = `${frame.generationSalt1}:${frame.generationSalt2}`;
    let builder = byKey.get(key);
    if (builder === undefined) {
      builder = { generationIndex: builders.length, salt1: frame.generationSalt1, salt2: frame.generationSalt2, frames: [] };
      byKey.set(key, builder);
      builders.push(builder);
    }
    builder.frames.push(index);
  }

  // Transactions per generation, then numbered globally in file order of their first frames.
  interface Draft {
    readonly generationIndex: number;
    readonly sequenceNumber: number;
    readonly frames: readonly number[];
    readonly startKnown: boolean;
    readonly isCurrent: boolean;
  }
  const drafts: Draft[] = [];
  for (const builder of builders) {
    const isCurrent = builder.salt1 === header.salt1 && builder.salt2 === header.salt2;
    let pending: number[] = [];
    let sequenceNumber = 0;
    const first = builder.frames[0];
    let startKnown = isCurrent && first !== undefined && frameAt(first).frameNumber === 1;
    const close = (): void => {
      if (pending.length === 0) return;
      drafts.push({ generationIndex: builder.generationIndex, sequenceNumber: ++sequenceNumber, frames: pending, startKnown, isCurrent });
      pending = [];
      startKnown = true;
    };
    for (const index of builder.frames) {
      pending.push(index);
      const frame = frameAt(index);
      if (frame.isCommit && frame.checksum !== 'zeroed') close();
    }
    close();
  }
  // Frame indexes follow file order, so a draft's first index orders it.
  drafts.sort((a, b) => (a.frames[0] ?? 0) - (b.frames[0] ?? 0));

  const transactionIndicesOf: number[][] = builders.map(() => []);
  const transactions: WalTransaction[] = drafts.map((draft, transactionIndex) => {
    const draftFrames = draft.frames.map(frameAt);
    const last = draftFrames[draftFrames.length - 1];
    const endsWithCommit = last !== undefined && last.isCommit && last.checksum !== 'zeroed';
    const checksumCounts: Record<WalFrameChecksum, number> = { valid: 0, linked: 0, mismatch: 0, unverifiable: 0, zeroed: 0 };
    for (const frame of draftFrames) checksumCounts[frame.checksum]++;
    transactionIndicesOf[draft.generationIndex]?.push(transactionIndex);
    return {
      transactionIndex,
      generationIndex: draft.generationIndex,
      sequenceNumber: draft.sequenceNumber,
      frameNumbers: draftFrames.map((frame) => frame.frameNumber),
      pageNumbers: draftFrames.map((frame) => frame.pageNumber),
      commitFrameNumber: endsWithCommit ? last.frameNumber : undefined,
      databaseSizeInPages: endsWithCommit ? last.commitSizeInPages : undefined,
      endsWithCommit,
      startKnown: draft.startKnown,
      state: transactionState(draftFrames.map((frame) => frame.label)),
      checksumCounts,
    };
  });

  const generations: WalGeneration[] = builders.map((builder) => {
    const isCurrent = builder.salt1 === header.salt1 && builder.salt2 === header.salt2;
    const distance = (header.salt1 - builder.salt1) >>> 0;
    return {
      generationIndex: builder.generationIndex,
      salt1: builder.salt1,
      salt2: builder.salt2,
      isCurrent,
      restartsBeforeCurrent: isCurrent ? 0 : distance <= maximumPlausibleRestartCount ? distance : undefined,
      frameNumbers: builder.frames.map((index) => frameAt(index).frameNumber),
      transactionIndices: transactionIndicesOf[builder.generationIndex] ?? [],
    };
  });
  const current = generations.find((generation) => generation.isCurrent);
  return { generations, transactions, currentGenerationIndex: current?.generationIndex };
}
