import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/pool/pool.js';
import { readInputs, scanInputs, verifyInputs } from '../../src/pipeline/scan.js';
import { expandInputs } from '../../src/sources/inputs.js';
import { hashFile } from '../../src/sources/hash.js';
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

  describe('input hashing', () => {
    function plantedImage(name: string): string {
      const location = join(directory, name);
      writeFileSync(location, Buffer.concat([Buffer.alloc(512 * 77, 0x5a), readFileSync(ledger), Buffer.alloc(512 * 3, 0xa5)]));
      return location;
    }

    it('hashes a raw image during its scan (as a separate read hashes it) and checks it at the end without re-reading it', async () => {
      const image = plantedImage('hashed-once.img');
      const expanded = expandInputs([image, ledger]);
      const readings = await readInputs(expanded, { quiet: true });
      expect(readings.map((reading) => [reading.hashedDuring, reading.scan !== undefined])).toEqual([
        ['scan-read', true],
        ['separate-read-before-scan', false],
      ]);
      expect(readings.map((reading) => reading.hashes)).toEqual([await hashFile(image), await hashFile(ledger)]);
      const sink = new MemorySink();
      const verified = await verifyInputs(readings, sink);
      expect(verified.map((entry) => [entry.method, entry.unchanged])).toEqual([
        ['file-identity', true],
        ['re-hash', true],
      ]);
      expect(sink.issues).toEqual([]);
      const rehashed = await verifyInputs(readings, sink, { rehashAll: true });
      expect(rehashed.map((entry) => [entry.method, entry.unchanged])).toEqual([
        ['re-hash', true],
        ['re-hash', true],
      ]);
      expect(rehashed[0]?.hashes).toEqual(readings[0]?.hashes);
    });

    it('carves the same records from a scan done while hashing as from a scan of its own', async () => {
      const image = plantedImage('same-records.img');
      const prepared = new MemorySink();
      await scanInputs([image], new WorkerPool(0), prepared);
      const alone = new MemorySink();
      const { scanRawImage } = await import('../../src/pipeline/scan-image.js');
      const [file] = expandInputs([image]).files;
      await scanRawImage(file as NonNullable<typeof file>, new WorkerPool(0), alone, true);
      expect(comparable(prepared).records).toEqual(comparable(alone).records);
      expect(prepared.records.length).toBeGreaterThan(50);
    });

    it('reports a raw image rewritten in place after its scan (same size), by its times, and by a re-hash', async () => {
      for (const rehashAll of [false, true]) {
        const image = plantedImage(`rewritten-${rehashAll}.img`);
        const readings = await readInputs(expandInputs([image]), { quiet: true });
        const descriptor = openSync(image, 'r+');
        try {
          writeSync(descriptor, Uint8Array.of(0x42), 0, 1, 100);
        } finally {
          closeSync(descriptor);
        }
        const sink = new MemorySink();
        const [verified] = await verifyInputs(readings, sink, { rehashAll });
        expect(verified?.unchanged).toBe(false);
        expect(verified?.method).toBe(rehashAll ? 're-hash' : 'file-identity');
        expect(sink.issues.map((problem) => [problem.code, problem.severity])).toEqual([['input.changed-during-scan', 'error']]);
        expect(sink.issues[0]?.message).toBe(
          rehashAll
            ? `${image} changed while it was read: SHA-256 ${readings[0]?.hashes.sha256} at the start, ${(await hashFile(image)).sha256} at the end`
            : `${image} changed while it was read: size, modification time, change time or inode differ between the start and the end of the run (size ${readings[0]?.hashes.sizeInBytes} then ${readings[0]?.hashes.sizeInBytes}); the hashes describe the bytes the scan read`,
        );
      }
    });

    it('catches a rewrite whose modification time was put back (the change time moves)', async () => {
      const image = plantedImage('times-reset.img');
      const readings = await readInputs(expandInputs([image]), { quiet: true });
      const before = readings[0]?.identityAtStart;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const descriptor = openSync(image, 'r+');
      try {
        writeSync(descriptor, Uint8Array.of(0x42), 0, 1, 100);
      } finally {
        closeSync(descriptor);
      }
      utimesSync(image, new Date((before?.modifiedMilliseconds ?? 0) / 1), new Date((before?.modifiedMilliseconds ?? 0) / 1));
      const sink = new MemorySink();
      const [verified] = await verifyInputs(readings, sink);
      expect(verified?.unchanged).toBe(false);
    });

    it('reports a raw image that changes while its scan reads it', async () => {
      const image = plantedImage('growing.img');
      const { scanImage } = await import('../../src/scanning/scan-image.js');
      const scan = await scanImage(image, {
        windowSizeInBytes: 64 * 1024,
        progress: { quiet: true },
        onWindow: (_result, window) => {
          if (window.index === 1) writeFileSync(image, Buffer.alloc(512), { flag: 'a' });
        },
      });
      expect(scan.changedDuringScan).toBe(true);
      const [file] = expandInputs([image]).files;
      const reading = { file: file as NonNullable<typeof file>, hashes: { sha256: scan.hashes?.sha256 ?? '', md5: scan.hashes?.md5 ?? '', sizeInBytes: scan.hashes?.sizeInBytes ?? 0 }, hashedDuring: 'scan-read' as const, identityAtStart: { fileSystemPath: image, sizeInBytes: 0, modifiedMilliseconds: 0, changedMilliseconds: 0, inode: 0 }, scan };
      const sink = new MemorySink();
      const [verified] = await verifyInputs([reading], sink);
      expect(verified?.unchanged).toBe(false);
    });
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
    // A freed older version of trace 000091 (batch 000013) survives in a freeblock of page 12: its
    // UNIQUE key (a CREATE UNIQUE INDEX of the schema file) is held by a listed row with other
    // values, so it is superseded, as the intact pos-ledger calls it.
    const freed = rows.filter((record) => record.state === 'freeblock');
    expect(freed).toHaveLength(1);
    expect(freed[0]).toMatchObject({ status: 'superseded', rowid: null });
    expect(freed[0]?.values[10]).toBe('000091');
    expect(freed[0]?.flags).toContain('rowid-unknown');
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
