/**
 * Which table does an orphan page belong to? Its records' shapes (field count and serial types)
 * are matched against every table of every sqlite_master carved from the image: a field must fit
 * its column's affinity (https://www.sqlite.org/datatype3.html §3.1), the rowid alias must be
 * stored as NULL, and a record may have fewer fields than the table (rows written before ALTER
 * TABLE ADD COLUMN). A page goes to the table that fits all its records best; a page no table
 * fits gets an inferred schema named by its field count (`orphan-<N>-columns`), as headerless.ts
 * does for databases without a header.
 *
 * The rules are data (`affinityAccepts`), kept apart from the decoding that uses them.
 */
import type { TableSchema } from '../../formats/sqlite/schema.js';
import type { TableDecodeInfo } from '../../recovery/table-info.js';
import { tableDecodeInfo } from '../../recovery/table-info.js';

export type Affinity = 'integer' | 'text' | 'blob' | 'real' | 'numeric';

/** SQLite's affinity rules, in their order of precedence. */
export function affinityOf(declaredType: string): Affinity {
  const type = declaredType.toUpperCase();
  if (type.includes('INT')) return 'integer';
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'text';
  if (type.includes('BLOB') || type === '') return 'blob';
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return 'real';
  return 'numeric';
}

/** Storage class of a serial type (sqlite.md §1.6). */
function classOf(serialType: number): 'null' | 'integer' | 'real' | 'text' | 'blob' {
  if (serialType === 0) return 'null';
  if (serialType === 7) return 'real';
  if (serialType >= 12) return serialType % 2 === 0 ? 'blob' : 'text';
  return 'integer';
}

/**
 * What SQLite can store under each affinity: 2 = what it normally stores, 1 = possible (a value
 * the affinity could not convert), absent = impossible. A TEXT column never stores a number: SQLite
 * converts numbers to text on the way in.
 */
export const affinityAccepts: Readonly<Record<Affinity, Readonly<Partial<Record<'null' | 'integer' | 'real' | 'text' | 'blob', 1 | 2>>>>> = {
  integer: { null: 2, integer: 2, real: 1, text: 1, blob: 1 },
  text: { null: 2, text: 2, blob: 1 },
  blob: { null: 2, integer: 2, real: 2, text: 2, blob: 2 },
  real: { null: 2, real: 2, integer: 2, text: 1, blob: 1 },
  numeric: { null: 2, integer: 2, real: 2, text: 1, blob: 1 },
};

export interface SchemaCandidate {
  /** Database the schema was carved from (its name). */
  readonly database: string;
  readonly schema: TableSchema;
  readonly decode: TableDecodeInfo;
  readonly affinities: readonly Affinity[];
}

export function schemaCandidate(database: string, schema: TableSchema): SchemaCandidate {
  return { database, schema, decode: { ...tableDecodeInfo(schema), name: schema.name }, affinities: schema.columns.map((column) => affinityOf(column.declaredType)) };
}

/**
 * How well one record fits a table: undefined when it cannot belong to it, else a score
 * (higher is better; an exact field count and normal storage classes score highest).
 */
export function recordFit(serialTypes: readonly number[], candidate: SchemaCandidate, isIndexRecord: boolean): number | undefined {
  const schema = candidate.schema;
  if (isIndexRecord !== schema.withoutRowid) return undefined;
  const fieldCount = schema.recordToColumn.length;
  if (serialTypes.length === 0 || serialTypes.length > fieldCount) return undefined;
  let score = serialTypes.length === fieldCount ? 1 : 0;
  for (let field = 0; field < serialTypes.length; field++) {
    const column = schema.recordToColumn[field] as number;
    const storage = classOf(serialTypes[field] as number);
    if (column === schema.rowidAliasIndex && !schema.withoutRowid) {
      if (storage !== 'null') return undefined;
      score += 2;
      continue;
    }
    const accepted = affinityAccepts[candidate.affinities[column] ?? 'blob'][storage];
    if (accepted === undefined) return undefined;
    score += accepted;
  }
  return score / (2 * fieldCount + 1);
}

export interface PageMatch {
  readonly candidate: SchemaCandidate;
  /** Mean fit over the page's records (0..1). */
  readonly fit: number;
  /** Other tables that fit exactly as well (same shape: usually the same table in another copy). */
  readonly tiedWith: readonly SchemaCandidate[];
}

/** The table every record of a page fits, best first; undefined when none does. */
export function matchPage(records: readonly (readonly number[])[], candidates: readonly SchemaCandidate[], isIndexPage: boolean): PageMatch | undefined {
  if (records.length === 0) return undefined;
  let best: { candidate: SchemaCandidate; fit: number } | undefined;
  const ties: SchemaCandidate[] = [];
  for (const candidate of candidates) {
    let total = 0;
    let fits = true;
    for (const serialTypes of records) {
      const fit = recordFit(serialTypes, candidate, isIndexPage);
      if (fit === undefined) {
        fits = false;
        break;
      }
      total += fit;
    }
    if (!fits) continue;
    const fit = total / records.length;
    if (best === undefined || fit > best.fit + 1e-9) {
      best = { candidate, fit };
      ties.length = 0;
    } else if (Math.abs(fit - best.fit) <= 1e-9) ties.push(candidate);
  }
  return best === undefined ? undefined : { candidate: best.candidate, fit: best.fit, tiedWith: ties };
}
