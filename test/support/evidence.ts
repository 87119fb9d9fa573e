/** Hand-built evidence records, tables, issues and runs for report tests. */
import type { EvidenceRecord, StorageClass, TableDescriptor } from '../../src/evidence/record.js';
import type { Issue } from '../../src/issues/issue.js';
import { extendPath, filePath, type SourcePath } from '../../src/provenance/path.js';
import type { ExecutionEnvironment, FinishInput, ReportRun, TransactionRow } from '../../src/reports/types.js';

export const IMAGE_PATH = 'pos-emmc.img';
export const IMAGE_ABSOLUTE_PATH = '/evidence/case1/pos-emmc.img';
export const IMAGE_SHA256 = '08e35e649f7df290beb5a1663ddece40cb50a80593e762a1192cf9d686a620f0';
export const IMAGE_MD5 = '42d0183dca6ffd3ccbc77812d53bdffa';
export const DATABASE = 'carved/sqlite-0x00500000.db';
export const PAGE_SIZE = 4096;
export const DATABASE_OFFSET = 0x500000;

export const FIXED_ENVIRONMENT: ExecutionEnvironment = {
  osSysname: 'Linux',
  osRelease: '6.1.0-test',
  host: 'examiner-01',
  arch: 'x86_64',
  nodeVersion: '20.19.0',
};

export const LEDGER_TABLE: TableDescriptor = {
  database: DATABASE,
  table: 'trans_record',
  columns: ['tid', 'amount', 'currency', 'memo', 'receipt'],
  withoutRowid: false,
};

/** file:pos-emmc.img > range@0x00500000+0x0000a000 > sqlite-page#N > cell@0x… */
export function cellPath(pageNumber: number, offsetInPage: number, location = IMAGE_PATH): SourcePath {
  const range = extendPath(filePath(location), { kind: 'range', start: DATABASE_OFFSET, length: 0xa000 });
  const page = extendPath(range, { kind: 'sqlite-page', pageNumber, pageSize: PAGE_SIZE });
  return extendPath(page, { kind: 'cell', offsetInPage });
}

export function imageOffsetOf(pageNumber: number, offsetInPage: number): number {
  return DATABASE_OFFSET + (pageNumber - 1) * PAGE_SIZE + offsetInPage;
}


/** A freeblock ledger row on page 7 by default; every field can be overridden. */
export function makeRecord(overrides: Partial<EvidenceRecord> = {}): EvidenceRecord {
  const pageNumber = overrides.pageNumber ?? 7;
  const offsetInPage = overrides.offsetInPage ?? 0x0e35;
  const values = overrides.values ?? ['A1B2C3D4', '5800', '156', 'coffee, "large"', null];
  const types: StorageClass[] = values.map((value, index) => (value === null ? 'null' : index === 1 || index === 2 ? 'integer' : 'text'));
  return {
    dataType: 'sqlite:record',
    path: cellPath(pageNumber, offsetInPage),
    imageOffset: imageOffsetOf(pageNumber, offsetInPage),
    lengthInBytes: 147,
    state: 'freeblock',
    status: 'deleted',
    foundBy: 'page-scan',
    confidence: { level: 'medium', reasons: ['first 4 bytes overwritten by freeblock header', 'rowid unknown'] },
    flags: ['header-rebuilt', 'rowid-unknown'],
    rawSha256: 'eea5375c8e34a6c46313a0d0955ee7b1ed93fb29aab4f90d4f234b2e14c6ac05',
    database: DATABASE,
    table: 'trans_record',
    pageNumber,
    offsetInPage,
    rowid: null,
    types,
    values,
    ...overrides,
  };
}

/** A live row read by the b-tree walk, with a rowid beyond 2^53. */
export function makeLiveRecord(overrides: Partial<EvidenceRecord> = {}): EvidenceRecord {
  return makeRecord({
    state: 'db-live',
    status: 'live',
    foundBy: 'btree-walk',
    confidence: { level: 'high', reasons: [] },
    flags: [],
    rowid: '9223372036854775807',
    pageNumber: 3,
    offsetInPage: 0x0f80,
    imageOffset: imageOffsetOf(3, 0x0f80),
    path: cellPath(3, 0x0f80),
    lengthInBytes: 60,
    ...overrides,
  });
}

export function makeIssue(overrides: Partial<Issue> = {}): Issue {
  return {
    code: 'sqlite.page.bad-cell-pointer',
    severity: 'warning',
    message: 'cell pointer 0x1fff at 0x00506008 points past the page end',
    path: extendPath(extendPath(filePath(IMAGE_PATH), { kind: 'range', start: DATABASE_OFFSET, length: 0xa000 }), {
      kind: 'sqlite-page',
      pageNumber: 7,
      pageSize: PAGE_SIZE,
    }),
    offsetInLeaf: 8,
    details: { pointer: 8191, pageNumber: 7 },
    ...overrides,
  };
}

export function makeTransaction(overrides: Partial<TransactionRow> = {}): TransactionRow {
  return {
    transaction: 'wal-1',
    database: DATABASE,
    source: 'wal',
    sequence: 1,
    generation: 9007199254740993n,
    commitState: 'committed',
    checksumState: 'valid',
    firstFrame: 1,
    lastFrame: 3,
    pages: [2, 7, 9],
    insertCount: 1,
    updateCount: 1,
    deleteCount: 0,
    details: { salt1: 0x0edbc67e, checkpoint: 18446744073709551615n },
    ...overrides,
  };
}

export function makeRun(overrides: Partial<ReportRun> = {}): ReportRun {
  return {
    tool: { name: 'exhume', version: '0.1.0', compiler: 'tsc 5.9.3' },
    commandLine: ['exhume', 'scan', IMAGE_PATH, '--out', 'case1'],
    options: { out: 'case1', excel: false, workers: 2 },
    startTime: new Date('2026-01-15T09:30:00.000Z'),
    inputs: [{ path: IMAGE_PATH, absolutePath: IMAGE_ABSOLUTE_PATH, sizeInBytes: 8388608, sha256: IMAGE_SHA256, md5: IMAGE_MD5 }],
    environment: FIXED_ENVIRONMENT,
    ...overrides,
  };
}

export function makeFinish(run: ReportRun, overrides: Partial<FinishInput> = {}): FinishInput {
  return {
    endTime: new Date('2026-01-15T09:31:02.500Z'),
    inputsVerified: run.inputs.map((input) => ({ sha256: input.sha256, md5: input.md5, unchanged: true })),
    ...overrides,
  };
}
