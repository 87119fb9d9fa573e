/**
 * Input expansion: files and folders (recursively, sorted for determinism) → evidence files, with
 * a database grouped with its -wal, -journal and -shm siblings by name.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SourcePath } from '../provenance/path.js';
import { filePath } from '../provenance/path.js';
import type { ByteSource } from './byte-source.js';
import { FileSource } from './file-source.js';
import { RangeSource } from './range-source.js';

export interface EvidenceFile {
  /** As given (or as found below a given folder): what reports show. */
  readonly location: string;
  readonly fileSystemPath: string;
  readonly sizeInBytes: number;
  /**
   * Set for a carved item (a WAL or journal found in a raw image): the item is the `sizeInBytes`
   * bytes at `start` of `fileSystemPath`, and `path` (a `range` layer below the image's `file`
   * layer) is what its provenance starts from.
   */
  readonly extent?: { readonly start: number; readonly path: SourcePath };
}

/** Opens an evidence item read-only: the file, or the range of the image it was carved from. */
export function openEvidence(file: EvidenceFile): ByteSource {
  const source = new FileSource(file.fileSystemPath, file.location);
  return file.extent === undefined ? source : new RangeSource(source, file.extent.start, file.sizeInBytes, file.location);
}

/** Where an evidence item's provenance starts. */
export function evidencePath(file: EvidenceFile): SourcePath {
  return file.extent?.path ?? filePath(file.location);
}

/** Offset of the item's first byte in `fileSystemPath` (0 for a file). */
export function evidenceStart(file: EvidenceFile): number {
  return file.extent?.start ?? 0;
}

export interface InputGroup {
  /** The main file (a database, or any file that is not a sibling). */
  readonly main: EvidenceFile;
  readonly wal: EvidenceFile | undefined;
  readonly journal: EvidenceFile | undefined;
  readonly shm: EvidenceFile | undefined;
}

export interface ExpandedInputs {
  readonly files: readonly EvidenceFile[];
  readonly groups: readonly InputGroup[];
  /** Inputs that could not be read: path and the system's message (exit code 1). */
  readonly unreadable: readonly { readonly location: string; readonly message: string }[];
}

const siblingSuffixes = ['-wal', '-journal', '-shm'] as const;

export function expandInputs(inputs: readonly string[]): ExpandedInputs {
  const files: EvidenceFile[] = [];
  const unreadable: { location: string; message: string }[] = [];
  const seen = new Set<string>();
  const visit = (location: string): void => {
    const fileSystemPath = resolve(location);
    let stats;
    try {
      stats = statSync(fileSystemPath);
    } catch (error) {
      unreadable.push({ location, message: (error as Error).message });
      return;
    }
    if (stats.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(fileSystemPath).sort();
      } catch (error) {
        unreadable.push({ location, message: (error as Error).message });
        return;
      }
      for (const name of names) visit(join(location, name));
      return;
    }
    if (!stats.isFile()) return;
    if (seen.has(fileSystemPath)) return;
    seen.add(fileSystemPath);
    files.push({ location, fileSystemPath, sizeInBytes: stats.size });
  };
  for (const input of inputs) {
    visit(input);
    // A database named on its own brings its siblings along (read with it automatically).
    let isFile = false;
    try {
      isFile = statSync(resolve(input)).isFile();
    } catch {
      isFile = false;
    }
    if (isFile) {
      for (const suffix of siblingSuffixes) {
        try {
          if (statSync(resolve(input + suffix)).isFile()) visit(input + suffix);
        } catch {
          // no such sibling
        }
      }
    }
  }
  const byPath = new Map(files.map((file) => [file.fileSystemPath, file]));
  const claimed = new Set<string>();
  const groups: InputGroup[] = [];
  for (const file of files) {
    const sibling = (suffix: string): EvidenceFile | undefined => byPath.get(file.fileSystemPath + suffix);
    if (siblingSuffixes.some((suffix) => file.fileSystemPath.endsWith(suffix) && byPath.has(file.fileSystemPath.slice(0, -suffix.length)))) continue;
    const wal = sibling('-wal');
    const journal = sibling('-journal');
    const shm = sibling('-shm');
    for (const found of [wal, journal, shm]) if (found !== undefined) claimed.add(found.fileSystemPath);
    groups.push({ main: file, wal, journal, shm });
  }
  return { files, groups, unreadable };
}
