/**
 * Live pages rendered in pool workers (DecodeLivePagesTask.render): the report folder must be byte
 * for byte the one the writer gives when it receives the records and renders them itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EvidenceRecord, TableDescriptor } from '../../src/evidence/record.js';
import type { Issue } from '../../src/issues/issue.js';
import { issueSortKey } from '../../src/issues/issue.js';
import { WorkerPool } from '../../src/pool/pool.js';
import { scanInputs } from '../../src/pipeline/scan.js';
import { MemorySink, type EvidenceSink } from '../../src/pipeline/sink.js';
import { renderRecordBatch, type RenderedBatch } from '../../src/reports/render.js';
import { openReportWriter } from '../../src/reports/writer.js';
import type { ReportRun } from '../../src/reports/types.js';
import { FIXED_ENVIRONMENT, makeFinish } from '../support/evidence.js';
import { makeTempDir, removeDir } from '../support/sqlite3.js';
import { listFiles } from '../reports/helpers.js';

const samples = ['samples/pos-ledger/trans.db', 'samples/pos-damaged/trans.db'];

function reportRun(): ReportRun {
  return {
    tool: { name: 'exhume', version: '0.0.0-test' },
    commandLine: ['exhume', 'scan', ...samples],
    options: {},
    startTime: new Date('2026-01-15T09:30:00.000Z'),
    inputs: samples.map((path) => ({ path, absolutePath: join(process.cwd(), path), sizeInBytes: 0, sha256: '', md5: '' })),
    environment: FIXED_ENVIRONMENT,
  };
}

/** Scans the samples into a report folder; `rendered` lets the pool render (as `exhume scan` does). */
async function scanToFolder(directory: string, workers: number, rendered: boolean, excel: boolean): Promise<{ batches: number }> {
  const run = reportRun();
  const opened = await openReportWriter(directory, run, { excel });
  if (opened.kind !== 'opened') throw new Error(opened.message);
  const writer = opened.writer;
  const issues: Issue[] = [];
  let batches = 0;
  const sink: EvidenceSink = {
    addTable: (descriptor: TableDescriptor) => writer.addTable(descriptor),
    addRecords: (records: readonly EvidenceRecord[]) => writer.addRecords(records),
    addIssues: (batch: readonly Issue[]) => {
      issues.push(...batch);
    },
    ...(rendered
      ? {
          renderSpecFor: (descriptor: TableDescriptor) => writer.renderSpecFor(descriptor),
          addRendered: async (batch: RenderedBatch) => {
            batches++;
            await writer.addRenderedRecords(batch);
          },
        }
      : {}),
  };
  const pool = new WorkerPool(workers);
  try {
    await scanInputs(samples, pool, sink);
  } finally {
    await pool.close();
  }
  await writer.addIssues(issues.sort((left, right) => (issueSortKey(left) < issueSortKey(right) ? -1 : issueSortKey(left) > issueSortKey(right) ? 1 : 0)));
  await writer.finish(makeFinish(run));
  return { batches };
}

describe('rendering in pool workers', () => {
  const directories: string[] = [];
  afterAll(() => {
    for (const directory of directories) removeDir(directory);
  });
  const folder = (): string => {
    const directory = makeTempDir('exhume-render-pool-');
    directories.push(directory);
    return directory;
  };

  for (const excel of [false, true]) {
    it(`gives the report folder the writer gives from records, in-process and with 2 workers${excel ? ' (--excel)' : ''}`, async () => {
      const reference = folder();
      await scanToFolder(reference, 0, false, excel);
      for (const workers of [0, 2]) {
        const directory = folder();
        const { batches } = await scanToFolder(directory, workers, true, excel);
        expect(batches).toBeGreaterThan(0);
        expect(listFiles(directory)).toEqual(listFiles(reference));
        for (const file of listFiles(reference)) expect(readFileSync(join(directory, file)), `${workers} workers: ${file}`).toEqual(readFileSync(join(reference, file)));
      }
    });
  }

  it('live-page tasks with render return the rendered text of the records they would have returned, and no records', async () => {
    const plain = new MemorySink();
    await scanInputs([samples[0] as string], new WorkerPool(0), plain);
    const batches: RenderedBatch[] = [];
    const specs = new Map<string, TableDescriptor>();
    // Records decoded on the main thread (freed space) still arrive as records.
    const mainThread: EvidenceRecord[] = [];
    const pool = new WorkerPool(2);
    try {
      await scanInputs([samples[0] as string], pool, {
        addTable: (descriptor) => {
          specs.set(descriptor.table, descriptor);
        },
        addRecords: (records) => {
          mainThread.push(...records);
        },
        addIssues: () => undefined,
        renderSpecFor: (descriptor) => ({ descriptor, excel: false, csv: true, xml: true }),
        addRendered: (batch) => {
          batches.push(batch);
        },
      });
    } finally {
      await pool.close();
    }
    const concatenated = (list: readonly RenderedBatch[], pick: (batch: RenderedBatch) => Uint8Array | undefined): Buffer =>
      Buffer.concat(list.map((batch) => pick(batch) ?? new Uint8Array(0)));
    const live = plain.records.filter((record) => record.foundBy === 'btree-walk');
    expect(live.length).toBeGreaterThan(50);
    expect(mainThread.some((record) => record.foundBy === 'btree-walk')).toBe(false);
    expect(mainThread.length).toBe(plain.records.length - live.length);
    const inProcess = renderedByTable(live, specs);
    expect(batches.reduce((total, batch) => total + batch.count, 0)).toBe(live.length);
    for (const pick of [(batch: RenderedBatch) => batch.ndjson.bytes, (batch: RenderedBatch) => batch.csv?.bytes, (batch: RenderedBatch) => batch.xml?.bytes]) {
      expect(concatenated(batches, pick).equals(concatenated(inProcess, pick))).toBe(true);
    }
  });
});

/** The records rendered in-process, one batch per run of one table. */
function renderedByTable(records: readonly EvidenceRecord[], specs: ReadonlyMap<string, TableDescriptor>): RenderedBatch[] {
  const out: RenderedBatch[] = [];
  let start = 0;
  while (start < records.length) {
    let end = start + 1;
    while (end < records.length && records[end]?.table === records[start]?.table) end++;
    out.push(renderRecordBatch(records.slice(start, end), { descriptor: specs.get(records[start]?.table ?? '') as TableDescriptor, excel: false, csv: true, xml: true }));
    start = end;
  }
  return out;
}
