import { describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../src/evidence/record.js';
import { packRecords, unpackRecords } from '../../src/pool/record-batch.js';
import { extendPath, filePath } from '../../src/provenance/path.js';

const page = extendPath(filePath('evidence.img'), { kind: 'sqlite-page', pageNumber: 3, pageSize: 4096 });

function record(overrides: Partial<EvidenceRecord> = {}): EvidenceRecord {
  return {
    dataType: 'sqlite:record',
    path: { layer: { kind: 'cell', offsetInPage: 100 }, parent: page },
    imageOffset: 8292,
    lengthInBytes: 20,
    state: 'db-live',
    status: 'live',
    foundBy: 'btree-walk',
    confidence: { level: 'high', reasons: ['cell reached through the live b-tree'] },
    flags: [],
    rawSha256: 'a'.repeat(64),
    database: 'evidence.img',
    table: 't',
    pageNumber: 3,
    offsetInPage: 100,
    rowid: '7',
    types: ['integer', 'text', 'null', 'blob', 'text'],
    values: ['7', '示例便利店 \u0000 nul', null, '00ff', ''],
    ...overrides,
  };
}

describe('packRecords / unpackRecords', () => {
  it('round-trips every field, including NULL versus empty text, NUL characters and optional fields', () => {
    const records = [
      record(),
      record({ imageOffset: undefined, rowid: null, flags: ['truncated', 'overflow-missing'], frameIndex: 4, checksum: 'valid', transaction: 'wal:1:2' }),
      record({ path: extendPath(page, { kind: 'overflow', pageNumbers: [5, 6] }), rawSha256: '', values: [], types: [] }),
    ];
    const packed = structuredClone(packRecords(records));
    expect(unpackRecords(packed)).toEqual(records);
  });

  it('packs an empty batch', () => {
    expect(unpackRecords(structuredClone(packRecords([])))).toEqual([]);
  });
});
