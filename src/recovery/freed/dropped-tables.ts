/**
 * Dropped tables (issue item 5): sqlite_schema rows carved from freed space give the CREATE
 * statement, the name and the old root page of tables that no longer exist. Their signatures join
 * the candidates for freelist pages, and the pages still reachable from their old root (the root
 * and, when it was an interior page, its children, as long as they are on the freelist) are
 * attributed to them outright.
 */
import type { EvidenceRecord } from '../../evidence/record.js';
import { PageType } from '../../formats/sqlite/layout.js';
import { parseTableInteriorCell, parsePayloadCell } from '../../formats/sqlite/parse-cell.js';
import { parseBtreePage } from '../../formats/sqlite/parse-page.js';
import type { PageReader } from '../../formats/sqlite/page-reader.js';
import type { TableSchema } from '../../formats/sqlite/schema.js';
import { parseCreateTable } from '../../formats/sqlite/schema.js';
import { filePath } from '../../provenance/path.js';
import type { TableDecodeInfo } from '../table-info.js';
import { tableDecodeInfo } from '../table-info.js';
import type { RecordSignature } from './signature.js';
import { tableSignature } from './signature.js';

export interface DroppedTable {
  readonly name: string;
  readonly originalName: string;
  readonly sql: string;
  readonly rootPageNumber: number;
  readonly schema: TableSchema;
  readonly decode: TableDecodeInfo;
  readonly signature: RecordSignature;
}

export interface LiveSchemaEntry {
  readonly type: string;
  readonly name: string;
  readonly sql: string | null;
}

/**
 * Tables named by carved sqlite_schema rows that the live schema does not have (or has with other
 * SQL: a table dropped and re-created differently keeps its old rows under `name@root<N>`).
 */
export function droppedTablesFrom(schemaRecords: readonly EvidenceRecord[], live: readonly LiveSchemaEntry[]): DroppedTable[] {
  const liveByName = new Map(live.filter((entry) => entry.type === 'table').map((entry) => [entry.name.toLowerCase(), entry]));
  const out = new Map<string, DroppedTable>();
  for (const record of schemaRecords) {
    const [type, name, , rootPage, sql] = record.values;
    if (type !== 'table' || name === null || name === undefined || sql === null || sql === undefined) continue;
    const rootPageNumber = Number(rootPage ?? 0);
    if (!Number.isSafeInteger(rootPageNumber) || rootPageNumber < 2) continue;
    const liveEntry = liveByName.get(name.toLowerCase());
    if (liveEntry !== undefined && liveEntry.sql === sql) continue;
    const parsed = parseCreateTable(sql);
    if (!parsed.ok) continue;
    const reportedName = liveEntry === undefined ? name : `${name}@root${rootPageNumber}`;
    if (out.has(reportedName)) continue;
    const decode = { ...tableDecodeInfo(parsed.schema), name: reportedName };
    out.set(reportedName, { name: reportedName, originalName: name, sql, rootPageNumber, schema: parsed.schema, decode, signature: tableSignature(decode, parsed.schema, sql) });
  }
  return [...out.values()];
}

/** Bound on pages followed from one dropped root (a freed tree is at most the freelist). */
const maximumAttributedPages = 1_000_000;

/**
 * Pages reachable from each dropped table's old root through pages that are still free: page
 * number → dropped table name. A page claimed by two dropped tables goes to neither.
 */
export function attributeDroppedPages(reader: PageReader, usableSize: number, dropped: readonly DroppedTable[], freePages: ReadonlySet<number>): Map<number, string> {
  const claims = new Map<number, string | null>();
  const path = filePath('attribution');
  for (const table of dropped) {
    const stack = [table.rootPageNumber];
    const seen = new Set<number>();
    while (stack.length > 0 && seen.size < maximumAttributedPages) {
      const pageNumber = stack.pop() as number;
      if (seen.has(pageNumber) || !freePages.has(pageNumber)) continue;
      seen.add(pageNumber);
      const previous = claims.get(pageNumber);
      claims.set(pageNumber, previous === undefined || previous === table.name ? table.name : null);
      const page = reader.readPage(pageNumber);
      if (page === undefined) continue;
      const parsed = parseBtreePage(page, 0, 0, usableSize, path);
      if (parsed.kind !== 'parsed') continue;
      const btreePage = parsed.value;
      if (btreePage.type !== PageType.tableInterior && btreePage.type !== PageType.indexInterior) continue;
      for (const offset of btreePage.cellOffsetsInPage) {
        const child = btreePage.type === PageType.tableInterior ? parseTableInteriorCell(page, 0, offset, usableSize)?.leftChildPageNumber : (() => {
          const cell = parsePayloadCell(page, 0, offset, usableSize, 'index-interior');
          return cell.ok ? cell.cell.leftChildPageNumber : undefined;
        })();
        if (child !== undefined) stack.push(child);
      }
      stack.push(btreePage.rightChildPageNumber);
    }
  }
  const out = new Map<number, string>();
  for (const [pageNumber, name] of claims) if (name !== null) out.set(pageNumber, name);
  return out;
}
