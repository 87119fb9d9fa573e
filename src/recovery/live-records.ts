/**
 * Live records of a table: the cells of its leaf pages (and, for index-format b-trees such as
 * WITHOUT ROWID tables, its interior cells) decoded in key order. This is the unit of work the
 * pool runs in batches; tests call it directly.
 */
import type { EvidenceRecord } from '../evidence/record.js';
import { RecordState, RecordStatus } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { headerOffsetOf, pagePath } from '../formats/sqlite/btree.js';
import type { TextEncoding } from '../formats/sqlite/layout.js';
import { PageType } from '../formats/sqlite/layout.js';
import { parseBtreePage } from '../formats/sqlite/parse-page.js';
import type { PageReader } from '../formats/sqlite/page-reader.js';
import type { DatabaseHeader } from '../formats/sqlite/parse-header.js';
import type { PageDecodeContext } from './decode-cells.js';
import { decodeCells } from './decode-cells.js';
import type { DatabaseSchema, TablePages } from './database.js';
import { planTablePages, readSchema } from './database.js';
import type { TableDecodeInfo } from './table-info.js';

/** One page's worth of work: all live cells of a leaf, or the listed cells of an index-interior page. */
export interface PageWork {
  readonly pageNumber: number;
  /** Index-interior pages: only these cells carry rows. Leaves: all cells (omit). */
  readonly interiorCellOffsets?: readonly number[];
}

export interface LiveDecodeParameters {
  readonly databaseName: string;
  readonly databasePath: SourcePath;
  readonly usableSize: number;
  readonly encoding: TextEncoding;
  readonly table: TableDecodeInfo;
  readonly pages: readonly PageWork[];
}

export interface DecodedBatch {
  readonly records: EvidenceRecord[];
  readonly issues: Issue[];
}

export function decodeLivePages(reader: PageReader, parameters: LiveDecodeParameters): DecodedBatch {
  const context: PageDecodeContext = {
    databaseName: parameters.databaseName,
    usableSize: parameters.usableSize,
    encoding: parameters.encoding,
    reader,
    state: RecordState.live,
    status: RecordStatus.live,
    foundBy: 'btree-walk',
  };
  const records: EvidenceRecord[] = [];
  const issues: Issue[] = [];
  for (const work of parameters.pages) {
    const page = reader.readPage(work.pageNumber);
    if (page === undefined) continue;
    const path = pagePath(parameters.databasePath, work.pageNumber, reader.pageSize);
    const parsed = parseBtreePage(page, 0, headerOffsetOf(work.pageNumber), parameters.usableSize, path);
    if (parsed.kind !== 'parsed') continue; // the b-tree walk already reported it
    const type = parsed.value.type;
    let decoded;
    if (work.interiorCellOffsets !== undefined) {
      decoded = decodeCells(page, work.pageNumber, path, 'index-interior', work.interiorCellOffsets, parameters.table, context);
    } else if (type === PageType.tableLeaf) {
      decoded = decodeCells(page, work.pageNumber, path, 'table-leaf', parsed.value.cellOffsetsInPage, parameters.table, context);
    } else if (type === PageType.indexLeaf) {
      decoded = decodeCells(page, work.pageNumber, path, 'index-leaf', parsed.value.cellOffsetsInPage, parameters.table, context);
    } else {
      continue;
    }
    for (const record of decoded.records) records.push(record);
    for (const problem of decoded.issues) issues.push(problem);
  }
  return { records, issues };
}

/** Key-ordered page work for a table: leaves, with index-interior cells merged in page order. */
export function pageWorkOf(table: TablePages): PageWork[] {
  const work: PageWork[] = table.leaves.map((leaf) => ({ pageNumber: leaf.pageNumber }));
  if (table.interiorCells.length > 0) {
    const byPage = new Map<number, number[]>();
    for (const cell of table.interiorCells) {
      const list = byPage.get(cell.pageNumber) ?? [];
      list.push(cell.offsetInPage);
      byPage.set(cell.pageNumber, list);
    }
    for (const [pageNumber, offsets] of byPage) work.push({ pageNumber, interiorCellOffsets: offsets });
  }
  return work;
}

export interface LiveDatabase {
  readonly schema: DatabaseSchema;
  readonly tables: readonly TablePages[];
  readonly records: ReadonlyMap<string, EvidenceRecord[]>;
  readonly issues: readonly Issue[];
}

/** Everything live in one database, in one thread (tests and small inputs). */
export function readLiveDatabase(reader: PageReader, header: DatabaseHeader, databasePath: SourcePath, databaseName: string): LiveDatabase {
  const schema = readSchema(reader, header, databasePath, databaseName);
  const plan = planTablePages(reader, header, schema, databasePath);
  const issues: Issue[] = [...schema.issues, ...plan.issues];
  const records = new Map<string, EvidenceRecord[]>();
  for (const table of plan.tables) {
    const batch = decodeLivePages(reader, {
      databaseName,
      databasePath,
      usableSize: header.usableSize,
      encoding: header.encoding,
      table: table.table.decode,
      pages: pageWorkOf(table),
    });
    records.set(table.table.entry.name, batch.records);
    issues.push(...batch.issues);
  }
  return { schema, tables: plan.tables, records, issues };
}
