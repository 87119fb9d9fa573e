/**
 * Re-projection: `exhume report <evidence> --out DIR` replays evidence.ndjson into a fresh
 * ReportWriter and so writes the same record CSVs, transactions.csv, issues.csv, report.xml and
 * evidence.ndjson, byte for byte, as the scan did (the run line carries the original command line,
 * start time and execution environment; report.xml describes the run that found the evidence).
 * Only manifest.json differs: it adds `reprojection` (the report command line and the evidence
 * file's SHA-256).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { EvidenceRecord } from '../evidence/record.js';
import type { Manifest } from './manifest.js';
import { readEvidenceFile, type EvidenceEntry, type RecordedRun } from './evidence-file.js';
import type { Issue } from '../issues/issue.js';
import type { PageVersionRow, ReportFormatOptions, TransactionRow } from './types.js';
import { openReportWriter, type OpenOutcome, type ReportWriter } from './writer.js';

export type ReplayOutcome =
  | { readonly kind: 'done'; readonly manifest: Manifest }
  | { readonly kind: 'refused'; readonly reason: string; readonly message: string }
  | { readonly kind: 'unreadable'; readonly message: string }
  | { readonly kind: 'malformed'; readonly lineNumber: number; readonly message: string };

/** Records, issues and transactions are handed to the writer in batches of at most this many. */
export const REPLAY_BATCH_SIZE = 2048;

/**
 * Replays `entries` (from readEvidenceFile) into the writer that `open` returns for the recorded
 * run. On a malformed or out-of-order entry the writer is aborted (no output looks complete).
 */
export async function replayEvidence(
  entries: AsyncIterable<EvidenceEntry>,
  open: (run: RecordedRun, report: ReportFormatOptions) => Promise<OpenOutcome>,
): Promise<ReplayOutcome> {
  let writer: ReportWriter | undefined;
  let lineNumber = 0;
  // Consecutive records (or issues, or transactions) are handed over in batches.
  let pending: Batch = { kind: 'none' };
  let pendingCount = 0;
  const malformed = async (message: string): Promise<ReplayOutcome> => {
    await writer?.abort();
    return { kind: 'malformed', lineNumber, message };
  };
  const flush = async (current: ReportWriter): Promise<void> => {
    const batch = pending;
    pending = { kind: 'none' };
    pendingCount = 0;
    if (batch.kind === 'record') await current.addRecords(batch.items);
    else if (batch.kind === 'issue') await current.addIssues(batch.items);
    else if (batch.kind === 'transaction') await current.addTransactions(batch.items);
    else if (batch.kind === 'page-version') await current.addPageVersions(batch.items);
  };
  try {
    for await (const entry of entries) {
      lineNumber++;
      if (entry.kind === 'malformed') {
        lineNumber = entry.lineNumber;
        return await malformed(entry.message);
      }
      if (writer === undefined) {
        if (entry.kind !== 'run') return await malformed(`expected the "run" line first, found "${entry.kind}"`);
        const opened = await open(entry.run, entry.report);
        if (opened.kind === 'refused') return opened;
        writer = opened.writer;
        continue;
      }
      if (pending.kind !== 'none' && (pending.kind !== entry.kind || pendingCount >= REPLAY_BATCH_SIZE)) await flush(writer);
      switch (entry.kind) {
        case 'run':
          return await malformed('a second "run" line');
        case 'record': {
          const expected = writer.recordCount + pendingCount + 1;
          if (entry.recordId !== expected) return await malformed(`record id ${entry.recordId} where ${expected} was expected`);
          if (pending.kind !== 'record') pending = { kind: 'record', items: [] };
          pending.items.push(entry.record);
          pendingCount++;
          break;
        }
        case 'issue':
          if (pending.kind !== 'issue') pending = { kind: 'issue', items: [] };
          pending.items.push(entry.issue);
          pendingCount++;
          break;
        case 'transaction':
          if (pending.kind !== 'transaction') pending = { kind: 'transaction', items: [] };
          pending.items.push(entry.row);
          pendingCount++;
          break;
        case 'page-version':
          if (pending.kind !== 'page-version') pending = { kind: 'page-version', items: [] };
          pending.items.push(entry.row);
          pendingCount++;
          break;
        case 'table':
          await writer.addTable(entry.table);
          break;
        case 'finish': {
          if (entry.finish.inputsVerified.length !== writer.run.inputs.length) return await malformed('input verifications do not match the inputs');
          const manifest = await writer.finish(entry.finish);
          return { kind: 'done', manifest };
        }
      }
    }
  } catch (error) {
    await writer?.abort();
    throw error;
  }
  lineNumber++;
  return await malformed(writer === undefined ? 'empty evidence file' : 'no "finish" line: the evidence file is incomplete');
}

type Batch =
  | { readonly kind: 'none' }
  | { readonly kind: 'record'; readonly items: EvidenceRecord[] }
  | { readonly kind: 'issue'; readonly items: Issue[] }
  | { readonly kind: 'transaction'; readonly items: TransactionRow[] }
  | { readonly kind: 'page-version'; readonly items: PageVersionRow[] };

export interface ReprojectOptions {
  readonly force: boolean;
  /** The `exhume report` command line, recorded in manifest.json `reprojection`. */
  readonly commandLine: readonly string[];
  /** Override the recorded `--excel` choice (the CSVs then differ from the scan's, by design). */
  readonly excel?: boolean;
}

/** Re-projects an evidence file into `outputDirectory` (the evidence file itself is protected). */
export async function reprojectEvidenceFile(evidencePath: string, outputDirectory: string, options: ReprojectOptions): Promise<ReplayOutcome> {
  let evidenceSha256: string;
  try {
    if (!(await stat(evidencePath)).isFile()) return { kind: 'unreadable', message: `${evidencePath} is not a file` };
    evidenceSha256 = await sha256OfFile(evidencePath);
  } catch (error) {
    return { kind: 'unreadable', message: `cannot read ${evidencePath}: ${(error as Error).message}` };
  }
  return replayEvidence(readEvidenceFile(evidencePath), (run, report) =>
    openReportWriter(outputDirectory, run, {
      force: options.force,
      excel: options.excel ?? report.excel,
      csv: report.csv,
      xml: report.xml,
      protectedPaths: [evidencePath],
      reprojection: { evidenceFile: evidencePath, evidenceSha256, commandLine: options.commandLine },
    }),
  );
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}
