/**
 * Real file systems made with real tools, for the raw-image carving tests (tier 2):
 * - ext4: `mkfs.ext4` on a file, files written and deleted with `debugfs -w` (no mount, no root);
 * - FAT16: `mformat`, `mcopy`, `mdel` from mtools.
 * Then their metadata is destroyed (ext4: every superblock, group descriptor, bitmap and inode
 * table, as `dumpe2fs` lists them; FAT: both FATs and the root directory, as the boot sector
 * places them), so nothing but carving can find the files again.
 *
 * CI needs: e2fsprogs (mkfs.ext4, debugfs, dumpe2fs), mtools, sqlite3.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { runSqlite } from './sqlite3.js';

function hasCommand(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
    return true;
  } catch (error) {
    // Tools that print usage with a non-zero status are present; a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export function hasExt4Tools(): boolean {
  return hasCommand('mkfs.ext4', ['-V']) && hasCommand('debugfs', ['-V']) && hasCommand('dumpe2fs', ['-V']);
}

export function hasMtools(): boolean {
  return hasCommand('mformat', ['--version']) && hasCommand('mcopy', ['--version']) && hasCommand('mdel', ['--version']);
}

export interface ImageFile {
  /** Name inside the file system (FAT: 8.3, upper case). */
  readonly name: string;
  /** The file's content on the host. */
  readonly hostPath: string;
}

export interface FilesystemImageSpec {
  readonly sizeInBytes: number;
  /** Written in this order. */
  readonly files: readonly ImageFile[];
  /** Deleted afterwards (their blocks become unallocated, their bytes stay). */
  readonly deleted: readonly string[];
  /**
   * Written after the deletes: both allocators (debugfs's and mtools') fill the first free blocks
   * first, so a file larger than the hole a deleted file left is stored in fragments.
   */
  readonly thenWritten?: readonly ImageFile[];
}

/** Zeroes `length` bytes at `offset` of a file, in place. */
export function zeroRange(imagePath: string, offset: number, length: number): void {
  const descriptor = openSync(imagePath, 'r+');
  try {
    writeSync(descriptor, new Uint8Array(length), 0, length, offset);
  } finally {
    closeSync(descriptor);
  }
}

function createEmpty(imagePath: string, sizeInBytes: number): void {
  writeFileSync(imagePath, new Uint8Array(0));
  execFileSync('truncate', ['-s', String(sizeInBytes), imagePath]);
}

// ---------------------------------------------------------------------------------------------
// ext4

/** ext4 with 4096-byte blocks, no reserved blocks; files written and deleted by debugfs. */
export function buildExt4Image(directory: string, spec: FilesystemImageSpec): string {
  const imagePath = join(directory, 'ext4.img');
  createEmpty(imagePath, spec.sizeInBytes);
  execFileSync('mkfs.ext4', ['-F', '-q', '-b', '4096', '-m', '0', '-E', 'lazy_itable_init=0', imagePath], { stdio: 'pipe' });
  const commands = [...spec.files.map((file) => `write ${file.hostPath} ${file.name}`), ...spec.deleted.map((name) => `rm ${name}`), ...(spec.thenWritten ?? []).map((file) => `write ${file.hostPath} ${file.name}`)].join('\n');
  const commandFile = join(directory, 'debugfs.commands');
  writeFileSync(commandFile, `${commands}\n`);
  execFileSync('debugfs', ['-w', '-f', commandFile, imagePath], { stdio: 'pipe' });
  return imagePath;
}

/** Block ranges of every superblock, group descriptor table, bitmap and inode table (from dumpe2fs). */
export function ext4MetadataBlocks(imagePath: string): { blockSize: number; ranges: { first: number; last: number }[] } {
  const text = execFileSync('dumpe2fs', [imagePath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const blockSize = Number(/Block size:\s+(\d+)/.exec(text)?.[1] ?? '4096');
  const ranges: { first: number; last: number }[] = [];
  const pattern = /(?:superblock at|Group descriptors at|Reserved GDT blocks at|Block bitmap at|Inode bitmap at|Inode table at)\s+(\d+)(?:-(\d+))?/g;
  for (const match of text.matchAll(pattern)) {
    const first = Number(match[1]);
    ranges.push({ first, last: Number(match[2] ?? match[1]) });
  }
  return { blockSize, ranges };
}

/** Destroys what any tool needs to find files in an ext4 image; returns the zeroed byte ranges. */
export function destroyExt4Metadata(imagePath: string): { offset: number; length: number }[] {
  const { blockSize, ranges } = ext4MetadataBlocks(imagePath);
  const zeroed = ranges.map((range) => ({ offset: range.first * blockSize, length: (range.last - range.first + 1) * blockSize }));
  for (const range of zeroed) zeroRange(imagePath, range.offset, range.length);
  return zeroed;
}

// ---------------------------------------------------------------------------------------------
// FAT16

/** FAT16 (mformat's choice for 16–64 MiB) with 512-byte clusters on a fresh image: files land contiguously. */
export function buildFatImage(directory: string, spec: FilesystemImageSpec): string {
  const imagePath = join(directory, 'fat.img');
  createEmpty(imagePath, spec.sizeInBytes);
  execFileSync('mformat', ['-i', imagePath, '::'], { stdio: 'pipe' });
  for (const file of spec.files) execFileSync('mcopy', ['-i', imagePath, file.hostPath, `::/${file.name}`], { stdio: 'pipe' });
  for (const name of spec.deleted) execFileSync('mdel', ['-i', imagePath, `::/${name}`], { stdio: 'pipe' });
  for (const file of spec.thenWritten ?? []) execFileSync('mcopy', ['-i', imagePath, file.hostPath, `::/${file.name}`], { stdio: 'pipe' });
  return imagePath;
}

export interface FatGeometry {
  readonly bytesPerSector: number;
  readonly reservedSectors: number;
  readonly fatCount: number;
  readonly sectorsPerFat: number;
  readonly rootEntryCount: number;
  /** Image offset of the first FAT. */
  readonly fatOffset: number;
  readonly rootDirectoryOffset: number;
  readonly rootDirectorySizeInBytes: number;
  readonly dataOffset: number;
}

export function fatGeometry(imagePath: string): FatGeometry {
  const descriptor = openSync(imagePath, 'r');
  const boot = new Uint8Array(512);
  try {
    readSync(descriptor, boot, 0, 512, 0);
  } finally {
    closeSync(descriptor);
  }
  const u16 = (at: number): number => (boot[at] as number) | ((boot[at + 1] as number) << 8);
  const bytesPerSector = u16(11);
  const reservedSectors = u16(14);
  const fatCount = boot[16] as number;
  const rootEntryCount = u16(17);
  const sectorsPerFat = u16(22);
  const fatOffset = reservedSectors * bytesPerSector;
  const rootDirectoryOffset = fatOffset + fatCount * sectorsPerFat * bytesPerSector;
  const rootDirectorySizeInBytes = rootEntryCount * 32;
  return {
    bytesPerSector,
    reservedSectors,
    fatCount,
    sectorsPerFat,
    rootEntryCount,
    fatOffset,
    rootDirectoryOffset,
    rootDirectorySizeInBytes,
    dataOffset: rootDirectoryOffset + Math.ceil(rootDirectorySizeInBytes / bytesPerSector) * bytesPerSector,
  };
}

/** Zeroes both FATs and the root directory (the boot sector stays: it holds no file's location). */
export function destroyFatMetadata(imagePath: string): { offset: number; length: number }[] {
  const geometry = fatGeometry(imagePath);
  const zeroed = [
    { offset: geometry.fatOffset, length: geometry.fatCount * geometry.sectorsPerFat * geometry.bytesPerSector },
    { offset: geometry.rootDirectoryOffset, length: geometry.rootDirectorySizeInBytes },
  ];
  for (const range of zeroed) zeroRange(imagePath, range.offset, range.length);
  return zeroed;
}

// ---------------------------------------------------------------------------------------------
// The POS ledger that goes into the images (real engine, secure_delete OFF)

export interface LedgerFiles {
  /** The live database's main file, copied while the connection was open (committed WAL frames not yet checkpointed). */
  readonly livePath: string;
  /** Its -wal, copied at the same moment. */
  readonly walPath: string;
  /** An older copy of the database (before 300 more rows, deletes and updates): the file that gets deleted. */
  readonly oldPath: string;
}

/**
 * A WAL-mode ledger: 300 rows, checkpointed, copied as the older copy; then 300 more rows, a
 * settlement-style delete and updates, a checkpoint, and two more committed updates left in the
 * WAL; database and WAL copied while the connection is still open.
 */
export function makeLedgerFiles(directory: string, pageSize: number): LedgerFiles {
  const databasePath = join(directory, 'ledger.db');
  const livePath = join(directory, 'live.db');
  const walPath = join(directory, 'live.db-wal');
  const oldPath = join(directory, 'old.db');
  const insert = (from: number, to: number): string =>
    `WITH RECURSIVE c(x) AS (SELECT ${from} UNION ALL SELECT x+1 FROM c WHERE x<${to})
INSERT INTO trans_record (tid, batch_no, trace_no, trans_type, amount, rate, card_no, memo)
SELECT 'A1B2C3D4', printf('%06d', x/100), printf('%06d', x), CASE x%5 WHEN 0 THEN 'VOID' WHEN 1 THEN 'REFUND' ELSE 'SALE' END,
  (x*7919)%500000, x/7.0, '622848******' || printf('%04d', x%10000), CASE x%9 WHEN 0 THEN NULL ELSE printf('memo %d', x) END FROM c;`;
  runSqlite(
    databasePath,
    `PRAGMA page_size=${pageSize};
PRAGMA journal_mode=WAL;
PRAGMA wal_autocheckpoint=0;
CREATE TABLE trans_record (id INTEGER PRIMARY KEY AUTOINCREMENT, tid TEXT NOT NULL, batch_no TEXT, trace_no TEXT, trans_type TEXT,
  amount INTEGER, rate REAL, card_no TEXT, memo TEXT);
CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
INSERT INTO settings VALUES ('merchant', 'Corner Shop'), ('terminal', 'A1B2C3D4');
${insert(1, 300)}
PRAGMA wal_checkpoint(TRUNCATE);
.shell cp '${databasePath}' '${oldPath}'
${insert(301, 600)}
DELETE FROM trans_record WHERE id BETWEEN 100 AND 180;
UPDATE trans_record SET trans_type = 'VOID' WHERE id % 50 = 0;
PRAGMA wal_checkpoint(TRUNCATE);
UPDATE trans_record SET memo = 'adjusted' WHERE id % 7 = 0;
INSERT INTO settings VALUES ('batch', '000006');
.shell cp '${databasePath}' '${livePath}'
.shell cp '${databasePath}-wal' '${walPath}'
`,
  );
  return { livePath, walPath, oldPath };
}

/** Block numbers of a file in an ext4 image, in file order (debugfs `blocks`). */
export function ext4FileBlocks(imagePath: string, name: string): number[] {
  return execFileSync('debugfs', ['-R', `blocks ${name}`, imagePath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '')
    .map(Number);
}

/** The bytes of a file, for byte-for-byte comparisons with what was carved. */
export function fileBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
