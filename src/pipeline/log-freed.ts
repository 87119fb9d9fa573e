/**
 * Freed records of log page images (WAL frames, journal pre-images): issue 4 item 2, "each
 * frame's page goes through the same recovery as main-file pages (live cells and freed records)".
 *
 * Three parts, all on the main thread:
 * - `buildFreedTable`: a table's `RecordSignature` (tableSignature + withUniqueKeys + withProfile, as
 *   recover-database.ts builds it for the main file), built once per table and sent with every
 *   decode task (plain data), and the compact index of the live rows its freed records are
 *   classified against (record-states.ts): for a WAL the committed view (main file + newest
 *   committed frames), for a journal the main file.
 * - `FreedSightings`: one record per distinct freed cell. The same freed cell survives unchanged
 *   through every later version of its page (each WAL frame that rewrites the page for another
 *   row copies it), so it is reported once, from its first image in file order, and the other
 *   images are named in its reasons as sightings. Distinct means the same table, page, offset in
 *   the page, rowid and decoded values: the cell's first 4 bytes are a freeblock header SQLite
 *   rewrites whenever a neighbouring block is freed or merged, so raw bytes would call the same
 *   deleted row new each time the chain changes. A freed cell the main file's freed-space
 *   recovery already reported for the same page is not reported again: its log images are named
 *   in one `log.freed.main-file-sighting` info issue pointing at the main file's record.
 * - Repeats of the carver's issues (an undecodable fragment seen in every version of its page)
 *   are kept once per (code, offset, message) and counted in one `log.freed.issues-repeated` issue.
 *
 * Distinct freed records wait until the log is decoded (so their sightings are complete): memory
 * is bounded by the number of distinct freed cells, not by the number of frames.
 */
import { createHash } from 'node:crypto';
import type { EvidenceRecord } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { renderPath } from '../provenance/path.js';
import { headerOffsetOf, pagePath } from '../formats/sqlite/btree.js';
import type { TextEncoding } from '../formats/sqlite/layout.js';
import { PageType } from '../formats/sqlite/layout.js';
import type { PageReader } from '../formats/sqlite/page-reader.js';
import { parseBtreePage } from '../formats/sqlite/parse-page.js';
import { RecordState, RecordStatus } from '../evidence/record.js';
import type { SchemaEntry, TablePages, TablePlan } from '../recovery/database.js';
import { decodeCells } from '../recovery/decode-cells.js';
import type { FreedRecord } from '../recovery/freed/build-record.js';
import { valuesKey } from '../recovery/freed/build-record.js';
import { liveDigestsOfPage } from '../recovery/freed/record-digest.js';
import { profileSampleSize } from '../recovery/freed/recover-database.js';
import type { RecordSignature } from '../recovery/freed/signature.js';
import { parseCreateIndex, schemaTableSignature, tableSignature, withProfile, withUniqueKeys } from '../recovery/freed/signature.js';
import type { LiveKeyIndex } from '../assembly/record-states.js';
import { addLiveDigests, classifyFreedRecords, createLiveKeyIndex, finishLiveKeyIndex } from '../assembly/record-states.js';
import type { EvidenceSink } from './sink.js';
import type { TableRegistry } from './scan-log.js';

/** A table's freed-space carving: its signature, and the live rows its freed records are compared with. */
export interface FreedTable {
  readonly signature: RecordSignature;
  /** Undefined when there is no state to compare with (a stray log without a view): status stays unknown. */
  readonly index: LiveKeyIndex | undefined;
}

export interface FreedTableOptions {
  readonly plan: TablePlan;
  /** The table's pages in the state compared with (the committed view, or the main file); undefined when there is none. */
  readonly pages: TablePages | undefined;
  /** Reads those pages (and overflow pages). */
  readonly reader: PageReader | undefined;
  /** Schema entries of that state (UNIQUE indexes give the classification more keys). */
  readonly entries: readonly SchemaEntry[];
  readonly usableSize: number;
  readonly encoding: TextEncoding;
  readonly databaseName: string;
  readonly databasePath: SourcePath;
}

/** Column-name lists of every UNIQUE index, by indexed table (lower-cased name), as recover-database.ts reads them. */
function uniqueIndexColumns(entries: readonly SchemaEntry[]): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const entry of entries) {
    const definition = entry.type === 'index' && entry.sql !== null ? parseCreateIndex(entry.sql) : undefined;
    if (definition === undefined || !definition.unique) continue;
    const key = definition.tableName.toLowerCase();
    out.set(key, [...(out.get(key) ?? []), [...definition.columnNames]]);
  }
  return out;
}

/** Freed records can only be carved for tables whose columns are known (not `unknown-<N>`). */
export function carvesFreed(plan: TablePlan | undefined): plan is TablePlan {
  return plan !== undefined && plan.decode.schemaKnown;
}

/**
 * Signature and live-row index of one table, from one walk of its pages: every live cell's digest
 * (classification) and the first `profileSampleSize` decoded records (the type pattern that
 * breaks ties between rebuilt headers).
 */
export function buildFreedTable(options: FreedTableOptions): FreedTable {
  const { plan, pages, reader } = options;
  const isSchema = plan.entry.rootPageNumber === 1 || plan.entry.name === 'sqlite_schema';
  const base = isSchema ? schemaTableSignature() : tableSignature(plan.decode, plan.schema, plan.entry.sql);
  const keyed = withUniqueKeys(base, plan.entry.sql, uniqueIndexColumns(options.entries).get(plan.entry.name.toLowerCase()) ?? []);
  if (pages === undefined || reader === undefined) return { signature: keyed.signature, index: undefined };
  const index = createLiveKeyIndex(keyed.keyInfo);
  const sample: EvidenceRecord[] = [];
  let minimumFieldCount = Number.MAX_SAFE_INTEGER;
  const interiorOffsets = new Map<number, number[]>();
  for (const cell of pages.interiorCells) interiorOffsets.set(cell.pageNumber, [...(interiorOffsets.get(cell.pageNumber) ?? []), cell.offsetInPage]);
  const visit = (pageNumber: number, cellOffsets: readonly number[] | undefined): void => {
    const page = reader.readPage(pageNumber);
    if (page === undefined) return;
    const path = pagePath(options.databasePath, pageNumber, reader.pageSize);
    const parsed = parseBtreePage(page, 0, headerOffsetOf(pageNumber), options.usableSize, path);
    if (parsed.kind !== 'parsed') return;
    const digests = liveDigestsOfPage(reader, page, parsed.value, options.usableSize, keyed.signature.digestFieldSets, cellOffsets);
    addLiveDigests(index, digests);
    minimumFieldCount = Math.min(minimumFieldCount, digests.minimumFieldCount);
    if (sample.length >= profileSampleSize || isSchema) return;
    const kind = cellOffsets !== undefined ? 'index-interior' : parsed.value.type === PageType.tableLeaf ? 'table-leaf' : parsed.value.type === PageType.indexLeaf ? 'index-leaf' : undefined;
    if (kind === undefined) return;
    const decoded = decodeCells(page, pageNumber, path, kind, cellOffsets ?? parsed.value.cellOffsetsInPage, plan.decode, {
      databaseName: options.databaseName,
      usableSize: options.usableSize,
      encoding: options.encoding,
      reader,
      state: RecordState.live,
      status: RecordStatus.live,
      foundBy: 'btree-walk',
    });
    for (const record of decoded.records) if (sample.length < profileSampleSize) sample.push(record);
  };
  for (const leaf of pages.leaves) visit(leaf.pageNumber, undefined);
  for (const [pageNumber, offsets] of interiorOffsets) visit(pageNumber, offsets);
  finishLiveKeyIndex(index);
  const signature = isSchema ? keyed.signature : withProfile(keyed.signature, sample, options.encoding, minimumFieldCount === Number.MAX_SAFE_INTEGER ? undefined : minimumFieldCount);
  return { signature, index };
}

/** Freed-space issue codes whose repeats across versions of one page are kept once. */
const repeatedIssuePrefixes = ['sqlite.freed.', 'sqlite.freeblock.', 'sqlite.cell.unreadable-extent'];

/** Sightings named in a record's reasons (the rest are counted). */
const maximumSightingsNamed = 20;

interface Distinct {
  record: EvidenceRecord;
  readonly sightings: string[];
  sightingCount: number;
}

function freedKey(record: Pick<EvidenceRecord, 'database' | 'table' | 'pageNumber' | 'offsetInPage' | 'rowid' | 'types' | 'values'>): string {
  const text = `${record.database}\u0000${record.table}\u0000${record.pageNumber}\u0000${record.offsetInPage}\u0000${record.rowid ?? ''}\u0000${valuesKey(record.types, record.values)}`;
  return createHash('sha256').update(text).digest('base64');
}

/**
 * Keys of the freed records the main file's recovery reported, with each record's provenance:
 * log images holding the same freed cell of the same page are sightings of it.
 */
export class MainFreedKeys {
  readonly #paths = new Map<string, string>();

  add(records: readonly EvidenceRecord[]): void {
    for (const record of records) {
      const key = freedKey(record);
      if (!this.#paths.has(key)) this.#paths.set(key, renderPath(record.path));
    }
  }

  pathOf(key: string): string | undefined {
    return this.#paths.get(key);
  }
}

/**
 * Strips what only the carver and the classification use (digests, the overflow chain's first
 * page): they never reach reports, and records that crossed the worker boundary lack them, so
 * in-process and pooled scans give equal records.
 */
function evidence(record: EvidenceRecord): EvidenceRecord {
  if (!('digests' in record) && !('overflowFirstPage' in record)) return record;
  const out: Record<string, unknown> = { ...record };
  delete out['digests'];
  delete out['overflowFirstPage'];
  return out as unknown as EvidenceRecord;
}

export class FreedSightings {
  readonly #distinct = new Map<string, Distinct>();
  readonly #mainSightings = new Map<string, { path: string; record: EvidenceRecord; sightings: string[] }>();
  readonly #main: MainFreedKeys | undefined;
  readonly #issueKeys = new Set<string>();
  #repeatedIssueCount = 0;
  readonly #logPath: SourcePath;
  readonly #logName: string;

  constructor(logPath: SourcePath, logName: string, main: MainFreedKeys | undefined) {
    this.#logPath = logPath;
    this.#logName = logName;
    this.#main = main;
  }

  /**
   * Classifies one image's freed records against `table`'s live rows and keeps the distinct ones.
   * `sighting` names the image (`WAL frame 12 (wal-committed, transaction wal:1.4)`).
   * `partialState`: the live rows compared with are partial (a stray log): `deleted` becomes `unknown`.
   */
  add(records: readonly FreedRecord[], table: FreedTable | undefined, sighting: string, partialState = false): void {
    if (records.length === 0) return;
    let classified: readonly EvidenceRecord[] = table?.index === undefined ? records : classifyFreedRecords(table.index, records);
    if (partialState) {
      // Without its database the state compared with is partial: a row not found in it may still be live.
      classified = classified.map((record) =>
        record.status === RecordStatus.deleted ? { ...record, status: RecordStatus.unknown, confidence: { level: record.confidence.level, reasons: [...record.confidence.reasons, 'decoded without its database: the rows compared with are partial, so absence proves nothing'] } } : record,
      );
    }
    for (const record of classified) {
      const key = freedKey(record);
      const known = this.#distinct.get(key);
      if (known !== undefined) {
        known.sightingCount++;
        if (known.sightings.length < maximumSightingsNamed) known.sightings.push(sighting);
        continue;
      }
      const mainPath = this.#main?.pathOf(key);
      if (mainPath !== undefined) {
        const main = this.#mainSightings.get(key) ?? { path: mainPath, record, sightings: [] };
        main.sightings.push(sighting);
        this.#mainSightings.set(key, main);
        continue;
      }
      this.#distinct.set(key, { record: evidence(record), sightings: [], sightingCount: 0 });
    }
  }

  /** Issues of the decode: freed-space issues repeated by later versions of a page are kept once. */
  filterIssues(issues: readonly Issue[]): Issue[] {
    const out: Issue[] = [];
    for (const problem of issues) {
      if (!repeatedIssuePrefixes.some((prefix) => problem.code.startsWith(prefix))) {
        out.push(problem);
        continue;
      }
      const key = `${problem.code}\u0000${problem.offsetInLeaf}\u0000${problem.message}`;
      if (this.#issueKeys.has(key)) {
        this.#repeatedIssueCount++;
        continue;
      }
      this.#issueKeys.add(key);
      out.push(problem);
    }
    return out;
  }

  /** Number of distinct freed records waiting. */
  get size(): number {
    return this.#distinct.size;
  }

  /** Hands the distinct records over (first image in file order first), their sightings in the reasons; then the issues. */
  async flush(sink: EvidenceSink, registry: TableRegistry): Promise<void> {
    let batch: EvidenceRecord[] = [];
    let table: string | undefined;
    const emit = async (): Promise<void> => {
      if (batch.length > 0) await sink.addRecords(batch);
      batch = [];
    };
    for (const distinct of this.#distinct.values()) {
      const record = distinct.record;
      if (record.table !== table) {
        await emit();
        table = record.table;
        await registry.declare(record.table, sink);
      }
      if (distinct.sightingCount > 0) {
        const more = distinct.sightingCount > distinct.sightings.length ? ` and ${distinct.sightingCount - distinct.sightings.length} more` : '';
        const reason = `same freed cell (page, offset, values) also in ${distinct.sightingCount} later image(s) of the page, reported once: ${distinct.sightings.join('; ')}${more}`;
        (record as { confidence: EvidenceRecord['confidence'] }).confidence = { level: record.confidence.level, reasons: [...record.confidence.reasons, reason] };
      }
      batch.push(record);
      if (batch.length >= 2048) await emit();
    }
    await emit();
    this.#distinct.clear();
    const issues: Issue[] = [];
    for (const main of this.#mainSightings.values()) {
      const named = main.sightings.slice(0, maximumSightingsNamed).join('; ');
      const more = main.sightings.length > maximumSightingsNamed ? ` and ${main.sightings.length - maximumSightingsNamed} more` : '';
      issues.push(
        issue(
          'log.freed.main-file-sighting',
          'info',
          main.record.path,
          0,
          `Freed cell of ${main.record.table} on page ${main.record.pageNumber} at offset ${main.record.offsetInPage}: the same record the main file's freed space holds (reported there, ${main.path}); also in ${main.sightings.length} log image(s): ${named}${more}`,
          { table: main.record.table, pageNumber: main.record.pageNumber, sightingCount: main.sightings.length, mainRecord: main.path },
        ),
      );
    }
    this.#mainSightings.clear();
    if (this.#repeatedIssueCount > 0) {
      issues.push(
        issue('log.freed.issues-repeated', 'info', this.#logPath, 0, `${this.#logName}: ${this.#repeatedIssueCount} freed-space issue(s) repeated by later versions of the same page (same code, offset and message) kept once`, {
          count: this.#repeatedIssueCount,
        }),
      );
    }
    if (issues.length > 0) await sink.addIssues(issues);
  }
}
