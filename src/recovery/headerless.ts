/**
 * Databases whose header (page 1) is lost: infer the page size from page structure, as SQLite's
 * .recover does, and decode every table-leaf page as orphan records with columns c0, c1, …
 * (the schema is unknown; tables are grouped by field count). A partial result, flagged as such.
 */
import { formatOffset } from '../bytes/offsets.js';
import type { EvidenceRecord } from '../evidence/record.js';
import { RecordState, RecordStatus } from '../evidence/record.js';
import type { Issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { pagePath } from '../formats/sqlite/btree.js';
import type { TextEncoding } from '../formats/sqlite/layout.js';
import { PageType } from '../formats/sqlite/layout.js';
import type { PageReader } from '../formats/sqlite/page-reader.js';
import { parseBtreePage } from '../formats/sqlite/parse-page.js';
import { parsePayloadCell } from '../formats/sqlite/parse-cell.js';
import { parseRecordHeader } from '../formats/sqlite/record.js';
import { decodeCells } from './decode-cells.js';
import { unknownTable } from './table-info.js';

const candidatePageSizes = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

/** True when `page` (at page offset `headerOffset`) is a b-tree page whose every cell pointer and cell parses. */
export function isPlausibleBtreePage(page: Uint8Array, headerOffset: number, usableSize: number, path: SourcePath): boolean {
  const outcome = parseBtreePage(page, 0, headerOffset, usableSize, path);
  if (outcome.kind !== 'parsed' || outcome.issues.length > 0) return false;
  const value = outcome.value;
  if (value.cellCount === 0 || value.cellOffsetsInPage.length !== value.cellCount) return false;
  if (value.type === PageType.tableLeaf) {
    for (const offset of value.cellOffsetsInPage) {
      const cell = parsePayloadCell(page, 0, offset, usableSize, 'table-leaf');
      if (!cell.ok) return false;
      const end = cell.cell.localPayloadStartInPage + Math.min(cell.cell.localPayloadSize, cell.cell.payloadSize);
      if (!parseRecordHeader(page, cell.cell.localPayloadStartInPage, end).ok) return false;
    }
  }
  return true;
}

export interface PageSizeGuess {
  readonly pageSize: number;
  /** Pages, among those sampled, that are plausible b-tree pages at this size. */
  readonly plausiblePageCount: number;
}

/**
 * Tries each page size on up to `samplePages` pages and keeps the one with the most plausible
 * b-tree pages; multiples of the true size find fewer (their page starts skip real pages).
 */
export function inferPageSize(read: (offset: number, length: number) => Uint8Array, sizeInBytes: number, path: SourcePath, samplePages = 256): PageSizeGuess | undefined {
  let best: PageSizeGuess | undefined;
  for (const pageSize of candidatePageSizes) {
    let plausible = 0;
    const pages = Math.min(samplePages, Math.floor(sizeInBytes / pageSize));
    for (let index = 1; index < pages; index++) {
      const page = read(index * pageSize, pageSize);
      if (page.length === pageSize && isPlausibleBtreePage(page, 0, pageSize, path)) plausible++;
    }
    if (plausible > 0 && (best === undefined || plausible > best.plausiblePageCount)) best = { pageSize, plausiblePageCount: plausible };
  }
  return best;
}

export interface OrphanPageRecords {
  readonly records: EvidenceRecord[];
  readonly issues: Issue[];
}

/**
 * Decodes the live cells of one table-leaf page whose table is unknown. Records are named by field
 * count (`orphan-<N>-columns`); state `orphan`, found by page scan, medium confidence.
 */
export function decodeOrphanTableLeaf(reader: PageReader, pageNumber: number, databasePath: SourcePath, databaseName: string, encoding: TextEncoding): OrphanPageRecords | undefined {
  const page = reader.readPage(pageNumber);
  if (page === undefined) return undefined;
  const path = pagePath(databasePath, pageNumber, reader.pageSize);
  const usableSize = reader.pageSize;
  if (!isPlausibleBtreePage(page, 0, usableSize, path) || page[0] !== PageType.tableLeaf) return undefined;
  const parsed = parseBtreePage(page, 0, 0, usableSize, path);
  if (parsed.kind !== 'parsed') return undefined;
  const byCount = new Map<number, number[]>();
  for (const offset of parsed.value.cellOffsetsInPage) {
    const cell = parsePayloadCell(page, 0, offset, usableSize, 'table-leaf');
    if (!cell.ok) continue;
    const end = cell.cell.localPayloadStartInPage + Math.min(cell.cell.localPayloadSize, cell.cell.payloadSize);
    const header = parseRecordHeader(page, cell.cell.localPayloadStartInPage, end);
    if (!header.ok) continue;
    const count = header.header.serialTypes.length;
    byCount.set(count, [...(byCount.get(count) ?? []), offset]);
  }
  const records: EvidenceRecord[] = [];
  const issues: Issue[] = [];
  for (const [count, offsets] of [...byCount].sort((a, b) => a[0] - b[0])) {
    const decoded = decodeCells(page, pageNumber, path, 'table-leaf', offsets, unknownTable(`orphan-${count}-columns`, count, false), {
      databaseName,
      usableSize,
      encoding,
      reader,
      state: RecordState.orphan,
      status: RecordStatus.unknown,
      foundBy: 'page-scan',
    });
    for (const record of decoded.records) {
      records.push({
        ...record,
        confidence: { level: 'medium', reasons: [`table-leaf page ${pageNumber} at ${formatOffset((pageNumber - 1) * reader.pageSize)} found by page scan; database header lost, schema unknown, text decoded as ${encoding === 1 ? 'UTF-8' : 'UTF-16'}`] },
      });
    }
    issues.push(...decoded.issues);
  }
  return { records, issues };
}
