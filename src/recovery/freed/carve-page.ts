/**
 * Freed records of one b-tree page image (issue items 1 and 2): freeblocks, the unallocated gap,
 * fragments and free space the chain no longer reaches, carved for one table's signature. Pure:
 * the page bytes, its parsed header and plain data in; EvidenceRecords and Issues out, every record
 * with status `unknown` (assembly/record-states.ts decides deleted / stale copy / superseded).
 */
import { formatOffset } from '../../bytes/offsets.js';
import type { ConfidenceLevel, RecordState } from '../../evidence/record.js';
import { RecordState as States } from '../../evidence/record.js';
import type { Issue } from '../../issues/issue.js';
import { issue } from '../../issues/issue.js';
import { PageType } from '../../formats/sqlite/layout.js';
import type { BtreePage } from '../../formats/sqlite/parse-page.js';
import type { SourcePath } from '../../provenance/path.js';
import type { FreedCarveContext } from './build-record.js';
import type { FreedRecord } from './build-record.js';
import { carvedRecord } from './build-record.js';
import type { ChosenCell, FreeRegion, RegionCarve } from './carve-region.js';
import { carveRegion } from './carve-region.js';
import type { FreedCellKind } from './header-rebuild.js';
import { CandidateScore } from './header-rebuild.js';
import type { RecordSignature } from './signature.js';
import { freeRegionsOf } from './unallocated.js';

export interface FreedCarveResult {
  readonly records: FreedRecord[];
  readonly issues: Issue[];
}

/** Cell kinds to try in the free space of each page type (an interior root keeps its old leaf cells). */
export function cellKindsFor(pageType: number, signature: RecordSignature): readonly FreedCellKind[] {
  if (signature.cellKind === 'table-leaf') return pageType === PageType.tableLeaf || pageType === PageType.tableInterior ? ['table-leaf'] : [];
  if (pageType === PageType.indexLeaf) return ['index-leaf'];
  if (pageType === PageType.indexInterior) return ['index-interior', 'index-leaf'];
  return [];
}

const regionDescriptions: Readonly<Record<FreeRegion['kind'], string>> = {
  freeblock: 'in a freeblock of the chain',
  unreached: 'in free space the freeblock chain does not reach',
  'unallocated-gap': 'in the unallocated gap between the cell-pointer array and the cell content',
  'trunk-tail': 'in the part of a freelist trunk page its page list did not overwrite',
  'freed-page': 'in a freed page',
};

export function stateOfRegion(kind: FreeRegion['kind']): RecordState {
  return kind === 'unallocated-gap' ? States.unallocated : States.freeblock;
}

/** Confidence from how the cell was read: whole, prefix lost, types rebuilt, pattern-chosen, partial. */
export function levelOf(cell: ChosenCell): ConfidenceLevel {
  const candidate = cell.decoded.candidate;
  if (cell.byProfile || candidate.choiceMade || !cell.decoded.complete || cell.score < CandidateScore.clobberedExact) return 'low';
  if (candidate.rebuiltTypeCount > 0 || candidate.headerSizeRebuilt) return 'medium';
  return 'high';
}

/** Records and issues from one carved region. `state` overrides the region's own (freelist pages). */
export function recordsOfRegion(
  page: Uint8Array,
  pageNumber: number,
  pagePath: SourcePath,
  region: FreeRegion,
  carve: RegionCarve,
  signature: RecordSignature,
  context: FreedCarveContext,
  state: RecordState | undefined,
  extraReasons: readonly string[] = [],
): FreedCarveResult {
  const records: FreedRecord[] = [];
  const issues: Issue[] = [];
  const where = `${regionDescriptions[region.kind]} [${formatOffset(region.startInPage)}, ${formatOffset(region.endInPage)}) of page ${pageNumber}`;
  for (const cell of carve.cells) {
    const reasons = [where, ...extraReasons];
    if (cell.byProfile) reasons.push(`rebuilt serial types chosen because only they fit the type pattern of ${signature.profile?.[0]?.sampleCount ?? 0} live records`);
    if (cell.score < CandidateScore.clobberedExact && !cell.decoded.candidate.choiceMade && !cell.decoded.candidate.clobbered) reasons.push('intact cell found by scanning, not at a known cell boundary');
    records.push(
      carvedRecord(page, cell.decoded, signature, {
        databaseName: context.databaseName,
        pageNumber,
        pagePath,
        state: state ?? stateOfRegion(region.kind),
        level: levelOf(cell),
        reasons,
      }),
    );
  }
  for (const entry of carve.ambiguous) {
    issues.push(
      issue(
        'sqlite.freed.header-ambiguous',
        'warning',
        pagePath,
        entry.offsetInPage,
        `Page ${pageNumber}, freed cell at ${formatOffset(entry.offsetInPage)} (table ${signature.name}): ${entry.readings.length === 0 ? 'too many' : entry.readings.length} readings of the overwritten header decode to different values; not reported as a record`,
        { readings: entry.readings.length, table: signature.name },
      ),
    );
  }
  for (const run of carve.undecoded) {
    issues.push(
      issue(
        'sqlite.freed.undecoded-bytes',
        'info',
        pagePath,
        run.startInPage,
        `Page ${pageNumber}: ${run.endInPage - run.startInPage} bytes at ${formatOffset(run.startInPage)} ${regionDescriptions[region.kind]} do not decode as records of ${signature.name}`,
        { length: run.endInPage - run.startInPage, table: signature.name },
      ),
    );
  }
  return { records, issues };
}

/**
 * Carves every free region of a parsed b-tree page for records of `signature`'s table.
 * Issues: the chain's and the page's free-space issues (freeblocks.ts, unallocated.ts),
 * `sqlite.freed.header-ambiguous`, `sqlite.freed.undecoded-bytes`.
 */
export function carveFreedCells(page: Uint8Array, pageNumber: number, pagePath: SourcePath, btreePage: BtreePage, signature: RecordSignature, context: FreedCarveContext, state?: RecordState): FreedCarveResult {
  const kinds = cellKindsFor(btreePage.type, signature);
  if (kinds.length === 0) return { records: [], issues: [] };
  const space = freeRegionsOf(page, btreePage, context.usableSize, pagePath);
  const records: FreedRecord[] = [];
  const issues: Issue[] = [...space.issues];
  for (const region of space.regions) {
    const carve = carveRegion(page, region, kinds, signature, context, { hintStarts: space.stalePointers });
    const result = recordsOfRegion(page, pageNumber, pagePath, region, carve, signature, context, state);
    records.push(...result.records);
    issues.push(...result.issues);
  }
  return { records, issues };
}
