/**
 * Split raw images (`image.001`, `image.002`, … as written by FTK Imager, `dd | split -d -a 3
 * --numeric-suffixes=1`, Guymager): the segments are read as one ByteSource whose offsets are
 * offsets in the concatenation, so provenance and image offsets name the whole image, never a
 * segment. Segments are opened read-only (O_RDONLY) and read positionally; nothing is loaded whole.
 *
 * `openImageSource()` is how scanning opens any image: a path ending in a numeric segment suffix
 * (`.001`, or `.000` for tools that count from 0) with at least one sibling segment becomes a
 * `SplitRawSource`; anything else (`.dd`, `.img`, `.bin`, no extension) is a `FileSource`.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, constants, statSync } from 'node:fs';
import type { ByteSource } from './byte-source.js';
import { FileSource } from './file-source.js';

/** `.000`–`.999` style suffixes (three or more digits). */
const segmentSuffix = /\.(\d{3,})$/;

export interface SplitSegment {
  readonly fileSystemPath: string;
  /** Offset of the segment's first byte in the whole image. */
  readonly imageOffset: number;
  readonly sizeInBytes: number;
}

export class SplitRawSource implements ByteSource {
  readonly location: string;
  readonly sizeInBytes: number;
  readonly segments: readonly SplitSegment[];
  #descriptors: (number | undefined)[];

  /**
   * @param segmentPaths the segments in image order (see `splitSegmentPaths`).
   * @throws the file system's error when a segment cannot be opened, or Error for an empty list
   * (programmer error).
   */
  constructor(segmentPaths: readonly string[], location: string = segmentPaths[0] ?? '') {
    if (segmentPaths.length === 0) throw new Error('SplitRawSource: no segments');
    this.location = location;
    const descriptors: number[] = [];
    const segments: SplitSegment[] = [];
    let imageOffset = 0;
    try {
      for (const fileSystemPath of segmentPaths) {
        const descriptor = openSync(fileSystemPath, constants.O_RDONLY);
        descriptors.push(descriptor);
        const sizeInBytes = fstatSync(descriptor).size;
        segments.push({ fileSystemPath, imageOffset, sizeInBytes });
        imageOffset += sizeInBytes;
      }
    } catch (error) {
      for (const descriptor of descriptors) closeSync(descriptor);
      throw error;
    }
    this.#descriptors = descriptors;
    this.segments = segments;
    this.sizeInBytes = imageOffset;
  }

  read(offset: number, length: number): Uint8Array {
    const start = Math.max(0, Math.min(offset, this.sizeInBytes));
    const wanted = Math.max(0, Math.min(offset + length, this.sizeInBytes) - start);
    const buffer = new Uint8Array(wanted);
    const filled = this.readInto(start, buffer, 0, wanted);
    return filled === wanted ? buffer : buffer.subarray(0, filled);
  }

  /**
   * Reads `length` bytes at image offset `offset` into `target[targetOffset…]`, across segment
   * boundaries; returns the bytes read (fewer at the end of the image or of a short segment).
   * @throws the file system's error (EIO…) from the segment being read; Error when closed.
   */
  readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): number {
    let filled = 0;
    let index = this.#segmentIndexAt(offset);
    while (filled < length && index < this.segments.length) {
      const segment = this.segments[index] as SplitSegment;
      const descriptor = this.#descriptors[index];
      if (descriptor === undefined) throw new Error(`SplitRawSource ${this.location} is closed`);
      const inSegment = offset + filled - segment.imageOffset;
      const take = Math.min(length - filled, segment.sizeInBytes - inSegment);
      let done = 0;
      while (done < take) {
        const count = readSync(descriptor, target, targetOffset + filled + done, take - done, inSegment + done);
        if (count === 0) break;
        done += count;
      }
      filled += done;
      // A segment shorter than when it was opened (changed while read): stop here, the hash check reports it.
      if (done < take) break;
      index++;
    }
    return filled;
  }

  #segmentIndexAt(offset: number): number {
    // Segments are few (tens to thousands): a binary search keeps big sets cheap.
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.segments[middle] as SplitSegment).imageOffset <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  close(): void {
    for (const descriptor of this.#descriptors) if (descriptor !== undefined) closeSync(descriptor);
    this.#descriptors = this.#descriptors.map(() => undefined);
  }
}

/**
 * The segments of the split image `fileSystemPath` belongs to, in order: from the first segment
 * (`.000` or `.001`) up to the last consecutive one present. Returns `[fileSystemPath]` when the
 * name has no numeric segment suffix or no sibling segment exists.
 */
export function splitSegmentPaths(fileSystemPath: string): string[] {
  const match = segmentSuffix.exec(fileSystemPath);
  if (match === null) return [fileSystemPath];
  const digits = (match[1] as string).length;
  const stem = fileSystemPath.slice(0, match.index);
  const name = (number: number): string => `${stem}.${String(number).padStart(digits, '0')}`;
  const first = existsSync(name(0)) && isFile(name(0)) ? 0 : 1;
  const paths: string[] = [];
  for (let number = first; number < 10 ** digits; number++) {
    const path = name(number);
    if (!isFile(path)) break;
    paths.push(path);
  }
  if (paths.length < 2 || !paths.includes(fileSystemPath)) return [fileSystemPath];
  return paths;
}

/** True when `fileSystemPath` is a segment after the first of a split image (it is read with the first). */
export function isLaterSplitSegment(fileSystemPath: string): boolean {
  const paths = splitSegmentPaths(fileSystemPath);
  return paths.length > 1 && paths[0] !== fileSystemPath;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Opens an image read-only: a split set as one source when `fileSystemPath` is one of its
 * segments, otherwise the file itself.
 * @throws the file system's error when a file cannot be opened.
 */
export function openImageSource(fileSystemPath: string, location: string = fileSystemPath): ByteSource {
  const paths = splitSegmentPaths(fileSystemPath);
  if (paths.length > 1) return new SplitRawSource(paths, location);
  return new FileSource(fileSystemPath, location);
}

/**
 * Opens exactly the given segment list (a worker re-opening what the main thread planned). A
 * single file is opened as a one-segment SplitRawSource too, for its `readInto`.
 */
export function openSegments(segmentPaths: readonly string[], location: string): SplitRawSource {
  return new SplitRawSource(segmentPaths, location);
}

/** What changes when a file is written: size, modification and change times, inode. */
export interface FileIdentity {
  readonly fileSystemPath: string;
  readonly sizeInBytes: number;
  readonly modifiedMilliseconds: number;
  readonly changedMilliseconds: number;
  readonly inode: number;
}

/** The identity of each file now; a file that vanished has size −1. */
export function fileIdentities(fileSystemPaths: readonly string[]): FileIdentity[] {
  return fileSystemPaths.map((fileSystemPath) => {
    try {
      const stats = statSync(fileSystemPath);
      return { fileSystemPath, sizeInBytes: stats.size, modifiedMilliseconds: stats.mtimeMs, changedMilliseconds: stats.ctimeMs, inode: stats.ino };
    } catch {
      return { fileSystemPath, sizeInBytes: -1, modifiedMilliseconds: 0, changedMilliseconds: 0, inode: 0 };
    }
  });
}

/** The files that differ between two identity snapshots (same order). */
export function changedFiles(before: readonly FileIdentity[], after: readonly FileIdentity[]): FileIdentity[] {
  return after.filter((now, index) => {
    const then = before[index];
    return (
      then === undefined ||
      then.sizeInBytes !== now.sizeInBytes ||
      then.modifiedMilliseconds !== now.modifiedMilliseconds ||
      then.changedMilliseconds !== now.changedMilliseconds ||
      then.inode !== now.inode
    );
  });
}
