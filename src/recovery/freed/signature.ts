/**
 * Column signatures: what a record of a given table (or index) may look like, as plain data, so a
 * carver can decide whether bytes in freed space are one of its records. The heuristics are kept in
 * the data tables at the top of this file, never in the carving logic.
 *
 * A signature lists, for every record field (in record order), the storage classes the column can
 * hold, the classes a lost serial type may be rebuilt as, whether NULL is impossible (NOT NULL,
 * WITHOUT ROWID key) and whether the field is an INTEGER PRIMARY KEY alias (always stored as NULL).
 * A profile learned from the table's live records (observed classes, serial types and text lengths)
 * may be attached: it only ever breaks ties between rebuilt headers, it never admits a record.
 * Spec: https://www.sqlite.org/datatype3.html (§3.1 affinity, §3.4 storage after affinity)
 */
import type { EvidenceRecord, StorageClass } from '../../evidence/record.js';
import type { TextEncoding } from '../../formats/sqlite/layout.js';
import type { TableSchema } from '../../formats/sqlite/schema.js';
import { splitDefinitions, tokenize } from '../../formats/sqlite/schema.js';
import type { TableDecodeInfo } from '../table-info.js';
import { sqliteSchemaTable } from '../table-info.js';

/** One bit per storage class, so a set of classes is one number (plain data, cheap to test). */
export const ClassBit = { null: 1, integer: 2, real: 4, text: 8, blob: 16 } as const;
export const allClasses = ClassBit.null | ClassBit.integer | ClassBit.real | ClassBit.text | ClassBit.blob;

export type Affinity = 'integer' | 'text' | 'blob' | 'real' | 'numeric';

/**
 * Affinity of a declared type: the first rule whose substring occurs wins (datatype3.html §3.1);
 * no rule matching means NUMERIC, an empty type means BLOB.
 */
export const affinityRules: readonly { readonly substrings: readonly string[]; readonly affinity: Affinity }[] = [
  { substrings: ['INT'], affinity: 'integer' },
  { substrings: ['CHAR', 'CLOB', 'TEXT'], affinity: 'text' },
  { substrings: ['BLOB'], affinity: 'blob' },
  { substrings: ['REAL', 'FLOA', 'DOUB'], affinity: 'real' },
];

/**
 * Storage classes a column of each affinity can hold on disk. TEXT affinity converts every number
 * to text before storing, so integers and reals never appear there; every other affinity keeps
 * text it cannot convert and blobs unchanged.
 */
export const storableClasses: Readonly<Record<Affinity, number>> = {
  integer: allClasses,
  numeric: allClasses,
  real: allClasses,
  text: ClassBit.null | ClassBit.text | ClassBit.blob,
  blob: allClasses,
};

/**
 * Classes a LOST serial type may be rebuilt as: only what the affinity converts values to (plus
 * NULL). A text in an INTEGER column is possible but rare; it is admitted only when the column's
 * live records show text (see `rebuildClassesOf`). Blob-affinity columns admit every class, which
 * in practice makes their lost types ambiguous (reported, not guessed).
 */
export const rebuildableClasses: Readonly<Record<Affinity, number>> = {
  integer: ClassBit.null | ClassBit.integer,
  numeric: ClassBit.null | ClassBit.integer | ClassBit.real,
  real: ClassBit.null | ClassBit.integer | ClassBit.real,
  text: ClassBit.null | ClassBit.text,
  blob: allClasses,
};

/**
 * Classes a column of each affinity holds only when the application stores them on purpose (a
 * blob in a TEXT column, text in a numeric one). In freed space such a value usually means
 * misread bytes, so a carved record holding one is kept only when the column's live records show
 * that class too (or when there are no live records to learn from).
 */
export const unusualClasses: Readonly<Record<Affinity, number>> = {
  integer: ClassBit.text | ClassBit.blob,
  numeric: ClassBit.text | ClassBit.blob,
  real: ClassBit.text | ClassBit.blob,
  text: ClassBit.blob,
  blob: 0,
};

/** Minimum number of live records before a profile may break a tie between rebuilt headers. */
export const minimumProfileSampleCount = 3;

export interface FieldProfile {
  readonly sampleCount: number;
  /** ClassBit set of the classes seen. */
  readonly classes: number;
  /** Bit t set when serial type t (0–9) was seen. */
  readonly fixedSerialTypes: number;
  /** Smallest and largest TEXT body length seen, in bytes of the database encoding (−1 when none). */
  readonly textLengthMinimum: number;
  readonly textLengthMaximum: number;
  readonly blobLengthMinimum: number;
  readonly blobLengthMaximum: number;
}

export interface FieldSignature {
  /** Column index in `decode.columns`. */
  readonly column: number;
  readonly name: string;
  readonly affinity: Affinity;
  /** ClassBit set the field may hold. */
  readonly storable: number;
  /** ClassBit set a lost serial type may be rebuilt as. */
  readonly rebuildable: number;
  readonly notNull: boolean;
  /** INTEGER PRIMARY KEY alias: SQLite stores NULL (serial type 0); the value is the rowid. */
  readonly storedAsNull: boolean;
}

export type SignatureKind = 'table' | 'without-rowid' | 'index' | 'schema';

export interface RecordSignature {
  /** Table (or index) name, as reported. */
  readonly name: string;
  readonly kind: SignatureKind;
  /** Where its records live: table b-trees use table-leaf cells, the others index cells. */
  readonly cellKind: 'table-leaf' | 'index';
  readonly fields: readonly FieldSignature[];
  /** Fewest fields a record may have (rows written before ALTER TABLE ADD COLUMN have fewer). */
  readonly minimumFieldCount: number;
  /** How records map onto columns (plain data shared with the live decode). */
  readonly decode: TableDecodeInfo;
  /** Key fields in record order: WITHOUT ROWID primary key, or an index's indexed columns. */
  readonly keyFieldCount: number;
  /** For index signatures: the table indexed; its record's last field is the rowid. */
  readonly indexedTable: string | undefined;
  /** Column (in the indexed table) of each key field, for index signatures. */
  readonly indexedColumns: readonly number[];
  /** Per-field profile learned from live records, or undefined. */
  readonly profile: readonly FieldProfile[] | undefined;
  /**
   * Record-field sets digested with every carved record (record-digest.ts): for WITHOUT ROWID the
   * primary key first, then the UNIQUE column sets the classification uses.
   */
  readonly digestFieldSets: readonly (readonly number[])[];
}

export function affinityOf(declaredType: string): Affinity {
  const type = declaredType.toUpperCase();
  if (type.trim() === '') return 'blob';
  for (const rule of affinityRules) if (rule.substrings.some((part) => type.includes(part))) return rule.affinity;
  return 'numeric';
}

export function classBitOfSerialType(serialType: number): number {
  if (serialType === 0) return ClassBit.null;
  if (serialType === 7) return ClassBit.real;
  if (serialType >= 12) return serialType % 2 === 0 ? ClassBit.blob : ClassBit.text;
  return ClassBit.integer;
}

/** True when serial type `serialType` may appear in `field` (storage class, NOT NULL, alias). */
export function serialTypeAllowed(field: FieldSignature, serialType: number): boolean {
  if (serialType === 10 || serialType === 11) return false;
  if (field.storedAsNull) return serialType === 0;
  if (serialType === 0) return !field.notNull;
  return (classBitOfSerialType(serialType) & field.storable) !== 0;
}

interface Definition {
  readonly text: string;
  readonly words: readonly string[];
}

const tableConstraintStarts = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);

/**
 * Column definitions of a CREATE TABLE, as upper-cased word lists, in the order parseCreateTable
 * reads them (table constraints skipped). Used only for NOT NULL, which TableSchema does not keep.
 */
function columnDefinitions(sql: string): Definition[] {
  const tokens = tokenize(sql);
  const open = tokens.findIndex((token) => token.kind === 'punct' && token.text === '(');
  if (open < 0) return [];
  const { parts } = splitDefinitions(tokens, open + 1);
  const out: Definition[] = [];
  for (const part of parts) {
    if (part.length === 0) continue;
    const first = part[0] as { kind: string; text: string };
    if (first.kind === 'word' && tableConstraintStarts.has(first.text.toUpperCase())) continue;
    out.push({ text: first.text, words: part.map((token) => (token.kind === 'word' ? token.text.toUpperCase() : token.kind === 'punct' ? token.text : '')) });
  }
  return out;
}

/**
 * Column sets that are UNIQUE in a CREATE TABLE: columns declared UNIQUE or PRIMARY KEY (other than
 * the rowid alias, which is the rowid itself), and table constraints UNIQUE (…) / PRIMARY KEY (…).
 * Names are returned as written; the caller maps them to column indexes.
 */
export function uniqueColumnNameSets(sql: string): string[][] {
  const out: string[][] = [];
  for (const definition of columnDefinitions(sql)) {
    if (definition.words.includes('UNIQUE') || definition.words.some((word, at) => word === 'PRIMARY' && definition.words[at + 1] === 'KEY')) out.push([definition.text]);
  }
  const tokens = tokenize(sql);
  for (let index = 0; index + 1 < tokens.length; index++) {
    const word = tokens[index]?.kind === 'word' ? (tokens[index]?.text ?? '').toUpperCase() : '';
    const isUnique = word === 'UNIQUE' && tokens[index + 1]?.text === '(';
    const isKey = word === 'PRIMARY' && (tokens[index + 1]?.text ?? '').toUpperCase() === 'KEY' && tokens[index + 2]?.text === '(';
    if (!isUnique && !isKey) continue;
    const names: string[] = [];
    let at = index + (isUnique ? 2 : 3);
    let expectName = true;
    for (; at < tokens.length && tokens[at]?.text !== ')'; at++) {
      const token = tokens[at] as { kind: string; text: string };
      if (token.kind === 'punct' && token.text === ',') expectName = true;
      else if (expectName && (token.kind === 'word' || token.kind === 'quoted')) {
        names.push(token.text);
        expectName = false;
      }
    }
    if (names.length > 0) out.push(names);
  }
  return out;
}

function hasNotNull(words: readonly string[]): boolean {
  for (let index = 0; index + 1 < words.length; index++) if (words[index] === 'NOT' && words[index + 1] === 'NULL') return true;
  return false;
}

/**
 * Signature of a table from its decode info, its parsed schema and its CREATE statement. Without a
 * schema (unknown table) every field admits every class and rebuilding is never attempted.
 */
export function tableSignature(decode: TableDecodeInfo, schema: TableSchema | undefined, sql: string | null): RecordSignature {
  const definitions = sql === null ? [] : columnDefinitions(sql);
  const primaryKey = new Set(schema?.primaryKeyIndexes ?? []);
  const fields: FieldSignature[] = decode.recordToColumn.map((column) => {
    const declared = schema?.columns[column]?.declaredType;
    const affinity: Affinity = declared === undefined ? 'blob' : affinityOf(declared);
    const definition = definitions[column];
    const notNull = (definition !== undefined && hasNotNull(definition.words)) || (decode.withoutRowid && primaryKey.has(column));
    return {
      column,
      name: decode.columns[column] ?? `c${column}`,
      affinity,
      storable: storableClasses[affinity],
      rebuildable: decode.schemaKnown ? rebuildableClasses[affinity] : 0,
      notNull,
      storedAsNull: column === decode.rowidAliasIndex,
    };
  });
  return {
    name: decode.name,
    kind: decode.withoutRowid ? 'without-rowid' : 'table',
    cellKind: decode.withoutRowid ? 'index' : 'table-leaf',
    fields,
    minimumFieldCount: fields.length,
    decode,
    keyFieldCount: decode.withoutRowid ? (schema?.primaryKeyIndexes.length ?? 0) : 0,
    indexedTable: undefined,
    indexedColumns: [],
    profile: undefined,
    digestFieldSets: decode.withoutRowid && (schema?.primaryKeyIndexes.length ?? 0) > 0 ? [Array.from({ length: schema?.primaryKeyIndexes.length ?? 0 }, (_, field) => field)] : [],
  };
}

/** sqlite_schema rows: type, name, tbl_name (TEXT, NOT NULL in practice), rootpage, sql (NULL for auto-indexes). */
export function schemaTableSignature(): RecordSignature {
  const text = (column: number, name: string, notNull: boolean): FieldSignature => ({
    column,
    name,
    affinity: 'text',
    storable: ClassBit.text | (notNull ? 0 : ClassBit.null),
    rebuildable: ClassBit.text,
    notNull,
    storedAsNull: false,
  });
  return {
    name: sqliteSchemaTable.name,
    kind: 'schema',
    cellKind: 'table-leaf',
    fields: [
      text(0, 'type', true),
      text(1, 'name', true),
      text(2, 'tbl_name', true),
      { column: 3, name: 'rootpage', affinity: 'integer', storable: ClassBit.integer, rebuildable: ClassBit.integer, notNull: true, storedAsNull: false },
      text(4, 'sql', false),
    ],
    minimumFieldCount: 5,
    decode: sqliteSchemaTable,
    keyFieldCount: 0,
    indexedTable: undefined,
    indexedColumns: [],
    profile: undefined,
    digestFieldSets: [],
  };
}

export interface IndexDefinition {
  readonly name: string;
  readonly unique: boolean;
  readonly tableName: string;
  /** Indexed column names, in key order. */
  readonly columnNames: readonly string[];
}

/**
 * Parses `CREATE [UNIQUE] INDEX [IF NOT EXISTS] [schema.]name ON table (col [COLLATE x] [ASC|DESC], …)`.
 * Indexes on expressions return undefined (their keys are not column values).
 */
export function parseCreateIndex(sql: string): IndexDefinition | undefined {
  const tokens = tokenize(sql);
  const upper = (index: number): string => (tokens[index]?.kind === 'word' ? (tokens[index]?.text ?? '').toUpperCase() : '');
  let index = 0;
  if (upper(index) !== 'CREATE') return undefined;
  index++;
  const unique = upper(index) === 'UNIQUE';
  if (unique) index++;
  if (upper(index) !== 'INDEX') return undefined;
  index++;
  if (upper(index) === 'IF' && upper(index + 1) === 'NOT' && upper(index + 2) === 'EXISTS') index += 3;
  let name = tokens[index]?.text ?? '';
  index++;
  if (tokens[index]?.kind === 'punct' && tokens[index]?.text === '.') {
    name = tokens[index + 1]?.text ?? '';
    index += 2;
  }
  if (upper(index) !== 'ON') return undefined;
  const tableName = tokens[index + 1]?.text ?? '';
  index += 2;
  if (!(tokens[index]?.kind === 'punct' && tokens[index]?.text === '(')) return undefined;
  const columnNames: string[] = [];
  let current: { kind: string; text: string }[] = [];
  for (index++; index < tokens.length; index++) {
    const token = tokens[index] as { kind: string; text: string };
    const end = token.kind === 'punct' && token.text === ')';
    if (end || (token.kind === 'punct' && token.text === ',')) {
      const first = current[0];
      if (first === undefined || (first.kind !== 'word' && first.kind !== 'quoted')) return undefined;
      const rest = current.slice(1).map((part) => (part.kind === 'word' ? part.text.toUpperCase() : part.text));
      // Only COLLATE name and ASC/DESC may follow a plain column; anything else is an expression.
      if (rest.some((word, at) => !(word === 'ASC' || word === 'DESC' || word === 'COLLATE' || rest[at - 1] === 'COLLATE'))) return undefined;
      columnNames.push(first.text);
      current = [];
      if (end) break;
      continue;
    }
    current.push(token);
  }
  if (columnNames.length === 0) return undefined;
  return { name, unique, tableName, columnNames };
}

/**
 * Signature of an index on a rowid table: the indexed columns (with the table's affinities), then
 * the rowid (an integer, never NULL). Undefined when a column is not found or the table is
 * WITHOUT ROWID (its index records end with the primary key, not a rowid).
 */
export function indexSignature(definition: IndexDefinition, table: RecordSignature): RecordSignature | undefined {
  if (table.kind !== 'table') return undefined;
  const lower = (text: string): string => text.toLowerCase();
  const columns = definition.columnNames.map((name) => table.decode.columns.findIndex((column) => lower(column) === lower(name)));
  if (columns.some((column) => column < 0)) return undefined;
  const byColumn = new Map(table.fields.map((field) => [field.column, field]));
  const fields: FieldSignature[] = columns.map((column, at) => {
    const source = byColumn.get(column);
    const affinity = source?.affinity ?? 'blob';
    // An index on the rowid alias stores the rowid value itself, not NULL.
    const aliasStorable = ClassBit.integer;
    return {
      column: at,
      name: table.decode.columns[column] ?? `c${column}`,
      affinity: source?.storedAsNull === true ? 'integer' : affinity,
      storable: source?.storedAsNull === true ? aliasStorable : storableClasses[affinity],
      rebuildable: source?.storedAsNull === true ? aliasStorable : rebuildableClasses[affinity],
      notNull: source?.notNull === true || source?.storedAsNull === true,
      storedAsNull: false,
    };
  });
  fields.push({ column: fields.length, name: 'rowid', affinity: 'integer', storable: ClassBit.integer, rebuildable: ClassBit.integer, notNull: true, storedAsNull: false });
  // The table's type pattern carries over to the indexed columns; a rowid may be any integer.
  const fieldOfColumn = new Map(table.fields.map((field, at) => [field.column, at]));
  const anyInteger: FieldProfile = { sampleCount: minimumProfileSampleCount, classes: ClassBit.integer, fixedSerialTypes: 0b1101111110, textLengthMinimum: -1, textLengthMaximum: -1, blobLengthMinimum: -1, blobLengthMaximum: -1 };
  const profile =
    table.profile === undefined
      ? undefined
      : [
          ...columns.map((column) => {
            const source = table.fields[fieldOfColumn.get(column) ?? -1];
            return source?.storedAsNull === true ? anyInteger : table.profile?.[fieldOfColumn.get(column) ?? -1];
          }),
          anyInteger,
        ];
  const names = [...fields.map((field) => field.name)];
  const decode: TableDecodeInfo = {
    name: definition.name,
    columns: names,
    recordToColumn: names.map((_, at) => at),
    rowidAliasIndex: -1,
    withoutRowid: true,
    defaults: names.map(() => ({ type: 'null' as const, text: null })),
    schemaKnown: true,
    realAffinity: fields.map((field) => field.affinity === 'real'),
    identityMapping: true,
  };
  return {
    name: definition.name,
    kind: 'index',
    cellKind: 'index',
    fields,
    minimumFieldCount: fields.length,
    decode,
    keyFieldCount: columns.length,
    indexedTable: table.name,
    indexedColumns: columns,
    profile: profile?.every((entry) => entry !== undefined) === true ? (profile as FieldProfile[]) : undefined,
    digestFieldSets: [],
  };
}

/**
 * Signature inferred from record shapes when no schema exists (headerless input, or item 6 of the
 * freed-records issue): every field admits exactly the classes `classes[field]` seen in live
 * (orphan) records, and no lost type is ever rebuilt.
 */
export function inferredSignature(decode: TableDecodeInfo, classes: readonly number[]): RecordSignature {
  return {
    name: decode.name,
    kind: decode.withoutRowid ? 'without-rowid' : 'table',
    cellKind: decode.withoutRowid ? 'index' : 'table-leaf',
    fields: classes.map((storable, column) => ({
      column,
      name: decode.columns[column] ?? `c${column}`,
      affinity: 'blob' as const,
      storable,
      rebuildable: 0,
      notNull: (storable & ClassBit.null) === 0,
      storedAsNull: false,
    })),
    minimumFieldCount: classes.length,
    decode,
    keyFieldCount: 0,
    indexedTable: undefined,
    indexedColumns: [],
    profile: undefined,
    digestFieldSets: [],
  };
}

/** Byte length of a text value in the database encoding. */
export function textByteLength(text: string, encoding: TextEncoding): number {
  return encoding === 1 ? Buffer.byteLength(text, 'utf8') : text.length * 2;
}

/** Serial type SQLite writes for an integer (schema format 4: 0 and 1 are types 8 and 9). */
export function integerSerialType(value: bigint): number {
  if (value === 0n) return 8;
  if (value === 1n) return 9;
  const limits: readonly [number, bigint][] = [
    [1, 0x80n],
    [2, 0x8000n],
    [3, 0x800000n],
    [4, 0x80000000n],
    [5, 0x800000000000n],
  ];
  for (const [serialType, limit] of limits) if (value >= -limit && value < limit) return serialType;
  return 6;
}

function integerSerialTypeOfNumber(value: number): number {
  if (value === 0) return 8;
  if (value === 1) return 9;
  if (value >= -0x80 && value < 0x80) return 1;
  if (value >= -0x8000 && value < 0x8000) return 2;
  if (value >= -0x800000 && value < 0x800000) return 3;
  if (value >= -0x80000000 && value < 0x80000000) return 4;
  if (value >= -0x800000000000 && value < 0x800000000000) return 5;
  return 6;
}

/** Serial type a decoded value was stored with, as far as it can be told from the value. */
function storedSerialType(type: StorageClass, text: string | null, realAffinity: boolean, encoding: TextEncoding): number {
  switch (type) {
    case 'null':
      return 0;
    case 'integer': {
      const value = Number(text ?? '0');
      return Number.isSafeInteger(value) ? integerSerialTypeOfNumber(value) : integerSerialType(BigInt(text ?? '0'));
    }
    case 'real': {
      const value = Number(text);
      // A whole real in a REAL-affinity column is stored as an integer (datatype3.html §3.4).
      if (realAffinity && Number.isSafeInteger(value)) return integerSerialTypeOfNumber(value);
      return 7;
    }
    case 'text':
      return 13 + 2 * textByteLength(text ?? '', encoding);
    case 'blob':
      return 12 + (text ?? '').length;
  }
}

/**
 * Attaches a profile learned from live records of the signature's table: per field, the classes,
 * fixed-size serial types and text/blob lengths seen. Also lowers `minimumFieldCount` when live
 * records show fewer fields (rows written before ALTER TABLE ADD COLUMN): the records themselves
 * are the evidence, the schema cannot tell.
 */
export function withProfile(signature: RecordSignature, records: readonly EvidenceRecord[], encoding: TextEncoding, minimumFieldCountSeen?: number): RecordSignature {
  if (records.length === 0 && minimumFieldCountSeen === undefined) return signature;
  const profile = signature.fields.map(() => ({ sampleCount: 0, classes: 0, fixedSerialTypes: 0, textLengthMinimum: -1, textLengthMaximum: -1, blobLengthMinimum: -1, blobLengthMaximum: -1 }));
  let minimumFieldCount = Math.max(1, Math.min(signature.minimumFieldCount, minimumFieldCountSeen ?? signature.minimumFieldCount));
  for (const record of records) {
    if (record.flags.includes('fewer-columns-than-schema')) {
      // The count of stored fields is the count of leading non-default columns; keep it loose: the
      // smallest count for which every later column still holds its declared default.
      let count = signature.fields.length;
      while (count > 1) {
        const field = signature.fields[count - 1] as FieldSignature;
        const fallback = signature.decode.defaults[field.column];
        if (fallback === undefined || record.values[field.column] !== fallback.text || record.types[field.column] !== fallback.type) break;
        count--;
      }
      minimumFieldCount = Math.min(minimumFieldCount, count);
    }
    signature.fields.forEach((field, index) => {
      const entry = profile[index];
      if (entry === undefined || field.storedAsNull) return;
      const type = record.types[field.column];
      if (type === undefined) return;
      const serialType = storedSerialType(type, record.values[field.column] ?? null, signature.decode.realAffinity[field.column] === true, encoding);
      entry.sampleCount++;
      entry.classes |= classBitOfSerialType(serialType);
      if (serialType < 12) entry.fixedSerialTypes |= 1 << serialType;
      else {
        const length = Math.floor((serialType - 12) / 2);
        if (serialType % 2 === 1) {
          entry.textLengthMinimum = entry.textLengthMinimum < 0 ? length : Math.min(entry.textLengthMinimum, length);
          entry.textLengthMaximum = Math.max(entry.textLengthMaximum, length);
        } else {
          entry.blobLengthMinimum = entry.blobLengthMinimum < 0 ? length : Math.min(entry.blobLengthMinimum, length);
          entry.blobLengthMaximum = Math.max(entry.blobLengthMaximum, length);
        }
      }
    });
  }
  // A column whose live records hold a class the affinity would not rebuild (text in an INTEGER
  // column) admits that class for lost types too, so the ambiguity is seen instead of hidden.
  const fields = signature.fields.map((field, index) => {
    const seen = profile[index]?.classes ?? 0;
    const extra = seen & field.storable & ~field.rebuildable;
    return extra === 0 || field.rebuildable === 0 ? field : { ...field, rebuildable: field.rebuildable | extra };
  });
  return { ...signature, fields, minimumFieldCount, profile: records.length === 0 ? signature.profile : profile };
}

/** True when a rebuilt serial type fits what the field's live records show. */
export function profileAdmits(profile: FieldProfile | undefined, serialType: number): boolean {
  if (profile === undefined || profile.sampleCount < minimumProfileSampleCount) return false;
  if (serialType < 12) return (profile.fixedSerialTypes & (1 << serialType)) !== 0;
  const length = Math.floor((serialType - 12) / 2);
  if (serialType % 2 === 1) return profile.textLengthMinimum >= 0 && length >= profile.textLengthMinimum && length <= profile.textLengthMaximum;
  return profile.blobLengthMinimum >= 0 && length >= profile.blobLengthMinimum && length <= profile.blobLengthMaximum;
}

/** True when no field holds a class unusual for its affinity that the column's live records never showed. */
export function classesPlausible(signature: RecordSignature, serialTypes: readonly number[]): boolean {
  const profile = signature.profile;
  if (profile === undefined) return true;
  for (let index = 0; index < serialTypes.length; index++) {
    const field = signature.fields[index];
    const seen = profile[index];
    if (field === undefined || seen === undefined || seen.sampleCount < minimumProfileSampleCount) continue;
    const classBit = classBitOfSerialType(serialTypes[index] as number);
    if ((classBit & unusualClasses[field.affinity]) !== 0 && (seen.classes & classBit) === 0) return false;
  }
  return true;
}

/**
 * The key side of a table: UNIQUE column sets (from its CREATE statement and its UNIQUE indexes)
 * become digest field sets of the signature (after the WITHOUT ROWID primary key), so carved and
 * live records are compared on them by bytes.
 */
export function withUniqueKeys(signature: RecordSignature, sql: string | null, uniqueIndexes: readonly (readonly string[])[]): { signature: RecordSignature; keyInfo: { name: string; withoutRowid: boolean; uniqueSetLabels: string[] } } {
  const lower = (text: string): string => text.toLowerCase();
  const fieldOf = (name: string): number => {
    const column = signature.decode.columns.findIndex((candidate) => lower(candidate) === lower(name));
    return column < 0 || column === signature.decode.rowidAliasIndex ? -1 : signature.decode.recordToColumn.indexOf(column);
  };
  const named = [...(sql === null || signature.kind === 'schema' ? [] : uniqueColumnNameSets(sql)), ...uniqueIndexes];
  const sets: number[][] = [];
  const labels: string[] = [];
  for (const names of named) {
    const fields = names.map(fieldOf);
    if (fields.length === 0 || fields.some((field) => field < 0)) continue;
    const key = fields.join(',');
    if (sets.some((existing) => existing.join(',') === key)) continue;
    if (signature.decode.withoutRowid && signature.digestFieldSets[0]?.join(',') === key) continue;
    sets.push(fields);
    labels.push(names.join(', '));
  }
  const base = signature.decode.withoutRowid ? signature.digestFieldSets.slice(0, 1) : [];
  return {
    signature: { ...signature, digestFieldSets: [...base, ...sets] },
    keyInfo: { name: signature.name, withoutRowid: signature.decode.withoutRowid, uniqueSetLabels: labels },
  };
}
