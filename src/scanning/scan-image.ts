/**
 * One image, scanned: the main thread plans windows and hands them to the pool as plain tasks,
 * hashes the image (SHA-256 and MD5) without a second pass, draws the progress bar, and checks at
 * the end that the image did not change while it was read. Two read strategies (hash-alongside.ts
 * explains them; bench/raw-image.js measures both):
 * - `shared` (default): each window is read once, by the main thread, into a slot of a
 *   SharedArrayBuffer that the hashes and the scanning worker all read in place;
 * - `workers-read`: workers read their own windows; the main thread reads the image a second time
 *   for the hashes, and never dispatches a window more than `leadWindowCount` windows ahead of its
 *   hash cursor, so worker reads land on pages the hashing read has just cached.
 *
 * Memory stays bounded whatever the image size: `maximumWindowsInFlight` window buffers (shared
 * slots, or one reused buffer per worker), one hash chunk, and hits kept packed (about 41 bytes
 * each).
 */
import { createHash } from 'node:crypto';
import { formatOffset } from '../bytes/offsets.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import { filePath } from '../provenance/path.js';
import type { ByteSource } from '../sources/byte-source.js';
import { changedFiles, fileIdentities, openSegments, splitSegmentPaths } from '../sources/split-raw.js';
import type { AlongsideHashes } from './hash-alongside.js';
import { AlongsideHasher, Md5Thread } from './hash-alongside.js';
import type { PackedHits } from './hits.js';
import { mergePackedHits } from './hits.js';
import type { ScanWindow, WindowPlanOptions } from './plan-windows.js';
import { planWindows } from './plan-windows.js';
import type { ProgressOptions } from './progress.js';
import { ProgressBar } from './progress.js';
import type { UnreadableRange } from './read-window.js';
import { readRangeInto } from './read-window.js';
import type { WindowScanner } from './window-scanner.js';
import { inProcessWindowScanner } from './window-scanner.js';
import type { ScanWindowResult, ScanWindowTask } from './scan-window.js';

export type ReadStrategy = 'shared' | 'workers-read';

export interface ScanImageOptions extends WindowPlanOptions {
  /**
   * Where windows are scanned: the house's WorkerPool (src/pool, not closed here), or by default
   * in-process. scanning/ cannot import src/pool (the pool wraps scanning), so callers pass it.
   */
  readonly pool?: WindowScanner;
  /** Location as reports name it; default the first segment's path. */
  readonly location?: string;
  /** Compute SHA-256 and MD5 alongside (default true). */
  readonly hash?: boolean;
  /** Default `shared`. */
  readonly readStrategy?: ReadStrategy;
  /** Hash the image a second time at the end and compare (catches a change the file times hide). */
  readonly verifyHashes?: boolean;
  readonly progress?: ProgressOptions;
  /** Windows in flight at once; default 2 per worker (at least 2). */
  readonly maximumWindowsInFlight?: number;
  /** `workers-read` only: how many windows the scan may run ahead of the hash cursor; default 2 per worker (at least 2). */
  readonly leadWindowCount?: number;
  /** Called after each window's result arrives (tests, custom progress). */
  readonly onWindow?: (result: ScanWindowResult, window: ScanWindow) => void | Promise<void>;
  /**
   * How the main thread opens the image (default: read-only, split segments as one). A seam for
   * tests that need a medium with unreadable sectors; with `shared` reads every byte the scan and
   * the hashes see comes through it.
   */
  readonly openSource?: (fileSystemPaths: readonly string[], location: string) => ByteSource;
}

export interface ImageScanTiming {
  readonly wallMilliseconds: number;
  /** Sum over windows of the workers' scan time (reading excluded). */
  readonly scanMilliseconds: number;
  /** Sum over windows of the workers' read time. */
  readonly readMilliseconds: number;
}

export interface ImageScan {
  readonly location: string;
  readonly fileSystemPaths: readonly string[];
  readonly sizeInBytes: number;
  readonly windowCount: number;
  /** Every hit, ordered by image offset then kind. */
  readonly hits: PackedHits;
  readonly hashes: AlongsideHashes | undefined;
  readonly unreadable: readonly UnreadableRange[];
  /** `scan.read-error`, `internal.worker-crash`, `input.changed-during-scan`. */
  readonly issues: readonly Issue[];
  /** The image changed while it was read: every offset in the results may be wrong. */
  readonly changedDuringScan: boolean;
  readonly timing: ImageScanTiming;
}

const yieldToEventLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Images below this size hash MD5 on the main thread: starting a thread costs more than it saves. */
const md5ThreadThresholdInBytes = 64 * 1024 * 1024;

/** What both strategies accumulate, window by window. */
class ScanState {
  readonly issues: Issue[] = [];
  readonly unreadable: UnreadableRange[] = [];
  readonly hitBatches: PackedHits[] = [];
  hitCount = 0;
  scannedBytes = 0;
  scanMilliseconds = 0;
  readMilliseconds = 0;

  add(result: ScanWindowResult, window: ScanWindow): void {
    this.hitBatches.push(result.hits);
    this.hitCount += result.hits.count;
    this.scannedBytes += window.pageLength;
    this.scanMilliseconds += result.scanMilliseconds;
    this.readMilliseconds += result.readMilliseconds;
    this.issues.push(...result.issues);
    this.unreadable.push(...result.unreadable.filter((range) => range.imageOffset >= window.start && range.imageOffset < window.start + window.pageLength));
  }
}

function taskOf(window: ScanWindow, location: string, fileSystemPaths: readonly string[]): ScanWindowTask {
  return { kind: 'scan-window', location, fileSystemPaths, start: window.start, pageLength: window.pageLength, marginLength: window.marginLength, leadLength: window.leadLength };
}

function readErrorIssue(location: string, range: UnreadableRange): Issue {
  return issue('scan.read-error', 'error', filePath(location), range.imageOffset, `Read error at ${formatOffset(range.imageOffset)}, ${range.lengthInBytes} bytes: ${range.message}; scanned as zeros`, {
    imageOffset: range.imageOffset,
    lengthInBytes: range.lengthInBytes,
    message: range.message,
  });
}

/**
 * Scans one image: a file of any name, or any segment of a split image (`.001`, `.002`, … read
 * as one).
 * @throws the file system's error when the image cannot be opened.
 */
export async function scanImage(fileSystemPath: string, options: ScanImageOptions = {}): Promise<ImageScan> {
  const started = performance.now();
  const fileSystemPaths = splitSegmentPaths(fileSystemPath);
  const location = options.location ?? (fileSystemPaths[0] as string);
  const identitiesBefore = fileIdentities(fileSystemPaths);
  const source = (options.openSource ?? openSegments)(fileSystemPaths, location);
  const pool = options.pool ?? inProcessWindowScanner;
  const progress = new ProgressBar(options.progress);
  const state = new ScanState();
  try {
    const windows = planWindows(source.sizeInBytes, options);
    const context: StrategyContext = { source, location, fileSystemPaths, windows, pool, progress, state, options };
    let hashes = options.readStrategy === 'workers-read' ? await scanWorkersRead(context) : await scanShared(context);
    progress.finish(source.sizeInBytes, source.sizeInBytes, state.hitCount);
    const issues = state.issues;
    const changed = changedFiles(identitiesBefore, fileIdentities(fileSystemPaths));
    let changedDuringScan = changed.length > 0 || (hashes !== undefined && hashes.sizeInBytes !== source.sizeInBytes);
    for (const file of changed) {
      issues.push(
        issue('input.changed-during-scan', 'error', filePath(location), 0, `${file.fileSystemPath} changed while it was scanned (size, times or inode differ); offsets and hashes may not describe the same bytes`, {
          fileSystemPath: file.fileSystemPath,
          sizeAtEnd: file.sizeInBytes,
        }),
      );
    }
    if (options.verifyHashes === true && hashes !== undefined) {
      const again = openSegments(fileSystemPaths, location);
      try {
        const second = await new AlongsideHasher(again).finish();
        if (second.sha256 !== hashes.sha256 || second.md5 !== hashes.md5) {
          changedDuringScan = true;
          issues.push(
            issue('input.changed-during-scan', 'error', filePath(location), 0, `${location} changed while it was scanned: SHA-256 ${hashes.sha256} during the scan, ${second.sha256} after it`, {
              sha256AtStart: hashes.sha256,
              sha256AtEnd: second.sha256,
            }),
          );
          hashes = { ...hashes, complete: false };
        }
      } finally {
        again.close();
      }
    }
    if (hashes !== undefined) {
      for (const range of hashes.unreadable) {
        if (state.unreadable.some((known) => known.imageOffset <= range.imageOffset && known.imageOffset + known.lengthInBytes >= range.imageOffset + range.lengthInBytes)) continue;
        issues.push(issue('scan.read-error', 'error', filePath(location), range.imageOffset, `Read error at ${formatOffset(range.imageOffset)}, ${range.lengthInBytes} bytes, while hashing: ${range.message}; hashed as zeros`));
      }
    }
    issues.sort((a, b) => a.offsetInLeaf - b.offsetInLeaf || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    state.unreadable.sort((a, b) => a.imageOffset - b.imageOffset);
    return {
      location,
      fileSystemPaths,
      sizeInBytes: source.sizeInBytes,
      windowCount: windows.length,
      hits: mergePackedHits(state.hitBatches),
      hashes,
      unreadable: state.unreadable,
      issues,
      changedDuringScan,
      timing: { wallMilliseconds: performance.now() - started, scanMilliseconds: state.scanMilliseconds, readMilliseconds: state.readMilliseconds },
    };
  } finally {
    source.close();
  }
}

interface StrategyContext {
  readonly source: ByteSource;
  readonly location: string;
  readonly fileSystemPaths: readonly string[];
  readonly windows: readonly ScanWindow[];
  readonly pool: WindowScanner;
  readonly progress: ProgressBar;
  readonly state: ScanState;
  readonly options: ScanImageOptions;
}

/** Each window read once into a shared slot; SHA-256 here, MD5 on its thread, the scan in a worker. */
async function scanShared(context: StrategyContext): Promise<AlongsideHashes | undefined> {
  const { source, location, fileSystemPaths, windows, pool, progress, state, options } = context;
  const hashing = options.hash !== false;
  const slotCount = options.maximumWindowsInFlight ?? Math.max(2, 2 * Math.max(1, pool.workerCount));
  const slotSize = Math.ceil(Math.max(0, ...windows.map((window) => window.leadLength + window.pageLength + window.marginLength)) / 4096) * 4096;
  if (windows.length === 0) return hashing ? { sha256: createHash('sha256').digest('hex'), md5: createHash('md5').digest('hex'), sizeInBytes: 0, complete: true, unreadable: [] } : undefined;
  const shared = new SharedArrayBuffer(slotSize * Math.min(slotCount, windows.length));
  const free = Array.from({ length: Math.min(slotCount, windows.length) }, (_, index) => index);
  const sha256 = hashing ? createHash('sha256') : undefined;
  const md5Thread = hashing && source.sizeInBytes >= md5ThreadThresholdInBytes ? new Md5Thread(shared) : undefined;
  const md5 = hashing && md5Thread === undefined ? createHash('md5') : undefined;
  const hashUnreadable: UnreadableRange[] = [];
  let hashedBytes = 0;
  const inFlight = new Set<Promise<void>>();
  try {
    for (const window of windows) {
      while (free.length === 0) await Promise.race(inFlight);
      const slot = free.pop() as number;
      const readStart = window.start - window.leadLength;
      const view = new Uint8Array(shared, slot * slotSize, window.leadLength + window.pageLength + window.marginLength);
      const readStarted = performance.now();
      const read = readRangeInto(source, readStart, view);
      state.readMilliseconds += performance.now() - readStarted;
      const ownedStart = Math.min(window.leadLength, read.filled);
      const ownedLength = Math.max(0, Math.min(window.pageLength, read.filled - ownedStart));
      const owned = read.unreadable.filter((range) => range.imageOffset < window.start + window.pageLength && range.imageOffset + range.lengthInBytes > window.start);
      state.issues.push(...owned.map((range) => readErrorIssue(location, range)));
      state.unreadable.push(...owned);
      hashUnreadable.push(...owned);
      const waits: Promise<unknown>[] = [];
      if (hashing) {
        sha256?.update(view.subarray(ownedStart, ownedStart + ownedLength));
        if (md5Thread !== undefined) waits.push(md5Thread.update(slot * slotSize + ownedStart, ownedLength));
        else md5?.update(view.subarray(ownedStart, ownedStart + ownedLength));
        hashedBytes += ownedLength;
      }
      const task: ScanWindowTask = { ...taskOf(window, location, fileSystemPaths), shared: { buffer: shared, byteOffset: slot * slotSize, length: read.filled, imageOffset: readStart } };
      const scanned = pool.scanWindow(task).then(async (result) => {
        state.add(result, window);
        if (options.onWindow !== undefined) await options.onWindow(result, window);
      });
      waits.push(scanned);
      const done: Promise<void> = Promise.all(waits).then(() => {
        inFlight.delete(done);
        free.push(slot);
        progress.update(state.scannedBytes, source.sizeInBytes, state.hitCount);
      });
      inFlight.add(done);
      // A short read: the image shrank while being read; the identity check at the end reports it.
      if (read.filled < view.length && window.start + window.pageLength < source.sizeInBytes) break;
      await yieldToEventLoop();
    }
    await Promise.all(inFlight);
    if (!hashing) return undefined;
    return {
      sha256: sha256?.digest('hex') ?? '',
      md5: md5Thread !== undefined ? await md5Thread.digest() : (md5?.digest('hex') ?? ''),
      sizeInBytes: hashedBytes,
      complete: hashUnreadable.length === 0,
      unreadable: hashUnreadable,
    };
  } finally {
    await md5Thread?.close();
  }
}

/** Workers read their own windows; the main thread streams the image once more for the hashes. */
async function scanWorkersRead(context: StrategyContext): Promise<AlongsideHashes | undefined> {
  const { source, location, fileSystemPaths, windows, pool, progress, state, options } = context;
  const workerSlots = Math.max(1, pool.workerCount);
  const maximumInFlight = options.maximumWindowsInFlight ?? Math.max(2, 2 * workerSlots);
  const leadWindows = options.leadWindowCount ?? Math.max(2, 2 * workerSlots);
  const windowSize = windows[0]?.pageLength ?? 0;
  const hasher = options.hash === false ? undefined : new AlongsideHasher(source);
  const inFlight = new Map<number, Promise<void>>();
  let next = 0;
  while (next < windows.length || inFlight.size > 0 || (hasher !== undefined && !hasher.done)) {
    while (next < windows.length && inFlight.size < maximumInFlight) {
      const window = windows[next] as ScanWindow;
      if (hasher !== undefined && !hasher.done && window.start > hasher.hashedBytes + leadWindows * windowSize) break;
      const promise = pool.scanWindow(taskOf(window, location, fileSystemPaths)).then(async (result) => {
        inFlight.delete(window.index);
        state.add(result, window);
        if (options.onWindow !== undefined) await options.onWindow(result, window);
      });
      inFlight.set(window.index, promise);
      next++;
    }
    if (hasher !== undefined && !hasher.done) {
      hasher.step();
      await yieldToEventLoop();
    } else if (inFlight.size > 0) {
      await Promise.race(inFlight.values());
    }
    const done = hasher === undefined ? state.scannedBytes : Math.min(state.scannedBytes, hasher.hashedBytes);
    progress.update(done, source.sizeInBytes, state.hitCount);
  }
  return hasher?.digest();
}
