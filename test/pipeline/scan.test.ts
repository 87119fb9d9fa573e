import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/pool/pool.js';
import { scanInputs } from '../../src/pipeline/scan.js';
import { MemorySink } from '../../src/pipeline/sink.js';
import { renderPath } from '../../src/provenance/path.js';
import { hasSqlite3, makeTempDir, oracleRows, removeDir, userTables } from '../support/sqlite3.js';
import { asOracleRows, sortRows } from '../support/read-database.js';

const ledger = 'samples/pos-ledger/trans.db';

function comparable(sink: MemorySink) {
  return {
    tables: sink.tables,
    records: sink.records.map((record) => ({ ...record, path: renderPath(record.path) })),
    issues: sink.issues.map((problem) => ({ ...problem, path: renderPath(problem.path) })),
  };
}

describe('scan pipeline', () => {
  const directory = makeTempDir();
  afterAll(() => removeDir(directory));

  it('gives identical results in-process and through the worker pool', async () => {
    const results = [];
    for (const workers of [0, 2]) {
      const pool = new WorkerPool(workers);
      const sink = new MemorySink();
      try {
        await scanInputs([ledger], pool, sink);
      } finally {
        await pool.close();
      }
      results.push(comparable(sink));
    }
    expect(results[0]?.records.length).toBeGreaterThan(50);
    expect(results[1]).toEqual(results[0]);
  });

  it.skipIf(!hasSqlite3())('reports the live rows sqlite3 reads from a copy of each sample', async () => {
    for (const sample of ['samples/pos-ledger/trans.db', 'samples/pos-persist/trans.db', 'samples/pos-hot-journal/trans.db']) {
      const sink = new MemorySink();
      const pool = new WorkerPool(0);
      await scanInputs([sample], pool, sink);
      for (const table of userTables(sample)) {
        const ours = sink.records.filter((record) => record.table === table.name && record.state === 'db-live');
        expect({ sample, table: table.name, rows: sortRows(asOracleRows(ours, table.withoutRowid)) }).toEqual({
          sample,
          table: table.name,
          rows: sortRows(oracleRows(sample, table.name, { withoutRowid: table.withoutRowid })),
        });
      }
    }
  });

  it.skipIf(!hasSqlite3())('reports freed records of the ledger sample, none of them a live row called deleted', async () => {
    const sink = new MemorySink();
    await scanInputs([ledger], new WorkerPool(0), sink);
    const freed = sink.records.filter((record) => record.state !== 'db-live');
    expect(freed.length).toBeGreaterThan(0);
    expect(new Set(freed.map((record) => record.state))).toEqual(new Set(['freeblock', 'freelist', 'unallocated-gap']));
    const live = new Set(oracleRows(ledger, 'trans_record').map((row) => JSON.stringify(row.values.map((value) => value.text).slice(1))));
    const deleted = freed.filter((record) => record.table === 'trans_record' && record.status === 'deleted');
    expect(deleted.length).toBeGreaterThan(0);
    for (const record of deleted) expect(live.has(JSON.stringify(record.values.slice(1)))).toBe(false);
  });

  it.skipIf(!hasSqlite3())('carves a database from a raw image at an odd offset: same live rows as sqlite3, absolute offsets, freed rows too', async () => {
    const { readFileSync } = await import('node:fs');
    const { noise } = await import('../support/bytes.js');
    const database = readFileSync(ledger);
    const start = 512 * 1001;
    const image = Buffer.concat([noise(start, 3), database, noise(512 * 37 + 17, 5)]);
    const location = join(directory, 'emmc.img');
    writeFileSync(location, image);
    const direct = new MemorySink();
    await scanInputs([ledger], new WorkerPool(0), direct);
    const carved = new MemorySink();
    await scanInputs([location], new WorkerPool(0), carved);
    for (const table of userTables(ledger)) {
      const ours = carved.records.filter((record) => record.table === table.name && record.state === 'db-live');
      expect(sortRows(asOracleRows(ours, table.withoutRowid))).toEqual(sortRows(oracleRows(ledger, table.name, { withoutRowid: table.withoutRowid })));
    }
    // Every record sits at the same place relative to the database, shifted by where it was carved.
    const offsets = (sink: MemorySink, shift: number) => sink.records.map((record) => `${record.state}/${record.status}@${(record.imageOffset ?? 0) - shift}`).sort();
    expect(offsets(carved, start)).toEqual(offsets(direct, 0));
    for (const record of carved.records) expect(image.subarray(record.imageOffset as number, (record.imageOffset as number) + record.lengthInBytes).equals(database.subarray((record.imageOffset as number) - start, (record.imageOffset as number) - start + record.lengthInBytes))).toBe(true);
  });

  it('decodes the damaged sample (page 1 zeroed, truncated mid-page) as a database whose header is lost', async () => {
    const sink = new MemorySink();
    await scanInputs(['samples/pos-damaged/trans.db'], new WorkerPool(0), sink);
    expect(sink.issues.map((problem) => problem.code)).toContain('sqlite.header.lost');
    const ledgerRows = sink.records.filter((record) => record.values.length === 58 && record.state === 'orphan');
    // The generator's manifest: 9 live trans_record rows sit on pages that survived.
    expect(ledgerRows).toHaveLength(9);
    expect(new Set(ledgerRows.map((record) => record.table)).size).toBe(1);
    expect(ledgerRows[0]?.table).toMatch(/^unknown-\d+$/);
    expect(ledgerRows.every((record) => record.confidence.level !== 'high')).toBe(true);
  });

  it('names the tables of a database whose page 1 is lost from --schema, and carves its freed cells', async () => {
    const schema = join(directory, 'pos-schema.sql');
    // The CREATE statements of the intact sample (read-only, through sqlite3's immutable mode).
    writeFileSync(schema, execFileSync('sqlite3', ['file:samples/pos-ledger/trans.db?immutable=1', '.schema'], { encoding: 'utf8' }));
    const sink = new MemorySink();
    await scanInputs(['samples/pos-damaged/trans.db'], new WorkerPool(0), sink, { schemaLocation: schema });
    const ledger = sink.tables.find((table) => table.table === 'trans_record');
    expect(ledger?.columns).toHaveLength(58);
    expect(ledger?.columns[0]).toBe('id');
    const rows = sink.records.filter((record) => record.table === 'trans_record');
    expect(rows.filter((record) => record.state === 'orphan')).toHaveLength(9);
    // A freed older version of trace 000091 (batch 000013) survives in a freeblock of page 12.
    const freed = rows.filter((record) => record.state === 'freeblock');
    expect(freed.length).toBeGreaterThan(0);
    expect(freed.every((record) => record.flags.includes('rowid-unknown') && record.rowid === null)).toBe(true);
  });

  it('reports empty files, unknown files and an empty folder as issues, never a crash', async () => {
    const empty = join(directory, 'empty.db');
    writeFileSync(empty, '');
    const garbage = join(directory, 'garbage.bin');
    writeFileSync(garbage, Buffer.alloc(10_000, 0x41));
    const sink = new MemorySink();
    await scanInputs([empty, garbage], new WorkerPool(0), sink);
    expect(sink.issues.map((problem) => problem.code).sort()).toEqual(['input.empty', 'input.not-recognised']);
    const folder = makeTempDir();
    const none = new MemorySink();
    await scanInputs([folder], new WorkerPool(0), none);
    expect(none.issues.map((problem) => problem.code)).toEqual(['input.no-evidence']);
    removeDir(folder);
  });

  it('survives a database truncated at every page boundary and mid-page', async () => {
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(ledger);
    for (let cut = 0; cut <= bytes.length; cut += 1531) {
      const location = join(directory, `cut-${cut}.db`);
      writeFileSync(location, bytes.subarray(0, cut));
      const sink = new MemorySink();
      await scanInputs([location], new WorkerPool(0), sink);
      expect(sink.issues.every((problem) => typeof problem.message === 'string')).toBe(true);
    }
  });
});
