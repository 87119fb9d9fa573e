import type { EvidenceRecord, TableDescriptor } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import type { RenderSpec, RenderedBatch } from '../reports/render.js';
import type { PageVersionRow, TransactionRow } from '../reports/types.js';

/** Where the scan pipeline sends what it finds, in deterministic order. */
export interface EvidenceSink {
  addTable(descriptor: TableDescriptor): void | Promise<void>;
  addRecords(records: readonly EvidenceRecord[]): void | Promise<void>;
  addIssues(issues: readonly Issue[]): void | Promise<void>;
  /**
   * Optional, with `addRendered`: a sink that only writes reports (a ReportWriter) asks for the
   * report text instead of the records. Called after `addTable(descriptor)`; the pool then renders
   * that table's records in its workers (reports/render.ts) and the pipeline hands each batch to
   * `addRendered` where it would have called `addRecords`, in the same order. Return undefined to
   * receive records. Records decoded on the main thread still go to `addRecords`.
   */
  renderSpecFor?(descriptor: TableDescriptor): RenderSpec | undefined;
  addRendered?(batch: RenderedBatch): void | Promise<void>;
  /**
   * Optional: WAL and journal transactions (transactions.csv), in log order. A WAL's rows arrive
   * while its frames are decoded, each once its last frame's records are known, between record
   * batches; a journal's after its records.
   */
  addTransactions?(rows: readonly TransactionRow[]): void | Promise<void>;
  /** Optional: page versions (page-versions.csv), per database after its logs, in batches. */
  addPageVersions?(rows: readonly PageVersionRow[]): void | Promise<void>;
}

/** Keeps everything in memory: for tests and `info`. */
export class MemorySink implements EvidenceSink {
  readonly tables: TableDescriptor[] = [];
  readonly records: EvidenceRecord[] = [];
  readonly issues: Issue[] = [];
  readonly transactions: TransactionRow[] = [];
  readonly pageVersions: PageVersionRow[] = [];
  addTable(descriptor: TableDescriptor): void {
    this.tables.push(descriptor);
  }
  addRecords(records: readonly EvidenceRecord[]): void {
    for (const record of records) this.records.push(record);
  }
  addIssues(issues: readonly Issue[]): void {
    for (const problem of issues) this.issues.push(problem);
  }
  addTransactions(rows: readonly TransactionRow[]): void {
    for (const row of rows) this.transactions.push(row);
  }
  addPageVersions(rows: readonly PageVersionRow[]): void {
    for (const row of rows) this.pageVersions.push(row);
  }
}
