/**
 * page-versions.csv (issue 4 item 4): for every page of a database, its ordered versions —
 * journal pre-images, WAL frames of older generations, the main file's page, frames of the
 * current WAL generation — with where each image lies, its state, transaction, checksum result,
 * page type and SHA-256. Pages without rows are listed too (overflow, freelist, interior, index).
 *
 * Order of versions, per page (the `version` column counts 1, 2, 3 …):
 * 1. journal records in file order (pre-images are older than the main file they were taken from;
 *    records PERSIST mode left from earlier transactions come in file order too, an approximation);
 * 2. frames of non-current WAL generations, oldest generation first (a restart happens only after
 *    a checkpoint copied them into the main file, so they are older than the main file's page);
 * 3. the main file's page;
 * 4. frames of the current generation in file order (newer than the main file).
 *
 * Bounded: rows are produced and handed over in batches; each image is read once, hashed and
 * dropped; what is kept is one counter per page number and the logs' frame/record lists the
 * pipeline already holds (no page bytes).
 */
import { createHash } from 'node:crypto';
import { PageType } from '../formats/sqlite/layout.js';
import { headerOffsetOf } from '../formats/sqlite/btree.js';
import { FileSource } from '../sources/file-source.js';
import type { EvidenceFile } from '../sources/inputs.js';
import type { PageVersionRow } from '../reports/types.js';
import type { LogDatabase } from './scan-log.js';
import type { EvidenceSink } from './sink.js';

/** One page image held by a log. */
export interface LogPageImage {
  readonly pageNumber: number;
  /** WAL frame number or journal record number. */
  readonly number: number;
  /** Offset of the page image in the log file. */
  readonly fileOffset: number;
  readonly state: string;
  readonly transaction: string | null;
  readonly checksum: PageVersionRow['checksum'];
  /** Older than the main file's page (journal records, non-current WAL generations). */
  readonly beforeMain: boolean;
}

export interface LogPageImages {
  readonly file: EvidenceFile;
  readonly source: 'journal' | 'wal';
  readonly pageSize: number;
  /** In the order they are listed (within `beforeMain` and after it). */
  readonly images: readonly LogPageImage[];
}

/** Rows handed to the sink at a time. */
const rowBatchSize = 2048;

const btreeTypes: Readonly<Record<number, string>> = {
  [PageType.tableLeaf]: 'table-leaf',
  [PageType.tableInterior]: 'table-interior',
  [PageType.indexLeaf]: 'index-leaf',
  [PageType.indexInterior]: 'index-interior',
};

/** Page type from the image's bytes (and, for main-file pages, the freelist walk). */
export function pageTypeOf(page: Uint8Array, pageNumber: number, freelist: 'trunk' | 'leaf' | undefined): string {
  if (freelist === 'trunk') return 'freelist-trunk';
  if (freelist === 'leaf') return 'freelist-leaf';
  const type = btreeTypes[page[headerOffsetOf(pageNumber)] ?? -1];
  if (type !== undefined) return type;
  for (const byte of page) if (byte !== 0) return 'other';
  return 'zeroed';
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes the page versions of one database (or of a stray log: `database` undefined, then
 * `databaseName` names the log) to `sink.addPageVersions`. A sink without it is left alone.
 */
export async function writePageVersions(sink: EvidenceSink, databaseName: string, database: LogDatabase | undefined, logs: readonly LogPageImages[]): Promise<void> {
  const add = sink.addPageVersions?.bind(sink);
  if (add === undefined) return;
  const versions = new Map<number, number>();
  let batch: PageVersionRow[] = [];
  const push = async (row: Omit<PageVersionRow, 'version' | 'database'>): Promise<void> => {
    const version = (versions.get(row.pageNumber) ?? 0) + 1;
    versions.set(row.pageNumber, version);
    batch.push({ database: databaseName, ...row, version });
    if (batch.length >= rowBatchSize) {
      await add(batch);
      batch = [];
    }
  };
  const emitLog = async (log: LogPageImages, beforeMain: boolean): Promise<void> => {
    const images = log.images.filter((image) => image.beforeMain === beforeMain);
    if (images.length === 0) return;
    const source = new FileSource(log.file.fileSystemPath, log.file.location);
    try {
      for (const image of images) {
        const page = source.read(image.fileOffset, log.pageSize);
        await push({
          pageNumber: image.pageNumber,
          source: log.source,
          sourceNumber: image.number,
          image: log.file.location,
          imageOffset: image.fileOffset,
          state: image.state,
          transaction: image.transaction,
          checksum: image.checksum,
          pageType: pageTypeOf(page, image.pageNumber, undefined),
          sha256: sha256(page),
        });
      }
    } finally {
      source.close();
    }
  };
  for (const log of logs) if (log.source === 'journal') await emitLog(log, true);
  for (const log of logs) if (log.source === 'wal') await emitLog(log, true);
  if (database !== undefined) {
    const summary = database.summary;
    const pageSize = summary.header.pageSize;
    const trunks = new Set(summary.freelistTrunkPages);
    const leaves = new Set(summary.freelistLeafPages);
    const source = new FileSource(database.file.fileSystemPath, database.file.location);
    try {
      const pageCount = Math.floor(source.sizeInBytes / pageSize);
      const pagesPerRead = Math.max(1, Math.floor((4 * 1024 * 1024) / pageSize));
      for (let first = 1; first <= pageCount; first += pagesPerRead) {
        const count = Math.min(pagesPerRead, pageCount - first + 1);
        const chunk = source.read((first - 1) * pageSize, count * pageSize);
        for (let index = 0; index < count; index++) {
          const pageNumber = first + index;
          const page = chunk.subarray(index * pageSize, (index + 1) * pageSize);
          if (page.length < pageSize) break;
          await push({
            pageNumber,
            source: 'main',
            sourceNumber: null,
            image: database.file.location,
            imageOffset: (pageNumber - 1) * pageSize,
            state: 'main-file',
            transaction: null,
            checksum: 'not-applicable',
            pageType: pageTypeOf(page, pageNumber, trunks.has(pageNumber) ? 'trunk' : leaves.has(pageNumber) ? 'leaf' : undefined),
            sha256: sha256(page),
          });
        }
      }
    } finally {
      source.close();
    }
  }
  for (const log of logs) if (log.source === 'journal') await emitLog(log, false);
  for (const log of logs) if (log.source === 'wal') await emitLog(log, false);
  if (batch.length > 0) await add(batch);
}
