import type { EvidenceRecord, TableDescriptor } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';

/** Where the scan pipeline sends what it finds, in deterministic order. */
export interface EvidenceSink {
  addTable(descriptor: TableDescriptor): void | Promise<void>;
  addRecords(records: readonly EvidenceRecord[]): void | Promise<void>;
  addIssues(issues: readonly Issue[]): void | Promise<void>;
}

/** Keeps everything in memory: for tests and `info`. */
export class MemorySink implements EvidenceSink {
  readonly tables: TableDescriptor[] = [];
  readonly records: EvidenceRecord[] = [];
  readonly issues: Issue[] = [];
  addTable(descriptor: TableDescriptor): void {
    this.tables.push(descriptor);
  }
  addRecords(records: readonly EvidenceRecord[]): void {
    for (const record of records) this.records.push(record);
  }
  addIssues(issues: readonly Issue[]): void {
    for (const problem of issues) this.issues.push(problem);
  }
}
