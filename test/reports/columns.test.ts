import { describe, expect, test } from 'vitest';
import { extendPath, filePath } from '../../src/provenance/path.js';
import { PROVENANCE_COLUMN_NAMES, PROVENANCE_COLUMNS, recordCsvHeaders, valueHeaders } from '../../src/reports/columns.js';
import { forensicPath } from '../../src/reports/forensic-path.js';
import { NameAllocator, sanitizeName } from '../../src/reports/names.js';
import { cellPath, imageOffsetOf, LEDGER_TABLE } from '../support/evidence.js';

describe('provenance columns', () => {
  test('are defined once, in the documented order, each with a DFXML placement', () => {
    expect(PROVENANCE_COLUMN_NAMES).toEqual([
      'record_id', 'data_type', 'state', 'status', 'found_by', 'confidence', 'confidence_reasons', 'flags', 'image',
      'image_offset', 'image_offset_hex', 'length', 'provenance', 'forensic_path', 'database', 'table', 'page_number',
      'offset_in_page', 'rowid', 'wal_frame', 'journal_record', 'checksum', 'transaction', 'raw_sha256',
    ]);
    const attributes = PROVENANCE_COLUMNS.flatMap((column) => (column.dfxml.kind === 'provenance-attribute' ? [column.dfxml.name] : []));
    expect(new Set(attributes).size).toBe(attributes.length);
  });

  test('record headers: provenance, value_types, table columns, extra_values, values_hex under excel', () => {
    expect(recordCsvHeaders(LEDGER_TABLE, false).slice(24)).toEqual(['value_types', 'tid', 'amount', 'currency', 'memo', 'receipt', 'extra_values']);
    expect(recordCsvHeaders(LEDGER_TABLE, true).at(-1)).toBe('values_hex');
  });

  test('value headers that clash with provenance columns, each other or are empty are renamed deterministically', () => {
    expect(valueHeaders(['state', 'amount', '', 'amount', 'value_state', 'c2', 'value_amount', 'amount'])).toEqual([
      'value_state', 'amount', 'c2', 'value_amount', 'value_value_state', 'value_c2', 'value_value_amount', 'value_amount_7',
    ]);
  });
});

describe('forensic_path', () => {
  test('is the decimal image offset when every layer is linear', () => {
    expect(forensicPath(cellPath(7, 0x0e35), imageOffsetOf(7, 0x0e35))).toBe('5271093');
  });

  test('anchors at the deepest linear layer and adds one hop per layer behind a non-linear one', () => {
    const page = extendPath(extendPath(filePath('pos.img'), { kind: 'range', start: 8192, length: 40960 }), { kind: 'sqlite-page', pageNumber: 5, pageSize: 4096 });
    const overflow = extendPath(page, { kind: 'overflow', pageNumbers: [6, 7] });
    expect(forensicPath(extendPath(overflow, { kind: 'cell', offsetInPage: 0 }), undefined)).toBe(`${8192 + 4 * 4096}-OVERFLOW-6.7-cell0`);
    const cell = extendPath(page, { kind: 'cell', offsetInPage: 100 });
    expect(forensicPath(extendPath(cell, { kind: 'overflow', pageNumbers: [9] }), undefined)).toBe(`${8192 + 4 * 4096 + 100}-OVERFLOW-9`);
    const rebuilt = extendPath(extendPath(overflow, { kind: 'sqlite-page', pageNumber: 12, pageSize: 512 }), { kind: 'cell', offsetInPage: 3 });
    expect(forensicPath(rebuilt, undefined)).toBe(`${8192 + 4 * 4096}-OVERFLOW-6.7-SQLITE-page12-cell3`);
  });
});

describe('file names', () => {
  test('safe names are kept; anything changed gets a hash of the original', () => {
    expect(sanitizeName('trans_record')).toBe('trans_record');
    expect(sanitizeName('trans.db')).toBe('trans.db');
    expect(sanitizeName('carved/sqlite-0x00500000.db')).toMatch(/^carved_sqlite-0x00500000\.db-[0-9a-f]{8}$/);
    expect(sanitizeName('..')).toMatch(/^__-[0-9a-f]{8}$/);
    expect(sanitizeName('.hidden')).toMatch(/^_hidden-[0-9a-f]{8}$/);
    expect(sanitizeName('交易记录')).toMatch(/^____-[0-9a-f]{8}$/);
    expect(sanitizeName('CON')).toMatch(/^CON-[0-9a-f]{8}$/);
    expect(sanitizeName('')).toMatch(/^_-[0-9a-f]{8}$/);
    expect(sanitizeName('x'.repeat(100))).toMatch(/^x{64}-[0-9a-f]{8}$/);
    // Two originals that sanitise alike differ by their hashes.
    expect(sanitizeName('a/b')).not.toBe(sanitizeName('a:b'));
  });

  test('case-insensitive clashes in one folder are resolved the same way every run', () => {
    const allocate = (): string[] => {
      const allocator = new NameAllocator();
      return ['Trans', 'trans', 'TRANS', 'Trans'].map((name) => allocator.allocate(name));
    };
    const names = allocate();
    expect(names[0]).toBe('Trans');
    expect(names[1]).toMatch(/^trans-[0-9a-f]{8}$/);
    expect(names[2]).toMatch(/^TRANS-[0-9a-f]{8}$/);
    expect(names[3]).toBe('Trans');
    expect(allocate()).toEqual(names);
  });
});
