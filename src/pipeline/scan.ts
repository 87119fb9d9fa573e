/**
 * The whole scan: expand inputs, read each once up front (hash it; a raw image is scanned with its
 * hashes alongside), decode each database (with its siblings) and carve each image, then check at
 * the end that no input changed (re-hash, or file identity for images hashed during their scan).
 */
import { formatOffset } from '../bytes/offsets.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import { filePath } from '../provenance/path.js';
import { FileSource } from '../sources/file-source.js';
import type { InputHashes } from '../sources/hash.js';
import { hashFile } from '../sources/hash.js';
import type { EvidenceFile, ExpandedInputs, InputGroup } from '../sources/inputs.js';
import type { FileIdentity } from '../sources/split-raw.js';
import { changedFiles, fileIdentities, splitSegmentPaths } from '../sources/split-raw.js';
import type { ImageScan } from '../scanning/scan-image.js';
import { scanImage } from '../scanning/scan-image.js';
import type { WindowScanner } from '../scanning/window-scanner.js';
import type { InputHashingPass, InputVerificationMethod } from '../reports/types.js';
import { expandInputs } from '../sources/inputs.js';
import type { WorkerPool } from '../pool/pool.js';
import { classifyInput } from './classify.js';
import { scanFreedSpace } from './scan-freed.js';
import { headerlessDatabaseGrid, scanHeaderlessDatabase } from './scan-headerless.js';
import { scanRawImage } from './scan-image.js';
import { decodeDatabase, describeDatabase } from './scan-database.js';
import { scanJournal } from './scan-journal.js';
import type { LogDatabase, SchemaHint } from './scan-log.js';
import { hintFromSummary, schemaHintFromFile } from './scan-log.js';
import { prepareWal } from './scan-wal.js';
import type { MainFreedKeys } from './log-freed.js';
import type { LogPageImages } from './page-versions.js';
import { writePageVersions } from './page-versions.js';
import type { EvidenceSink } from './sink.js';

/** What the end-of-run check found for one input (aligned with the expanded files). */
export interface InputVerification {
  readonly file: EvidenceFile;
  /** `re-hash`: `hashes` are the hashes at the end; `file-identity`: the scan-read hashes, not re-read. */
  readonly method: InputVerificationMethod;
  readonly hashes: InputHashes;
  /** Same hashes (re-hash), or same size, times and inode (file identity), at the end as at the start. */
  readonly unchanged: boolean;
}

/**
 * One input as first read: its hashes, when they were taken and, for a raw image, the scan that
 * took them (its hits wait there until the image's turn in the pipeline).
 */
export interface InputReading {
  readonly file: EvidenceFile;
  readonly hashes: InputHashes;
  readonly hashedDuring: InputHashingPass;
  /** Size, times and inode before the first byte was read (the file-identity check compares with it). */
  readonly identityAtStart: FileIdentity;
  /** The windowed scan of a raw image, hashed alongside (absent for every other input). */
  readonly scan?: ImageScan;
}

export interface ReadInputsOptions {
  /** Where the raw-image scans run their windows (the run's WorkerPool); default in-process. */
  readonly pool?: WindowScanner | undefined;
  readonly quiet?: boolean | undefined;
}

/**
 * Reads every input once before the pipeline proper, hashing it (SHA-256 and MD5):
 * - a raw image (a main file that is not a database, WAL or journal by its first bytes nor by its
 *   name, and not part of a split set) is scanned here, with its hashes computed alongside over
 *   the very bytes the scan reads: one read of the whole image, not three (hash, scan, re-hash);
 * - every other input (databases, WALs, journals, -shm, empty files, split segments) is hashed by
 *   a read of its own. Those files are read piecemeal by several stages (live pages, freed space,
 *   WAL frames in workers), so there is no single sequential pass to hash alongside, and they are
 *   small beside images: a second read costs little and the end-of-run re-hash stays exact.
 * Memory: the scans' packed hits (about 41 bytes each) wait until their image is carved.
 */
export async function readInputs(expanded: ExpandedInputs, options: ReadInputsOptions = {}): Promise<InputReading[]> {
  const mains = new Set(expanded.groups.map((group) => group.main.fileSystemPath));
  const out: InputReading[] = [];
  for (const file of expanded.files) {
    const identityAtStart = fileIdentities([file.fileSystemPath])[0] as FileIdentity;
    if (mains.has(file.fileSystemPath) && isRawImageCandidate(file)) {
      const scan = await scanImage(file.fileSystemPath, { ...(options.pool === undefined ? {} : { pool: options.pool }), location: file.location, hash: true, progress: { quiet: options.quiet === true } });
      if (scan.hashes !== undefined) {
        out.push({ file, hashes: { sha256: scan.hashes.sha256, md5: scan.hashes.md5, sizeInBytes: scan.hashes.sizeInBytes }, hashedDuring: 'scan-read', identityAtStart, scan });
        continue;
      }
    }
    out.push({ file, hashes: await hashFile(file.fileSystemPath), hashedDuring: 'separate-read-before-scan', identityAtStart });
  }
  return out;
}

/**
 * What scanGroup will carve as a raw image, judged the same way: no database, WAL or journal
 * header, no log name, and not a database file whose page 1 is lost.
 */
function isRawImageCandidate(file: EvidenceFile): boolean {
  if (file.location.endsWith('-journal') || file.location.endsWith('-wal')) return false;
  if (splitSegmentPaths(file.fileSystemPath).length > 1) return false;
  let source: FileSource | undefined;
  try {
    source = new FileSource(file.fileSystemPath, file.location);
    return classifyInput(source.read(0, 100)) === 'unknown' && headerlessDatabaseGrid(source, filePath(file.location)) === undefined;
  } catch {
    return false;
  } finally {
    source?.close();
  }
}

export interface VerifyInputsOptions {
  /** Re-hash every input at the end, raw images included (`--verify-hashes`). */
  readonly rehashAll?: boolean | undefined;
}

/**
 * Checks at the end of a run that no input changed while it was read; a change is an
 * error-severity issue (`input.changed-during-scan`) since every offset in the report may then
 * be wrong.
 * - Inputs hashed by a read of their own are hashed again and compared (`re-hash`).
 * - Raw images hashed during their scan are not read a third time (`file-identity`): their size,
 *   modification time, change time and inode must equal those taken before the scan's first read.
 *   Any write through the file system changes the modification and change times (the change time
 *   cannot be set back by a user), so this catches what a re-hash catches short of a write
 *   beneath the file system (a raw block device, a clock set back). A scan that itself saw the
 *   file change (identity or size at the end of the scan) counts as changed. `rehashAll` re-hashes
 *   them as well, for an examiner who wants the full second read.
 */
export async function verifyInputs(readings: readonly InputReading[], sink: EvidenceSink, options: VerifyInputsOptions = {}): Promise<InputVerification[]> {
  const out: InputVerification[] = [];
  const changed: Issue[] = [];
  for (const reading of readings) {
    const { file, hashes: before } = reading;
    if (reading.hashedDuring === 'scan-read' && options.rehashAll !== true) {
      const now = fileIdentities([file.fileSystemPath]);
      const sameIdentity = changedFiles([reading.identityAtStart], now).length === 0;
      const unchanged = sameIdentity && reading.scan?.changedDuringScan !== true;
      if (!sameIdentity) {
        const end = now[0] as FileIdentity;
        changed.push(
          issue('input.changed-during-scan', 'error', filePath(file.location), 0, `${file.location} changed while it was read: size, modification time, change time or inode differ between the start and the end of the run (size ${reading.identityAtStart.sizeInBytes} then ${end.sizeInBytes}); the hashes describe the bytes the scan read`, {
            sizeAtStart: reading.identityAtStart.sizeInBytes,
            sizeAtEnd: end.sizeInBytes,
          }),
        );
      }
      out.push({ file, method: 'file-identity', hashes: before, unchanged });
      continue;
    }
    let again: InputHashes;
    try {
      again = await hashFile(file.fileSystemPath);
    } catch {
      again = { sha256: '', md5: '', sizeInBytes: -1 };
    }
    const unchanged = again.sha256 === before.sha256 && again.md5 === before.md5 && again.sizeInBytes === before.sizeInBytes && reading.scan?.changedDuringScan !== true;
    if (!unchanged) {
      changed.push(
        issue('input.changed-during-scan', 'error', filePath(file.location), 0, `${file.location} changed while it was read: SHA-256 ${before.sha256} at the start, ${again.sha256 || 'unreadable'} at the end`, {
          sha256AtStart: before.sha256,
          sha256AtEnd: again.sha256,
        }),
      );
    }
    out.push({ file, method: 're-hash', hashes: again, unchanged });
  }
  if (changed.length > 0) await sink.addIssues(changed);
  return out;
}

export interface ScanOptions {
  /**
   * `--schema`: a SQLite database (its sqlite_schema) or a file of CREATE TABLE statements, used
   * to decode a WAL or journal found without its database, and to name the tables of a database
   * whose page 1 is lost (scan-headerless.ts). Without it, such a log is decoded with
   * its own page 1 when it holds one, else with the schema of another database input, else with
   * tables inferred from record shapes.
   */
  readonly schemaLocation?: string | undefined;
  /** No progress bar on stderr (the raw-image scan draws one only when stderr is a terminal). */
  readonly quiet?: boolean | undefined;
  /** From `readInputs`: raw images already scanned (and hashed) are carved from their scan. */
  readonly readings?: readonly InputReading[] | undefined;
}

/** Runs every input group through the pipeline, in input order. */
export async function scanGroups(groups: readonly InputGroup[], pool: WorkerPool, sink: EvidenceSink, options: ScanOptions = {}): Promise<void> {
  const hints = new SchemaHints(groups, options);
  const scans = new Map<string, ImageScan>();
  for (const reading of options.readings ?? []) if (reading.scan !== undefined) scans.set(reading.file.fileSystemPath, reading.scan);
  for (const group of groups) await scanGroup(group, pool, sink, hints, options.quiet === true, scans.get(group.main.fileSystemPath));
}

/** Convenience for tests: expand, read (hash; scan raw images), decode, verify. */
export async function scanInputs(inputLocations: readonly string[], pool: WorkerPool, sink: EvidenceSink, options: ScanOptions & VerifyInputsOptions = {}): Promise<InputVerification[]> {
  const expanded = expandInputs(inputLocations);
  const readings = await readInputs(expanded, { pool, quiet: options.quiet ?? true });
  if (expanded.files.length === 0) {
    await sink.addIssues([issue('input.no-evidence', 'warning', filePath(inputLocations.join(', ') || '.'), 0, `No files found in ${inputLocations.join(', ')}`)]);
  }
  await scanGroups(expanded.groups, pool, sink, { ...options, readings });
  return verifyInputs(readings, sink, options);
}

/** Bytes of a `--schema` statements file read at most. */
const maximumSchemaFileSizeInBytes = 16 * 1024 * 1024;

/**
 * Schemas for stray logs, read only when a stray is met: `--schema` first, then the databases
 * among the inputs (the first whose page size matches the log's, else the first).
 */
class SchemaHints {
  readonly #groups: readonly InputGroup[];
  readonly #options: ScanOptions;
  #fromOption: SchemaHint | undefined;
  #optionRead = false;
  #fromInputs: SchemaHint[] | undefined;

  constructor(groups: readonly InputGroup[], options: ScanOptions) {
    this.#groups = groups;
    this.#options = options;
  }

  /** The `--schema` file read once: its hint, with the issues met reported. */
  async #optionHint(sink: EvidenceSink): Promise<SchemaHint | undefined> {
    if (this.#options.schemaLocation === undefined) return undefined;
    if (!this.#optionRead) {
      this.#optionRead = true;
      const { hint, issues } = schemaHintFromFile(this.#options.schemaLocation);
      this.#fromOption = hint;
      if (issues.length > 0) await sink.addIssues(issues);
    }
    return this.#fromOption;
  }

  /**
   * CREATE statements of `--schema` (for a database whose page 1 is lost), or undefined: every
   * statement of a schema database's sqlite_schema (UNIQUE indexes included), or the text of a
   * statements file as it is.
   */
  async schemaSql(sink: EvidenceSink): Promise<string | undefined> {
    const hint = await this.#optionHint(sink);
    const location = this.#options.schemaLocation;
    if (hint === undefined || location === undefined) return undefined;
    if (hint.pageSize === undefined) {
      const source = new FileSource(location);
      try {
        return new TextDecoder('utf-8', { fatal: false }).decode(source.read(0, Math.min(source.sizeInBytes, maximumSchemaFileSizeInBytes)));
      } finally {
        source.close();
      }
    }
    const statements = hint.entries.flatMap((entry) => (entry.sql !== null ? [entry.sql] : []));
    return statements.length === 0 ? undefined : `${statements.join(';\n')};\n`;
  }

  async hintFor(stray: EvidenceFile, pageSize: number | undefined, sink: EvidenceSink): Promise<SchemaHint | undefined> {
    const fromOption = await this.#optionHint(sink);
    if (fromOption !== undefined) return fromOption;
    if (this.#fromInputs === undefined) {
      this.#fromInputs = [];
      for (const group of this.#groups) {
        if (group.main.fileSystemPath === stray.fileSystemPath) continue;
        let source: FileSource | undefined;
        try {
          source = new FileSource(group.main.fileSystemPath, group.main.location);
          if (classifyInput(source.read(0, 100)) !== 'sqlite-database') continue;
          const { summary } = describeDatabase(source, group.main.location);
          if (summary !== undefined && summary.schema.entries.length > 0) this.#fromInputs.push(hintFromSummary(summary, `input ${group.main.location}`));
        } catch {
          // unreadable inputs are reported by their own group
        } finally {
          source?.close();
        }
      }
    }
    return this.#fromInputs.find((hint) => hint.pageSize === pageSize) ?? this.#fromInputs[0];
  }
}

/** The page size a WAL or journal header names (0 or absent when zeroed or too short). */
function peekPageSize(source: FileSource, kind: 'wal' | 'journal'): number | undefined {
  const bytes = source.read(kind === 'wal' ? 8 : 24, 4);
  if (bytes.length < 4) return undefined;
  const value = (((bytes[0] as number) << 24) | ((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number)) >>> 0;
  return value === 0 ? undefined : value;
}

/** A database with its -wal and -journal: main file (live, then freed space) first, then WAL frames, then journal records. */
async function scanDatabaseWithLogs(database: LogDatabase, group: InputGroup, pool: WorkerPool, sink: EvidenceSink): Promise<void> {
  const wal = group.wal === undefined ? undefined : await prepareWal(group.wal, { database, hint: undefined }, sink);
  let mainFreed: MainFreedKeys | undefined;
  const logImages: LogPageImages[] = [];
  try {
    if (wal !== undefined) await wal.prepareStatuses(pool);
    await decodeDatabase(database.file, database.summary, pool, wal === undefined ? sink : wal.mainSink(sink), database.path);
    // Freed space of the main file (freeblocks, gaps, freelist pages, dropped tables) comes right
    // after its live rows, before the WAL's and journal's page versions.
    // Their statuses are decided against the main file's live rows (not the WAL's view).
    mainFreed = await scanFreedSpace(database.file, database.summary, database.path, sink);
    if (wal !== undefined) {
      await wal.decodeFrames(pool, sink, mainFreed);
      logImages.push(wal.pageImages());
    }
  } finally {
    wal?.close();
  }
  if (group.journal !== undefined) await scanJournal(group.journal, { database, hint: undefined, mainFreed, onPageImages: (images) => logImages.push(images) }, pool, sink);
  await writePageVersions(sink, database.summary.location, database, logImages);
}

/** A WAL or journal without a usable database: decoded alone, with a schema hint. */
async function scanStrayLog(file: EvidenceFile, kind: 'wal' | 'journal', pool: WorkerPool, sink: EvidenceSink, hints: SchemaHints): Promise<boolean> {
  let pageSize: number | undefined;
  try {
    const source = new FileSource(file.fileSystemPath, file.location);
    try {
      pageSize = peekPageSize(source, kind);
    } finally {
      source.close();
    }
  } catch {
    pageSize = undefined;
  }
  const hint = await hints.hintFor(file, pageSize, sink);
  if (kind === 'journal') {
    let images: LogPageImages | undefined;
    const transactionCount = await scanJournal(file, { database: undefined, hint, onPageImages: (found) => (images = found) }, pool, sink);
    if (images !== undefined) await writePageVersions(sink, file.location, undefined, [images]);
    return transactionCount > 0;
  }
  const wal = await prepareWal(file, { database: undefined, hint }, sink);
  if (wal === undefined) return false;
  try {
    await wal.decodeFrames(pool, sink);
    await writePageVersions(sink, file.location, undefined, [wal.pageImages()]);
  } finally {
    wal.close();
  }
  return true;
}

async function scanGroup(group: InputGroup, pool: WorkerPool, sink: EvidenceSink, hints: SchemaHints, quiet: boolean, scanned: ImageScan | undefined): Promise<void> {
  const file = group.main;
  const path = filePath(file.location);
  let source: FileSource;
  try {
    source = new FileSource(file.fileSystemPath, file.location);
  } catch (error) {
    await sink.addIssues([issue('input.unreadable', 'error', path, 0, `${file.location}: ${(error as Error).message}`)]);
    return;
  }
  try {
    const kind = classifyInput(source.read(0, 100));
    // Siblings are decoded with the database when it is usable; otherwise on their own.
    let siblingsDecoded = false;
    switch (kind) {
      case 'empty':
        await sink.addIssues([issue('input.empty', 'warning', path, 0, `${file.location} is empty (0 bytes)`)]);
        break;
      case 'sqlite-database': {
        const { summary, issues } = describeDatabase(source, file.location, path);
        await sink.addIssues(issues);
        if (summary !== undefined) {
          await scanDatabaseWithLogs({ file, summary, path }, group, pool, sink);
          siblingsDecoded = true;
        }
        break;
      }
      case 'sqlite-wal':
      case 'sqlite-journal':
        await scanStrayLog(file, kind === 'sqlite-wal' ? 'wal' : 'journal', pool, sink, hints);
        break;
      case 'unknown': {
        // A journal whose header PERSIST mode zeroed, or a WAL with a damaged magic, has no magic
        // to classify it by: its name says what to try first.
        const strayKind = file.location.endsWith('-journal') ? 'journal' : file.location.endsWith('-wal') ? 'wal' : undefined;
        if (strayKind !== undefined && (await scanStrayLog(file, strayKind, pool, sink, hints))) break;
        // A database file whose page 1 is lost; anything else goes to the raw-image carving.
        if (await scanHeaderlessDatabase(file, source, path, sink, await hints.schemaSql(sink))) break;
        if (!(await scanRawImage(file, pool, sink, quiet, scanned))) {
          await sink.addIssues([
            issue('input.not-recognised', 'info', path, 0, `${file.location}: no SQLite, WAL or journal header at ${formatOffset(0)} and no SQLite structure anywhere in it (headers, b-tree pages, WAL frames, journal records); the file is hashed and listed only`),
          ]);
        }
        break;
      }
    }
    if (!siblingsDecoded) {
      if (group.wal !== undefined) await scanStrayLog(group.wal, 'wal', pool, sink, hints);
      if (group.journal !== undefined) await scanStrayLog(group.journal, 'journal', pool, sink, hints);
    }
    if (group.shm !== undefined) {
      await sink.addIssues([issue('input.shm-ignored', 'info', filePath(group.shm.location), 0, `${group.shm.location}: -shm index is derived from the WAL; hashed and listed, not trusted`)]);
    }
  } finally {
    source.close();
  }
}
