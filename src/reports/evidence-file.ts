/**
 * evidence.ndjson: the run's evidence as one JSON object per line, enough to re-project every CSV
 * and report.xml without the image (`exhume report <evidence> --out DIR`, see replay.ts).
 *
 * Lines, in the order the writer received them (`kind` is always the first key):
 * - `run` (exactly one, first): format `exhume-evidence` version 1, tool, commandLine, options,
 *   startTime, inputs, environment, report (excel/csv/xml);
 * - `table`: a TableDescriptor;
 * - `record`: `id` (the record_id) then the EvidenceRecord, its `path` as the list of layers from the
 *   file down (`imageOffset` is absent when undefined);
 * - `issue`: an Issue, `path` as layers;
 * - `transaction`: a TransactionRow; a bigint is `{"$bigint":"<decimal>"}` so it survives exactly;
 * - `finish` (exactly one, last): endTime and inputsVerified.
 *
 * Keys keep the producer's order and unknown fields are carried through, so a replay writes the
 * same bytes again and a field added to EvidenceRecord later is not lost.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { EvidenceRecord, TableDescriptor } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import { layers, type Layer, type SourcePath } from '../provenance/path.js';
import type { ExecutionEnvironment, FinishInput, PageVersionRow, ReportFormatOptions, ReportRun, TransactionRow } from './types.js';

export const EVIDENCE_FILE_NAME = 'evidence.ndjson';
export const EVIDENCE_FORMAT = 'exhume-evidence';
export const EVIDENCE_FORMAT_VERSION = 1;

/** A run as recorded: the environment is always explicit, so a replay reproduces report.xml. */
export interface RecordedRun extends ReportRun {
  readonly environment: ExecutionEnvironment;
}

export type EvidenceEntry =
  | { readonly kind: 'run'; readonly run: RecordedRun; readonly report: ReportFormatOptions }
  | { readonly kind: 'table'; readonly table: TableDescriptor }
  | { readonly kind: 'record'; readonly recordId: number; readonly record: EvidenceRecord }
  | { readonly kind: 'issue'; readonly issue: Issue }
  | { readonly kind: 'transaction'; readonly row: TransactionRow }
  | { readonly kind: 'page-version'; readonly row: PageVersionRow }
  | { readonly kind: 'finish'; readonly finish: Omit<FinishInput, 'timings'> }
  | { readonly kind: 'malformed'; readonly lineNumber: number; readonly message: string };

// ---------------------------------------------------------------------------------------------
// Encoding (one line each, without the newline)

export function encodeRunLine(run: RecordedRun, report: ReportFormatOptions): string {
  return JSON.stringify({
    kind: 'run',
    format: EVIDENCE_FORMAT,
    formatVersion: EVIDENCE_FORMAT_VERSION,
    tool: run.tool,
    commandLine: run.commandLine,
    options: run.options,
    startTime: run.startTime.toISOString(),
    inputs: run.inputs,
    environment: run.environment,
    report,
  });
}

export function encodeTableLine(table: TableDescriptor): string {
  return JSON.stringify({ kind: 'table', ...table });
}

export function encodeRecordLine(record: EvidenceRecord, recordId: number): string {
  const out: Record<string, unknown> = { kind: 'record', id: recordId, ...record };
  // Assigning an existing key keeps its position: `path` stays where the producer put it.
  out['path'] = layers(record.path);
  return JSON.stringify(out);
}

export function encodeIssueLine(issue: Issue): string {
  const out: Record<string, unknown> = { kind: 'issue', ...issue };
  out['path'] = layers(issue.path);
  return JSON.stringify(out);
}

export function encodeTransactionLine(row: TransactionRow): string {
  return JSON.stringify({ kind: 'transaction', ...row }, (_key, value: unknown) =>
    typeof value === 'bigint' ? { $bigint: value.toString() } : value,
  );
}

export function encodePageVersionLine(row: PageVersionRow): string {
  return JSON.stringify({ kind: 'page-version', ...row });
}

export function encodeFinishLine(finish: FinishInput): string {
  return JSON.stringify({ kind: 'finish', endTime: finish.endTime.toISOString(), inputsVerified: finish.inputsVerified });
}

// ---------------------------------------------------------------------------------------------
// Decoding

class MalformedLine extends Error {}

function fail(message: string): never {
  throw new MalformedLine(message);
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expect(object: JsonObject, key: string, type: 'string' | 'number' | 'boolean' | 'object' | 'array', nullable = false): void {
  const value = object[key];
  if (nullable && value === null) return;
  const ok =
    type === 'array' ? Array.isArray(value) : type === 'object' ? isObject(value) : typeof value === type;
  if (!ok) fail(`field "${key}" must be ${nullable ? `${type} or null` : type}`);
}

function decodePath(value: unknown): SourcePath {
  if (!Array.isArray(value) || value.length === 0) fail('field "path" must be a non-empty array of layers');
  let node: SourcePath | null = null;
  for (const layer of value) {
    if (!isObject(layer) || typeof layer['kind'] !== 'string') fail('every layer of "path" must be an object with a "kind"');
    node = { layer: layer as unknown as Layer, parent: node };
  }
  if (node === null || value[0]?.kind !== 'file') fail('"path" must start with a file layer');
  return node;
}

/** Copies every key except `kind` (and `id`), in order, decoding `path`. */
function withoutKind(parsed: JsonObject, decodePathKey: boolean): JsonObject {
  const out: JsonObject = {};
  for (const key in parsed) {
    if (key === 'kind' || key === 'id') continue;
    out[key] = decodePathKey && key === 'path' ? decodePath(parsed[key]) : parsed[key];
  }
  return out;
}

function reviveBigint(_key: string, value: unknown): unknown {
  if (isObject(value) && typeof value['$bigint'] === 'string' && Object.keys(value).length === 1) return BigInt(value['$bigint']);
  return value;
}

function decodeDate(value: unknown, key: string): Date {
  if (typeof value !== 'string') fail(`field "${key}" must be an ISO 8601 string`);
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) fail(`field "${key}" is not a valid time: ${value}`);
  return date;
}

function decodeRun(parsed: JsonObject): EvidenceEntry {
  if (parsed['format'] !== EVIDENCE_FORMAT) fail(`not an exhume evidence file (format ${JSON.stringify(parsed['format'])})`);
  if (parsed['formatVersion'] !== EVIDENCE_FORMAT_VERSION) fail(`unsupported evidence format version ${JSON.stringify(parsed['formatVersion'])}`);
  expect(parsed, 'tool', 'object');
  expect(parsed, 'commandLine', 'array');
  expect(parsed, 'options', 'object');
  expect(parsed, 'inputs', 'array');
  expect(parsed, 'environment', 'object');
  expect(parsed, 'report', 'object');
  const run = {
    tool: parsed['tool'],
    commandLine: parsed['commandLine'],
    options: parsed['options'],
    startTime: decodeDate(parsed['startTime'], 'startTime'),
    inputs: parsed['inputs'],
    environment: parsed['environment'],
  } as unknown as RecordedRun;
  for (const input of run.inputs as readonly unknown[]) {
    if (!isObject(input)) fail('every input must be an object');
    expect(input, 'path', 'string');
    expect(input, 'absolutePath', 'string');
    expect(input, 'sizeInBytes', 'number');
    expect(input, 'sha256', 'string');
    expect(input, 'md5', 'string');
  }
  const report = parsed['report'] as JsonObject;
  expect(report, 'excel', 'boolean');
  expect(report, 'csv', 'boolean');
  expect(report, 'xml', 'boolean');
  return { kind: 'run', run, report: report as unknown as ReportFormatOptions };
}

function decodeRecord(parsed: JsonObject): EvidenceEntry {
  const recordId = parsed['id'];
  if (typeof recordId !== 'number' || !Number.isSafeInteger(recordId) || recordId < 1) fail('field "id" must be a positive integer');
  for (const key of ['dataType', 'state', 'status', 'foundBy', 'rawSha256', 'database', 'table']) expect(parsed, key, 'string');
  for (const key of ['lengthInBytes', 'pageNumber', 'offsetInPage']) expect(parsed, key, 'number');
  if (parsed['imageOffset'] !== undefined) expect(parsed, 'imageOffset', 'number');
  expect(parsed, 'rowid', 'string', true);
  expect(parsed, 'confidence', 'object');
  expect(parsed['confidence'] as JsonObject, 'level', 'string');
  expect(parsed['confidence'] as JsonObject, 'reasons', 'array');
  expect(parsed, 'flags', 'array');
  expect(parsed, 'types', 'array');
  expect(parsed, 'values', 'array');
  for (const value of parsed['values'] as unknown[]) if (value !== null && typeof value !== 'string') fail('every value must be a string or null');
  return { kind: 'record', recordId, record: withoutKind(parsed, true) as unknown as EvidenceRecord };
}

function decodeIssue(parsed: JsonObject): EvidenceEntry {
  for (const key of ['code', 'severity', 'message']) expect(parsed, key, 'string');
  expect(parsed, 'offsetInLeaf', 'number');
  if (parsed['details'] !== undefined) expect(parsed, 'details', 'object');
  return { kind: 'issue', issue: withoutKind(parsed, true) as unknown as Issue };
}

function decodeTable(parsed: JsonObject): EvidenceEntry {
  expect(parsed, 'database', 'string');
  expect(parsed, 'table', 'string');
  expect(parsed, 'columns', 'array');
  for (const column of parsed['columns'] as unknown[]) if (typeof column !== 'string') fail('every column name must be a string');
  return { kind: 'table', table: withoutKind(parsed, false) as unknown as TableDescriptor };
}

function decodeTransaction(parsed: JsonObject): EvidenceEntry {
  for (const key of ['transaction', 'database', 'source', 'commitState', 'checksumState']) expect(parsed, key, 'string');
  expect(parsed, 'pages', 'array');
  return { kind: 'transaction', row: withoutKind(parsed, false) as unknown as TransactionRow };
}

function decodePageVersion(parsed: JsonObject): EvidenceEntry {
  for (const key of ['database', 'source', 'image', 'state', 'checksum', 'pageType', 'sha256']) expect(parsed, key, 'string');
  for (const key of ['pageNumber', 'version', 'imageOffset']) expect(parsed, key, 'number');
  return { kind: 'page-version', row: withoutKind(parsed, false) as unknown as PageVersionRow };
}

function decodeFinish(parsed: JsonObject): EvidenceEntry {
  expect(parsed, 'inputsVerified', 'array');
  for (const verification of parsed['inputsVerified'] as unknown[]) {
    if (!isObject(verification)) fail('every input verification must be an object');
    expect(verification, 'sha256', 'string');
    expect(verification, 'md5', 'string');
    expect(verification, 'unchanged', 'boolean');
  }
  return {
    kind: 'finish',
    finish: { endTime: decodeDate(parsed['endTime'], 'endTime'), inputsVerified: parsed['inputsVerified'] as FinishInput['inputsVerified'] },
  };
}

/** Decodes one line. Never throws: a bad line is a `malformed` entry naming the line and the fault. */
export function decodeEvidenceLine(line: string, lineNumber: number): EvidenceEntry {
  try {
    const parsed: unknown = line.startsWith('{"kind":"transaction"') ? JSON.parse(line, reviveBigint) : JSON.parse(line);
    if (!isObject(parsed)) fail('not a JSON object');
    switch (parsed['kind']) {
      case 'run':
        return decodeRun(parsed);
      case 'table':
        return decodeTable(parsed);
      case 'record':
        return decodeRecord(parsed);
      case 'issue':
        return decodeIssue(parsed);
      case 'transaction':
        return decodeTransaction(parsed);
      case 'page-version':
        return decodePageVersion(parsed);
      case 'finish':
        return decodeFinish(parsed);
      default:
        return fail(`unknown kind ${JSON.stringify(parsed['kind'])}`);
    }
  } catch (error) {
    const message = error instanceof MalformedLine || error instanceof SyntaxError ? error.message : String(error);
    return { kind: 'malformed', lineNumber, message };
  }
}

/**
 * Streams the entries of an evidence file, line by line (bounded memory). Stops after the first
 * `malformed` entry. An empty line is malformed (the writer never writes one).
 */
export async function* readEvidenceFile(path: string): AsyncGenerator<EvidenceEntry> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      const entry = line === '' ? ({ kind: 'malformed', lineNumber, message: 'empty line' } as const) : decodeEvidenceLine(line, lineNumber);
      yield entry;
      if (entry.kind === 'malformed') return;
    }
  } finally {
    lines.close();
  }
}
