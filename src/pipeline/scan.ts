/**
 * The whole scan: expand inputs, hash them while the pipeline reads them, decode each database
 * (with its siblings), re-check the hashes at the end.
 */
import { formatOffset } from '../bytes/offsets.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { filePath } from '../provenance/path.js';
import { SourcePageReader } from '../sources/page-reader.js';
import { decodeOrphanTableLeaf, inferPageSize } from '../recovery/headerless.js';
import { FileSource } from '../sources/file-source.js';
import type { InputHashes } from '../sources/hash.js';
import { hashFile } from '../sources/hash.js';
import type { EvidenceFile, InputGroup } from '../sources/inputs.js';
import { expandInputs } from '../sources/inputs.js';
import type { WorkerPool } from '../pool/pool.js';
import { classifyInput } from './classify.js';
import { decodeDatabase, describeDatabase } from './scan-database.js';
import type { EvidenceSink } from './sink.js';

export interface InputVerification {
  readonly file: EvidenceFile;
  readonly hashes: InputHashes;
  /** Hashes computed again at the end of the run equal the first ones. */
  readonly unchanged: boolean;
}

/** Hashes every evidence file (SHA-256 and MD5 in one streaming pass each). */
export async function hashInputs(files: readonly EvidenceFile[]): Promise<InputHashes[]> {
  const out: InputHashes[] = [];
  for (const file of files) out.push(await hashFile(file.fileSystemPath));
  return out;
}

/**
 * Re-hashes every input at the end of a run; a difference is an error-severity issue
 * (`input.changed-during-scan`) since every offset in the report may then be wrong.
 */
export async function verifyInputs(files: readonly EvidenceFile[], first: readonly InputHashes[], sink: EvidenceSink): Promise<InputVerification[]> {
  const out: InputVerification[] = [];
  const changed: Issue[] = [];
  for (const [index, file] of files.entries()) {
    const before = first[index] as InputHashes;
    let again: InputHashes;
    try {
      again = await hashFile(file.fileSystemPath);
    } catch {
      again = { sha256: '', md5: '', sizeInBytes: -1 };
    }
    const unchanged = again.sha256 === before.sha256 && again.md5 === before.md5 && again.sizeInBytes === before.sizeInBytes;
    if (!unchanged) {
      changed.push(
        issue('input.changed-during-scan', 'error', filePath(file.location), 0, `${file.location} changed while it was read: SHA-256 ${before.sha256} at the start, ${again.sha256 || 'unreadable'} at the end`, {
          sha256AtStart: before.sha256,
          sha256AtEnd: again.sha256,
        }),
      );
    }
    out.push({ file, hashes: again, unchanged });
  }
  if (changed.length > 0) await sink.addIssues(changed);
  return out;
}

/** Runs every input group through the pipeline, in input order. */
export async function scanGroups(groups: readonly InputGroup[], pool: WorkerPool, sink: EvidenceSink): Promise<void> {
  for (const group of groups) await scanGroup(group, pool, sink);
}

/** Convenience for tests: expand, scan, verify. */
export async function scanInputs(inputLocations: readonly string[], pool: WorkerPool, sink: EvidenceSink): Promise<InputVerification[]> {
  const expanded = expandInputs(inputLocations);
  const first = await hashInputs(expanded.files);
  if (expanded.files.length === 0) {
    await sink.addIssues([issue('input.no-evidence', 'warning', filePath(inputLocations.join(', ') || '.'), 0, `No files found in ${inputLocations.join(', ')}`)]);
  }
  await scanGroups(expanded.groups, pool, sink);
  return verifyInputs(expanded.files, first, sink);
}

/** Files up to this size without a header are examined page by page as headerless databases. */
export const maximumHeaderlessSizeInBytes = 4 * 1024 ** 3;

/**
 * A file with no header but with b-tree pages at some page size: a database whose page 1 was lost.
 * Every table-leaf page is decoded as orphan records (partial result, flagged). Returns false when
 * no page size finds b-tree pages.
 */
async function scanHeaderless(source: FileSource, location: string, path: SourcePath, sink: EvidenceSink): Promise<boolean> {
  if (source.sizeInBytes > maximumHeaderlessSizeInBytes) return false;
  const guess = inferPageSize((offset, length) => source.read(offset, length), source.sizeInBytes, path);
  if (guess === undefined) return false;
  await sink.addIssues([
    issue('sqlite.header.lost', 'warning', path, 0, `${location}: no SQLite header at ${formatOffset(0)}, but ${guess.plausiblePageCount} b-tree pages at page size ${guess.pageSize}; decoding table-leaf pages without a schema (columns c0, c1, …; text assumed UTF-8)`, {
      pageSize: guess.pageSize,
    }),
  ]);
  const reader = new SourcePageReader(source, guess.pageSize);
  const announced = new Set<string>();
  for (let pageNumber = 1; pageNumber <= reader.pageCount; pageNumber++) {
    const decoded = decodeOrphanTableLeaf(reader, pageNumber, path, location, 1);
    if (decoded === undefined) continue;
    for (const record of decoded.records) {
      if (announced.has(record.table)) continue;
      announced.add(record.table);
      await sink.addTable({ database: location, table: record.table, columns: record.values.map((_, index) => `c${index}`), withoutRowid: false });
    }
    if (decoded.records.length > 0) await sink.addRecords(decoded.records);
    if (decoded.issues.length > 0) await sink.addIssues(decoded.issues);
  }
  return true;
}

async function scanGroup(group: InputGroup, pool: WorkerPool, sink: EvidenceSink): Promise<void> {
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
    switch (kind) {
      case 'empty':
        await sink.addIssues([issue('input.empty', 'warning', path, 0, `${file.location} is empty (0 bytes)`)]);
        break;
      case 'sqlite-database': {
        const { summary, issues } = describeDatabase(source, file.location, path);
        await sink.addIssues(issues);
        if (summary !== undefined) await decodeDatabase(file, summary, pool, sink, path);
        break;
      }
      case 'sqlite-wal':
      case 'sqlite-journal':
        await sink.addIssues([
          issue('input.not-yet-decoded', 'info', path, 0, `${file.location}: ${kind === 'sqlite-wal' ? 'WAL' : 'rollback journal'} without its database; stray WAL/journal decoding is not implemented yet, the file is hashed and listed only`),
        ]);
        break;
      case 'unknown':
        if (!(await scanHeaderless(source, file.location, path, sink))) {
          await sink.addIssues([
            issue('input.not-recognised', 'info', path, 0, `${file.location}: no SQLite, WAL or journal header at ${formatOffset(0)} and no b-tree pages at any page size; raw-image carving is not implemented yet, the file is hashed and listed only`),
          ]);
        }
        break;
    }
    for (const [sibling, what] of [
      [group.wal, 'WAL'],
      [group.journal, 'rollback journal'],
    ] as const) {
      if (sibling === undefined) continue;
      await sink.addIssues([
        issue('input.sibling-not-decoded', 'info', filePath(sibling.location), 0, `${sibling.location}: ${what} of ${file.location} found and hashed; its decoding is not implemented yet (the database is reported as the main file holds it)`),
      ]);
    }
    if (group.shm !== undefined) {
      await sink.addIssues([issue('input.shm-ignored', 'info', filePath(group.shm.location), 0, `${group.shm.location}: -shm index is derived from the WAL; hashed and listed, not trusted`)]);
    }
  } finally {
    source.close();
  }
}
