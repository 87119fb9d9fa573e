/**
 * What record decoding needs to know about a table: plain data, so it crosses the worker boundary.
 */
import type { SqlText, StorageClass } from '../evidence/record.js';
import type { TableSchema } from '../formats/sqlite/schema.js';

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
