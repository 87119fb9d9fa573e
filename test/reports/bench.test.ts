/**
 * Rough per-record costs of the report writers (run with EXHUME_BENCH=1; skipped otherwise).
 * Prints microseconds per record for each projection alone and for the whole writer.
 */
import { test } from 'vitest';
import { provenanceCells, recordCsvRow } from '../../src/reports/columns.js';
import { CsvOutput } from '../../src/reports/csv.js';
import { dfxmlFileobject } from '../../src/reports/dfxml.js';
import { encodeRecordLine } from '../../src/reports/evidence-file.js';
import { recordCsvHeaders } from '../../src/reports/columns.js';
import { openReportWriter } from '../../src/reports/writer.js';
import type { EvidenceRecord } from '../../src/evidence/record.js';
import { makeTempDir, removeDir } from '../support/sqlite3.js';
import { cellPath, imageOffsetOf, LEDGER_TABLE, makeFinish, makeRecord, makeRun } from '../support/evidence.js';

const COUNT = Number(process.env['EXHUME_BENCH_RECORDS'] ?? 200_000);

function records(count: number): EvidenceRecord[] {
  return Array.from({ length: count }, (_, index) => {
    const pageNumber = 2 + (index % 5000);
    const offsetInPage = 16 + (index % 200) * 20;
    return makeRecord({
      path: cellPath(pageNumber, offsetInPage),
      imageOffset: imageOffsetOf(pageNumber, offsetInPage),
      pageNumber,
      offsetInPage,
      values: [`T${index.toString(16).padStart(8, '0')}`, String(index * 100), '156', index % 7 === 0 ? '会员, "VIP"' : 'coffee', null],
    });
  });
}

function time(label: string, count: number, run: () => void): void {
  const start = process.hrtime.bigint();
  run();
  const elapsed = Number(process.hrtime.bigint() - start) / 1e3;
  console.log(`${label.padEnd(44)} ${(elapsed / count).toFixed(2).padStart(7)} µs/record  ${Math.round((count * 1e6) / elapsed).toLocaleString('en')} records/s`);
}

async function timeAsync(label: string, count: number, run: () => Promise<void>): Promise<void> {
  const start = process.hrtime.bigint();
  await run();
  const elapsed = Number(process.hrtime.bigint() - start) / 1e3;
  console.log(`${label.padEnd(44)} ${(elapsed / count).toFixed(2).padStart(7)} µs/record  ${Math.round((count * 1e6) / elapsed).toLocaleString('en')} records/s`);
}

test.skipIf(process.env['EXHUME_BENCH'] !== '1')('report writer per-record cost', { timeout: 600_000 }, async () => {
  const input = records(COUNT);
  let sink = 0;
  time('provenance cells', COUNT, () => {
    for (const [index, record] of input.entries()) sink += provenanceCells(record, index + 1).length;
  });
  const cells = input.map((record, index) => provenanceCells(record, index + 1));
  time('CSV row arrays', COUNT, () => {
    for (const [index, record] of input.entries()) sink += recordCsvRow(cells[index] ?? [], record, 5, false).length;
  });
  time('DFXML fileobject', COUNT, () => {
    for (const [index, record] of input.entries()) sink += dfxmlFileobject(record, index + 1, cells[index] ?? [], LEDGER_TABLE, '    ').length;
  });
  time('evidence.ndjson line', COUNT, () => {
    for (const [index, record] of input.entries()) sink += encodeRecordLine(record, index + 1).length;
  });
  const directory = makeTempDir('exhume-bench-');
  try {
    const csv = new CsvOutput(directory, 'bench.csv', recordCsvHeaders(LEDGER_TABLE, false), false);
    await csv.open();
    await timeAsync('csv-stringify stream to file (rows prebuilt)', COUNT, async () => {
      for (const [index, record] of input.entries()) {
        csv.write(recordCsvRow(cells[index] ?? [], record, 5, false));
        if (index % 2000 === 1999) await csv.drain();
      }
      await csv.commit();
    });
    for (const [label, options] of [
      ['whole writer: CSV + DFXML + NDJSON', {}],
      ['whole writer: CSV + NDJSON (no XML)', { xml: false }],
      ['whole writer: DFXML + NDJSON (no CSV)', { csv: false }],
    ] as const) {
      const out = makeTempDir('exhume-bench-');
      try {
        const run = makeRun();
        const opened = await openReportWriter(out, run, options);
        if (opened.kind !== 'opened') throw new Error(opened.message);
        await timeAsync(label, COUNT, async () => {
          await opened.writer.addTable(LEDGER_TABLE);
          for (let start = 0; start < COUNT; start += 2000) await opened.writer.addRecords(input.slice(start, start + 2000));
          await opened.writer.finish(makeFinish(run));
        });
      } finally {
        removeDir(out);
      }
    }
  } finally {
    removeDir(directory);
  }
  console.log(`(${COUNT} records, node ${process.versions.node}, sink ${sink})`);
});
