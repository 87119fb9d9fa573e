/**
 * DFXML 2.0.0-beta.0 projection (docs: shared/docs/dfxml.md). The envelope (header, one
 * `diskimageobject` per input, closing tags) is written by hand; each recovered record becomes one
 * `fileobject` fragment built with fast-xml-parser's `XMLBuilder`, one line per record, in arrival
 * order, so the document streams with bounded memory.
 *
 * A record's `fileobject` (children in schema order):
 * ```xml
 * <fileobject>
 *   <filename>trans.db/trans_record/page7-0x0e35</filename>   synthetic: database/table/[frameN-|journalN-]pageP-0xOOOO
 *   <id>1</id>                                                 = record_id in the CSV
 *   <filesize>147</filesize>
 *   <byte_runs><byte_run file_offset="0" img_offset="5271093" len="147" ex:page="7" ex:offset-in-page="3637"/></byte_runs>
 *   <hashdigest type="sha256">…</hashdigest>                   SHA-256 of the record's raw bytes
 *   <ex:provenance path="…" image="…" forensic-path="…" data-type="…" state="…" status="…" found-by="…"
 *                  confidence="…" database="…" table="…" rowid="…" wal-frame="…" checksum="…" …>
 *     <ex:reason>…</ex:reason>*
 *   </ex:provenance>
 *   <ex:flag>header-rebuilt</ex:flag>*
 *   <ex:value column="amount" type="integer">5800</ex:value>*   one per present value, in column order
 *   <ex:value index="7" type="text">…</ex:value>*                values beyond the schema's columns
 * </fileobject>
 * ```
 * - `img_offset` is omitted when the record's image offset is undefined (non-linear layer); the
 *   `ex:provenance` path and `forensic-path` then say how the bytes were reached.
 * - NULL is `<ex:value column="x" type="null"/>`; the empty string is `<ex:value column="x" type="text"/>`.
 * - Text that XML cannot carry (control characters, a raw CR) is written as the hex of its UTF-8
 *   bytes with `encoding="hex"` (`ex:encoding="hex"` on DFXML elements); an attribute value that
 *   cannot be carried becomes `<name>-hex="…"` (see xml-text.ts). Nothing is dropped.
 * - Records whose chain does not start at one of the inputs go in top-level `fileobject`s after
 *   the disk images.
 *
 * Cost (measured with test/reports/bench.test.ts, EXHUME_BENCH=1, on a busy 2-core machine):
 * about 30–45 µs per fileobject, nearly all of it in `XMLBuilder.build` (20–30 k records/s),
 * against about 12–25 µs per CSV row through csv-stringify and 4–6 µs per NDJSON line. The
 * projection functions are pure, so a run of millions of records can build fragments in pool tasks.
 */
import { XMLBuilder } from 'fast-xml-parser';
import type { EvidenceRecord, TableDescriptor } from '../evidence/record.js';
import { PROVENANCE_COLUMNS, type Cell, valueType } from './columns.js';
import type { ExecutionEnvironment, ReportInput, ReportRun } from './types.js';
import { dfxmlTextElement, escapeXmlAttribute, escapeXmlText, isSafeXmlAttribute, isSafeXmlText, utf8Hex } from './xml-text.js';

export const DFXML_NAMESPACE = 'http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML';
export const DUBLIN_CORE_NAMESPACE = 'http://purl.org/dc/elements/1.1/';
/** exhume's own extension namespace (a fixed name, not an address). */
export const EXHUME_DFXML_NAMESPACE = 'urn:exhume:dfxml:1';
export const DFXML_VERSION = '2.0.0-beta.0';

/** Indentation of a fileobject inside a diskimageobject, and at the top level. */
export const DISK_IMAGE_FILEOBJECT_INDENT = '    ';
export const TOP_LEVEL_FILEOBJECT_INDENT = '  ';

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

/** POSIX-shell rendering of argv for `command_line`: plain words as is, others single-quoted. */
export function renderCommandLine(argv: readonly string[]): string {
  return argv.map((argument) => (/^[A-Za-z0-9_/.,:=+@%-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** Everything before the first `diskimageobject`: declaration, root, metadata, creator, source. */
export function dfxmlHeader(run: ReportRun, environment: ExecutionEnvironment): string {
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<dfxml xmlns="${DFXML_NAMESPACE}" xmlns:dc="${DUBLIN_CORE_NAMESPACE}" xmlns:ex="${EXHUME_DFXML_NAMESPACE}" version="${DFXML_VERSION}">`,
    '  <metadata>',
    '    <dc:type>Carve Report</dc:type>',
    '  </metadata>',
    '  <creator>',
    `    ${dfxmlTextElement('program', run.tool.name)}`,
    `    ${dfxmlTextElement('version', run.tool.version)}`,
  ];
  if (run.tool.compiler !== undefined) {
    lines.push('    <build_environment>', `      ${dfxmlTextElement('compiler', run.tool.compiler)}`, '    </build_environment>');
  }
  lines.push(
    '    <execution_environment>',
    `      ${dfxmlTextElement('os_sysname', environment.osSysname)}`,
    `      ${dfxmlTextElement('os_release', environment.osRelease)}`,
    `      ${dfxmlTextElement('host', environment.host)}`,
    `      ${dfxmlTextElement('arch', environment.arch)}`,
    `      ${dfxmlTextElement('command_line', renderCommandLine(run.commandLine))}`,
    // A declared timestamp field (manifest.json lists it): the only varying part of report.xml.
    `      <start_time>${run.startTime.toISOString()}</start_time>`,
    '    </execution_environment>',
    `    <library name="node" version="${escapeXmlAttribute(environment.nodeVersion)}"/>`,
    '  </creator>',
    '  <source>',
    ...run.inputs.map((input) => `    ${dfxmlTextElement('image_filename', input.path)}`),
    '  </source>',
  );
  return `${lines.join('\n')}\n`;
}

/** Opens the `diskimageobject` of input `index`: its whole-image byte run with both hashes. */
export function dfxmlDiskImageOpen(input: ReportInput, index: number): string {
  const name = isSafeXmlAttribute(input.path) ? `path="${escapeXmlAttribute(input.path)}"` : `path-hex="${utf8Hex(input.path)}"`;
  return [
    '  <diskimageobject>',
    // How the hashes below were taken (types.ts ReportInput.hashedDuring), when the run said so.
    `    <ex:input index="${index}" ${name}${input.hashedDuring === undefined ? '' : ` hashed_during="${input.hashedDuring}"`}/>`,
    '    <byte_runs>',
    `      <byte_run img_offset="0" len="${input.sizeInBytes}">`,
    `        <hashdigest type="sha256">${escapeXmlAttribute(input.sha256.toLowerCase())}</hashdigest>`,
    `        <hashdigest type="md5">${escapeXmlAttribute(input.md5.toLowerCase())}</hashdigest>`,
    '      </byte_run>',
    '    </byte_runs>',
    '',
  ].join('\n');
}

export const DFXML_DISK_IMAGE_CLOSE = '  </diskimageobject>\n';
export const DFXML_FOOTER = '</dfxml>\n';

/** The synthetic DFXML file name of a record. */
export function recordFilename(record: EvidenceRecord): string {
  const where =
    record.frameIndex !== undefined ? `frame${record.frameIndex}-` : record.journalRecordIndex !== undefined ? `journal${record.journalRecordIndex}-` : '';
  return `${record.database}/${record.table}/${where}page${record.pageNumber}-0x${record.offsetInPage.toString(16).padStart(4, '0')}`;
}

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

/**
 * One `fileobject` line (indent included, newline-terminated). `cells` are the record's provenance
 * cells (`provenanceCells`), shared with the CSV projection.
 */
export function dfxmlFileobject(record: EvidenceRecord, recordId: number, cells: readonly Cell[], table: TableDescriptor, indent: string): string {
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
