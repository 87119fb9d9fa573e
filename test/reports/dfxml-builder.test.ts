/**
 * The DFXML fileobject is written as strings (src/reports/dfxml.ts) for speed; it used to be built
 * with fast-xml-parser's XMLBuilder. This test keeps that builder as the oracle: every record of
 * every bundled sample, and records made of hostile text (markup, both quotes, control characters,
 * CR, lone surrogates, empty strings, NULLs, values beyond the schema, no image offset, no reasons,
 * no flags, no hash), must come out byte for byte as the builder wrote them.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { EvidenceRecord, TableDescriptor } from '../../src/evidence/record.js';
import { PROVENANCE_COLUMNS, type Cell, provenanceCells, valueType } from '../../src/reports/columns.js';
import { DISK_IMAGE_FILEOBJECT_INDENT, dfxmlFileobject, recordFilename } from '../../src/reports/dfxml.js';
import { escapeXmlText, isSafeXmlAttribute, isSafeXmlText, utf8Hex } from '../../src/reports/xml-text.js';
import { scanInputs } from '../../src/pipeline/scan.js';
import { MemorySink } from '../../src/pipeline/sink.js';
import { WorkerPool } from '../../src/pool/pool.js';
import { makeRecord } from '../support/evidence.js';

const builderOptions = {
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  // Default `true` would print an attribute whose value is "true" as a bare name: invalid XML.
  suppressBooleanAttributes: false,
  suppressEmptyNode: true,
  format: false,
  // Measured: the builder's own entity pass (five regular expressions over every string) and its
  // per-node path strings cost about a third of the time per record. Strings are escaped here
  // instead, once and only when needed (the builder still escapes quotes in attribute values).
  processEntities: false,
  jPath: false, // a fast-xml-builder 1.3 option missing from fast-xml-parser's option type
};
const builder = new XMLBuilder(builderOptions);


type XmlNode = Record<string, unknown>;

const markup = /[&<>]/;

/** `&`, `<`, `>` escaped (the builder runs with `processEntities: false`). */
function escapeMarkup(value: string): string {
  return markup.test(value) ? escapeXmlText(value) : value;
}

/** Text content for an `ex:` element, hex-encoded when unsafe. */
function exText(value: string, attributes: XmlNode = {}): XmlNode {
  return isSafeXmlText(value) ? { ...attributes, '#text': escapeMarkup(value) } : { ...attributes, '@_encoding': 'hex', '#text': utf8Hex(value) };
}

/** Text content for a DFXML-namespace element (only foreign attributes allowed): `ex:encoding`. */
function dfxmlText(value: string, attributes: XmlNode = {}): XmlNode {
  return isSafeXmlText(value) ? { ...attributes, '#text': escapeMarkup(value) } : { ...attributes, '@_ex:encoding': 'hex', '#text': utf8Hex(value) };
}

/** An attribute, or `<name>-hex` when the value cannot survive attribute-value normalisation. */
function setAttribute(node: XmlNode, name: string, value: string): void {
  if (isSafeXmlAttribute(value)) node[`@_${name}`] = escapeMarkup(value);
  else node[`@_${name}-hex`] = utf8Hex(value);
}

/** The fileobject line as XMLBuilder built it before (the oracle). */
function builderFileobject(record: EvidenceRecord, recordId: number, cells: readonly Cell[], table: TableDescriptor, indent: string): string {
  const filename = recordFilename(record);
  const byteRun: XmlNode = { '@_file_offset': 0 };
  if (record.imageOffset !== undefined) byteRun['@_img_offset'] = record.imageOffset;
  byteRun['@_len'] = record.lengthInBytes;
  byteRun['@_ex:page'] = record.pageNumber;
  byteRun['@_ex:offset-in-page'] = record.offsetInPage;

  const provenance: XmlNode = {};
  PROVENANCE_COLUMNS.forEach((column, index) => {
    if (column.dfxml.kind !== 'provenance-attribute') return;
    const cell = cells[index];
    if (cell === null || cell === undefined) return;
    setAttribute(provenance, column.dfxml.name, String(cell));
  });
  if (record.confidence.reasons.length > 0) provenance['ex:reason'] = record.confidence.reasons.map((reason) => exText(reason));

  const values: XmlNode[] = [];
  record.values.forEach((value, index) => {
    const node: XmlNode = {};
    const columnName = table.columns[index];
    if (columnName !== undefined) setAttribute(node, 'column', columnName);
    else node['@_index'] = index;
    node['@_type'] = valueType(record, index);
    values.push(value === null ? node : exText(value, node));
  });

  const fileobject: XmlNode = {
    filename: dfxmlText(filename),
    id: recordId,
    filesize: record.lengthInBytes,
    byte_runs: { byte_run: byteRun },
  };
  if (record.rawSha256 !== '') fileobject['hashdigest'] = dfxmlText(record.rawSha256.toLowerCase(), { '@_type': 'sha256' });
  fileobject['ex:provenance'] = provenance;
  if (record.flags.length > 0) fileobject['ex:flag'] = record.flags.map((flag) => exText(flag));
  if (values.length > 0) fileobject['ex:value'] = values;
  return `${indent}${builder.build({ fileobject }) as string}\n`;
}

const table: TableDescriptor = { database: 'trans.db', table: 'trans_record', columns: ['tid', 'amount', 'currency', 'memo', 'extra'], withoutRowid: false };

function both(record: EvidenceRecord, recordId: number, descriptor: TableDescriptor): [string, string] {
  const cells = provenanceCells(record, recordId);
  return [dfxmlFileobject(record, recordId, cells, descriptor, DISK_IMAGE_FILEOBJECT_INDENT), builderFileobject(record, recordId, cells, descriptor, DISK_IMAGE_FILEOBJECT_INDENT)];
}

const hostile = ['', 'plain', 'a&b<c>d', 'say "hi"', "it's", `"'&<>`, 'tab\there', 'line\nfeed', 'carriage\rreturn', 'bell\u0007', 'nul\u0000', '\ud800 lone', 'ok \uffff', '示例便利店', ' ', ']]>'];

describe('dfxmlFileobject equals the XMLBuilder oracle', () => {
  it('on every record of every bundled sample', async () => {
    const sink = new MemorySink();
    await scanInputs(['samples/pos-ledger', 'samples/pos-wal', 'samples/pos-hot-journal', 'samples/pos-persist', 'samples/pos-damaged'], new WorkerPool(0), sink);
    const tables = new Map(sink.tables.map((descriptor) => [`${descriptor.database}\u0000${descriptor.table}`, descriptor]));
    expect(sink.records.length).toBeGreaterThan(1000);
    sink.records.forEach((record, index) => {
      const descriptor = tables.get(`${record.database}\u0000${record.table}`) ?? table;
      const [ours, oracle] = both(record, index + 1, descriptor);
      expect(ours).toBe(oracle);
    });
  }, 60_000);

  it('on hostile text in every place a string goes', () => {
    let id = 1;
    for (const text of hostile) {
      const records: EvidenceRecord[] = [
        makeRecord({ values: [text, '5800', null, text, text], database: text === '' ? 'x.db' : text, table: text === '' ? 't' : text }),
        makeRecord({ confidence: { level: 'low', reasons: [text, text] }, flags: [], imageOffset: undefined, rowid: text }),
        makeRecord({ confidence: { level: 'high', reasons: [] }, rawSha256: '', values: [] }),
        makeRecord({ confidence: { level: 'high', reasons: [] }, rawSha256: text, transaction: text, frameIndex: 3, checksum: 'invalid' }),
      ];
      const descriptors: TableDescriptor[] = [table, { ...table, columns: [text, 'b'] }, { ...table, columns: [] }];
      for (const record of records) {
        for (const descriptor of descriptors) {
          const [ours, oracle] = both(record, id++, descriptor);
          expect(ours).toBe(oracle);
        }
      }
    }
  });
});
