import { describe, expect, it } from 'vitest';
import { summarizeJournal } from '../../src/assembly/journal-preimages.js';
import { parseJournal } from '../../src/formats/journal/parse-journal.js';
import { filePath } from '../../src/provenance/path.js';
import { concat } from '../support/bytes.js';
import { buildJournal, journalRecordBytes } from '../support/wal-fixtures.js';

const path = filePath('test.db-journal');

describe('summarizeJournal', () => {
  it('lists the pages with pre-images, the first valid record of each, and leftovers apart', () => {
    const current = buildJournal({
      segments: [
        { form: 'zeroed', nonce: 0x11, records: [{ pageNumber: 4, checksum: 7 }, { pageNumber: 3 }, { pageNumber: 1 }] },
      ],
    });
    // Record 1 has a bad checksum: the nonce comes from records 2–3, which agree.
    const earlier = concat(...[1, 5].map((pageNumber) => journalRecordBytes({ pageNumber }, 512, 0x22)));
    const outcome = parseJournal(concat(current, earlier), 0, path, { pageSize: 512 });
    if (outcome.kind !== 'parsed') throw new Error('expected parsed');
    expect(outcome.value.records.map((record) => [record.recordNumber, record.segmentNumber, record.checksum])).toEqual([
      [1, 1, 'invalid'],
      [2, 1, 'valid'],
      [3, 1, 'valid'],
      [4, 2, 'valid'],
      [5, 2, 'valid'],
    ]);
    expect(summarizeJournal(outcome.value)).toEqual({
      state: 'zeroed',
      segmentCount: 2,
      leftoverSegmentCount: 1,
      recordCount: 5,
      validRecordCount: 4,
      invalidRecordCount: 1,
      unverifiableRecordCount: 0,
      restoredByRollbackCount: 0,
      pages: [
        { pageNumber: 1, recordNumbers: [3], leftoverRecordNumbers: [4], preimageRecordNumber: 3 },
        { pageNumber: 3, recordNumbers: [2], leftoverRecordNumbers: [], preimageRecordNumber: 2 },
        { pageNumber: 4, recordNumbers: [1], leftoverRecordNumbers: [], preimageRecordNumber: undefined },
        { pageNumber: 5, recordNumbers: [], leftoverRecordNumbers: [5], preimageRecordNumber: undefined },
      ],
    });
  });

  it('counts the records a hot journal would restore', () => {
    const outcome = parseJournal(buildJournal({ segments: [{ nonce: 9, initialDatabaseSizeInPages: 4, records: [{ pageNumber: 2 }, { pageNumber: 6 }] }] }), 0, path);
    if (outcome.kind !== 'parsed') throw new Error('expected parsed');
    expect(summarizeJournal(outcome.value)).toMatchObject({ state: 'hot', recordCount: 2, restoredByRollbackCount: 1, validRecordCount: 2 });
  });
});
