/**
 * One database file through the pipeline: header, schema and b-tree walks on the main thread
 * (they read few pages), leaf decoding in pool batches, results handed to the sink in b-tree order.
 */
import { formatOffset } from '../bytes/offsets.js';
import type { TableDescriptor } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { filePath } from '../provenance/path.js';
import type { DatabaseHeader } from '../formats/sqlite/parse-header.js';
import { parseDatabaseHeader } from '../formats/sqlite/parse-header.js';
import { walkFreelist } from '../formats/sqlite/freelist.js';
import type { ByteSource } from '../sources/byte-source.js';
import { SourcePageReader } from '../sources/page-reader.js';
import type { EvidenceFile } from '../sources/inputs.js';
import { planTablePages, readSchema } from '../recovery/database.js';
import type { DatabaseSchema, TablePages } from '../recovery/database.js';
import type { PageWork } from '../recovery/live-records.js';
import { pageWorkOf } from '../recovery/live-records.js';
import type { WorkerPool } from '../pool/pool.js';
import type { TaskResult } from '../pool/tasks.js';
import type { EvidenceSink } from './sink.js';

/** Pages per pool task: large enough to amortise the message cost, small enough to keep every core busy. */
export const pagesPerBatch = 32;

export interface DatabaseSummary {
  readonly location: string;
  readonly header: DatabaseHeader;
  readonly pageCountInFile: number;
  readonly schema: DatabaseSchema;
  readonly tables: readonly TablePages[];
  readonly freelistTrunkPages: readonly number[];
  readonly freelistLeafPages: readonly number[];
  readonly issues: readonly Issue[];
}

/**
 * Reads header, schema, b-tree plan and freelist of a database at `baseOffset` in `source`.
 * Returns undefined (with issues) when the header is unusable.
 */
export function describeDatabase(source: ByteSource, location: string, path: SourcePath = filePath(location), baseOffset = 0): { summary: DatabaseSummary | undefined; issues: Issue[] } {
  const issues: Issue[] = [];
  const first = source.read(baseOffset, 100);
  const headerOutcome = parseDatabaseHeader(first, 0, path);
  if (headerOutcome.kind === 'not-this-format') {
    issues.push(issue('sqlite.header.missing', 'warning', path, 0, `${location}: no SQLite header at ${formatOffset(baseOffset)}`));
    return { summary: undefined, issues };
  }
  if (headerOutcome.kind === 'malformed') {
    issues.push(...headerOutcome.issues);
    return { summary: undefined, issues };
  }
  const header = headerOutcome.value;
  issues.push(...headerOutcome.issues);
  const sizeInBytes = source.sizeInBytes - baseOffset;
  const reader = new SourcePageReader(source, header.pageSize, baseOffset, sizeInBytes);
  const expectedPages = header.trustedDatabaseSizeInPages;
  if (sizeInBytes % header.pageSize !== 0) {
    issues.push(
      issue('sqlite.file.partial-page', 'warning', path, sizeInBytes - (sizeInBytes % header.pageSize), `${location}: file size ${sizeInBytes} is not a multiple of the page size ${header.pageSize}; the last page is cut at ${formatOffset(sizeInBytes)}`, {
        value: sizeInBytes,
      }),
    );
  }
  if (expectedPages !== undefined && expectedPages * header.pageSize > sizeInBytes) {
    issues.push(
      issue('sqlite.file.truncated', 'warning', path, 28, `${location}: header says ${expectedPages} pages (${expectedPages * header.pageSize} bytes), the file holds ${sizeInBytes} bytes`, {
        value: expectedPages,
      }),
    );
  }
  const schema = readSchema(reader, header, path, location);
  const plan = planTablePages(reader, header, schema, path);
  const freelist = walkFreelist(reader, header.usableSize, header.firstFreelistTrunkPage, header.freelistPageCount, path);
  issues.push(...schema.issues, ...plan.issues, ...freelist.issues);
  return {
    summary: {
      location,
      header,
      pageCountInFile: reader.pageCount,
      schema,
      tables: plan.tables,
      freelistTrunkPages: freelist.trunkPageNumbers,
      freelistLeafPages: freelist.leafPageNumbers,
      issues,
    },
    issues,
  };
}

export function tableDescriptor(database: string, table: TablePages): TableDescriptor {
  return { database, table: table.table.entry.name, columns: table.table.decode.columns, withoutRowid: table.table.decode.withoutRowid };
}

/**
 * Decodes every live record of the described database through the pool and hands tables, records
 * and issues to the sink in b-tree order. At most `maximumInFlight` batches are pending at once,
 * which bounds memory whatever the database size. When the sink asks for rendered text
 * (`renderSpecFor`), the workers render each batch and the sink gets `addRendered` instead of
 * `addRecords`.
 */
export async function decodeDatabase(
  file: EvidenceFile,
  summary: DatabaseSummary,
  pool: WorkerPool,
  sink: EvidenceSink,
  path: SourcePath = filePath(file.location),
  baseOffset = 0,
): Promise<void> {
  const maximumInFlight = Math.max(2, pool.workerCount * 3);
  for (const table of summary.tables) {
    const descriptor = tableDescriptor(summary.location, table);
    await sink.addTable(descriptor);
    // A report sink has the workers render the records: its thread then only appends text.
    const render = sink.addRendered === undefined ? undefined : sink.renderSpecFor?.(descriptor);
    const work = pageWorkOf(table);
    const batches: PageWork[][] = [];
    for (let start = 0; start < work.length; start += pagesPerBatch) batches.push(work.slice(start, start + pagesPerBatch));
    const pending: Promise<TaskResult>[] = [];
    let next = 0;
    const submit = (): void => {
      const pages = batches[next++];
      if (pages === undefined) return;
      pending.push(
        pool.run({
          kind: 'decode-live-pages',
          fileSystemPath: file.fileSystemPath,
          baseOffset,
          sizeInBytes: file.sizeInBytes - baseOffset,
          pageSize: summary.header.pageSize,
          parameters: {
            databaseName: summary.location,
            databasePath: path,
            usableSize: summary.header.usableSize,
            encoding: summary.header.encoding,
            table: table.table.decode,
            pages,
          },
          ...(render === undefined ? {} : { render }),
        }),
      );
    };
    while (next < batches.length && pending.length < maximumInFlight) submit();
    while (pending.length > 0) {
      const result = await (pending.shift() as Promise<TaskResult>);
      submit();
      if (result.rendered !== undefined) {
        if (result.rendered.count > 0) await sink.addRendered?.(result.rendered);
      } else await sink.addRecords(result.records);
      if (result.issues.length > 0) await sink.addIssues(result.issues);
    }
  }
}
