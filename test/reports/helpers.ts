/** Shared helpers for report tests: write a folder, read it back, a small RFC 4180 CSV parser. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { EvidenceRecord, TableDescriptor } from '../../src/evidence/record.js';
import type { Issue } from '../../src/issues/issue.js';
import type { Manifest } from '../../src/reports/manifest.js';
import type { ReportRun, TransactionRow } from '../../src/reports/types.js';
import { openReportWriter, type ReportWriterOptions } from '../../src/reports/writer.js';
import { LEDGER_TABLE, makeFinish, makeRun } from '../support/evidence.js';

export interface ReportInputData {
  readonly run?: ReportRun;
  readonly tables?: readonly TableDescriptor[];
  readonly records?: readonly EvidenceRecord[];
  readonly issues?: readonly Issue[];
  readonly transactions?: readonly TransactionRow[];
  readonly options?: ReportWriterOptions;
  readonly endTime?: Date;
}

/** Writes a whole report into `directory` and returns its manifest. */
export async function writeReport(directory: string, data: ReportInputData): Promise<Manifest> {
  const run = data.run ?? makeRun();
  const opened = await openReportWriter(directory, run, data.options ?? {});
  if (opened.kind !== 'opened') throw new Error(opened.message);
  const writer = opened.writer;
  for (const table of data.tables ?? [LEDGER_TABLE]) await writer.addTable(table);
  if (data.records !== undefined) await writer.addRecords(data.records);
  if (data.issues !== undefined) await writer.addIssues(data.issues);
  if (data.transactions !== undefined) await writer.addTransactions(data.transactions);
  return writer.finish(makeFinish(run, data.endTime === undefined ? {} : { endTime: data.endTime }));
}

/** Every file below `directory`, relative `/` paths, sorted. */
export function listFiles(directory: string): string[] {
  const out: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(directory, path).split('\\').join('/'));
    }
  };
  walk(directory);
  return out.sort();
}

export function readText(directory: string, relativePath: string): string {
  return readFileSync(join(directory, relativePath), 'utf8');
}

/**
 * RFC 4180 parser keeping the difference the writer encodes: an unquoted empty cell is `null`, a
 * quoted one `''`.
 */
export function parseCsv(text: string): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let index = text.startsWith('\uFEFF') ? 1 : 0;
  while (index < text.length) {
    let cell: string | null;
    if (text[index] === '"') {
      let value = '';
      index++;
      for (;;) {
        const next = text.indexOf('"', index);
        if (next === -1) throw new Error('unterminated quote');
        value += text.slice(index, next);
        if (text[next + 1] === '"') {
          value += '"';
          index = next + 2;
        } else {
          index = next + 1;
          break;
        }
      }
      cell = value;
    } else {
      let end = index;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end++;
      const value = text.slice(index, end);
      cell = value === '' ? null : value;
      index = end;
    }
    row.push(cell);
    if (text[index] === ',') {
      index++;
    } else if (text[index] === '\n' || index >= text.length) {
      rows.push(row);
      row = [];
      index++;
    } else {
      throw new Error(`unexpected character ${JSON.stringify(text[index])} at ${index}`);
    }
  }
  return rows;
}
