/**
 * DFXML 2.0.0-beta.0 projection (docs: shared/docs/dfxml.md). The envelope (header, one
 * `diskimageobject` per input, closing tags) and each recovered record's `fileobject` fragment (one
 * line per record, in arrival order, so the document streams with bounded memory) are written as
 * strings, every value escaped or hex-encoded through xml-text.ts.
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
 * Cost (same records, same run, busy 2-core machine): 9–11 µs per fileobject written as strings
 * against 52–62 µs through fast-xml-parser's XMLBuilder, which built it before (its output is the
 * oracle of test/reports/dfxml-builder.test.ts). The projection functions are pure, so pool
 * workers render fragments (reports/render.ts).
 */
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

const markup = /[&<>]/;
const quotes = /["']/;

/** `&`, `<`, `>` escaped. */
function escapeMarkup(value: string): string {
  return markup.test(value) ? escapeXmlText(value) : value;
}

/** A double-quoted attribute (the value already markup-escaped): quotes as `&quot;` and `&apos;`. */
function quoted(name: string, value: string): string {
  return ` ${name}="${quotes.test(value) ? value.replaceAll('"', '&quot;').replaceAll("'", '&apos;') : value}"`;
}

/** An attribute, or `<name>-hex` when the value cannot survive attribute-value normalisation. */
function attribute(name: string, value: string): string {
  return isSafeXmlAttribute(value) ? quoted(name, escapeMarkup(value)) : quoted(`${name}-hex`, utf8Hex(value));
}

/**
 * An element holding `value` (self-closing when empty), or its hex with `hexAttribute` when the
 * text is not XML-safe: `encoding` on `ex:` elements, `ex:encoding` on DFXML ones.
 */
function textElement(tag: string, value: string, attributes: string, hexAttribute: 'encoding' | 'ex:encoding'): string {
  if (!isSafeXmlText(value)) return `<${tag}${attributes} ${hexAttribute}="hex">${utf8Hex(value)}</${tag}>`;
  return value === '' ? `<${tag}${attributes}/>` : `<${tag}${attributes}>${escapeMarkup(value)}</${tag}>`;
}

/**
 * One `fileobject` line (indent included, newline-terminated). `cells` are the record's provenance
 * cells (`provenanceCells`), shared with the CSV projection.
 *
 * Written as strings: this is the hot path of report writing (one line per record, millions per
 * image). It was built with fast-xml-parser's XMLBuilder before, at about three quarters of the
 * report cost per record; a test renders the same records through that builder and compares the
 * bytes (test/reports/dfxml-builder.test.ts).
 */
export function dfxmlFileobject(record: EvidenceRecord, recordId: number, cells: readonly Cell[], table: TableDescriptor, indent: string): string {
  let out = `${indent}<fileobject>${textElement('filename', recordFilename(record), '', 'ex:encoding')}<id>${recordId}</id><filesize>${record.lengthInBytes}</filesize>`;
  out += `<byte_runs><byte_run file_offset="0"${record.imageOffset === undefined ? '' : ` img_offset="${record.imageOffset}"`} len="${record.lengthInBytes}" ex:page="${record.pageNumber}" ex:offset-in-page="${record.offsetInPage}"/></byte_runs>`;
  if (record.rawSha256 !== '') out += textElement('hashdigest', record.rawSha256.toLowerCase(), ' type="sha256"', 'ex:encoding');
  let provenance = '';
  for (let index = 0; index < PROVENANCE_COLUMNS.length; index++) {
    const placement = (PROVENANCE_COLUMNS[index] as (typeof PROVENANCE_COLUMNS)[number]).dfxml;
    if (placement.kind !== 'provenance-attribute') continue;
    const cell = cells[index];
    if (cell === null || cell === undefined) continue;
    provenance += attribute(placement.name, String(cell));
  }
  const reasons = record.confidence.reasons;
  if (reasons.length === 0) out += `<ex:provenance${provenance}/>`;
  else {
    out += `<ex:provenance${provenance}>`;
    for (const reason of reasons) out += textElement('ex:reason', reason, '', 'encoding');
    out += '</ex:provenance>';
  }
  for (const flag of record.flags) out += textElement('ex:flag', flag, '', 'encoding');
  for (let index = 0; index < record.values.length; index++) {
    const columnName = table.columns[index];
    const attributes = `${columnName === undefined ? ` index="${index}"` : attribute('column', columnName)} type="${valueType(record, index)}"`;
    const value = record.values[index];
    out += value === null || value === undefined ? `<ex:value${attributes}/>` : textElement('ex:value', value, attributes, 'encoding');
  }
  return `${out}</fileobject>\n`;
}
