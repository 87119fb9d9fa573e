// Ground truth for the freed-records accuracy benchmark (bench/accuracy.js).
//
// Each scenario is a list of SQL phases run by the real sqlite3 (secure_delete OFF unless the
// scenario is the control). After every phase every row of every tracked table is read back
// (typed, rendered as the sqlite3 CLI prints it), so the truth holds every row version that ever
// existed between phases. The final snapshot is the live set. A deleted row "survives byte-wise"
// when its record body (the values exactly as SQLite serialises them, split the way the payload
// is split between the page and its overflow pages) still occurs in the file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export function sqlite(databasePath, script, { secureDelete = false } = {}) {
  execFileSync('sqlite3', ['-batch', '-bail', databasePath], { input: `PRAGMA secure_delete=${secureDelete ? 'ON' : 'OFF'};\n${script}\n`, maxBuffer: 1 << 30 });
}

function query(databasePath, sql) {
  const out = execFileSync('sqlite3', ['-batch', '-json', `file:${databasePath}?mode=ro`, sql], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return out.trim() === '' ? [] : JSON.parse(out);
}

const quote = (name) => `"${name.replaceAll('"', '""')}"`;

/** Declared affinity (datatype3.html §3.1). */
export function affinityOf(declared) {
  const type = declared.toUpperCase();
  if (type.includes('INT')) return 'integer';
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'text';
  if (type.includes('BLOB') || type.trim() === '') return 'blob';
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return 'real';
  return 'numeric';
}

/** Tables of the database with what the truth needs: columns, affinities, rowid alias, record order. */
export function describeTables(databasePath) {
  const tables = query(databasePath, "SELECT name, sql FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  return tables.map(({ name, sql }) => {
    const info = query(databasePath, `PRAGMA table_info(${quote(name)})`);
    const withoutRowid = /without\s+rowid\s*;?\s*$/i.test(sql);
    const keyColumns = info.filter((column) => column.pk > 0).sort((a, b) => a.pk - b.pk).map((column) => column.cid);
    const aliasIndex = !withoutRowid && keyColumns.length === 1 && info[keyColumns[0]].type.toUpperCase() === 'INTEGER' ? keyColumns[0] : -1;
    const recordOrder = withoutRowid ? [...keyColumns, ...info.map((column) => column.cid).filter((cid) => !keyColumns.includes(cid))] : info.map((column) => column.cid);
    return { name, sql, withoutRowid, columns: info.map((column) => column.name), affinities: info.map((column) => affinityOf(column.type)), aliasIndex, keyColumns, recordOrder };
  });
}

/** Every row of a table, typed and rendered as the CLI prints it (REAL via CAST AS TEXT, blobs as lower-case hex). */
export function snapshot(databasePath, table) {
  const parts = table.columns.map((name) => {
    const q = quote(name);
    return `typeof(${q}), CASE typeof(${q}) WHEN 'blob' THEN lower(hex(${q})) WHEN 'null' THEN NULL ELSE CAST(${q} AS TEXT) END`;
  });
  const rowid = table.withoutRowid ? 'NULL' : 'CAST(rowid AS TEXT)';
  const out = execFileSync('sqlite3', ['-batch', '-list', `file:${databasePath}?mode=ro`, `SELECT json_array(${[rowid, ...parts].join(', ')}) FROM ${quote(table.name)};`], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const rows = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const array = JSON.parse(line);
    const types = [];
    const values = [];
    for (let index = 1; index < array.length; index += 2) {
      types.push(array[index]);
      values.push(array[index + 1] ?? null);
    }
    rows.push({ rowid: array[0] ?? null, types, values });
  }
  return rows;
}

export function keyOf(table, row) {
  if (!table.withoutRowid) return row.rowid;
  return JSON.stringify(table.keyColumns.map((column) => [row.types[column], row.values[column]]));
}

export function valuesKey(row, skip = -1) {
  return JSON.stringify(row.types.map((type, column) => (column === skip ? null : [type, row.values[column]])));
}

/** Runs a scenario: phases with snapshots in between. Returns tables, every version, the live set. */
export function buildScenario(directory, scenario) {
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const databasePath = join(directory, `${scenario.name}.db`);
  const versions = new Map(); // table → Map(versionKey → row)
  let tables = [];
  const described = new Map();
  for (const phase of scenario.phases) {
    sqlite(databasePath, phase, { secureDelete: scenario.secureDelete === true });
    tables = describeTables(databasePath);
    for (const table of tables) described.set(table.name, table);
    for (const table of tables) {
      const seen = versions.get(table.name) ?? new Map();
      versions.set(table.name, seen);
      for (const row of snapshot(databasePath, table)) seen.set(`${keyOf(table, row)}\u0000${valuesKey(row)}`, row);
    }
  }
  // Tables dropped along the way keep their versions; their final live set is empty.
  const live = new Map(tables.map((table) => [table.name, snapshot(databasePath, table)]));
  const encoding = query(databasePath, 'PRAGMA encoding')[0]?.encoding ?? 'UTF-8';
  const pageSize = query(databasePath, 'PRAGMA page_size')[0]?.page_size ?? 4096;
  return { databasePath, tables: described, versions, live, encoding, pageSize };
}

function integerBytes(text) {
  const value = BigInt(text);
  if (value === 0n || value === 1n) return new Uint8Array(0);
  for (const size of [1, 2, 3, 4, 6]) {
    const limit = 1n << BigInt(size * 8 - 1);
    if (value >= -limit && value < limit) return bigEndian(value, size);
  }
  return bigEndian(value, 8);
}

function bigEndian(value, size) {
  const out = new Uint8Array(size);
  let rest = BigInt.asUintN(size * 8, value);
  for (let index = size - 1; index >= 0; index--) {
    out[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

function textBytes(text, encoding) {
  if (encoding === 'UTF-8') return new Uint8Array(Buffer.from(text, 'utf8'));
  const le = Buffer.from(text, 'utf16le');
  if (encoding === 'UTF-16le') return new Uint8Array(le);
  const be = Buffer.from(le);
  be.swap16();
  return new Uint8Array(be);
}

/** The record body (values only, in record order) as SQLite wrote it, and the header size. */
export function recordBody(table, row, encoding) {
  const parts = [];
  const types = [];
  let typeBytes = 0;
  for (const column of table.recordOrder) {
    const type = row.types[column];
    const value = row.values[column];
    let bytes;
    if (column === table.aliasIndex || type === 'null') bytes = new Uint8Array(0);
    else if (type === 'integer') bytes = integerBytes(value);
    else if (type === 'real') {
      const number = Number(value);
      if (table.affinities[column] === 'real' && Number.isSafeInteger(number)) bytes = integerBytes(String(number));
      else {
        bytes = new Uint8Array(8);
        new DataView(bytes.buffer).setFloat64(0, number, false);
      }
    } else if (type === 'text') bytes = textBytes(value, encoding);
    else bytes = new Uint8Array(Buffer.from(value, 'hex'));
    parts.push(bytes);
    let serialType;
    if (column === table.aliasIndex || type === 'null') serialType = 0;
    else if (type === 'text') serialType = 13 + 2 * bytes.length;
    else if (type === 'blob') serialType = 12 + 2 * bytes.length;
    else if (bytes.length === 8 && (type === 'real' && !(table.affinities[column] === 'real' && Number.isSafeInteger(Number(value))))) serialType = 7;
    else if (bytes.length === 0) serialType = BigInt(type === 'real' ? String(Number(value)) : value) === 0n ? 8 : 9;
    else serialType = { 1: 1, 2: 2, 3: 3, 4: 4, 6: 5, 8: 6 }[bytes.length];
    types.push(serialType);
    typeBytes += serialType < 128 ? 1 : serialType < 16384 ? 2 : 3;
  }
  const body = Buffer.concat(parts);
  const headerSize = typeBytes + (typeBytes + 1 < 128 ? 1 : 2);
  return { body, headerSize, types };
}

function localPayloadSize(payloadSize, usable, isTable) {
  const maximum = isTable ? usable - 35 : Math.floor(((usable - 12) * 64) / 255) - 23;
  if (payloadSize <= maximum) return payloadSize;
  const minimum = Math.floor(((usable - 12) * 32) / 255) - 23;
  const k = minimum + ((payloadSize - minimum) % (usable - 4));
  return k <= maximum ? k : minimum;
}

/** Minimum body size for a byte-wise survival test to mean anything. */
export const minimumDistinctiveBodySize = 6;

/**
 * True when the row's body survives in `file`: the local part of the body and every overflow
 * chunk occur somewhere. A body too short to be distinctive is looked for together with the
 * serial types before it (all but the first, which a freeblock header may have overwritten).
 */
export function survives(file, table, row, encoding, pageSize) {
  const { body, headerSize, types } = recordBody(table, row, encoding);
  if (body.length < minimumDistinctiveBodySize) {
    // Short rows: look for the serial types after the first (the first may be overwritten) followed by the body.
    const varint = (value) => (value < 128 ? [value] : value < 16384 ? [0x80 | (value >> 7), value & 0x7f] : [0x80 | (value >> 14), 0x80 | ((value >> 7) & 0x7f), value & 0x7f]);
    const needle = Buffer.concat([Buffer.from(types.slice(1).flatMap(varint)), body]);
    return needle.length >= minimumDistinctiveBodySize && file.indexOf(needle) >= 0;
  }
  const payloadSize = headerSize + body.length;
  const local = localPayloadSize(payloadSize, pageSize, !table.withoutRowid);
  const chunks = [];
  const localBody = Math.max(0, local - headerSize);
  if (localBody > 0) chunks.push(body.subarray(0, localBody));
  for (let at = localBody; at < body.length; at += pageSize - 4) chunks.push(body.subarray(at, Math.min(body.length, at + pageSize - 4)));
  return chunks.every((chunk) => chunk.length === 0 || file.indexOf(chunk) >= 0);
}

/** Truth row equality with a recovered record (typed, column by column). */
export function matches(table, row, record) {
  const partial = record.flags.includes('truncated');
  const rowidLost = record.rowid === null && !table.withoutRowid;
  if (!table.withoutRowid && record.rowid !== null && record.rowid !== row.rowid) return false;
  for (let column = 0; column < table.columns.length; column++) {
    if (column === table.aliasIndex && rowidLost) continue;
    const type = record.types[column];
    const value = record.values[column];
    if (partial && value === null) continue;
    if (type !== row.types[column] || (value ?? null) !== (row.values[column] ?? null)) return false;
  }
  return true;
}

export function readFile(path) {
  return readFileSync(path);
}
