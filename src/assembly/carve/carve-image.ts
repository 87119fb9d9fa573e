/**
 * End to end: carve one raw image (or every image below a folder). Plans windows, scans them
 * through the given pool (src/pool's WorkerPool, else in-process) while hashing the image once, turns the hits into carriers and hands back
 * everything the rest of exhume needs:
 * - carved databases (image offset, page size, page count, header) each with a PageReader whose
 *   provenance is `file:<image> > range@<offset>+<length>`, so `readLiveDatabase`,
 *   `decodeLivePages` and `readSchema` decode them as they decode a database file, and every
 *   record's image offset folds back through the range;
 * - WALs and journals (header-anchored) and their header-less fragments, with image offsets;
 * - orphan b-tree pages and freelist-trunk candidates;
 * - `records()`: every record of every carrier, de-duplicated by page content (carved-records.ts).
 *
 * This driver is the one place of assembly/carve that opens files (through sources/) and runs the
 * pool; the assembly itself (carriers.ts, carved-records.ts) works over any ByteSource. The result
 * keeps the image open for its page readers: call `close()`.
 */
import type { Issue } from '../../issues/issue.js';
import { filePath } from '../../provenance/path.js';
import type { AlongsideHashes } from '../../scanning/hash-alongside.js';
import type { Hit, PackedHits } from '../../scanning/hits.js';
import { countHitsByKind, unpackHits } from '../../scanning/hits.js';
import type { ImageScan, ImageScanTiming, ScanImageOptions } from '../../scanning/scan-image.js';
import { scanImage } from '../../scanning/scan-image.js';
import type { ByteSource } from '../../sources/byte-source.js';
import { expandInputs } from '../../sources/inputs.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import { isLaterSplitSegment, openSegments } from '../../sources/split-raw.js';
import type { CarrierSet, CarvedDatabase } from './carriers.js';
import { assembleCarriers } from './carriers.js';
import type { CarvedRecords } from './carved-records.js';
import { collectCarvedRecords, databaseReader } from './carved-records.js';

export interface CarveImageOptions extends ScanImageOptions {}

export interface CarvedDatabaseWithReader extends CarvedDatabase {
  /** Pages of the carved database, read from the image through a `range` layer. */
  readonly reader: PageReader;
}

export interface CarvedImage extends Omit<CarrierSet, 'databases' | 'issues'> {
  readonly location: string;
  readonly fileSystemPaths: readonly string[];
  readonly sizeInBytes: number;
  readonly hashes: AlongsideHashes | undefined;
  readonly hits: PackedHits;
  readonly hitCounts: Readonly<Record<Hit['kind'], number>>;
  readonly databases: readonly CarvedDatabaseWithReader[];
  /** Scan issues (read errors, worker crashes, input changed) and carrier issues. */
  readonly issues: readonly Issue[];
  readonly changedDuringScan: boolean;
  readonly timing: ImageScanTiming;
  /** The open image (read-only); the page readers read through it. */
  readonly source: ByteSource;
  /** Every record of every carrier, de-duplicated by page content; computed on first call. */
  records(): CarvedRecords;
  close(): void;
}

/**
 * Carves one image: a file of any name (`.dd`, `.img`, `.bin`, …) or a segment of a split image.
 * @throws the file system's error when the image cannot be opened; Error when workers are asked
 * for and the compiled worker module is missing.
 */
export async function carveImage(location: string, options: CarveImageOptions = {}): Promise<CarvedImage> {
  return carveScannedImage(await scanImage(location, options));
}

/**
 * Carves an image whose windows were already scanned (and hashed) by `scanImage`: the pipeline
 * scans raw images first, while hashing them, and carves each at its turn without reading the
 * whole image again. Only the carriers' own pages are read here.
 * @throws the file system's error when the image cannot be opened again.
 */
export function carveScannedImage(scan: ImageScan): CarvedImage {
  const source = openSegments(scan.fileSystemPaths, scan.location);
  try {
    const hits = unpackHits(scan.hits);
    const carriers = assembleCarriers(hits, source, filePath(scan.location));
    const databases = carriers.databases.map((database) => ({ ...database, reader: databaseReader(source, database) }));
    let records: CarvedRecords | undefined;
    return {
      location: scan.location,
      fileSystemPaths: scan.fileSystemPaths,
      sizeInBytes: scan.sizeInBytes,
      hashes: scan.hashes,
      hits: scan.hits,
      hitCounts: countHitsByKind(scan.hits),
      databases,
      wals: carriers.wals,
      walFragments: carriers.walFragments,
      journals: carriers.journals,
      journalFragments: carriers.journalFragments,
      headerlessDatabases: carriers.headerlessDatabases,
      orphanPages: carriers.orphanPages,
      freelistTrunkCandidates: carriers.freelistTrunkCandidates,
      issues: [...scan.issues, ...carriers.issues],
      changedDuringScan: scan.changedDuringScan,
      timing: scan.timing,
      source,
      records(): CarvedRecords {
        records ??= collectCarvedRecords(source, carriers);
        return records;
      },
      close(): void {
        source.close();
      },
    };
  } catch (error) {
    source.close();
    throw error;
  }
}

/**
 * Carves every image named or found below a folder (sorted), through one pool (`options.pool`,
 * else in-process). The segments of a split image are carved once, as one image, from their
 * first segment.
 */
export async function carveInputs(locations: readonly string[], options: CarveImageOptions = {}): Promise<CarvedImage[]> {
  const expanded = expandInputs(locations);
  const out: CarvedImage[] = [];
  for (const file of expanded.files) {
    if (isLaterSplitSegment(file.fileSystemPath)) continue;
    out.push(await carveImage(file.fileSystemPath, { ...options, location: file.location }));
  }
  return out;
}
