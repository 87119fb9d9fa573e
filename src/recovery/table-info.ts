/**
 * What record decoding needs to know about a table: plain data, so it crosses the worker boundary.
 */
import type { SqlText, StorageClass } from '../evidence/record.js';
import type { TableSchema } from '../formats/sqlite/schema.js';
import { formatReal } from '../formats/sqlite/values.js';

export interface TableDecodeInfo {
  readonly name: string;
  readonly columns: readonly string[];
  /** Record field → column index; fields beyond it are kept as extra columns c<N>. */
  readonly recordToColumn: readonly number[];
  /** Column that holds the rowid (INTEGER PRIMARY KEY alias), or -1. */
  readonly rowidAliasIndex: number;
  readonly withoutRowid: boolean;
  /** Default of each column, used for records written before ALTER TABLE ADD COLUMN. */
  readonly defaults: readonly { readonly type: StorageClass; readonly text: SqlText }[];
  /** False when no schema was found and columns are named c0, c1, … from the records. */
  readonly schemaKnown: boolean;
  /**
   * Columns with REAL affinity: SQLite stores whole-number reals as integers there and converts
   * them back when reading, so the record's integer is reported as a real.
   */
  readonly realAffinity: readonly boolean[];
  /** recordToColumn is [0, 1, 2, …] over all columns: decoded fields are the columns. */
  readonly identityMapping: boolean;
}

export function isIdentityMapping(recordToColumn: readonly number[], columnCount: number): boolean {
  return recordToColumn.length === columnCount && recordToColumn.every((column, field) => column === field);
}

/** Column affinity from a declared type (https://www.sqlite.org/datatype3.html §3.1). */
export function hasRealAffinity(declaredType: string): boolean {
  const type = declaredType.toUpperCase();
  if (type.includes('INT') || type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT') || type.includes('BLOB') || type === '') return false;
  return type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB');
}

export const sqliteSchemaTable: TableDecodeInfo = {
  name: 'sqlite_schema',
  columns: ['type', 'name', 'tbl_name', 'rootpage', 'sql'],
  recordToColumn: [0, 1, 2, 3, 4],
  rowidAliasIndex: -1,
  withoutRowid: false,
  defaults: [0, 1, 2, 3, 4].map(() => ({ type: 'null' as const, text: null })),
  schemaKnown: true,
  realAffinity: [false, false, false, false, false],
  identityMapping: true,
};

export function tableDecodeInfo(schema: TableSchema): TableDecodeInfo {
  return {
    name: schema.name,
    columns: schema.columns.map((column) => column.name),
    recordToColumn: schema.recordToColumn,
    rowidAliasIndex: schema.rowidAliasIndex,
    withoutRowid: schema.withoutRowid,
    defaults: schema.columns.map((column) => column.defaultValue),
    schemaKnown: true,
    realAffinity: schema.columns.map((column) => hasRealAffinity(column.declaredType)),
    identityMapping: isIdentityMapping(schema.recordToColumn, schema.columns.length),
  };
}

export function unknownTable(name: string, columnCount: number, withoutRowid: boolean): TableDecodeInfo {
  const columns = Array.from({ length: columnCount }, (_, index) => `c${index}`);
  return {
    name,
    columns,
    recordToColumn: columns.map((_, index) => index),
    rowidAliasIndex: -1,
    withoutRowid,
    defaults: columns.map(() => ({ type: 'null' as const, text: null })),
    schemaKnown: false,
    realAffinity: columns.map(() => false),
    identityMapping: true,
  };
}

export interface MappedColumns {
  /** One entry per column; undefined where no field reached the column (the caller fills it). */
  readonly types: (StorageClass | undefined)[];
  readonly values: SqlText[];
  /** Columns a field reached. */
  readonly filledCount: number;
}

/**
 * Places a record's decoded fields into the table's columns (recordToColumn; fields beyond it kept
 * as extra columns only when the schema is unknown), reporting an integer in a REAL-affinity column
 * as a real, as SQLite does when reading. When fields are the columns in order, the decoded arrays
 * are reused (they must belong to the caller).
 */
export function mapFieldsToColumns(
  table: TableDecodeInfo,
  columnCount: number,
  fieldCount: number,
  decodedTypes: StorageClass[],
  decodedValues: SqlText[],
): MappedColumns {
  const identity = fieldCount === columnCount && table.identityMapping;
  const types: (StorageClass | undefined)[] = identity ? decodedTypes : new Array<StorageClass | undefined>(columnCount);
  const values: SqlText[] = identity ? decodedValues : new Array<SqlText>(columnCount);
  let filledCount = 0;
  for (let field = 0; field < fieldCount; field++) {
    const column = field < table.recordToColumn.length ? (table.recordToColumn[field] as number) : table.schemaKnown ? -1 : field;
    if (column < 0 || column >= columnCount) continue;
    const type = decodedTypes[field] as StorageClass;
    if (type === 'integer' && table.realAffinity[column] === true) {
      types[column] = 'real';
      values[column] = formatReal(Number(decodedValues[field]));
    } else if (!identity) {
      types[column] = type;
      values[column] = decodedValues[field] as SqlText;
    }
    filledCount++;
  }
  return { types, values, filledCount };
}
