/**
 * Rendering away from the writer (render.ts): the writer's files must be byte for byte what the
 * per-record projections give with the real ids, streamed through csv-stringify as before, whether
 * records are added (rendered in-process) or rendered elsewhere, cloned and added as text. Values
 * are hostile: they contain every marker the stamping could trip on.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify';
import { afterEach, describe, expect, test } from 'vitest';
import type { EvidenceRecord, StorageClass, TableDescriptor } from '../../src/evidence/record.js';
import { provenanceCells, recordCsvHeaders, recordCsvRow, type Cell } from '../../src/reports/columns.js';
import { csvHeaderText, csvOptions, csvRowText } from '../../src/reports/csv.js';
import {
  DFXML_DISK_IMAGE_CLOSE,
  DFXML_FOOTER,
  DISK_IMAGE_FILEOBJECT_INDENT,
  TOP_LEVEL_FILEOBJECT_INDENT,
  dfxmlDiskImageOpen,
  dfxmlFileobject,
  dfxmlHeader,
} from '../../src/reports/dfxml.js';
import { encodeRecordLine } from '../../src/reports/evidence-file.js';
import { RENDERED_NDJSON_PREFIX, RENDERED_XML_ID, renderRecordBatch, type RenderedBatch, type RenderedRecords, type RenderSpec } from '../../src/reports/render.js';
import type { ReportRun } from '../../src/reports/types.js';
import { openReportWriter, type ReportWriter, type ReportWriterOptions } from '../../src/reports/writer.js';
import { makeTempDir, removeDir } from '../support/sqlite3.js';
import { FIXED_ENVIRONMENT, cellPath, makeFinish, makeRecord, makeRun } from '../support/evidence.js';
import { listFiles } from './helpers.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) removeDir(directory);
});

function tempDir(): string {
  const directory = makeTempDir('exhume-render-');
  directories.push(directory);
  return directory;
}

/** Markers a careless stamper or splitter would find inside values. */
const hostile = [
  'coffee, "large"',
  'line1\nline2',
  'cr\ronly',
  'crlf\r\nend',
  '',
  '=HYPERLINK("http://x")',
  '-5800',
  '+1',
  '@SUM(A1)',
  '\tcmd|/c calc',
  '＝全角',
  '<id>0</id>',
  '{"kind":"record","id":0,',
  '0,sqlite:record\n1,',
  '\u0001\u001f control',
  '会员, "VIP"\n第二行',
  ',',
  '"',
  '\n',
  '<fileobject><id>0</id></fileobject>',
  '&amp; <b>',
  'x'.repeat(3000),
  'emoji 😀 pair',
  'lone \uD800 surrogate',
];

const DATABASE = 'db <id>0</id> "quoted", name.db';
const TABLE: TableDescriptor = { database: DATABASE, table: 'ledger\n<id>0</id>', columns: ['state', '', '=formula', '<id>0</id>', 'memo'], withoutRowid: false };
const OTHER: TableDescriptor = { database: 'pos.db', table: 'batch', columns: ['batch_no', 'total'], withoutRowid: false };

function run(): ReportRun {
  return makeRun({
    inputs: [
      { path: 'pos-emmc.img', absolutePath: '/evidence/case1/pos-emmc.img', sizeInBytes: 8388608, sha256: 'aa'.repeat(32), md5: 'bb'.repeat(16) },
      { path: 'second.img', absolutePath: '/evidence/case1/second.img', sizeInBytes: 4096, sha256: 'cc'.repeat(32), md5: 'dd'.repeat(16) },
    ],
  });
}

function hostileRecords(): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  const images = ['pos-emmc.img', 'second.img', 'elsewhere.img', '/evidence/case1/second.img'];
  for (let index = 0; index < hostile.length * 3; index++) {
    const length = index % 9 === 0 ? 2 : index % 11 === 0 ? 8 : 5; // fewer, extra and exact values
    const values = Array.from({ length }, (_, column) => (column === 2 && index % 4 === 0 ? null : (hostile[(index + column * 5) % hostile.length] as string)));
    const types: StorageClass[] = values.map((value) => (value === null ? 'null' : 'text'));
    const pageNumber = 2 + (index % 6);
    const offsetInPage = 16 + index * 7;
    out.push(
      makeRecord({
        database: DATABASE,
        table: TABLE.table,
        path: cellPath(pageNumber, offsetInPage, images[index % images.length]),
        ...(index % 5 === 0 ? { imageOffset: undefined } : {}),
        pageNumber,
        offsetInPage,
        values,
        types,
        rowid: index % 3 === 0 ? null : String(index * 1_000_003),
        state: index % 2 === 0 ? 'freeblock' : 'db-live',
        status: index % 2 === 0 ? 'deleted' : 'live',
        confidence: { level: 'medium', reasons: index % 4 === 0 ? [] : [hostile[index % hostile.length] as string, 'rowid unknown'] },
        flags: index % 3 === 0 ? [] : ['header-rebuilt'],
        ...(index % 7 === 0 ? { frameIndex: index, checksum: 'valid' as const, transaction: `wal:${index}` } : {}),
        ...(index % 13 === 0 ? { journalRecordIndex: index } : {}),
      }),
    );
    if (index % 10 === 4) out.push(makeRecord({ database: OTHER.database, table: OTHER.table, values: [hostile[index % hostile.length] as string, '12'], types: ['text', 'integer'] }));
  }
  return out;
}

/** The record CSV of `records` as csv-stringify's stream API writes it, ids 1, 2, … (the pre-render writer). */
async function expectedCsv(table: TableDescriptor, records: readonly { record: EvidenceRecord; recordId: number }[], excel: boolean): Promise<string> {
  const stringifier = stringify(csvOptions(recordCsvHeaders(table, excel), true, excel));
  const chunks: string[] = [];
  stringifier.on('data', (chunk: Buffer | string) => chunks.push(chunk.toString()));
  for (const { record, recordId } of records) stringifier.write(recordCsvRow(provenanceCells(record, recordId), record, table.columns.length, excel));
  stringifier.end();
  await once(stringifier, 'end');
  return chunks.join('');
}

/** report.xml as the pre-render writer builds it: every fragment with its real id, in its input's group. */
function expectedXml(reportRun: ReportRun, numbered: readonly { record: EvidenceRecord; recordId: number }[], tables: readonly TableDescriptor[]): string {
  const groups: string[] = reportRun.inputs.map(() => '');
  let topLevel = '';
  for (const { record, recordId } of numbered) {
    const table = tables.find((candidate) => candidate.table === record.table && candidate.database === record.database) as TableDescriptor;
    let root = record.path;
    while (root.parent !== null) root = root.parent;
    const location = root.layer.kind === 'file' ? root.layer.location : '';
    const group = reportRun.inputs.findIndex((input) => input.path === location || input.absolutePath === location);
    const cells = provenanceCells(record, recordId);
    if (group < 0) topLevel += dfxmlFileobject(record, recordId, cells, table, TOP_LEVEL_FILEOBJECT_INDENT);
    else groups[group] += dfxmlFileobject(record, recordId, cells, table, DISK_IMAGE_FILEOBJECT_INDENT);
  }
  let text = dfxmlHeader(reportRun, FIXED_ENVIRONMENT);
  reportRun.inputs.forEach((input, index) => {
    text += dfxmlDiskImageOpen(input, index) + groups[index] + DFXML_DISK_IMAGE_CLOSE;
  });
  return text + topLevel + DFXML_FOOTER;
}

async function open(directory: string, reportRun: ReportRun, options: ReportWriterOptions): Promise<ReportWriter> {
  const opened = await openReportWriter(directory, reportRun, options);
  if (opened.kind !== 'opened') throw new Error(opened.message);
  for (const table of [TABLE, OTHER]) await opened.writer.addTable(table);
  return opened.writer;
}

describe('rendered records', () => {
  for (const excel of [false, true]) {
    test(`addRecords writes exactly what the per-record projections give with real ids${excel ? ' (--excel)' : ''}`, async () => {
      const directory = tempDir();
      const reportRun = run();
      const records = hostileRecords();
      const writer = await open(directory, reportRun, { excel, maximumOpenTableFiles: 1 });
      for (let start = 0; start < records.length; start += 7) await writer.addRecords(records.slice(start, start + 7));
      const manifest = await writer.finish(makeFinish(reportRun));
      const numbered = records.map((record, index) => ({ record, recordId: index + 1 }));
      for (const table of [TABLE, OTHER]) {
        const output = manifest.outputs.find((entry) => entry.kind === 'records' && entry.table === table.table);
        const mine = numbered.filter(({ record }) => record.table === table.table);
        expect(readFileSync(join(directory, output?.path ?? '')), table.table).toEqual(Buffer.from(await expectedCsv(table, mine, excel), 'utf8'));
        expect(output?.itemCount).toBe(mine.length);
      }
      expect(readFileSync(join(directory, 'report.xml'))).toEqual(Buffer.from(expectedXml(reportRun, numbered, [TABLE, OTHER]), 'utf8'));
      const recordLines = readFileSync(join(directory, 'evidence.ndjson'), 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{"kind":"record"'));
      expect(recordLines).toEqual(numbered.map(({ record, recordId }) => encodeRecordLine(record, recordId)));
      expect(manifest.counts.records).toBe(records.length);
      expect(manifest.counts.byState).toEqual({ 'db-live': records.filter((record) => record.state === 'db-live').length, freeblock: records.filter((record) => record.state === 'freeblock').length });
    });
  }

  test('batches rendered elsewhere and cloned give the same folder as addRecords, ids continuing across both', async () => {
    const records = hostileRecords();
    const reportRun = run();
    const viaRecords = tempDir();
    const direct = await open(viaRecords, reportRun, { excel: true });
    await direct.addRecords(records);
    await direct.finish(makeFinish(reportRun));

    const viaText = tempDir();
    const writer = await open(viaText, reportRun, { excel: true });
    let start = 0;
    let batchNumber = 0;
    while (start < records.length) {
      // Runs of one table, cut at varying sizes; every other one goes through addRecords.
      const first = records[start] as EvidenceRecord;
      let end = start + 1;
      while (end < records.length && end - start < 1 + (batchNumber % 5) && records[end]?.table === first.table) end++;
      const batch = records.slice(start, end);
      if (batchNumber % 2 === 0) await writer.addRecords(batch);
      else {
        const spec: RenderSpec = structuredClone(writer.renderSpecFor(first.table === TABLE.table ? TABLE : OTHER));
        await writer.addRenderedRecords(structuredClone(renderRecordBatch(batch, spec)));
      }
      start = end;
      batchNumber++;
    }
    expect(writer.recordCount).toBe(records.length);
    await writer.finish(makeFinish(reportRun));
    expect(listFiles(viaText)).toEqual(listFiles(viaRecords));
    for (const file of listFiles(viaRecords)) expect(readFileSync(join(viaText, file)), file).toEqual(readFileSync(join(viaRecords, file)));
  });

  test('one row, header and BOM render as csv-stringify writes them', () => {
    const cells: Cell[] = [7, '=1', '', null, 12n, 'a,"b"\nc', -5];
    expect(csvRowText(cells, false)).toBe('7,=1,"",,12,"a,""b""\nc",-5\n');
    expect(csvRowText(cells, true)).toBe(`7,'=1,"",,12,"a,""b""\nc",-5\n`);
    expect(csvHeaderText(['record_id', '=x', 'y'], false)).toBe('record_id,=x,y\n');
    expect(csvHeaderText(['record_id', '=x', 'y'], true)).toBe(`\uFEFFrecord_id,'=x,y\n`);
  });

  test('a rendered batch: rows without record_id, lines and fileobjects without their id, images and counts', () => {
    const records = [makeRecord({ values: ['<id>0</id>', '1', null, '会员\n"x"', 'x'] }), makeRecord({ path: cellPath(3, 40, 'other.img'), state: 'db-live', status: 'live' })];
    const descriptor = { ...TABLE, database: records[0]?.database ?? '', table: 'trans_record' };
    const batch = renderRecordBatch(records, { descriptor, excel: false, csv: true, xml: true });
    expect(batch.count).toBe(2);
    const expected = records.map((record) => {
      const cells = provenanceCells(record, 0);
      return {
        csv: csvRowText(recordCsvRow(cells, record, 5, false).slice(1), false),
        xml: dfxmlFileobject(record, 0, cells, descriptor, ''),
        ndjson: `${encodeRecordLine(record, 0)}\n`,
      };
    });
    expect(recordTexts(batch.csv)).toEqual(expected.map((entry) => entry.csv));
    expect(recordTexts(batch.ndjson).map((line) => RENDERED_NDJSON_PREFIX + line)).toEqual(expected.map((entry) => entry.ndjson));
    expect(fileobjectTexts(batch)).toEqual(expected.map((entry) => entry.xml));
    expect(expected[0]?.xml).toContain('&lt;id&gt;0&lt;/id&gt;'); // the value, escaped, is not the id
    expect(batch.images).toEqual(['pos-emmc.img', 'other.img']);
    expect([...batch.imageIndexes]).toEqual([0, 1]);
    expect(batch.stateCounts).toEqual({ freeblock: 1, 'db-live': 1 });
    expect(batch.statusCounts).toEqual({ deleted: 1, live: 1 });
    const withoutFormats = renderRecordBatch(records, { descriptor, excel: false, csv: false, xml: false });
    expect(withoutFormats.csv).toBeUndefined();
    expect(withoutFormats.xml).toBeUndefined();
    const empty = renderRecordBatch([], { descriptor, excel: false, csv: true, xml: true });
    expect([empty.count, empty.ndjson.bytes.length, empty.csv?.ends.length]).toEqual([0, 0, 0]);
  });

  test('programmer errors throw before anything is written', async () => {
    const directory = tempDir();
    const reportRun = run();
    const writer = await open(directory, reportRun, {});
    const records = hostileRecords().filter((record) => record.table === TABLE.table).slice(0, 3);
    expect(() => renderRecordBatch([...records, makeRecord()], writer.renderSpecFor(TABLE))).toThrow(/in a batch for/);
    expect(() => writer.renderSpecFor({ ...TABLE, table: 'nope' })).toThrow(/not declared/);
    expect(() => writer.renderSpecFor({ ...TABLE, columns: ['x'] })).toThrow(/different columns/);
    const spec = writer.renderSpecFor(TABLE);
    await expect(writer.addRenderedRecords(renderRecordBatch(records, { ...spec, excel: true }))).rejects.toThrow(/excel/);
    await expect(writer.addRenderedRecords(renderRecordBatch(records, { ...spec, xml: false }))).rejects.toThrow(/formats/);
    const batch = renderRecordBatch(records, spec);
    const xml = batch.xml as NonNullable<RenderedBatch['xml']>;
    await expect(writer.addRenderedRecords({ ...batch, ndjson: { ...batch.ndjson, ends: batch.ndjson.ends.slice(1) } })).rejects.toThrow(/does not hold 3 records/);
    await expect(writer.addRenderedRecords({ ...batch, ndjson: { ...batch.ndjson, bytes: batch.ndjson.bytes.slice(1) } })).rejects.toThrow(/records end at/);
    await expect(writer.addRenderedRecords({ ...batch, xml: { ...xml, ends: Uint32Array.from([xml.ends[0] ?? 0, (xml.ends[0] ?? 0) - 1, xml.bytes.length]) } })).rejects.toThrow(/record 1 ends before it starts/);
    await expect(writer.addRenderedRecords({ ...batch, xml: { ...xml, idAt: Uint32Array.from([0, 0, 0]) } })).rejects.toThrow(/record 1 has its <id> outside/);
    await expect(writer.addRenderedRecords({ ...batch, imageIndexes: Uint32Array.from([0, 0, 7]) })).rejects.toThrow(/image index out of range at record 2/);
    expect(writer.recordCount).toBe(0);
    await writer.addRenderedRecords(batch);
    expect(writer.recordCount).toBe(3);
    await writer.finish(makeFinish(reportRun));
  });
});

/** Each record's text of a rendered output. */
function recordTexts(rendered: RenderedRecords | undefined): string[] {
  if (rendered === undefined) return [];
  let start = 0;
  return [...rendered.ends].map((end) => {
    const text = Buffer.from(rendered.bytes.subarray(start, end)).toString('utf8');
    start = end;
    return text;
  });
}

/** Each record's fileobject with the placeholder id put back where the writer puts the real one. */
function fileobjectTexts(batch: RenderedBatch): string[] {
  const xml = batch.xml;
  if (xml === undefined) return [];
  let start = 0;
  return [...xml.ends].map((end, index) => {
    const at = xml.idAt[index] ?? 0;
    const text = Buffer.from(xml.bytes.subarray(start, at)).toString('utf8') + RENDERED_XML_ID + Buffer.from(xml.bytes.subarray(at, end)).toString('utf8');
    start = end;
    return text;
  });
}
