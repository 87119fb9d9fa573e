/**
 * CREATE TABLE parser: enough of SQLite's grammar to know column names, order, declared types,
 * the primary key, INTEGER PRIMARY KEY rowid aliases, WITHOUT ROWID, DEFAULT literals (for records
 * written before ALTER TABLE ADD COLUMN) and virtual generated columns (not stored in records).
 * Tolerant: quoted identifiers ("x", `x`, [x], 'x'), comments, any spacing (no space before "(" is
 * fine), constraints in any order. Spec: https://www.sqlite.org/lang_createtable.html
 */
import type { SqlText, StorageClass } from '../../evidence/record.js';
import { formatReal } from './values.js';

export interface ColumnDefinition {
  readonly name: string;
  /** Declared type as written, upper-cased, single-spaced ('' when none). */
  readonly declaredType: string;
  readonly primaryKey: boolean;
  readonly defaultValue: { readonly type: StorageClass; readonly text: SqlText };
  /** VIRTUAL generated columns are computed, never stored in the record. */
  readonly storedInRecord: boolean;
}

export interface TableSchema {
  readonly name: string;
  readonly columns: readonly ColumnDefinition[];
  readonly withoutRowid: boolean;
  /** Column index of the INTEGER PRIMARY KEY rowid alias, or -1. */
  readonly rowidAliasIndex: number;
  /** Column indexes of the primary key in key order (empty when none is declared). */
  readonly primaryKeyIndexes: readonly number[];
  /**
   * Record field → column index. For rowid tables: stored columns in order. For WITHOUT ROWID:
   * primary-key columns first (key order), then the remaining stored columns in declaration order.
   */
  readonly recordToColumn: readonly number[];
}

export type SchemaOutcome = { readonly ok: true; readonly schema: TableSchema } | { readonly ok: false; readonly problem: string };

interface Token {
  readonly kind: 'word' | 'quoted' | 'string' | 'number' | 'blob' | 'punct';
  readonly text: string;
}

/** Splits SQL into tokens, dropping comments and white space. Never throws. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  const length = sql.length;
  while (index < length) {
    const char = sql[index] as string;
    if (/\s/.test(char)) {
      index++;
    } else if (char === '-' && sql[index + 1] === '-') {
      const newline = sql.indexOf('\n', index);
      index = newline < 0 ? length : newline + 1;
    } else if (char === '/' && sql[index + 1] === '*') {
      const close = sql.indexOf('*/', index + 2);
      index = close < 0 ? length : close + 2;
    } else if (char === '"' || char === '`' || char === "'") {
      let text = '';
      index++;
      while (index < length) {
        const current = sql[index] as string;
        if (current === char) {
          if (sql[index + 1] === char) {
            text += char;
            index += 2;
            continue;
          }
          index++;
          break;
        }
        text += current;
        index++;
      }
      tokens.push({ kind: char === "'" ? 'string' : 'quoted', text });
    } else if (char === '[') {
      const close = sql.indexOf(']', index + 1);
      const end = close < 0 ? length : close;
      tokens.push({ kind: 'quoted', text: sql.slice(index + 1, end) });
      index = end + 1;
    } else if ((char === 'x' || char === 'X') && sql[index + 1] === "'") {
      const close = sql.indexOf("'", index + 2);
      const end = close < 0 ? length : close;
      tokens.push({ kind: 'blob', text: sql.slice(index + 2, end).toLowerCase() });
      index = end + 1;
    } else if (/[0-9.]/.test(char) && /[0-9]/.test((char === '.' ? sql[index + 1] : char) ?? '')) {
      const match = /^(?:0x[0-9a-f]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?)/i.exec(sql.slice(index));
      const text = match?.[0] ?? char;
      tokens.push({ kind: 'number', text });
      index += text.length;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(char)) {
      let end = index + 1;
      while (end < length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[end] as string)) end++;
      tokens.push({ kind: 'word', text: sql.slice(index, end) });
      index = end;
    } else {
      tokens.push({ kind: 'punct', text: char });
      index++;
    }
  }
  return tokens;
}

const constraintStarts = new Set(['CONSTRAINT', 'PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK', 'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS']);
const tableConstraintStarts = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);

function upper(token: Token | undefined): string {
  return token !== undefined && token.kind === 'word' ? token.text.toUpperCase() : '';
}

/** Splits tokens at top-level commas between `start` and the matching close parenthesis. */
export function splitDefinitions(tokens: readonly Token[], start: number): { parts: Token[][]; end: number } {
  const parts: Token[][] = [[]];
  let depth = 0;
  let index = start;
  for (; index < tokens.length; index++) {
    const token = tokens[index] as Token;
    if (token.kind === 'punct' && token.text === '(') depth++;
    if (token.kind === 'punct' && token.text === ')') {
      if (depth === 0) break;
      depth--;
    }
    if (depth === 0 && token.kind === 'punct' && token.text === ',') {
      parts.push([]);
      continue;
    }
    (parts[parts.length - 1] as Token[]).push(token);
  }
  return { parts, end: index };
}

function literalValue(tokens: readonly Token[], at: number): { type: StorageClass; text: SqlText } {
  let index = at;
  let sign = '';
  // DEFAULT (expr): a parenthesised literal is unwrapped; anything else falls back to NULL.
  while (tokens[index]?.kind === 'punct' && tokens[index]?.text === '(') index++;
  if (tokens[index]?.kind === 'punct' && (tokens[index]?.text === '-' || tokens[index]?.text === '+')) {
    sign = tokens[index]?.text === '-' ? '-' : '';
    index++;
  }
  const token = tokens[index];
  if (token === undefined) return { type: 'null', text: null };
  if (token.kind === 'string') return { type: 'text', text: token.text };
  if (token.kind === 'blob') return { type: 'blob', text: token.text };
  if (token.kind === 'number') {
    if (/^0x/i.test(token.text)) {
      // BigInt() refuses a signed hex string ("-0x10"), so the sign is applied after the cast.
      const value = BigInt.asIntN(64, BigInt(token.text));
      return { type: 'integer', text: (sign === '-' ? BigInt.asIntN(64, -value) : value).toString() };
    }
    if (/^[0-9]+$/.test(token.text)) {
      const big = BigInt(`${sign}${token.text}`);
      if (big >= -(2n ** 63n) && big < 2n ** 63n) return { type: 'integer', text: big.toString() };
    }
    return { type: 'real', text: formatReal(Number(`${sign}${token.text}`)) };
  }
  const word = upper(token);
  if (word === 'TRUE') return { type: 'integer', text: '1' };
  if (word === 'FALSE') return { type: 'integer', text: '0' };
  return { type: 'null', text: null };
}

function parseColumn(tokens: readonly Token[]): ColumnDefinition | undefined {
  const first = tokens[0];
  if (first === undefined || (first.kind !== 'word' && first.kind !== 'quoted' && first.kind !== 'string')) return undefined;
  const typeWords: string[] = [];
  let index = 1;
  let depth = 0;
  for (; index < tokens.length; index++) {
    const token = tokens[index] as Token;
    if (depth === 0 && constraintStarts.has(upper(token))) break;
    if (token.kind === 'punct' && token.text === '(') depth++;
    if (token.kind === 'punct' && token.text === ')') depth--;
    typeWords.push(token.text);
  }
  const declaredType = typeWords.join(' ').replace(/\s*\(\s*/g, '(').replace(/\s*\)\s*/g, ')').replace(/\s*,\s*/g, ',').toUpperCase();
  let primaryKey = false;
  let defaultValue: { type: StorageClass; text: SqlText } = { type: 'null', text: null };
  let generated = false;
  let stored = false;
  for (; index < tokens.length; index++) {
    const token = tokens[index] as Token;
    if (token.kind === 'punct' && token.text === '(') depth++;
    if (token.kind === 'punct' && token.text === ')') depth--;
    // Keywords count only at the top level: "CHECK (CAST(a AS INTEGER) > 0)" is no generated column.
    if (depth !== 0) continue;
    const word = upper(token);
    if (word === 'PRIMARY' && upper(tokens[index + 1]) === 'KEY') primaryKey = true;
    // "ON DELETE SET DEFAULT" is a foreign-key action, not the column's default.
    if (word === 'DEFAULT' && upper(tokens[index - 1]) !== 'SET') defaultValue = literalValue(tokens, index + 1);
    if (word === 'AS' || word === 'GENERATED') generated = true;
    if (word === 'STORED' && generated) stored = true;
  }
  return { name: first.text, declaredType, primaryKey, defaultValue, storedInRecord: !generated || stored };
}

function primaryKeyIsDescending(tokens: readonly Token[]): boolean {
  for (let index = 0; index + 2 < tokens.length; index++) {
    if (upper(tokens[index]) === 'PRIMARY' && upper(tokens[index + 1]) === 'KEY' && upper(tokens[index + 2]) === 'DESC') return true;
  }
  return false;
}

/** Parses `CREATE [TEMP] TABLE [IF NOT EXISTS] [schema.]name (…) [WITHOUT ROWID] [, STRICT]`. */
export function parseCreateTable(sql: string): SchemaOutcome {
  const tokens = tokenize(sql);
  let index = 0;
  if (upper(tokens[index]) !== 'CREATE') return { ok: false, problem: 'not a CREATE statement' };
  index++;
  while (['TEMP', 'TEMPORARY'].includes(upper(tokens[index]))) index++;
  if (upper(tokens[index]) === 'VIRTUAL') return { ok: false, problem: 'virtual tables have no b-tree of their own' };
  if (upper(tokens[index]) !== 'TABLE') return { ok: false, problem: 'not a CREATE TABLE statement' };
  index++;
  if (upper(tokens[index]) === 'IF' && upper(tokens[index + 1]) === 'NOT' && upper(tokens[index + 2]) === 'EXISTS') index += 3;
  let name = tokens[index]?.text ?? '';
  index++;
  if (tokens[index]?.kind === 'punct' && tokens[index]?.text === '.') {
    name = tokens[index + 1]?.text ?? '';
    index += 2;
  }
  if (!(tokens[index]?.kind === 'punct' && tokens[index]?.text === '(')) {
    return { ok: false, problem: 'no column list (CREATE TABLE … AS SELECT is not supported here)' };
  }
  const { parts, end } = splitDefinitions(tokens, index + 1);
  const columns: ColumnDefinition[] = [];
  const columnTokens: Token[][] = [];
  let tablePrimaryKey: string[] = [];
  for (const part of parts) {
    if (part.length === 0) continue;
    if (tableConstraintStarts.has(upper(part[0])) && !(part[0]?.kind !== 'word')) {
      // Table constraint: PRIMARY KEY (a, b) possibly after CONSTRAINT name.
      for (let at = 0; at + 1 < part.length; at++) {
        if (upper(part[at]) === 'PRIMARY' && upper(part[at + 1]) === 'KEY') {
          const open = at + 2;
          const list = splitDefinitions(part, open + 1).parts;
          tablePrimaryKey = list.map((item) => item[0]?.text ?? '').filter((item) => item !== '');
        }
      }
      continue;
    }
    const column = parseColumn(part);
    if (column === undefined) return { ok: false, problem: `cannot read column definition "${part.map((t) => t.text).join(' ')}"` };
    columns.push(column);
    columnTokens.push(part);
  }
  if (columns.length === 0) return { ok: false, problem: 'no columns' };
  const trailing = tokens.slice(end + 1).map((token) => upper(token));
  const withoutRowid = trailing.some((word, at) => word === 'WITHOUT' && trailing[at + 1] === 'ROWID');
  const lower = (value: string): string => value.toLowerCase();
  let primaryKeyIndexes: number[];
  if (tablePrimaryKey.length > 0) {
    primaryKeyIndexes = tablePrimaryKey.map((key) => columns.findIndex((column) => lower(column.name) === lower(key))).filter((at) => at >= 0);
  } else {
    primaryKeyIndexes = columns.flatMap((column, at) => (column.primaryKey ? [at] : []));
  }
  let rowidAliasIndex = -1;
  if (!withoutRowid && primaryKeyIndexes.length === 1) {
    const at = primaryKeyIndexes[0] as number;
    const column = columns[at] as ColumnDefinition;
    const descending = tablePrimaryKey.length === 0 && primaryKeyIsDescending(columnTokens[at] as Token[]);
    // Only the exact declared type INTEGER makes an alias; "INTEGER PRIMARY KEY DESC" does not.
    if (column.declaredType === 'INTEGER' && !descending) rowidAliasIndex = at;
  }
  const stored = columns.flatMap((column, at) => (column.storedInRecord ? [at] : []));
  const recordToColumn = withoutRowid ? [...primaryKeyIndexes, ...stored.filter((at) => !primaryKeyIndexes.includes(at))] : stored;
  return { ok: true, schema: { name, columns, withoutRowid, rowidAliasIndex, primaryKeyIndexes, recordToColumn } };
}
