/**
 * Drives the real sqlite3 CLI for fixtures and oracles. Evidence is never opened through the
 * engine: oracles read copies with `immutable=1` (main file only) or `mode=ro`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function hasSqlite3(): boolean {
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** Runs a script against `databasePath` with secure_delete OFF first (Debian's default is ON). */
export function runSqlite(databasePath: string, script: string): string {
  return execFileSync('sqlite3', ['-batch', '-bail', databasePath], {
    input: `PRAGMA secure_delete=OFF;\n${script}\n`,
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
  });
}

export function makeTempDir(prefix = 'exhume-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}

export interface OracleValue {
  readonly type: 'null' | 'integer' | 'real' | 'text' | 'blob';
  /** As the sqlite3 CLI prints it: decimal text for numbers, text, hex for blobs; null for NULL. */
  readonly text: string | null;
}

export interface OracleRow {
  /** Rowid as decimal text; null for WITHOUT ROWID tables. */
  readonly rowid: string | null;
  readonly values: readonly OracleValue[];
}

/** Column names of a table in declaration order (PRAGMA table_info). */
export function tableColumns(databasePath: string, table: string): string[] {
  const out = execFileSync('sqlite3', ['-batch', '-json', `file:${databasePath}?immutable=1`, `PRAGMA table_info(${quoteIdentifier(table)});`], {
    encoding: 'utf8',
  });
  if (out.trim() === '') return [];
  return (JSON.parse(out) as { name: string }[]).map((row) => row.name);
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Every row of `table` as sqlite3 itself reads it, on a private copy of the file (and its -wal
 * when `withWal`). Values are typed and rendered as the CLI prints them (REAL via CAST AS TEXT,
 * which uses SQLite's own "%!.15g"; blobs as upper-case hex, lower-cased here).
 */
export function oracleRows(databasePath: string, table: string, options: { withWal?: boolean; withoutRowid?: boolean } = {}): OracleRow[] {
  const directory = makeTempDir('exhume-oracle-');
  try {
    const copy = join(directory, 'copy.db');
    copyFileSync(databasePath, copy);
    if (options.withWal === true && existsSync(`${databasePath}-wal`)) copyFileSync(`${databasePath}-wal`, `${copy}-wal`);
    const uri = options.withWal === true ? `file:${copy}?mode=ro` : `file:${copy}?immutable=1`;
    const columns = tableColumns(copy, table);
    const parts = columns.map((name) => {
      const q = quoteIdentifier(name);
      return `typeof(${q}), CASE typeof(${q}) WHEN 'blob' THEN lower(hex(${q})) WHEN 'null' THEN NULL ELSE CAST(${q} AS TEXT) END`;
    });
    const rowid = options.withoutRowid === true ? 'NULL' : 'CAST(rowid AS TEXT)';
    const sql = `SELECT json_array(${[rowid, ...parts].join(', ')}) FROM ${quoteIdentifier(table)};`;
    const out = execFileSync('sqlite3', ['-batch', '-list', uri, sql], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
    const rows: OracleRow[] = [];
    for (const line of out.split('\n')) {
      if (line === '') continue;
      const array = JSON.parse(line) as (string | null)[];
      const values: OracleValue[] = [];
      for (let index = 1; index < array.length; index += 2) {
        values.push({ type: array[index] as OracleValue['type'], text: array[index + 1] ?? null });
      }
      rows.push({ rowid: array[0] ?? null, values });
    }
    return rows;
  } finally {
    removeDir(directory);
  }
}

/** Names of the user tables (and whether each is WITHOUT ROWID), read on an immutable copy. */
export function userTables(databasePath: string): { name: string; withoutRowid: boolean }[] {
  const out = execFileSync(
    'sqlite3',
    ['-batch', '-json', `file:${databasePath}?immutable=1`, "SELECT name, sql FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name;"],
    { encoding: 'utf8' },
  );
  if (out.trim() === '') return [];
  return (JSON.parse(out) as { name: string; sql: string }[]).map((row) => ({
    name: row.name,
    withoutRowid: /without\s+rowid\s*;?\s*$/i.test(row.sql),
  }));
}
