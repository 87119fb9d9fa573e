import { describe, expect, it } from 'vitest';
import type { Journal, JournalRecord } from '../../../src/formats/journal/parse-journal.js';
import { journalRecordChecksum, journalRecordPage, journalRecordPath, parseJournal } from '../../../src/formats/journal/parse-journal.js';
import type { Issue } from '../../../src/issues/issue.js';
import { filePath, renderPath, toImageOffset } from '../../../src/provenance/path.js';
import { concat, noise, u32be, withNoise } from '../../support/bytes.js';
import { JOURNAL_MAGIC_BYTES, buildJournal, journalRecordBytes, patternPage, referenceJournalChecksum } from '../../support/wal-fixtures.js';

const path = filePath('test.db-journal');
const hex8 = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;
const nonce = 0x11223344;
const oldNonce = 0x55667788;
/** Offset of record `k` (from 1) of a one-segment journal with 512-byte sectors and pages. */
const recordAt = (k: number): number => 512 + (k - 1) * 520;

function parse(bytes: Uint8Array, options: { pageSize?: number; end?: number; at?: number } = {}): { journal: Journal; issues: readonly Issue[] } {
  const { at = 0, ...rest } = options;
  const outcome = parseJournal(bytes, at, path, rest);
  if (outcome.kind !== 'parsed') throw new Error(`expected parsed, got ${JSON.stringify(outcome)}`);
  return { journal: outcome.value, issues: outcome.issues };
}

const recordsBrief = (records: readonly JournalRecord[]): string[] =>
  records.map((record) => `${record.recordNumber}:s${record.segmentNumber}:p${record.pageNumber}:${record.checksum}${record.restoredByRollback ? ':restored' : ''}${record.pageNumberValid ? '' : ':bad-page'}`);
const brief = (issues: readonly Issue[]): string[] => issues.map((value) => `${value.code} ${value.severity} ${value.message}`);

describe('parseJournal', () => {
  it('parses a hot journal: one intact segment, every record restored by rollback', () => {
    const bytes = buildJournal({ segments: [{ nonce, initialDatabaseSizeInPages: 100, records: [{ pageNumber: 3 }, { pageNumber: 1 }, { pageNumber: 7 }] }] });
    const { journal, issues } = parse(bytes);
    expect(issues).toEqual([]);
    expect(journal).toMatchObject({ journalOffset: 0, state: 'hot', sectorSize: 512, pageSize: 512, pageSizeSource: 'header', endOffset: recordAt(4) });
    expect(journal.segments).toEqual([
      {
        segmentNumber: 1,
        kind: 'header',
        headerForm: 'intact',
        headerOffset: 0,
        recordCountField: 3,
        nonce,
        nonceSource: 'header',
        initialDatabaseSizeInPages: 100,
        firstRecordOffset: 512,
        firstRecordNumber: 1,
        recordCount: 3,
        endOffset: recordAt(4),
      },
    ]);
    const checksum = referenceJournalChecksum(patternPage(512, 1), nonce);
    expect(journal.records[1]).toEqual({
      recordNumber: 2,
      segmentNumber: 1,
      recordOffset: recordAt(2),
      pageOffset: recordAt(2) + 4,
      pageNumber: 1,
      storedChecksum: checksum,
      computedChecksum: checksum,
      checksum: 'valid',
      pageNumberValid: true,
      restoredByRollback: true,
    });
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p3:valid:restored', '2:s1:p1:valid:restored', '3:s1:p7:valid:restored']);
    const page = journalRecordPage(bytes, journal.records[2] as JournalRecord, 512);
    expect(page.buffer).toBe(bytes.buffer);
    expect(page).toEqual(patternPage(512, 7));
    expect(journalRecordChecksum(bytes, recordAt(3) + 4, 512, nonce)).toBe(referenceJournalChecksum(patternPage(512, 7), nonce));
  });

  it('reports absolute offsets inside noise; sector boundaries count from the journal start; provenance folds back', () => {
    const bytes = buildJournal({
      segments: [
        { nonce, records: [{ pageNumber: 2 }, { pageNumber: 3 }] },
        { nonce: oldNonce, records: [{ pageNumber: 4, checksum: 1 }] },
      ],
    });
    const at = 300;
    const image = withNoise(at, bytes);
    const { journal, issues } = parse(image, { at, end: at + bytes.length });
    expect(journal.segments.map((segment) => [segment.headerOffset, segment.firstRecordOffset])).toEqual([
      [at, at + 512],
      [at + 2048, at + 2560],
    ]);
    expect(journal.records.map((record) => record.recordOffset)).toEqual([at + 512, at + 1032, at + 2560]);
    expect(issues.map((value) => [value.code, value.offsetInLeaf, value.message.split(': ')[0]])).toEqual([
      ['journal.record.checksum-mismatch', at + 2560 + 516, 'journal record 3 at 0x00000b2c'],
    ]);
    const record = journal.records[1] as JournalRecord;
    const recordPath = journalRecordPath(path, record);
    expect(renderPath(recordPath)).toBe('file:test.db-journal > journal-record#2(page 3)');
    expect(toImageOffset(recordPath, 0)).toBe(record.pageOffset);
    // Without an end, the 64 noise bytes after the journal are a truncated record.
    expect(brief(parse(image, { at }).issues).at(-1)).toBe(`journal.record.truncated warning journal record 4 at ${hex8(at + 3080)}: only 64 of 520 bytes present`);
  });

  it('follows several segments at sector boundaries; the last, unsynced one is never rolled back', () => {
    const bytes = buildJournal({
      segments: [
        { nonce, initialDatabaseSizeInPages: 50, records: [{ pageNumber: 1 }, { pageNumber: 2 }] },
        { nonce: 0x0a0b0c0d, initialDatabaseSizeInPages: 50, records: [{ pageNumber: 3 }] },
        { form: 'unsynced', nonce: 0x01020304, initialDatabaseSizeInPages: 50, records: [{ pageNumber: 4 }, { pageNumber: 5 }] },
      ],
    });
    const { journal, issues } = parse(bytes);
    expect(journal.state).toBe('hot');
    expect(journal.segments.map((segment) => [segment.segmentNumber, segment.headerForm, segment.headerOffset, segment.recordCountField, segment.nonce, segment.recordCount])).toEqual([
      [1, 'intact', 0, 2, nonce, 2],
      [2, 'intact', 2048, 1, 0x0a0b0c0d, 1],
      [3, 'unsynced', 3584, 0, 0x01020304, 2],
    ]);
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p1:valid:restored', '2:s1:p2:valid:restored', '3:s2:p3:valid:restored', '4:s3:p4:valid', '5:s3:p5:valid']);
    expect(issues).toEqual([
      {
        code: 'journal.header.unsynced',
        severity: 'info',
        path,
        offsetInLeaf: 3584,
        message: 'journal header at 0x00000e00: magic and record count are zero (not yet synced); nonce 0x01020304',
        details: { nonce: 0x01020304 },
      },
    ]);
  });

  it('reads to the end of the file for record count 0xFFFFFFFF', () => {
    const bytes = buildJournal({ segments: [{ nonce, recordCountField: 0xffffffff, records: [{ pageNumber: 1 }, { pageNumber: 2 }, { pageNumber: 3 }] }] });
    const { journal, issues } = parse(bytes);
    expect(issues).toEqual([]);
    expect(journal.state).toBe('hot');
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p1:valid:restored', '2:s1:p2:valid:restored', '3:s1:p3:valid:restored']);
  });

  it('reads and flags records after a record count of 0 (journal.record.unsynced)', () => {
    const bytes = buildJournal({ segments: [{ nonce, recordCountField: 0, records: [{ pageNumber: 1 }, { pageNumber: 2 }, { pageNumber: 3 }] }] });
    const { journal, issues } = parse(bytes);
    expect(journal.state).toBe('hot-without-records');
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p1:valid', '2:s1:p2:valid', '3:s1:p3:valid']);
    expect(issues).toEqual([
      {
        code: 'journal.record.unsynced',
        severity: 'info',
        path,
        offsetInLeaf: 8,
        message: 'journal header at 0x00000000: record count is 0, yet 3 page records follow (not synced; SQLite would not roll them back)',
        details: { recordCount: 3 },
      },
    ]);
  });

  it('recovers the layout and nonce of a zeroed (PERSIST) header from the records (journal.header.zeroed)', () => {
    const bytes = buildJournal({ segments: [{ form: 'zeroed', nonce, records: [{ pageNumber: 3 }, { pageNumber: 4 }, { pageNumber: 1 }] }] });
    const { journal, issues } = parse(bytes, { pageSize: 512 });
    expect(journal).toMatchObject({ state: 'zeroed', sectorSize: 512, pageSize: 512, pageSizeSource: 'caller' });
    expect(journal.segments[0]).toMatchObject({ headerForm: 'zeroed', recordCountField: undefined, nonce, nonceSource: 'records', initialDatabaseSizeInPages: undefined });
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p3:valid', '2:s1:p4:valid', '3:s1:p1:valid']);
    expect(issues).toEqual([
      {
        code: 'journal.header.zeroed',
        severity: 'info',
        path,
        offsetInLeaf: 0,
        message: 'journal header at 0x00000000: the first 28 bytes are zero (committed in PERSIST mode); page records start at 0x00000200 (page size 512), nonce 0x11223344 recovered from their checksums',
      },
    ]);
  });

  it('finds records after a zeroed header at a larger sector size, and the page size when the caller has none', () => {
    const bytes = buildJournal({ sectorSize: 4096, pageSize: 1024, segments: [{ form: 'zeroed', nonce, records: [{ pageNumber: 2 }, { pageNumber: 5 }] }] });
    const withPage = parse(bytes, { pageSize: 1024 });
    expect(withPage.journal).toMatchObject({ sectorSize: 4096, pageSize: 1024, pageSizeSource: 'caller' });
    expect(recordsBrief(withPage.journal.records)).toEqual(['1:s1:p2:valid', '2:s1:p5:valid']);
    const searched = parse(bytes);
    expect(searched.journal).toMatchObject({ sectorSize: 4096, pageSize: 1024, pageSizeSource: 'search' });
    expect(brief(searched.issues)).toEqual([
      'journal.header.zeroed info journal header at 0x00000000: the first 28 bytes are zero (committed in PERSIST mode); page records start at 0x00001000 (page size 1024), nonce 0x11223344 recovered from their checksums',
    ]);
  });

  it('reads page size, sector size and nonce from a header copy that survived the zeroing', () => {
    // Page size 1024 < sector size 4096: SQLite writes the header once per 1024 bytes of the
    // sector, and only the copy at 0 gets the magic and count, and is zeroed at commit.
    const sector = new Uint8Array(4096);
    for (const copyAt of [1024, 2048, 3072]) {
      sector.set(concat(u32be(nonce), u32be(77), u32be(4096), u32be(1024)), copyAt + 12);
    }
    const bytes = concat(sector, journalRecordBytes({ pageNumber: 9 }, 1024, nonce));
    const { journal, issues } = parse(bytes);
    expect(journal).toMatchObject({ state: 'zeroed', sectorSize: 4096, pageSize: 1024, pageSizeSource: 'header-copy' });
    expect(journal.segments[0]).toMatchObject({ nonce, nonceSource: 'header-copy', initialDatabaseSizeInPages: 77 });
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p9:valid']);
    expect(brief(issues)).toEqual([
      'journal.header.zeroed info journal header at 0x00000000: the first 28 bytes are zero (committed in PERSIST mode); page size 1024, sector size 4096 and nonce 0x11223344 from the header copy at 0x00000400',
    ]);
  });

  it('keeps records of an earlier transaction after a zeroed segment as a leftover segment (journal.segment.leftover)', () => {
    const current = buildJournal({ segments: [{ form: 'zeroed', nonce, records: [{ pageNumber: 3 }, { pageNumber: 1 }] }] });
    const earlier = concat(...[5, 6, 1].map((pageNumber) => journalRecordBytes({ pageNumber }, 512, oldNonce)));
    const { journal, issues } = parse(concat(current, earlier), { pageSize: 512 });
    expect(journal.segments.map((segment) => [segment.segmentNumber, segment.kind, segment.nonce, segment.nonceSource, segment.firstRecordOffset, segment.recordCount])).toEqual([
      [1, 'header', nonce, 'records', 512, 2],
      [2, 'leftover', oldNonce, 'records', recordAt(3), 3],
    ]);
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p3:valid', '2:s1:p1:valid', '3:s2:p5:valid', '4:s2:p6:valid', '5:s2:p1:valid']);
    expect(issues[1]).toEqual({
      code: 'journal.segment.leftover',
      severity: 'info',
      path,
      offsetInLeaf: recordAt(3),
      message: 'journal records 3–5 at 0x00000610: they share nonce 0x55667788, not the preceding segment\'s (left over from an earlier transaction)',
      details: { nonce: oldNonce, recordCount: 3 },
    });
  });

  it('takes the nonce from records 2–3 when the first record after a zeroed header is damaged', () => {
    const bytes = buildJournal({ segments: [{ form: 'zeroed', nonce, records: [{ pageNumber: 4, checksum: 7 }, { pageNumber: 3 }, { pageNumber: 1 }] }] });
    const { journal, issues } = parse(bytes, { pageSize: 512 });
    expect(journal.segments.map((segment) => [segment.kind, segment.nonce, segment.recordCount])).toEqual([['header', nonce, 3]]);
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p4:invalid', '2:s1:p3:valid', '3:s1:p1:valid']);
    const computed = referenceJournalChecksum(patternPage(512, 4), nonce);
    expect(brief(issues)).toEqual([
      'journal.header.zeroed info journal header at 0x00000000: the first 28 bytes are zero (committed in PERSIST mode); page records start at 0x00000200 (page size 512), nonce 0x11223344 recovered from their checksums',
      `journal.record.checksum-mismatch warning journal record 1 at 0x00000200: checksum 0x00000007 differs from computed ${hex8(computed)} (nonce 0x11223344 of segment 1)`,
    ]);
  });

  it('keeps a one-record transaction apart from the leftovers after it when they journal the same page again', () => {
    const current = buildJournal({ segments: [{ form: 'zeroed', nonce, records: [{ pageNumber: 1 }] }] });
    const earlier = concat(...[2, 1, 5].map((pageNumber) => journalRecordBytes({ pageNumber }, 512, oldNonce)));
    const { journal } = parse(concat(current, earlier), { pageSize: 512 });
    expect(journal.segments.map((segment) => [segment.kind, segment.nonce, segment.recordCount])).toEqual([
      ['header', nonce, 1],
      ['leftover', oldNonce, 3],
    ]);
    // One record cannot confirm the nonce it implies.
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p1:unverifiable', '2:s2:p2:valid', '3:s2:p1:valid', '4:s2:p5:valid']);
  });

  it('keeps leftover records after a counted segment too (PERSIST reuse of a hot journal)', () => {
    const current = buildJournal({ segments: [{ nonce, records: [{ pageNumber: 3 }] }] });
    const earlier = concat(...[5, 6].map((pageNumber) => journalRecordBytes({ pageNumber }, 512, oldNonce)));
    const { journal } = parse(concat(current, earlier));
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p3:valid:restored', '2:s2:p5:valid', '3:s2:p6:valid']);
    // A lone trailing record cannot confirm a nonce: it is reported as bytes, not guessed at.
    const lone = parse(concat(current, earlier.subarray(0, 520)));
    expect(lone.journal.records).toHaveLength(1);
  });

  it('reports journal.record.checksum-mismatch; SQLite would stop rolling back there', () => {
    const bytes = buildJournal({ segments: [{ nonce, records: [{ pageNumber: 1 }, { pageNumber: 2, checksum: 0xdeadbeef }, { pageNumber: 3 }] }] });
    const { journal, issues } = parse(bytes);
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p1:valid:restored', '2:s1:p2:invalid', '3:s1:p3:valid']);
    const computed = referenceJournalChecksum(patternPage(512, 2), nonce);
    expect(issues).toEqual([
      {
        code: 'journal.record.checksum-mismatch',
        severity: 'warning',
        path,
        offsetInLeaf: recordAt(2) + 516,
        message: `journal record 2 at 0x00000408: checksum 0xdeadbeef differs from computed ${hex8(computed)} (nonce 0x11223344 of segment 1)`,
        details: { stored: '0xdeadbeef', computed: hex8(computed), recordNumber: 2 },
      },
    ]);
  });

  it('reports journal.record.page-number-invalid for page 0 and pages above the initial size', () => {
    const bytes = buildJournal({ segments: [{ nonce, initialDatabaseSizeInPages: 10, records: [{ pageNumber: 11 }, { pageNumber: 4 }, { pageNumber: 0 }, { pageNumber: 5 }] }] });
    const { journal, issues } = parse(bytes);
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p11:valid:bad-page', '2:s1:p4:valid:restored', '3:s1:p0:valid:bad-page', '4:s1:p5:valid']);
    expect(issues).toEqual([
      {
        code: 'journal.record.page-number-invalid',
        severity: 'warning',
        path,
        offsetInLeaf: recordAt(1),
        message: 'journal record 1 at 0x00000200: page number 11 is above the initial database size of 10 pages',
        details: { pageNumber: 11, recordNumber: 1 },
      },
      {
        code: 'journal.record.page-number-invalid',
        severity: 'warning',
        path,
        offsetInLeaf: recordAt(3),
        message: 'journal record 3 at 0x00000610: page number 0 is invalid',
        details: { pageNumber: 0, recordNumber: 3 },
      },
    ]);
  });

  it('reports journal.record.truncated when the bytes end before the declared records', () => {
    const full = buildJournal({ segments: [{ nonce, recordCountField: 5, records: [1, 2, 3, 4].map((pageNumber) => ({ pageNumber })) }] });
    const { journal, issues } = parse(full.subarray(0, recordAt(4) + 100));
    expect(journal.records).toHaveLength(3);
    expect(issues).toEqual([
      {
        code: 'journal.record.truncated',
        severity: 'warning',
        path,
        offsetInLeaf: recordAt(4),
        message: 'journal record 4 at 0x00000818: only 100 of 520 bytes present (header at 0x00000000 declares 5 records)',
        details: { availableSizeInBytes: 100 },
      },
    ]);
  });

  it('parses a header with a damaged magic (journal.header.bad-magic)', () => {
    const bytes = buildJournal({ segments: [{ nonce, records: [{ pageNumber: 1 }, { pageNumber: 2 }] }] });
    bytes[7] = 0xd6;
    const { journal, issues } = parse(bytes);
    expect(journal.state).toBe('damaged-header');
    expect(recordsBrief(journal.records)).toEqual(['1:s1:p1:valid', '2:s1:p2:valid']);
    expect(issues).toEqual([
      {
        code: 'journal.header.bad-magic',
        severity: 'warning',
        path,
        offsetInLeaf: 0,
        message: 'journal header at 0x00000000: magic d9d505f920a163d6 differs from d9d505f920a163d7 in 1 byte(s); sector size 512 and page size 512 fit',
        details: { value: 'd9d505f920a163d6' },
      },
    ]);
  });

  it('guards: empty, short, unrecognised, zeroed without records', () => {
    expect(parseJournal(new Uint8Array(0), 0, path)).toEqual({ kind: 'not-this-format' });
    expect(parseJournal(noise(4096), 0, path)).toEqual({ kind: 'not-this-format' });
    expect(parseJournal(JOURNAL_MAGIC_BYTES, 8, path)).toEqual({ kind: 'not-this-format' });
    expect(parseJournal(JOURNAL_MAGIC_BYTES.subarray(0, 5), 0, path)).toEqual({
      kind: 'malformed',
      issues: [
        {
          code: 'journal.header.truncated',
          severity: 'error',
          path,
          offsetInLeaf: 0,
          message: 'journal header at 0x00000000: needs 28 bytes, 5 available',
          details: { availableSizeInBytes: 5 },
        },
      ],
    });
    const header = buildJournal({ segments: [{ nonce, records: [] }] });
    expect(parseJournal(header.subarray(0, 27), 0, path).kind).toBe('malformed');
    // A whole header and nothing else: hot, no records.
    expect(parse(header.subarray(0, 512)).journal.records).toEqual([]);
    const zeros = parse(new Uint8Array(2048), { pageSize: 512 });
    expect(zeros.journal).toMatchObject({ state: 'zeroed', segments: [], records: [], sectorSize: undefined });
    expect(brief(zeros.issues)).toEqual(['journal.header.zeroed info journal header at 0x00000000: the first 28 bytes are zero (committed in PERSIST mode); no page records found']);
    expect(() => parseJournal(header, 0, path, { pageSize: 1000 })).toThrow('options.pageSize');
  });

  it('is malformed for an invalid sector size or page size (journal.header.sector-size-invalid, journal.header.page-size-invalid)', () => {
    const badSector = buildJournal({ segments: [{ nonce, records: [] }] });
    badSector.set(u32be(100), 20);
    expect(parseJournal(badSector, 0, path)).toEqual({
      kind: 'malformed',
      issues: [
        {
          code: 'journal.header.sector-size-invalid',
          severity: 'error',
          path,
          offsetInLeaf: 20,
          message: 'journal header at 0x00000000: sector size 100 is not a power of two in 32..65536',
          details: { value: 100 },
        },
      ],
    });
    expect(parseJournal(buildJournal({ pageSizeField: 1000, segments: [{ nonce, records: [] }] }), 0, path)).toEqual({
      kind: 'malformed',
      issues: [
        {
          code: 'journal.header.page-size-invalid',
          severity: 'error',
          path,
          offsetInLeaf: 24,
          message: 'journal header at 0x00000000: page size 1000 is not a power of two in 512..65536',
          details: { value: 1000 },
        },
      ],
    });
    const zeroField = buildJournal({ pageSizeField: 0, segments: [{ nonce, records: [{ pageNumber: 1 }] }] });
    expect(parseJournal(zeroField, 0, path)).toMatchObject({
      kind: 'malformed',
      issues: [{ code: 'journal.header.page-size-invalid', message: 'journal header at 0x00000000: page size field is 0 (written before SQLite 3.5.8) and the caller gave no page size' }],
    });
    // Before 3.5.8 the page size came from the database: the caller supplies it.
    const old = parse(zeroField, { pageSize: 512 });
    expect(old.journal.pageSizeSource).toBe('caller');
    expect(recordsBrief(old.journal.records)).toEqual(['1:s1:p1:valid:restored']);
  });

  it('never throws on truncations and byte flips; a flipped sampled byte is always caught (mutation sweep)', () => {
    const bytes = buildJournal({ segments: [{ nonce, initialDatabaseSizeInPages: 9, records: [{ pageNumber: 1 }, { pageNumber: 2 }] }] });
    const started = performance.now();
    // Mismatches are collected and asserted once: a per-iteration expect() costs more than a parse.
    const wrong: string[] = [];
    for (let length = 0; length <= bytes.length; length++) {
      const outcome = parseJournal(bytes.subarray(0, length), 0, path);
      const kind = length === 0 ? 'not-this-format' : length < 28 ? 'malformed' : 'parsed';
      if (outcome.kind !== kind) wrong.push(`length ${length}: ${outcome.kind}`);
      if (outcome.kind === 'parsed' && outcome.value.records.length !== Math.max(0, Math.floor((length - 512) / 520))) wrong.push(`length ${length}: ${outcome.value.records.length} records`);
    }
    const sampled = new Set([recordAt(1) + 4 + 112, recordAt(1) + 4 + 312, recordAt(2) + 4 + 112, recordAt(2) + 4 + 312]);
    for (let index = 0; index < bytes.length; index++) {
      for (const value of [0x00, 0xff]) {
        if (bytes[index] === value) continue;
        const mutated = bytes.slice();
        mutated[index] = value;
        const outcome = parseJournal(mutated, 0, path, { pageSize: 512 });
        if (sampled.has(index) && !(outcome.kind === 'parsed' && outcome.issues.some((found) => found.code === 'journal.record.checksum-mismatch'))) {
          wrong.push(`byte ${index} = ${value}: sampled byte not caught`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
