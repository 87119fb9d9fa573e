/**
 * reportFreedRecords streams a database's freed records into the sink as the recovery classifies
 * them (bounded memory), with the same records the whole-database recovery returns. Database made
 * by the real sqlite3 (secure_delete OFF).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord, TableDescriptor } from '../../src/evidence/record.js';
import { parseDatabaseHeader } from '../../src/formats/sqlite/parse-header.js';
import type { Issue } from '../../src/issues/issue.js';
import { filePath } from '../../src/provenance/path.js';
import { recoverDatabase } from '../../src/recovery/freed/recover-database.js';
import { evidenceOf, reportFreedRecords } from '../../src/pipeline/scan-freed.js';
import type { EvidenceSink } from '../../src/pipeline/sink.js';
import { FileSource } from '../../src/sources/file-source.js';
import { SourcePageReader } from '../../src/sources/page-reader.js';
import { hasSqlite3, makeTempDir, removeDir, runSqlite } from '../support/sqlite3.js';

const directory = makeTempDir('exhume-scan-freed-');
afterAll(() => removeDir(directory));

/** Every call in order: tables declared, record hand-overs (their sizes), issues. */
class RecordingSink implements EvidenceSink {
  readonly calls: string[] = [];
  readonly declared = new Set<string>();
  readonly records: EvidenceRecord[] = [];
  readonly handOvers: number[] = [];
  readonly issues: Issue[] = [];
  addTable(descriptor: TableDescriptor): void {
    this.calls.push(`table ${descriptor.table}`);
    this.declared.add(descriptor.table);
  }
  onFirstRecords: (() => void) | undefined;
  addRecords(records: readonly EvidenceRecord[]): void {
    if (this.handOvers.length === 0) this.onFirstRecords?.();
    for (const record of records) {
      if (!this.declared.has(record.table)) throw new Error(`record of ${record.table} before its table was declared`);
      this.records.push(record);
    }
    this.handOvers.push(records.length);
    this.calls.push('records');
  }
  addIssues(issues: readonly Issue[]): void {
    this.issues.push(...issues);
    this.calls.push('issues');
  }
}

describe.skipIf(!hasSqlite3())('reportFreedRecords', () => {
  it('hands freed records to the sink step by step, the same records as the whole recovery', async () => {
    const path = join(directory, 'ledger.db');
    runSqlite(
      path,
      `PRAGMA page_size=1024; CREATE TABLE trans_record (id INTEGER PRIMARY KEY, trace_no TEXT, amount INTEGER, memo TEXT);
CREATE TABLE batch (no INTEGER PRIMARY KEY, note TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<3000)
INSERT INTO trans_record SELECT x, printf('%06d', x), x*7, 'memo ' || x FROM c;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<200) INSERT INTO batch SELECT x, 'batch ' || x FROM c;
DELETE FROM trans_record WHERE id % 3 = 1; DELETE FROM trans_record WHERE id BETWEEN 2000 AND 2400; DELETE FROM batch WHERE no % 4 = 0;`,
    );
    const whole = recoverDatabase(path);
    const expected = whole.tables.flatMap((table) => table.freed).map(evidenceOf);
    expect(expected.length).toBeGreaterThan(1000);

    const source = new FileSource(path);
    const sink = new RecordingSink();
    let reads = 0;
    let readsAtFirstRecords = -1;
    try {
      const header = parseDatabaseHeader(source.read(0, 100), 0, filePath(path));
      if (header.kind !== 'parsed') throw new Error('header');
      const pages = new SourcePageReader(source, header.value.pageSize, 0, source.sizeInBytes, 256);
      // Counts the jobs' batch reads, so the sink can tell whether records arrive while the recovery still reads.
      const reader = {
        pageSize: pages.pageSize,
        pageCount: pages.pageCount,
        readPage: (pageNumber: number): Uint8Array | undefined => pages.readPage(pageNumber),
        readPages: (first: number, count: number): Uint8Array => {
          reads++;
          return pages.readPages(first, count);
        },
      };
      sink.onFirstRecords = () => (readsAtFirstRecords = reads);
      await reportFreedRecords(reader, header.value, filePath(path), path, sink);
    } finally {
      source.close();
    }
    const key = (record: EvidenceRecord): string => JSON.stringify([record.table, record.state, record.status, record.imageOffset, record.rowid, record.values, record.confidence, record.flags, record.rawSha256]);
    expect(sink.records.map(key).sort()).toEqual(expected.map(key).sort());
    expect(sink.issues).toEqual(whole.issues);
    // Streamed: the first records arrive while a third of the jobs' reads are still to come, in many small
    // hand-overs, none holding a table's records whole; issues last.
    expect(readsAtFirstRecords).toBeGreaterThan(0);
    expect(reads - readsAtFirstRecords).toBeGreaterThan(reads / 3);
    expect(sink.handOvers.length).toBeGreaterThan(10);
    expect(Math.max(...sink.handOvers)).toBeLessThan(expected.length / 10);
    expect(sink.calls[sink.calls.length - 1]).toBe('issues');
  });
});
