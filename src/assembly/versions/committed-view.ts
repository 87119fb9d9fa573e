/**
 * The database as SQLite would read it with its WAL applied: the main file with the newest
 * committed frame of every page laid over it, cut to the last commit's database size. Its schema
 * comes from the newest committed page 1 (the WAL's when it holds one), and its b-trees are walked
 * through the overlay, so it says which page version of which table each live row is on.
 *
 * The view is derived, never substituted: the main file's and every frame's records are reported
 * as they are; the view decides which of them are `live` (see scan-wal.ts).
 *
 * Pure over a PageReader (base) and a PageImageSource (the WAL's bytes).
 */
import type { EvidenceRecord } from '../../evidence/record.js';
import { RecordState, RecordStatus } from '../../evidence/record.js';
import type { Issue } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import { extendPath } from '../../provenance/path.js';
import { headerOffsetOf, pagePath } from '../../formats/sqlite/btree.js';
import { PageType } from '../../formats/sqlite/layout.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import type { DatabaseHeader } from '../../formats/sqlite/parse-header.js';
import { parseDatabaseHeader } from '../../formats/sqlite/parse-header.js';
import { parseBtreePage } from '../../formats/sqlite/parse-page.js';
import type { DatabaseSchema, TablePages } from '../../recovery/database.js';
import { planTablePages, readSchema } from '../../recovery/database.js';
import type { PageDecodeContext } from '../../recovery/decode-cells.js';
import { decodeCells } from '../../recovery/decode-cells.js';
import type { PageImageSource, PageOverlay } from './overlay-page-reader.js';
import { OverlayPageReader } from './overlay-page-reader.js';

export interface CommittedViewPlan {
  readonly reader: OverlayPageReader;
  readonly header: DatabaseHeader;
  readonly schema: DatabaseSchema;
  readonly tables: readonly TablePages[];
  /** Every leaf (and WITHOUT ROWID interior page) of a table in the view → table name. */
  readonly tableOfPage: ReadonlyMap<number, string>;
  /** Issues of the view's schema read and b-tree walks (paths name the main file). */
  readonly issues: readonly Issue[];
}

export interface CommittedViewOptions {
  /** The main database, undefined for a stray WAL (the view is then the WAL's pages alone). */
  readonly base: PageReader | undefined;
  readonly pageSize: number;
  readonly wal: PageImageSource;
  /** Page → file offset of the newest committed frame's page image. */
  readonly committedOverlay: PageOverlay;
  /** The last commit frame's database size in pages; undefined when no frame is committed. */
  readonly committedPageCount: number | undefined;
  readonly databasePath: SourcePath;
  readonly databaseName: string;
}

/** Plans the view; undefined (with issues) when no page 1 is readable through it. */
export function planCommittedView(options: CommittedViewOptions): { plan: CommittedViewPlan | undefined; issues: Issue[] } {
  const reader = new OverlayPageReader(options.base, options.pageSize, options.wal, options.committedOverlay, options.committedPageCount === undefined ? {} : { pageCount: options.committedPageCount });
  const first = reader.readPage(1);
  if (first === undefined) return { plan: undefined, issues: [] };
  const outcome = parseDatabaseHeader(first, 0, options.databasePath);
  if (outcome.kind !== 'parsed') return { plan: undefined, issues: outcome.kind === 'malformed' ? [...outcome.issues] : [] };
  const header = outcome.value;
  const schema = readSchema(reader, header, options.databasePath, options.databaseName);
  const planned = planTablePages(reader, header, schema, options.databasePath);
  const tableOfPage = new Map<number, string>();
  for (const table of planned.tables) {
    const name = table.table.entry.name;
    for (const leaf of table.leaves) tableOfPage.set(leaf.pageNumber, name);
    for (const cell of table.interiorCells) tableOfPage.set(cell.pageNumber, name);
  }
  const issues = [...schema.issues, ...planned.issues];
  return { plan: { reader, header, schema, tables: planned.tables, tableOfPage, issues }, issues };
}

export interface CommittedRow {
  readonly table: string;
  readonly record: EvidenceRecord;
  /** The WAL frame the row's page version came from; undefined for a main-file page. */
  readonly frameNumber: number | undefined;
}

/**
 * Every live row of the committed view, table by table in b-tree order (for tests and the
 * differential check against sqlite3). Rows from WAL pages carry the frame's provenance.
 * `frameOfPage` maps an overlaid page to its frame number and the frame's provenance.
 */
export function readCommittedView(
  plan: CommittedViewPlan,
  frameOfPage: (pageNumber: number) => { readonly frameNumber: number; readonly framePath: SourcePath } | undefined,
  databasePath: SourcePath,
  databaseName: string,
): { rows: CommittedRow[]; issues: Issue[] } {
  const rows: CommittedRow[] = [];
  const issues: Issue[] = [];
  const context: PageDecodeContext = {
    databaseName,
    usableSize: plan.header.usableSize,
    encoding: plan.header.encoding,
    reader: plan.reader,
    state: RecordState.live,
    status: RecordStatus.live,
    foundBy: 'btree-walk',
  };
  for (const table of plan.tables) {
    const pages = new Map<number, number[] | undefined>();
    for (const leaf of table.leaves) pages.set(leaf.pageNumber, undefined);
    for (const cell of table.interiorCells) pages.set(cell.pageNumber, [...(pages.get(cell.pageNumber) ?? []), cell.offsetInPage]);
    for (const [pageNumber, interiorOffsets] of pages) {
      const page = plan.reader.readPage(pageNumber);
      if (page === undefined) continue;
      const frame = plan.reader.isOverlaid(pageNumber) ? frameOfPage(pageNumber) : undefined;
      const path =
        frame === undefined ? pagePath(databasePath, pageNumber, plan.reader.pageSize) : extendPath(frame.framePath, { kind: 'sqlite-page', pageNumber, pageSize: plan.reader.pageSize });
      const parsed = parseBtreePage(page, 0, headerOffsetOf(pageNumber), plan.header.usableSize, path);
      if (parsed.kind !== 'parsed') continue;
      const decode = table.table.decode;
      let kind: 'table-leaf' | 'index-leaf' | 'index-interior' | undefined;
      if (interiorOffsets !== undefined) kind = 'index-interior';
      else if (parsed.value.type === PageType.tableLeaf) kind = 'table-leaf';
      else if (parsed.value.type === PageType.indexLeaf) kind = 'index-leaf';
      if (kind === undefined) continue;
      const decoded = decodeCells(page, pageNumber, path, kind, interiorOffsets ?? parsed.value.cellOffsetsInPage, decode, {
        ...context,
        state: frame === undefined ? RecordState.live : RecordState.walCommitted,
        foundBy: frame === undefined ? 'btree-walk' : 'wal',
      });
      for (const record of decoded.records) rows.push({ table: decode.name, record, frameNumber: frame?.frameNumber });
      issues.push(...decoded.issues);
    }
  }
  return { rows, issues };
}
