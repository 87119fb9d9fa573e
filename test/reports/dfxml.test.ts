import { DFXML_SCHEMA } from '../support/paths.js';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, describe, expect, test } from 'vitest';
import { extendPath, filePath } from '../../src/provenance/path.js';
import { renderCommandLine } from '../../src/reports/dfxml.js';
import { makeTempDir, removeDir } from '../support/sqlite3.js';
import { cellPath, DATABASE_OFFSET, IMAGE_MD5, IMAGE_SHA256, LEDGER_TABLE, makeLiveRecord, makeRecord, makeRun } from '../support/evidence.js';
import { readText, writeReport } from './helpers.js';

const SCHEMA = DFXML_SCHEMA;

function hasXmllint(): boolean {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) removeDir(directory);
});

function tempDir(): string {
  const directory = makeTempDir('exhume-dfxml-');
  directories.push(directory);
  return directory;
}

/** A record behind an overflow layer: no image offset. */
function overflowRecord() {
  const page = extendPath(extendPath(filePath('pos-emmc.img'), { kind: 'range', start: DATABASE_OFFSET, length: 0xa000 }), {
    kind: 'sqlite-page',
    pageNumber: 5,
    pageSize: 4096,
  });
  const path = extendPath(extendPath(page, { kind: 'cell', offsetInPage: 0x0200 }), { kind: 'overflow', pageNumbers: [6, 8] });
  return makeLiveRecord({ path, imageOffset: undefined, pageNumber: 5, offsetInPage: 0x0200, lengthInBytes: 9000, flags: ['overflow-missing'] });
}

/** Control characters everywhere evidence text can reach: values, a column name, database and table names. */
function controlRecords() {
  const table = { database: 'odd\u0001.db', table: 'tab\rle', columns: ['bell\u0007', 'plain'], withoutRowid: false };
  const record = makeRecord({
    database: 'odd\u0001.db',
    table: 'tab\rle',
    values: ['a\u0000b\u001bc\rd', 'tab\tand\nnewline <&> ]]> "q" \'a\' true'],
    types: ['text', 'text'],
    confidence: { level: 'low', reasons: ['reason with \u0002 control'] },
  });
  return { table, record };
}

function validate(file: string): string {
  return execFileSync('xmllint', ['--noout', '--schema', SCHEMA, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('report.xml', () => {
  test.skipIf(!hasXmllint())('validates against the DFXML 2.0.0-beta.0 schema, with control characters and no image offset', async () => {
    const directory = tempDir();
    const { table, record } = controlRecords();
    await writeReport(directory, { tables: [LEDGER_TABLE, table], records: [makeRecord(), overflowRecord(), record] });
    expect(() => validate(join(directory, 'report.xml'))).not.toThrow();
  });

  test.skipIf(!hasXmllint())('validates with several inputs, records outside every input, and with no input at all', async () => {
    const directory = tempDir();
    const run = makeRun({
      inputs: [
        { path: 'pos-emmc.img', absolutePath: '/evidence/pos-emmc.img', sizeInBytes: 8388608, sha256: IMAGE_SHA256, md5: IMAGE_MD5 },
        { path: 'trans.db-wal', absolutePath: '/evidence/trans.db-wal', sizeInBytes: 4152, sha256: IMAGE_SHA256, md5: IMAGE_MD5 },
      ],
    });
    const walRecord = makeRecord({
      path: cellPath(2, 16, '/evidence/trans.db-wal'),
      pageNumber: 2,
      offsetInPage: 16,
      state: 'wal-committed',
      frameIndex: 3,
      checksum: 'valid',
    });
    const stray = makeRecord({ path: cellPath(2, 16, 'elsewhere.img') });
    await writeReport(directory, { run, records: [makeRecord(), walRecord, stray, makeLiveRecord()] });
    const xml = readText(directory, 'report.xml');
    expect(() => validate(join(directory, 'report.xml'))).not.toThrow();
    const document = parse(xml);
    const images = document.dfxml.diskimageobject as { fileobject: { id: number }[] }[];
    expect(images.map((image) => image.fileobject.map((fileobject) => fileobject.id))).toEqual([[1, 4], [2]]);
    expect((document.dfxml.fileobject as { id: number }[]).map((fileobject) => fileobject.id)).toEqual([3]);
    expect(xml).toContain('<filename>carved/sqlite-0x00500000.db/trans_record/frame3-page2-0x0010</filename>');

    const empty = tempDir();
    await writeReport(empty, { run: makeRun({ inputs: [] }), records: [makeRecord()] });
    expect(() => validate(join(empty, 'report.xml'))).not.toThrow();
  });

  test('carries the image hashes, byte runs and provenance of each record', async () => {
    const directory = tempDir();
    await writeReport(directory, { records: [makeRecord(), overflowRecord()] });
    const xml = readText(directory, 'report.xml');
    expect(xml).toContain('<byte_run img_offset="0" len="8388608">');
    expect(xml).toContain(`<hashdigest type="sha256">${IMAGE_SHA256}</hashdigest>`);
    expect(xml).toContain(`<hashdigest type="md5">${IMAGE_MD5}</hashdigest>`);
    expect(xml).toContain('<byte_run file_offset="0" img_offset="5271093" len="147" ex:page="7" ex:offset-in-page="3637"/>');
    // No image offset: no img_offset attribute, and the forensic path says how the bytes were reached.
    expect(xml).toContain('<byte_run file_offset="0" len="9000" ex:page="5" ex:offset-in-page="512"/>');
    expect(xml).toContain(`forensic-path="${DATABASE_OFFSET + 4 * 4096 + 0x200}-OVERFLOW-6.8"`);
    expect(xml).toContain('<ex:value column="receipt" type="null"/>');
    expect(xml).toContain('<ex:flag>overflow-missing</ex:flag>');
  });

  test('encodes unsafe text reversibly (hex of the UTF-8 bytes), never drops it', async () => {
    const directory = tempDir();
    const { table, record } = controlRecords();
    await writeReport(directory, { tables: [table], records: [record] });
    const xml = readText(directory, 'report.xml');
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    const fileobject = parse(xml).dfxml.diskimageobject[0].fileobject[0] as Record<string, unknown>;
    const values = fileobject['ex:value'] as Record<string, string>[];
    const decoded = values.map((value) => (value['@_encoding'] === 'hex' ? Buffer.from(value['#text'] ?? '', 'hex').toString('utf8') : value['#text']));
    expect(decoded).toEqual(record.values);
    expect(values[0]?.['@_column-hex']).toBe(Buffer.from('bell\u0007').toString('hex'));
    expect(values[1]?.['@_column']).toBe('plain');
    const provenance = fileobject['ex:provenance'] as Record<string, unknown>;
    expect(Buffer.from(provenance['@_database-hex'] as string, 'hex').toString('utf8')).toBe('odd\u0001.db');
    expect(Buffer.from(provenance['@_table-hex'] as string, 'hex').toString('utf8')).toBe('tab\rle');
    const filename = fileobject['filename'] as Record<string, string>;
    expect(filename['@_ex:encoding']).toBe('hex');
    expect(Buffer.from(filename['#text'] ?? '', 'hex').toString('utf8')).toBe('odd\u0001.db/tab\rle/page7-0x0e35');
    const reason = (provenance['ex:reason'] as Record<string, string>[])[0];
    expect(Buffer.from(reason?.['#text'] ?? '', 'hex').toString('utf8')).toBe('reason with \u0002 control');
  });

  test('renders the command line as a shell would read it', () => {
    expect(renderCommandLine(['exhume', 'scan', 'my image.img', "it's", '--out', 'case1'])).toBe(`exhume scan 'my image.img' 'it'\\''s' --out case1`);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parse(xml: string): any {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    alwaysCreateTextNode: true,
    isArray: (name) => ['diskimageobject', 'fileobject', 'ex:value', 'ex:reason', 'ex:flag'].includes(name),
  });
  const document = parser.parse(xml);
  // Text nodes of leaf elements without attributes come back as { '#text': … }: unwrap ids.
  const unwrap = (fileobjects: { id: { '#text': string } | number }[] | undefined): void => {
    for (const fileobject of fileobjects ?? []) {
      if (typeof fileobject.id === 'object') fileobject.id = Number(fileobject.id['#text']);
    }
  };
  for (const image of document.dfxml.diskimageobject ?? []) unwrap(image.fileobject);
  unwrap(document.dfxml.fileobject);
  return document;
}
