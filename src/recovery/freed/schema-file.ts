/**
 * `--schema FILE`: CREATE statements supplied by the examiner (from the app's package, another
 * copy of the database, documentation) to name the tables of a database whose sqlite_schema is
 * lost. Tolerant: any statement that is not CREATE TABLE / CREATE INDEX is ignored with a note.
 */
import type { TableSchema } from '../../formats/sqlite/schema.js';
import { parseCreateTable } from '../../formats/sqlite/schema.js';
import type { TableDecodeInfo } from '../table-info.js';
import { tableDecodeInfo } from '../table-info.js';
import type { IndexDefinition, RecordSignature } from './signature.js';
import { parseCreateIndex, tableSignature } from './signature.js';

export interface SchemaFileTable {
  readonly name: string;
  readonly sql: string;
  readonly schema: TableSchema;
  readonly decode: TableDecodeInfo;
  readonly signature: RecordSignature;
}

export interface SchemaFile {
  readonly tables: readonly SchemaFileTable[];
  readonly indexes: readonly IndexDefinition[];
  /** Statements not used, with the reason (plain text, for the caller's issue). */
  readonly skipped: readonly { readonly statement: string; readonly reason: string }[];
}

/** Splits SQL text into statements at semicolons outside quotes, brackets and comments. */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    const next = text[index + 1];
    if (quote !== undefined) {
      current += char;
      if (quote === '--' ? char === '\n' : quote === '/*' ? char === '*' && next === '/' : char === quote) {
        if (quote === '/*') {
          current += '/';
          index++;
        }
        quote = undefined;
      }
      continue;
    }
    if (char === '-' && next === '-') quote = '--';
    else if (char === '/' && next === '*') quote = '/*';
    else if (char === "'" || char === '"' || char === '`') quote = char;
    else if (char === '[') quote = ']';
    if (char === ';') {
      if (current.trim() !== '') out.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

export function parseSchemaFile(text: string): SchemaFile {
  const tables: SchemaFileTable[] = [];
  const indexes: IndexDefinition[] = [];
  const skipped: { statement: string; reason: string }[] = [];
  for (const statement of splitStatements(text)) {
    const words = statement.replace(/--[^\n]*\n?|\/\*[\s\S]*?\*\//g, ' ').trim().split(/\s+/, 4).map((word) => word.toUpperCase());
    if (words[0] === 'CREATE' && words.includes('INDEX')) {
      const index = parseCreateIndex(statement);
      if (index === undefined) skipped.push({ statement, reason: 'index on expressions or not understood' });
      else indexes.push(index);
      continue;
    }
    const parsed = parseCreateTable(statement);
    if (!parsed.ok) {
      skipped.push({ statement, reason: parsed.problem });
      continue;
    }
    const decode = tableDecodeInfo(parsed.schema);
    tables.push({ name: parsed.schema.name, sql: statement, schema: parsed.schema, decode, signature: tableSignature(decode, parsed.schema, statement) });
  }
  return { tables, indexes, skipped };
}
