/**
 * A rollback journal summarised as pre-images: which pages the journal holds as they were before a
 * transaction, in which records (sqlite.md §3). Plain data.
 *
 * Records of `header` segments belong to the journal's last transaction; records of `leftover`
 * segments to an earlier one (PERSIST mode reuses the file), so a page can have pre-images from
 * both: they are listed apart.
 */
import type { Journal, JournalState } from '../formats/journal/parse-journal.js';

export interface JournalPagePreimages {
  readonly pageNumber: number;
  /** 1-based record numbers in file order, from the journal's own (header) segments. */
  readonly recordNumbers: readonly number[];
  /** From leftover segments (an earlier transaction). */
  readonly leftoverRecordNumbers: readonly number[];
  /**
   * The first header-segment record whose checksum is valid: the page as it was before the
   * transaction (SQLite journals a page once per transaction, at its first change).
   */
  readonly preimageRecordNumber: number | undefined;
}

export interface JournalSummary {
  readonly state: JournalState;
  readonly segmentCount: number;
  readonly leftoverSegmentCount: number;
  readonly recordCount: number;
  readonly validRecordCount: number;
  readonly invalidRecordCount: number;
  readonly unverifiableRecordCount: number;
  /** Records SQLite's hot-journal rollback would write back. */
  readonly restoredByRollbackCount: number;
  /** One entry per page number with a record, ascending. */
  readonly pages: readonly JournalPagePreimages[];
}

export function summarizeJournal(journal: Journal): JournalSummary {
  const leftoverSegments = new Set(journal.segments.filter((segment) => segment.kind === 'leftover').map((segment) => segment.segmentNumber));
  const pages = new Map<number, { recordNumbers: number[]; leftoverRecordNumbers: number[]; preimageRecordNumber: number | undefined }>();
  let validRecordCount = 0;
  let invalidRecordCount = 0;
  let unverifiableRecordCount = 0;
  let restoredByRollbackCount = 0;
  for (const record of journal.records) {
    if (record.checksum === 'valid') validRecordCount++;
    else if (record.checksum === 'invalid') invalidRecordCount++;
    else unverifiableRecordCount++;
    if (record.restoredByRollback) restoredByRollbackCount++;
    let entry = pages.get(record.pageNumber);
    if (entry === undefined) {
      entry = { recordNumbers: [], leftoverRecordNumbers: [], preimageRecordNumber: undefined };
      pages.set(record.pageNumber, entry);
    }
    if (leftoverSegments.has(record.segmentNumber)) {
      entry.leftoverRecordNumbers.push(record.recordNumber);
    } else {
      entry.recordNumbers.push(record.recordNumber);
      if (entry.preimageRecordNumber === undefined && record.checksum === 'valid') entry.preimageRecordNumber = record.recordNumber;
    }
  }
  return {
    state: journal.state,
    segmentCount: journal.segments.length,
    leftoverSegmentCount: leftoverSegments.size,
    recordCount: journal.records.length,
    validRecordCount,
    invalidRecordCount,
    unverifiableRecordCount,
    restoredByRollbackCount,
    pages: [...pages.entries()].sort((a, b) => a[0] - b[0]).map(([pageNumber, entry]) => ({ pageNumber, ...entry })),
  };
}
