/**
 * A database file whose page 1 (header and the root of sqlite_schema) is lost: the file has no
 * SQLite header, but read at some page size from offset 0 most of its pages are b-tree pages. It
 * goes through the headerless recovery (src/recovery/headerless.ts via `recoverHeaderlessDatabase`):
 * table shapes inferred from the records (`unknown-<N>` tables, columns c0, c1, …) or named by
 * `--schema` (a database or a file of CREATE TABLE statements) when exactly one table fits; live
 * cells reported as `orphan` records and freed cells (freeblocks, gaps) classified against them.
 * Anything else without a header (a disk image) goes to the raw-image carving instead.
 */
import { formatOffset } from '../bytes/offsets.js';
import { issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import type { ByteSource } from '../sources/byte-source.js';
import type { EvidenceFile } from '../sources/inputs.js';
import { SourcePageReader } from '../sources/page-reader.js';
import { inferPageSize } from '../recovery/headerless.js';
import { recoverHeaderlessDatabase } from '../recovery/freed/recover-database.js';
import { evidenceOf } from './scan-freed.js';
import type { EvidenceSink } from './sink.js';

/** Pages sampled per page size (from the start of the file) to find the grid. */
export const headerlessSamplePageCount = 256;
/**
 * Share of the sampled pages (page 1 excepted) that must be plausible b-tree pages for the file to
 * be taken as a database file: a disk image holds databases here and there, a database file is
 * mostly b-tree pages (overflow and freelist pages make up the rest).
 */
export const minimumBtreePageShare = 0.5;
/** Files larger than this without a header are always carved as raw images. */
export const maximumHeaderlessSizeInBytes = 4 * 1024 ** 3;

/**
 * The page grid of a file without a header that looks like a database file whose page 1 is lost
 * (most sampled pages are b-tree pages at one page size from offset 0), else undefined: then it is
 * carved as a raw image. `readInputs` asks the same question to know which files to scan first.
 */
export function headerlessDatabaseGrid(source: ByteSource, path: SourcePath): { pageSize: number; plausiblePageCount: number; sampledPageCount: number } | undefined {
  if (source.sizeInBytes > maximumHeaderlessSizeInBytes) return undefined;
  const guess = inferPageSize((offset, length) => source.read(offset, length), source.sizeInBytes, path, headerlessSamplePageCount);
  if (guess === undefined) return undefined;
  const sampled = Math.min(headerlessSamplePageCount, Math.floor(source.sizeInBytes / guess.pageSize)) - 1;
  if (guess.plausiblePageCount < 2 || guess.plausiblePageCount < sampled * minimumBtreePageShare) return undefined;
  return { pageSize: guess.pageSize, plausiblePageCount: guess.plausiblePageCount, sampledPageCount: sampled };
}

/** Returns false (nothing reported) when the file does not look like a database file with its header lost. */
export async function scanHeaderlessDatabase(file: EvidenceFile, source: ByteSource, path: SourcePath, sink: EvidenceSink, schemaSql: string | undefined): Promise<boolean> {
  const guess = headerlessDatabaseGrid(source, path);
  if (guess === undefined) return false;
  const sampled = guess.sampledPageCount;
  const lost = issue(
    'sqlite.header.lost',
    'warning',
    path,
    0,
    `${file.location}: no SQLite header at ${formatOffset(0)}, but ${guess.plausiblePageCount} of the first ${sampled + 1} pages are b-tree pages at page size ${guess.pageSize}: decoded as a database whose page 1 is lost (tables ${schemaSql === undefined ? 'inferred from record shapes' : 'named from --schema where exactly one fits'}; text assumed in the encoding the records suggest)`,
    { pageSize: guess.pageSize },
  );
  const reader = new SourcePageReader(source, guess.pageSize, 0, source.sizeInBytes, 256);
  const recovered = recoverHeaderlessDatabase(reader, path, file.location, { keepLiveRecords: true, ...(schemaSql === undefined ? {} : { schemaSql }) }, [lost]);
  await sink.addIssues(recovered.issues);
  for (const table of recovered.tables) {
    if (table.live.length === 0 && table.freed.length === 0) continue;
    await sink.addTable({ database: file.location, table: table.name, columns: table.columns, withoutRowid: table.withoutRowid });
    if (table.live.length > 0) await sink.addRecords(table.live);
    if (table.freed.length > 0) await sink.addRecords(table.freed.map(evidenceOf));
  }
  return true;
}
