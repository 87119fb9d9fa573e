/**
 * One image, scanned: the main thread plans windows and hands them to the pool as plain tasks
 * (paths and a range), hashes the image with one sequential read while the workers scan, draws
 * the progress bar, and checks at the end that the image did not change while it was read.
 *
 * Memory stays bounded whatever the image size: at most `maximumWindowsInFlight` windows are
 * being read by workers (each worker reuses one window buffer), the hasher reuses one chunk
 * buffer, and hits are kept packed (about 41 bytes each). Windows are not dispatched more than
 * `leadWindowCount` windows ahead of the hash cursor, so the worker reads land on pages the
 * hashing read has just brought into the page cache rather than starting a second stream of
 * disk reads on an image larger than memory.
 */
import { formatOffset } from '../bytes/offsets.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import { filePath } from '../provenance/path.js';
import { changedFiles, fileIdentities, openSegments, splitSegmentPaths } from '../sources/split-raw.js';
import type { AlongsideHashes } from './hash-alongside.js';
import { AlongsideHasher } from './hash-alongside.js';
import type { PackedHits } from './hits.js';
import { mergePackedHits } from './hits.js';
import type { ScanWindow, WindowPlanOptions } from './plan-windows.js';
import { planWindows } from './plan-windows.js';
import type { ProgressOptions } from './progress.js';
import { ProgressBar } from './progress.js';
import type { UnreadableRange } from './read-window.js';
import { ScanPool } from './scan-pool.js';
import type { ScanWindowResult, ScanWindowTask } from './scan-window.js';

export interface ScanImageOptions extends WindowPlanOptions {
  /** Worker threads (0: in-process). Ignored when `pool` is given. Default 2. */
  readonly workers?: number;
  /** A pool to reuse across images (not closed here). */
  readonly pool?: ScanPool;
  /** Location as reports name it; default the first segment's path. */
  readonly location?: string;
  /** Compute SHA-256 and MD5 alongside (default true). */
  readonly hash?: boolean;
  /** Hash the image a second time at the end and compare (catches a change the file times hide). */
  readonly verifyHashes?: boolean;
  readonly progress?: ProgressOptions;
  /** Windows in flight at once; default 2 per worker (at least 2). */
  readonly maximumWindowsInFlight?: number;
  /** How many windows the scan may run ahead of the hash cursor; default 2 per worker (at least 2). */
  readonly leadWindowCount?: number;
  /** Called after each window's result arrives (tests, custom progress). */
  readonly onWindow?: (result: ScanWindowResult, window: ScanWindow) => void | Promise<void>;
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
  const source = openSegments(fileSystemPaths, location);
  const ownPool = options.pool === undefined;
  const pool = options.pool ?? new ScanPool(options.workers ?? 2);
  const workerSlots = Math.max(1, pool.workerCount);
  const maximumInFlight = options.maximumWindowsInFlight ?? Math.max(2, 2 * workerSlots);
  const leadWindows = options.leadWindowCount ?? Math.max(2, 2 * workerSlots);
  const progress = new ProgressBar(options.progress);
  const issues: Issue[] = [];
  const unreadable: UnreadableRange[] = [];
  const hitBatches: PackedHits[] = [];
  let hitCount = 0;
  let scannedBytes = 0;
  let scanMilliseconds = 0;
  let readMilliseconds = 0;
  try {
    const windows = planWindows(source.sizeInBytes, options);
    const windowSize = windows[0]?.pageLength ?? 0;
    const hasher = options.hash === false ? undefined : new AlongsideHasher(source);
    const inFlight = new Map<number, Promise<void>>();
    let next = 0;
    const dispatch = (window: ScanWindow): void => {
      const task: ScanWindowTask = {
        kind: 'scan-window',
        location,
        fileSystemPaths,
        start: window.start,
        pageLength: window.pageLength,
        marginLength: window.marginLength,
        leadLength: window.leadLength,
      };
      const promise = pool.run(task).then(async (result) => {
        inFlight.delete(window.index);
        hitBatches.push(result.hits);
        hitCount += result.hits.count;
        scannedBytes += window.pageLength;
        scanMilliseconds += result.scanMilliseconds;
        readMilliseconds += result.readMilliseconds;
        issues.push(...result.issues);
        unreadable.push(...result.unreadable.filter((range) => range.imageOffset >= window.start && range.imageOffset < window.start + window.pageLength));
        if (options.onWindow !== undefined) await options.onWindow(result, window);
      });
      inFlight.set(window.index, promise);
    };
    while (next < windows.length || inFlight.size > 0 || (hasher !== undefined && !hasher.done)) {
      while (next < windows.length && inFlight.size < maximumInFlight) {
        const window = windows[next] as ScanWindow;
        if (hasher !== undefined && !hasher.done && window.start > hasher.hashedBytes + leadWindows * windowSize) break;
        dispatch(window);
        next++;
      }
      if (hasher !== undefined && !hasher.done) {
        hasher.step();
        await yieldToEventLoop();
      } else if (inFlight.size > 0) {
        await Promise.race(inFlight.values());
      }
      const done = hasher === undefined ? scannedBytes : Math.min(scannedBytes, hasher.hashedBytes);
      progress.update(done, source.sizeInBytes, hitCount);
    }
    progress.finish(source.sizeInBytes, source.sizeInBytes, hitCount);
    let hashes = hasher?.digest();
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
    if (hashes !== undefined && !hashes.complete) {
      for (const range of hashes.unreadable) {
        if (unreadable.some((known) => known.imageOffset <= range.imageOffset && known.imageOffset + known.lengthInBytes >= range.imageOffset + range.lengthInBytes)) continue;
        issues.push(issue('scan.read-error', 'error', filePath(location), range.imageOffset, `Read error at ${formatOffset(range.imageOffset)}, ${range.lengthInBytes} bytes, while hashing: ${range.message}; hashed as zeros`));
      }
    }
    issues.sort((a, b) => a.offsetInLeaf - b.offsetInLeaf || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    unreadable.sort((a, b) => a.imageOffset - b.imageOffset);
    return {
      location,
      fileSystemPaths,
      sizeInBytes: source.sizeInBytes,
      windowCount: windows.length,
      hits: mergePackedHits(hitBatches),
      hashes,
      unreadable,
      issues,
      changedDuringScan,
      timing: { wallMilliseconds: performance.now() - started, scanMilliseconds, readMilliseconds },
    };
  } finally {
    source.close();
    if (ownPool) await pool.close();
  }
}
