/**
 * Freelist pages (issue item 3; sqlite.md §1.9). A freed leaf page is not rewritten: a former
 * b-tree page keeps its header, its cell-pointer array (cells that were live when the page was
 * freed: b-tree rebalancing copies, or rows of a cleared or dropped table) and its own freeblocks.
 * A trunk page loses its first 8 + 4L bytes to the next-trunk pointer, the leaf count L and the
 * leaf list; the rest may still hold cells of the page it used to be.
 *
 * Freed pages belong to no table: each page is tried with every signature whose cells fit its
 * page type, and given to the one that explains the most records. A tie is reported and its
 * records kept as `unattributed(a|b)`; the caller may break it with live evidence.
 */
import { formatOffset } from '../../bytes/offsets.js';
import { u32beUnchecked } from '../../bytes/read.js';
import { RecordState } from '../../evidence/record.js';
import type { Issue } from '../../issues/issue.js';
import { issue } from '../../issues/issue.js';
import { PageType } from '../../formats/sqlite/layout.js';
import type { BtreePage } from '../../formats/sqlite/parse-page.js';
import { parseBtreePage } from '../../formats/sqlite/parse-page.js';
import type { SourcePath } from '../../provenance/path.js';
import type { FreedCarveContext } from './build-record.js';
import type { FreedRecord } from './build-record.js';
import { carvedRecord, decodeCandidate } from './build-record.js';
import type { FreedCarveResult } from './carve-page.js';
import { cellKindsFor, recordsOfRegion } from './carve-page.js';
import type { FreeRegion } from './carve-region.js';
import { carveRegion } from './carve-region.js';
import type { FreedCellKind } from './header-rebuild.js';
import { clobberedLayoutsAt, intactCellAt } from './header-rebuild.js';
import { walkFreeblockChain } from './freeblocks.js';
import type { RecordSignature } from './signature.js';
import { freeRegionsOf } from './unallocated.js';

export type FreelistRole = 'trunk' | 'leaf';

/** One signature's reading of a freed page. */
export interface FreelistAttribution {
  readonly signatureName: string;
  readonly records: FreedRecord[];
  readonly issues: Issue[];
}

export interface FreelistPageCarve extends FreedCarveResult {
  /** Signature name the page was attributed to, or undefined when nothing decoded or the best readings tie. */
  readonly attributedTo: string | undefined;
  /**
   * Signatures whose readings explain the most records, best first; more than one when they tie
   * (the caller may break the tie with live evidence, see assembly/record-states.ts).
   */
  readonly tied: readonly FreelistAttribution[];
}

function listedKind(type: number): FreedCellKind | undefined {
  if (type === PageType.tableLeaf) return 'table-leaf';
  if (type === PageType.indexLeaf) return 'index-leaf';
  if (type === PageType.indexInterior) return 'index-interior';
  return undefined;
}

/** Records of one signature on a freed page whose b-tree header survived. */
function carveFreedBtreePage(page: Uint8Array, pageNumber: number, pagePath: SourcePath, btreePage: BtreePage, signature: RecordSignature, context: FreedCarveContext): FreedCarveResult {
  const records: FreedRecord[] = [];
  const issues: Issue[] = [];
  const kind = listedKind(btreePage.type);
  const kinds = cellKindsFor(btreePage.type, signature);
  if (kinds.length === 0) return { records, issues };
  const space = freeRegionsOf(page, btreePage, context.usableSize, pagePath);
  if (kind !== undefined) {
    for (const [start, end] of space.cellExtents) {
      const cell = intactCellAt(page, start, end, kind, signature, context.usableSize);
      const decoded = cell === undefined || cell.cellEndInPage !== end ? undefined : decodeCandidate(page, cell, context);
      if (decoded === undefined) {
        issues.push(issue('sqlite.freed.listed-cell-undecoded', 'info', pagePath, start, `Freed page ${pageNumber}, listed cell at ${formatOffset(start)}: not a record of ${signature.name}`, { table: signature.name }));
        continue;
      }
      records.push(
        carvedRecord(page, decoded, signature, {
          databaseName: context.databaseName,
          pageNumber,
          pagePath,
          state: RecordState.freelist,
          level: decoded.complete ? 'high' : 'low',
          reasons: [`cell listed by the cell-pointer array of freed page ${pageNumber} (page kept whole on the freelist)`],
        }),
      );
    }
  }
  for (const region of space.regions) {
    const carve = carveRegion(page, region, kinds, signature, context, { hintStarts: space.stalePointers });
    const result = recordsOfRegion(page, pageNumber, pagePath, region, carve, signature, context, RecordState.freelist, [`freed page ${pageNumber} on the freelist`]);
    records.push(...result.records);
    issues.push(...result.issues);
  }
  return { records, issues: [...space.issues, ...issues] };
}

/** How many of the first listed cells of a freed page are intact records of `signature` (a cheap attribution test). */
function listedCellsRead(page: Uint8Array, btreePage: BtreePage, kind: FreedCellKind, signature: RecordSignature, context: FreedCarveContext): number {
  let count = 0;
  for (const offset of btreePage.cellOffsetsInPage.slice(0, 8)) {
    const cell = intactCellAt(page, offset, context.usableSize, kind, signature, context.usableSize);
    if (cell !== undefined && cell.firstOverflowPageNumber === 0 && decodeCandidate(page, cell, context) !== undefined) count++;
    else if (cell !== undefined && cell.firstOverflowPageNumber !== 0) count++;
  }
  return count;
}

/** How many of the first blocks of the page's freeblock chain start with a cell of `signature` whose prefix was overwritten. */
function chainBlocksRead(page: Uint8Array, btreePage: BtreePage, signature: RecordSignature, context: FreedCarveContext, pagePath: SourcePath): number {
  let count = 0;
  const kinds = cellKindsFor(btreePage.type, signature);
  for (const block of walkFreeblockChain(page, btreePage, context.usableSize, pagePath).blocks.slice(0, 4)) {
    const end = block.startInPage + block.sizeInBytes;
    for (const kind of kinds) {
      const layouts = clobberedLayoutsAt(page, block.startInPage, end, kind, signature, context.usableSize);
      if (layouts.exact.some((reading) => decodeCandidate(page, reading, context) !== undefined) || layouts.partial.length > 0) {
        count++;
        break;
      }
    }
  }
  return count;
}

/** Records of one signature in the part of a trunk page that its page list did not overwrite. */
function carveTrunkTail(page: Uint8Array, pageNumber: number, pagePath: SourcePath, signature: RecordSignature, context: FreedCarveContext): FreedCarveResult {
  const usable = Math.min(context.usableSize, page.length);
  const maximumLeaves = Math.floor(context.usableSize / 4) - 2;
  const leafCount = Math.min(u32beUnchecked(page, 4), maximumLeaves);
  const region: FreeRegion = { kind: 'trunk-tail', startInPage: 8 + 4 * leafCount, endInPage: usable, headerStarts: [] };
  const kinds: readonly FreedCellKind[] = signature.cellKind === 'table-leaf' ? ['table-leaf'] : ['index-leaf'];
  const carve = carveRegion(page, region, kinds, signature, context, { hintStarts: [] });
  return recordsOfRegion(page, pageNumber, pagePath, region, carve, signature, context, RecordState.freelist, [`freelist trunk page ${pageNumber}: bytes before ${formatOffset(region.startInPage)} overwritten by the trunk's page list`]);
}

/**
 * Carves one freelist page. `signatures` are the candidate tables (live, dropped, indexes); with
 * `attributedTo` (a page reached from a dropped table's root) only that signature is tried.
 * Issues: the carvers', `sqlite.freed.attribution-ambiguous`, `sqlite.freed.page-not-btree` (info:
 * a freed page with no b-tree header, usually an old overflow page).
 */
export function carveFreelistPage(
  page: Uint8Array,
  pageNumber: number,
  pagePath: SourcePath,
  role: FreelistRole,
  signatures: readonly RecordSignature[],
  context: FreedCarveContext,
  attributedTo?: string,
): FreelistPageCarve {
  const candidates = attributedTo === undefined ? signatures : signatures.filter((signature) => signature.name === attributedTo);
  let btreePage: BtreePage | undefined;
  if (role === 'leaf') {
    const parsed = parseBtreePage(page, 0, 0, context.usableSize, pagePath);
    if (parsed.kind === 'parsed') btreePage = parsed.value;
    if (btreePage === undefined) {
      return { tied: [], records: [], issues: [issue('sqlite.freed.page-not-btree', 'info', pagePath, 0, `Freelist leaf page ${pageNumber}: no b-tree header (type byte 0x${(page[0] ?? 0).toString(16).padStart(2, '0')}); an old overflow or unused page`)], attributedTo: undefined };
    }
  }
  // A freed b-tree page usually still lists cells: signatures that read none of them when another
  // reads some are not tried on the rest of the page (the expensive part).
  // A page emptied by deletes lists nothing: then the first blocks of its freeblock chain are read
  // with each signature instead (as overwritten cells).
  let tried = btreePage === undefined ? candidates : candidates.filter((signature) => cellKindsFor(btreePage.type, signature).length > 0);
  if (btreePage !== undefined && tried.length > 1) {
    const kind = listedKind(btreePage.type);
    let reads = tried.map((signature) => (kind === undefined ? 0 : listedCellsRead(page, btreePage, kind, signature, context)));
    if (!reads.some((count) => count > 0)) reads = tried.map((signature) => chainBlocksRead(page, btreePage, signature, context, pagePath));
    if (reads.some((count) => count > 0)) tried = tried.filter((_, at) => (reads[at] as number) > 0);
  }
  // A trunk's first 8 + 4L bytes are its page list now: whatever the page held there is gone.
  const accounting: Issue[] = [];
  if (role === 'trunk') {
    const leafCount = Math.min(u32beUnchecked(page, 4), Math.floor(context.usableSize / 4) - 2);
    accounting.push(
      issue('sqlite.freed.trunk-overwritten', 'info', pagePath, 0, `Freelist trunk page ${pageNumber}: bytes ${formatOffset(0)}–${formatOffset(8 + 4 * leafCount)} hold the trunk's next pointer, leaf count and ${leafCount} leaf numbers; earlier content there is lost`, {
        length: 8 + 4 * leafCount,
      }),
    );
  }
  const results: { signature: RecordSignature; result: FreedCarveResult }[] = [];
  for (const signature of tried) {
    const result = btreePage === undefined ? carveTrunkTail(page, pageNumber, pagePath, signature, context) : carveFreedBtreePage(page, pageNumber, pagePath, btreePage, signature, context);
    if (result.records.length > 0) results.push({ signature, result });
  }
  if (results.length === 0) {
    // Report what no signature explained once, with the first applicable signature's issues.
    const first = candidates.find((signature) => (btreePage === undefined ? true : cellKindsFor(btreePage.type, signature).length > 0));
    if (first === undefined) return { records: [], issues: accounting, attributedTo: undefined, tied: [] };
    const result = btreePage === undefined ? carveTrunkTail(page, pageNumber, pagePath, first, context) : carveFreedBtreePage(page, pageNumber, pagePath, btreePage, first, context);
    return { records: [], issues: [...accounting, ...result.issues], attributedTo: undefined, tied: [] };
  }
  const best = Math.max(...results.map((entry) => entry.result.records.length));
  const tied = results.filter((entry) => entry.result.records.length === best).map((entry) => ({ signatureName: entry.signature.name, records: entry.result.records, issues: entry.result.issues }));
  const chosen = tied[0] as FreelistAttribution;
  if (tied.length === 1) return { records: chosen.records, issues: [...accounting, ...chosen.issues], attributedTo: chosen.signatureName, tied };
  // Tables with the same shape read the page the same way: which one it belonged to is not in the
  // bytes. The records are kept, unattributed, and the tie is reported.
  const names = tied.map((entry) => entry.signatureName);
  const table = unattributedName(names);
  const records = chosen.records.map((record) => ({ ...record, table, confidence: { level: 'low' as const, reasons: [...record.confidence.reasons, `page attribution ambiguous between ${names.join(', ')}; values read as ${chosen.signatureName}`] } }));
  const issues = [
    ...accounting,
    ...chosen.issues,
    issue('sqlite.freed.attribution-ambiguous', 'warning', pagePath, 0, `Freed page ${pageNumber}: ${best} record(s) fit ${names.join(', ')} equally; reported as ${table}`, { tables: names.join(',') }),
  ];
  return { records, issues, attributedTo: undefined, tied };
}

/** Table name of records whose page fits several tables equally. */
export function unattributedName(names: readonly string[]): string {
  return `unattributed(${names.join('|')})`;
}
