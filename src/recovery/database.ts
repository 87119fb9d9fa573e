/**
 * A database's logical layout: its sqlite_schema rows, the tables and indexes they describe and
 * the pages each b-tree owns. Pure over a PageReader.
 */
import type { EvidenceRecord } from '../evidence/record.js';
import { RecordState, RecordStatus } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import type { LeafPageReference } from '../formats/sqlite/btree.js';
import { headerOffsetOf, pagePath, walkBtree } from '../formats/sqlite/btree.js';
import type { DatabaseHeader } from '../formats/sqlite/parse-header.js';
import { parseBtreePage } from '../formats/sqlite/parse-page.js';
import type { PageReader } from '../formats/sqlite/page-reader.js';
import type { TableSchema } from '../formats/sqlite/schema.js';
import { parseCreateTable } from '../formats/sqlite/schema.js';
import { PageType } from '../formats/sqlite/layout.js';
import { decodeCells } from './decode-cells.js';
import type { PageDecodeContext } from './decode-cells.js';
import type { TableDecodeInfo } from './table-info.js';
import { sqliteSchemaTable, tableDecodeInfo, unknownTable } from './table-info.js';

export interface SchemaEntry {
  readonly type: string;
  readonly name: string;
  readonly tableName: string;
  readonly rootPageNumber: number;
  readonly sql: string | null;
}

export interface TablePlan {
  readonly entry: SchemaEntry;
  readonly schema: TableSchema | undefined;
  readonly decode: TableDecodeInfo;
}

export interface DatabaseSchema {
  readonly entries: readonly SchemaEntry[];
  /** Tables with a b-tree, sqlite_schema first, then in sqlite_schema order. */
  readonly tables: readonly TablePlan[];
  /** The sqlite_schema rows themselves, as evidence. */
  readonly schemaRecords: readonly EvidenceRecord[];
  readonly issues: readonly Issue[];
}

/**
 * Reads sqlite_schema from the b-tree rooted at page 1. Entries whose CREATE TABLE cannot be
 * parsed are kept with an issue (`sqlite.schema.unparsed`) and decoded with c0, c1, … columns.
 */
export function readSchema(reader: PageReader, header: DatabaseHeader, databasePath: SourcePath, databaseName: string): DatabaseSchema {
  const issues: Issue[] = [];
  const walk = walkBtree(reader, header.usableSize, 1, databasePath);
  issues.push(...walk.issues);
  const context: PageDecodeContext = {
    databaseName,
    usableSize: header.usableSize,
    encoding: header.encoding,
    reader,
    state: RecordState.live,
    status: RecordStatus.live,
    foundBy: 'btree-walk',
  };
  const schemaRecords: EvidenceRecord[] = [];
  for (const leaf of walk.leaves) {
    if (leaf.type !== PageType.tableLeaf) continue;
    const page = reader.readPage(leaf.pageNumber);
    if (page === undefined) continue;
    const path = pagePath(databasePath, leaf.pageNumber, reader.pageSize);
    const parsed = parseBtreePage(page, 0, headerOffsetOf(leaf.pageNumber), header.usableSize, path);
    if (parsed.kind !== 'parsed') continue;
    const decoded = decodeCells(page, leaf.pageNumber, path, 'table-leaf', parsed.value.cellOffsetsInPage, sqliteSchemaTable, context);
    schemaRecords.push(...decoded.records);
    issues.push(...decoded.issues);
  }
  const entries: SchemaEntry[] = schemaRecords.map((record) => ({
    type: record.values[0] ?? '',
    name: record.values[1] ?? '',
    tableName: record.values[2] ?? '',
    rootPageNumber: Number(record.values[3] ?? 0),
    sql: record.values[4] ?? null,
  }));
  const tables: TablePlan[] = [{ entry: { type: 'table', name: 'sqlite_schema', tableName: 'sqlite_schema', rootPageNumber: 1, sql: null }, schema: undefined, decode: sqliteSchemaTable }];
  for (const entry of entries) {
    if (entry.type !== 'table' || entry.rootPageNumber <= 0) continue;
    const outcome = entry.sql === null ? undefined : parseCreateTable(entry.sql);
    if (outcome?.ok === true) {
      tables.push({ entry, schema: outcome.schema, decode: { ...tableDecodeInfo(outcome.schema), name: entry.name } });
    } else {
      issues.push(issue('sqlite.schema.unparsed', 'warning', databasePath, 0, `Table ${entry.name}: CREATE statement not understood (${outcome?.problem ?? 'no SQL'}); columns named c0, c1, …`));
      tables.push({
        entry,
        schema: undefined,
        decode: unknownTable(entry.name, 0, false),
      });
    }
  }
  return { entries, tables, schemaRecords, issues };
}

export interface TablePages {
  readonly table: TablePlan;
  readonly leaves: readonly LeafPageReference[];
  /** Index-interior cells (rows of WITHOUT ROWID tables live there too). */
  readonly interiorCells: readonly { readonly pageNumber: number; readonly offsetInPage: number }[];
  readonly interiorPageNumbers: readonly number[];
}

/** Walks every table's b-tree; pages claimed twice across trees are reported once per claim. */
export function planTablePages(reader: PageReader, header: DatabaseHeader, schema: DatabaseSchema, databasePath: SourcePath): { tables: TablePages[]; issues: Issue[] } {
  const visited = new Set<number>();
  const tables: TablePages[] = [];
  const issues: Issue[] = [];
  for (const table of schema.tables) {
    const walk = walkBtree(reader, header.usableSize, table.entry.rootPageNumber, databasePath, visited);
    issues.push(...walk.issues);
    tables.push({ table, leaves: walk.leaves, interiorCells: walk.indexInteriorCells, interiorPageNumbers: walk.interiorPageNumbers });
  }
  // Index b-trees are walked too, so their pages count as owned (their entries feed later recovery).
  for (const entry of schema.entries) {
    if (entry.type !== 'index' || entry.rootPageNumber <= 0) continue;
    const walk = walkBtree(reader, header.usableSize, entry.rootPageNumber, databasePath, visited);
    issues.push(...walk.issues);
  }
  return { tables, issues };
}
