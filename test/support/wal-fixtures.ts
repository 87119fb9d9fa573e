/**
 * WAL and rollback-journal fixtures.
 *
 * Tier 1: byte builders with their own, deliberately naive checksum implementations (byte by
 * byte, `>>> 0` arithmetic), so a test never checks the parser's checksum against itself.
 * Tier 2: recipes that drive the real sqlite3 CLI (page_size 512, secure_delete OFF) and copy the
 * `-wal` / `-journal` while the writing connection is still open (`.shell cp`).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { concat, u32be } from './bytes.js';
import { runSqlite } from './sqlite3.js';

// ---------------------------------------------------------------------------------------------
// Reference checksums (independent of src/)

export interface ChecksumPair {
  readonly checksum1: number;
  readonly checksum2: number;
}

function word(bytes: Uint8Array, at: number, bigEndian: boolean): number {
  const b0 = bytes[at] as number;
  const b1 = bytes[at + 1] as number;
  const b2 = bytes[at + 2] as number;
  const b3 = bytes[at + 3] as number;
  return bigEndian ? ((b0 * 256 + b1) * 256 + b2) * 256 + b3 : ((b3 * 256 + b2) * 256 + b1) * 256 + b0;
}

/** The WAL checksum, written the slow and obvious way. */
export function referenceWalChecksum(bytes: Uint8Array, bigEndian: boolean, start: ChecksumPair = { checksum1: 0, checksum2: 0 }): ChecksumPair {
  let s0 = start.checksum1;
  let s1 = start.checksum2;
  for (let at = 0; at < bytes.length; at += 8) {
    s0 = (s0 + word(bytes, at, bigEndian) + s1) % 0x1_0000_0000;
    s1 = (s1 + word(bytes, at + 4, bigEndian) + s0) % 0x1_0000_0000;
  }
  return { checksum1: s0, checksum2: s1 };
}

/** The journal record checksum: nonce + bytes at size−200, size−400, … (> 0). */
export function referenceJournalChecksum(page: Uint8Array, nonce: number): number {
  let sum = nonce;
  for (let index = page.length - 200; index > 0; index -= 200) sum += page[index] as number;
  return sum % 0x1_0000_0000;
}

/** A page of `pageSize` bytes filled with a recognisable pattern derived from `seed`. */
export function patternPage(pageSize: number, seed: number): Uint8Array {
  const page = new Uint8Array(pageSize);
  for (let index = 0; index < pageSize; index++) page[index] = (seed * 31 + index * 7) & 0xff;
  return page;
}

// ---------------------------------------------------------------------------------------------
// Tier-1 WAL builder

export interface WalHeaderSpec {
  readonly pageSize?: number;
  readonly bigEndian?: boolean;
  readonly checkpointSequence?: number;
  readonly salt1?: number;
  readonly salt2?: number;
  readonly formatVersion?: number;
  /** Stored checksum override (default: the correct one). */
  readonly checksum?: ChecksumPair;
}

export interface WalFrameSpec {
  readonly pageNumber: number;
  readonly commitSizeInPages?: number;
  /** Page content; default `patternPage(pageSize, pageNumber)`. */
  readonly page?: Uint8Array;
  /** Salts written into the frame; default the header's. */
  readonly salts?: { readonly salt1: number; readonly salt2: number };
  /** Restart the running checksum from this pair before this frame (a stale generation's unknown predecessor). */
  readonly chainFrom?: ChecksumPair;
  /** Write zero salts and checksums (SQLite's pre-commit frames); the running checksum is untouched. */
  readonly zeroed?: boolean;
  /** Change this page byte after the checksum was computed (a damaged page). */
  readonly damageByteAt?: number;
}

export interface BuiltWal {
  readonly bytes: Uint8Array;
  readonly header: Required<Omit<WalHeaderSpec, 'checksum'>> & { readonly checksum: ChecksumPair };
  /** The stored checksum pair of every frame. */
  readonly frameChecksums: readonly ChecksumPair[];
}

export function walHeaderBytes(spec: WalHeaderSpec = {}): { bytes: Uint8Array; checksum: ChecksumPair } {
  const bigEndian = spec.bigEndian ?? false;
  const fields = concat(
    u32be(bigEndian ? 0x377f0683 : 0x377f0682),
    u32be(spec.formatVersion ?? 3_007_000),
    u32be(spec.pageSize ?? 512),
    u32be(spec.checkpointSequence ?? 0),
    u32be(spec.salt1 ?? 0x0edbc67f),
    u32be(spec.salt2 ?? 0x1234abcd),
  );
  const checksum = spec.checksum ?? referenceWalChecksum(fields, bigEndian);
  return { bytes: concat(fields, u32be(checksum.checksum1), u32be(checksum.checksum2)), checksum };
}

export function buildWal(headerSpec: WalHeaderSpec, frames: readonly WalFrameSpec[]): BuiltWal {
  const pageSize = headerSpec.pageSize ?? 512;
  const bigEndian = headerSpec.bigEndian ?? false;
  const salt1 = headerSpec.salt1 ?? 0x0edbc67f;
  const salt2 = headerSpec.salt2 ?? 0x1234abcd;
  const header = walHeaderBytes({ ...headerSpec, pageSize, salt1, salt2 });
  let running = header.checksum;
  const parts: Uint8Array[] = [header.bytes];
  const frameChecksums: ChecksumPair[] = [];
  for (const frame of frames) {
    const page = Uint8Array.from(frame.page ?? patternPage(pageSize, frame.pageNumber));
    const start = concat(u32be(frame.pageNumber), u32be(frame.commitSizeInPages ?? 0));
    if (frame.zeroed === true) {
      parts.push(start, new Uint8Array(16), page);
      frameChecksums.push({ checksum1: 0, checksum2: 0 });
      continue;
    }
    if (frame.chainFrom !== undefined) running = frame.chainFrom;
    const checksum = referenceWalChecksum(concat(start, page), bigEndian, running);
    running = checksum;
    if (frame.damageByteAt !== undefined) page[frame.damageByteAt] = ((page[frame.damageByteAt] as number) ^ 0xff) & 0xff;
    const salts = frame.salts ?? { salt1, salt2 };
    parts.push(start, u32be(salts.salt1), u32be(salts.salt2), u32be(checksum.checksum1), u32be(checksum.checksum2), page);
    frameChecksums.push(checksum);
  }
  return {
    bytes: concat(...parts),
    header: {
      pageSize,
      bigEndian,
      checkpointSequence: headerSpec.checkpointSequence ?? 0,
      salt1,
      salt2,
      formatVersion: headerSpec.formatVersion ?? 3_007_000,
      checksum: header.checksum,
    },
    frameChecksums,
  };
}

// ---------------------------------------------------------------------------------------------
// Tier-1 journal builder

export const JOURNAL_MAGIC_BYTES = Uint8Array.of(0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7);

export interface JournalRecordSpec {
  readonly pageNumber: number;
  readonly page?: Uint8Array;
  /** Store this checksum instead of the correct one. */
  readonly checksum?: number;
}

export interface JournalSegmentSpec {
  /** intact (default), unsynced (magic and count zero), zeroed (first 28 bytes zero). */
  readonly form?: 'intact' | 'unsynced' | 'zeroed';
  readonly nonce: number;
  /** Default: the number of records. */
  readonly recordCountField?: number;
  readonly initialDatabaseSizeInPages?: number;
  readonly records: readonly JournalRecordSpec[];
}

export interface JournalSpec {
  readonly sectorSize?: number;
  readonly pageSize?: number;
  /** Write the page-size field as this value (default: pageSize). */
  readonly pageSizeField?: number;
  readonly segments: readonly JournalSegmentSpec[];
  /** Bytes appended after the last segment (not padded). */
  readonly trailing?: Uint8Array;
}

export function journalRecordBytes(record: JournalRecordSpec, pageSize: number, nonce: number): Uint8Array {
  const page = record.page ?? patternPage(pageSize, record.pageNumber);
  return concat(u32be(record.pageNumber), page, u32be(record.checksum ?? referenceJournalChecksum(page, nonce)));
}

export function buildJournal(spec: JournalSpec): Uint8Array {
  const sectorSize = spec.sectorSize ?? 512;
  const pageSize = spec.pageSize ?? 512;
  const parts: Uint8Array[] = [];
  let length = 0;
  spec.segments.forEach((segment, index) => {
    if (index > 0) {
      const padding = (sectorSize - (length % sectorSize)) % sectorSize;
      parts.push(new Uint8Array(padding));
      length += padding;
    }
    const header = new Uint8Array(sectorSize);
    const form = segment.form ?? 'intact';
    if (form !== 'zeroed') {
      if (form === 'intact') {
        header.set(JOURNAL_MAGIC_BYTES, 0);
        header.set(u32be(segment.recordCountField ?? segment.records.length), 8);
      }
      header.set(u32be(segment.nonce), 12);
      header.set(u32be(segment.initialDatabaseSizeInPages ?? 100), 16);
      header.set(u32be(sectorSize), 20);
      header.set(u32be(spec.pageSizeField ?? pageSize), 24);
    }
    parts.push(header);
    length += sectorSize;
    for (const record of segment.records) {
      const bytes = journalRecordBytes(record, pageSize, segment.nonce);
      parts.push(bytes);
      length += bytes.length;
    }
  });
  if (spec.trailing !== undefined) parts.push(spec.trailing);
  return concat(...parts);
}

// ---------------------------------------------------------------------------------------------
// Tier 2: the real engine

export function sqliteVersion(): string {
  return execFileSync('sqlite3', ['-version'], { encoding: 'utf8' }).split(' ')[0] ?? '';
}

const walPreamble = `PRAGMA page_size=512;
PRAGMA journal_mode=WAL;
PRAGMA wal_autocheckpoint=0;`;

const rows = (count: number, text: string): string =>
  `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<${count}) INSERT INTO t(v) SELECT printf('${text} %d', x) FROM c;`;

export interface WalFixture {
  readonly databasePath: string;
  /** The -wal copied while the connection was open. */
  readonly walPath: string;
  readonly wal: Uint8Array;
}

/**
 * Several checkpoints and restarts, each new generation shorter than the one before, so frames of
 * two stale generations survive behind the current one. Generation 1: create + 300 rows + update
 * (many frames); checkpoint; generation 2: update of 100 rows; checkpoint; generation 3 (current):
 * two small committed updates.
 */
export function makeWalWithRestarts(directory: string): WalFixture {
  mkdirSync(directory, { recursive: true });
  const databasePath = join(directory, 'restarts.db');
  const walPath = join(directory, 'restarts.wal');
  runSqlite(
    databasePath,
    `${walPreamble}
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
${rows(300, 'first')}
UPDATE t SET v = v || ' updated';
PRAGMA wal_checkpoint(PASSIVE);
UPDATE t SET v = 'second' WHERE id <= 100;
PRAGMA wal_checkpoint(PASSIVE);
UPDATE t SET v = 'third' WHERE id <= 5;
UPDATE t SET v = 'third b' WHERE id BETWEEN 290 AND 295;
.shell cp '${databasePath}-wal' '${walPath}'
`,
  );
  return { databasePath, walPath, wal: new Uint8Array(readFileSync(walPath)) };
}

/**
 * The interrupted transaction of sqlite.md §2.5, at page size 512: 1000 rows inserted and
 * updated; checkpoint; a committed 60-row update (restarts the WAL); then, with cache_size=1, an
 * open transaction updating 100 rows (spilled to the WAL) and then 391 rows (rewrites spilled
 * frames in place, so later frames are appended with zero salts and checksums). The -wal and the
 * database are copied before ROLLBACK.
 */
export function makeInterruptedWal(directory: string): WalFixture {
  mkdirSync(directory, { recursive: true });
  const databasePath = join(directory, 'interrupted.db');
  const walPath = join(directory, 'interrupted.wal');
  const databaseCopy = join(directory, 'interrupted-copy.db');
  runSqlite(
    databasePath,
    `${walPreamble}
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
${rows(1000, 'row')}
UPDATE t SET v = v || ' updated';
PRAGMA wal_checkpoint(PASSIVE);
UPDATE t SET v = 'again' WHERE id <= 60;
PRAGMA cache_size=1;
BEGIN;
UPDATE t SET v = 'spill' WHERE id <= 100;
UPDATE t SET v = 'spill2' WHERE id <= 391;
.shell cp '${databasePath}-wal' '${walPath}'
.shell cp '${databasePath}' '${databaseCopy}'
ROLLBACK;
`,
  );
  return { databasePath: databaseCopy, walPath, wal: new Uint8Array(readFileSync(walPath)) };
}

/**
 * SQLite's own view of a WAL: recovery on a private copy of database + WAL, then
 * `PRAGMA wal_checkpoint` reports the frames it accepted up to the last commit (mxFrame).
 */
export function sqliteCommittedFrameCount(databasePath: string, walPath: string, directory: string): number {
  const copy = join(directory, `oracle-${Date.now()}-${Math.random().toString(16).slice(2)}.db`);
  copyFileSync(databasePath, copy);
  copyFileSync(walPath, `${copy}-wal`);
  const out = execFileSync('sqlite3', ['-batch', copy, 'PRAGMA wal_checkpoint;'], { encoding: 'utf8' }).trim();
  const [, log] = out.split('|');
  return Number(log);
}

/**
 * The database as SQLite sees it with the WAL applied: a private copy of database + WAL,
 * checkpointed with `PRAGMA wal_checkpoint(TRUNCATE)`, read back as bytes.
 */
export function checkpointedDatabase(databasePath: string, walPath: string, directory: string): Uint8Array {
  const copy = join(directory, `checkpoint-${Date.now()}-${Math.random().toString(16).slice(2)}.db`);
  copyFileSync(databasePath, copy);
  copyFileSync(walPath, `${copy}-wal`);
  execFileSync('sqlite3', ['-batch', copy, 'PRAGMA wal_checkpoint(TRUNCATE);'], { encoding: 'utf8' });
  return new Uint8Array(readFileSync(copy));
}

export interface JournalFixture {
  readonly databasePath: string;
  /** A copy of the database taken just before the journalled transaction began. */
  readonly databaseBeforePath: string;
  readonly journalPath: string;
  /** Undefined when the engine left no journal file. */
  readonly journal: Uint8Array | undefined;
}

function journalFixture(databasePath: string, journalPath: string): JournalFixture {
  return { databasePath, databaseBeforePath: `${databasePath}.before`, journalPath, journal: existsSync(journalPath) ? new Uint8Array(readFileSync(journalPath)) : undefined };
}

const journalTable = `PRAGMA page_size=512;
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
${rows(300, 'row')}`;

/**
 * PERSIST mode: a deleting transaction commits; its journal (header zeroed, records kept) is
 * copied. When `thenSmaller`, a second, smaller transaction commits afterwards, so records of the
 * first survive after the second's (leftovers with another nonce); `<database>.between` is the
 * database between the two.
 */
export function makePersistJournal(directory: string, options: { thenSmaller?: boolean } = {}): JournalFixture {
  mkdirSync(directory, { recursive: true });
  const name = options.thenSmaller === true ? 'persist-reused' : 'persist';
  const databasePath = join(directory, `${name}.db`);
  const journalPath = join(directory, `${name}.journal`);
  runSqlite(
    databasePath,
    `PRAGMA journal_mode=PERSIST;
${journalTable}
.shell cp '${databasePath}' '${databasePath}.before'
DELETE FROM t WHERE id % 3 = 0;
${options.thenSmaller === true ? `.shell cp '${databasePath}' '${databasePath}.between'\nUPDATE t SET v = 'later' WHERE id <= 10;` : ''}
.shell cp '${databasePath}-journal' '${journalPath}'
`,
  );
  return journalFixture(databasePath, journalPath);
}

/**
 * TRUNCATE mode after commit: the engine leaves a 0-byte journal.
 */
export function makeTruncateJournal(directory: string): JournalFixture {
  mkdirSync(directory, { recursive: true });
  const databasePath = join(directory, 'truncate.db');
  const journalPath = join(directory, 'truncate.journal');
  runSqlite(
    databasePath,
    `PRAGMA journal_mode=TRUNCATE;
${journalTable}
.shell cp '${databasePath}' '${databasePath}.before'
DELETE FROM t WHERE id % 3 = 0;
.shell cp '${databasePath}-journal' '${journalPath}'
`,
  );
  return journalFixture(databasePath, journalPath);
}

/**
 * An interrupted transaction in DELETE (default) mode, copied while open: database and journal
 * as a crash would leave them. With `spill` (cache_size=1) SQLite syncs the journal to write
 * pages into the database early, so the journal is hot (intact headers, one segment per sync, the
 * last one unsynced); without it the journal was never synced (its only header unsynced).
 */
export function makeInterruptedJournal(directory: string, options: { spill: boolean }): JournalFixture & { readonly databaseCopyPath: string } {
  mkdirSync(directory, { recursive: true });
  const name = options.spill ? 'hot' : 'unsynced';
  const databasePath = join(directory, `${name}.db`);
  const journalPath = join(directory, `${name}.journal`);
  const databaseCopyPath = join(directory, `${name}-copy.db`);
  runSqlite(
    databasePath,
    `PRAGMA journal_mode=DELETE;
${journalTable}
${options.spill ? 'PRAGMA cache_size=1;' : ''}
.shell cp '${databasePath}' '${databasePath}.before'
BEGIN;
UPDATE t SET v = 'changed' WHERE id <= 200;
.shell cp '${databasePath}-journal' '${journalPath}'
.shell cp '${databasePath}' '${databaseCopyPath}'
ROLLBACK;
`,
  );
  return { ...journalFixture(databasePath, journalPath), databaseCopyPath };
}

/** Page `pageNumber` (1-based) of a database file. */
export function databasePage(database: Uint8Array, pageNumber: number, pageSize: number): Uint8Array {
  return database.subarray((pageNumber - 1) * pageSize, pageNumber * pageSize);
}
