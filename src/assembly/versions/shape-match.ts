/**
 * The table a b-tree page image belongs to when no tree reaches it at its point in time (a stale
 * generation's page whose parents were overwritten, a stray log's page): matched by the shape of
 * its records against the schema's tables. An inference, so callers lower the confidence and say
 * why.
 *
 * The score of a table for one record counts fields whose storage class fits the column's declared
 * type (NULL fits anything; an INTEGER PRIMARY KEY must be stored as NULL). A table is a candidate
 * for a record only when the record has no more fields than the table stores (fewer is fine:
 * ALTER TABLE ADD COLUMN) and every field fits. The page goes to the table that is a candidate for
 * the most records, with the best total score; a tie is no match.
 */
import { headerOffsetOf } from '../../formats/sqlite/btree.js';
import { PageType } from '../../formats/sqlite/layout.js';
import { parsePayloadCell } from '../../formats/sqlite/parse-cell.js';
import { parseBtreePage } from '../../formats/sqlite/parse-page.js';
import { parseRecordHeader, storageClassOf } from '../../formats/sqlite/record.js';
import type { SourcePath } from '../../provenance/path.js';
import { filePath } from '../../provenance/path.js';
import type { TablePlan } from '../../recovery/database.js';

const scratchPath: SourcePath = filePath('shape-match');

/** Record serial types of the live cells of a table-leaf page (at most `maximumCells`); undefined for other pages. */
export function tableLeafShapes(page: Uint8Array, pageNumber: number, usableSize: number, maximumCells = 64): number[][] | undefined {
  const headerOffset = headerOffsetOf(pageNumber);
  if (page[headerOffset] !== PageType.tableLeaf) return undefined;
  const parsed = parseBtreePage(page, 0, headerOffset, usableSize, scratchPath);
  if (parsed.kind !== 'parsed') return undefined;
  const shapes: number[][] = [];
  for (const offset of parsed.value.cellOffsetsInPage.slice(0, maximumCells)) {
    const cell = parsePayloadCell(page, 0, offset, usableSize, 'table-leaf');
    if (!cell.ok) continue;
    const end = cell.cell.localPayloadStartInPage + Math.min(cell.cell.localPayloadSize, cell.cell.payloadSize);
    const header = parseRecordHeader(page, cell.cell.localPayloadStartInPage, end);
    if (header.ok) shapes.push([...header.header.serialTypes]);
  }
  return shapes;
}

type Affinity = 'integer' | 'real' | 'numeric' | 'text' | 'blob';

/** Column affinity from a declared type (https://www.sqlite.org/datatype3.html §3.1). */
function affinityOf(declaredType: string): Affinity {
  const type = declaredType.toUpperCase();
  if (type.includes('INT')) return 'integer';
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'text';
  if (type.includes('BLOB') || type === '') return 'blob';
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return 'real';
  return 'numeric';
}

/** Whether a stored value of `serialType` fits a column of `affinity` (as SQLite would have stored it). */
function fits(serialType: number, affinity: Affinity): boolean {
  const storage = storageClassOf(serialType);
  if (storage === 'null') return true;
  switch (affinity) {
    case 'integer':
    case 'real':
    case 'numeric':
      // Numeric affinities convert well-formed numeric text, so a text value is still possible.
      return storage !== 'blob';
    case 'text':
      return storage === 'text' || storage === 'blob';
    case 'blob':
      return true;
  }
}

function scoreRecord(serialTypes: readonly number[], plan: TablePlan): number | undefined {
  const schema = plan.schema;
  if (schema === undefined || schema.withoutRowid) return undefined;
  const stored = schema.recordToColumn;
  if (serialTypes.length > stored.length || serialTypes.length === 0) return undefined;
  let score = 0;
  for (let field = 0; field < serialTypes.length; field++) {
    const column = schema.columns[stored[field] as number];
    const serialType = serialTypes[field] as number;
    if (column === undefined) return undefined;
    if (stored[field] === schema.rowidAliasIndex) {
      if (serialType !== 0) return undefined;
      score++;
      continue;
    }
    if (!fits(serialType, affinityOf(column.declaredType))) return undefined;
    if (storageClassOf(serialType) !== 'null') score++;
  }
  // A record with every stored column present is a better sign than a short one.
  if (serialTypes.length === stored.length) score += 1;
  return score;
}

export interface ShapeMatch {
  readonly plan: TablePlan;
  /** Records of the page that fit the table / records examined. */
  readonly matchedRecordCount: number;
  readonly recordCount: number;
}

/** The table whose columns the page's records fit best; undefined when none fits or two tie. */
export function matchTableByShape(shapes: readonly (readonly number[])[], plans: readonly TablePlan[]): ShapeMatch | undefined {
  if (shapes.length === 0) return undefined;
  let best: { plan: TablePlan; matched: number; score: number } | undefined;
  let tie = false;
  for (const plan of plans) {
    if (plan.entry.name === 'sqlite_schema') continue;
    let matched = 0;
    let score = 0;
    for (const shape of shapes) {
      const value = scoreRecord(shape, plan);
      if (value === undefined) continue;
      matched++;
      score += value;
    }
    if (matched === 0) continue;
    if (best === undefined || matched > best.matched || (matched === best.matched && score > best.score)) {
      best = { plan, matched, score };
      tie = false;
    } else if (matched === best.matched && score === best.score) {
      tie = true;
    }
  }
  if (best === undefined || tie || best.matched * 2 < shapes.length) return undefined;
  return { plan: best.plan, matchedRecordCount: best.matched, recordCount: shapes.length };
}

/** Field count most records of the page have (for the `unknown-<N>` name of an unmatched page). */
export function commonFieldCount(shapes: readonly (readonly number[])[]): number {
  const counts = new Map<number, number>();
  for (const shape of shapes) counts.set(shape.length, (counts.get(shape.length) ?? 0) + 1);
  let best = 0;
  let bestCount = 0;
  for (const [count, frequency] of [...counts].sort((a, b) => a[0] - b[0])) {
    if (frequency > bestCount) {
      best = count;
      bestCount = frequency;
    }
  }
  return best;
}
