/**
 * B-tree page header and cell-pointer array. Pure: reads a page image given as (bytes, pageStart).
 * Offsets reported in issues are absolute within `bytes`.
 */
import { formatHex, formatOffset } from '../../bytes/offsets.js';
import { u16beUnchecked, u32beUnchecked } from '../../bytes/read.js';
import type { Issue, ParseOutcome } from '../../issues/issue.js';
import { issue, notThisFormat } from '../../issues/issue.js';
import type { SourcePath } from '../../provenance/path.js';
import type { PageType } from './layout.js';
import { INTERIOR_HEADER_SIZE_IN_BYTES, LEAF_HEADER_SIZE_IN_BYTES, PageType as PageTypes, isPageType } from './layout.js';

export interface BtreePage {
  readonly type: PageType;
  /** 0, or 100 on page 1. */
  readonly headerOffsetInPage: number;
  readonly firstFreeblockOffsetInPage: number;
  readonly cellCount: number;
  /** Start of the cell content area (the field value 0 means 65536). */
  readonly cellContentStartInPage: number;
  readonly fragmentedFreeByteCount: number;
  /** Right-most child page number (interior pages only; 0 on leaves). */
  readonly rightChildPageNumber: number;
  /** Offset in page just after the cell-pointer array: where the unallocated gap begins. */
  readonly cellPointerArrayEndInPage: number;
  /** Cell offsets in page, in key order; pointers outside the content area are dropped with an issue. */
  readonly cellOffsetsInPage: readonly number[];
}

export function isInteriorType(type: PageType): boolean {
  return type === PageTypes.tableInterior || type === PageTypes.indexInterior;
}

/**
 * Parses the b-tree page header at `pageStart + headerOffsetInPage`.
 * Outcomes: not-this-format when the type byte is not a b-tree type; malformed
 * (`sqlite.page.truncated`, `sqlite.page.cell-count-invalid`, `sqlite.page.content-start-invalid`);
 * parsed with warnings (`sqlite.page.cell-pointer-out-of-range`, `sqlite.page.fragmented-bytes`).
 */
export function parseBtreePage(
  bytes: Uint8Array,
  pageStart: number,
  headerOffsetInPage: number,
  usableSize: number,
  path: SourcePath,
): ParseOutcome<BtreePage> {
  const headerStart = pageStart + headerOffsetInPage;
  if (headerStart >= bytes.length) {
    return { kind: 'malformed', issues: [issue('sqlite.page.truncated', 'error', path, headerStart, `B-tree page header at ${formatOffset(headerStart)}: page is empty`)] };
  }
  const type = bytes[headerStart] as number;
  if (!isPageType(type)) return notThisFormat;
  const headerSize = type === PageTypes.tableLeaf || type === PageTypes.indexLeaf ? LEAF_HEADER_SIZE_IN_BYTES : INTERIOR_HEADER_SIZE_IN_BYTES;
  const pageEnd = Math.min(bytes.length, pageStart + usableSize);
  if (headerStart + headerSize > pageEnd) {
    return {
      kind: 'malformed',
      issues: [issue('sqlite.page.truncated', 'error', path, headerStart, `B-tree page header at ${formatOffset(headerStart)}: needs ${headerSize} bytes, ${Math.max(0, pageEnd - headerStart)} available`)],
    };
  }
  const firstFreeblock = u16beUnchecked(bytes, headerStart + 1);
  const cellCount = u16beUnchecked(bytes, headerStart + 3);
  const contentField = u16beUnchecked(bytes, headerStart + 5);
  const cellContentStart = contentField === 0 ? 65_536 : contentField;
  const fragmented = bytes[headerStart + 7] as number;
  const rightChild = headerSize === INTERIOR_HEADER_SIZE_IN_BYTES ? u32beUnchecked(bytes, headerStart + 8) : 0;
  const pointerArrayStart = headerOffsetInPage + headerSize;
  const pointerArrayEnd = pointerArrayStart + 2 * cellCount;
  if (pointerArrayEnd > usableSize) {
    return {
      kind: 'malformed',
      issues: [
        issue('sqlite.page.cell-count-invalid', 'error', path, headerStart + 3, `B-tree page at ${formatOffset(pageStart)}: cell count ${cellCount} needs a pointer array up to ${pointerArrayEnd}, beyond the usable size ${usableSize}`, {
          value: cellCount,
        }),
      ],
    };
  }
  const issues: Issue[] = [];
  if (cellCount > 0 && (cellContentStart < pointerArrayEnd || cellContentStart > usableSize)) {
    issues.push(
      issue('sqlite.page.content-start-invalid', 'warning', path, headerStart + 5, `B-tree page at ${formatOffset(pageStart)}: cell content start ${cellContentStart} outside [${pointerArrayEnd}, ${usableSize}]`, {
        value: cellContentStart,
      }),
    );
  }
  if (fragmented > 60) {
    issues.push(issue('sqlite.page.fragmented-bytes', 'warning', path, headerStart + 7, `B-tree page at ${formatOffset(pageStart)}: ${fragmented} fragmented bytes (> 60)`, { value: fragmented }));
  }
  const cellOffsets: number[] = [];
  const available = Math.min(pointerArrayEnd, pageEnd - pageStart);
  const lowestCell = Math.min(pointerArrayEnd, usableSize);
  for (let pointer = pointerArrayStart; pointer + 2 <= available; pointer += 2) {
    const cellOffset = u16beUnchecked(bytes, pageStart + pointer);
    if (cellOffset < lowestCell || cellOffset >= usableSize) {
      issues.push(
        issue('sqlite.page.cell-pointer-out-of-range', 'warning', path, pageStart + pointer, `B-tree page at ${formatOffset(pageStart)}: cell pointer ${(pointer - pointerArrayStart) / 2} = ${formatHex(cellOffset, 4)} outside [${lowestCell}, ${usableSize})`, {
          value: cellOffset,
        }),
      );
      continue;
    }
    cellOffsets.push(cellOffset);
  }
  if (available < pointerArrayEnd) {
    issues.push(issue('sqlite.page.truncated', 'warning', path, pageStart + available, `B-tree page at ${formatOffset(pageStart)}: cell pointer array cut at ${formatOffset(pageStart + available)}; ${cellOffsets.length} of ${cellCount} pointers read`));
  }
  return {
    kind: 'parsed',
    value: {
      type,
      headerOffsetInPage,
      firstFreeblockOffsetInPage: firstFreeblock,
      cellCount,
      cellContentStartInPage: cellContentStart,
      fragmentedFreeByteCount: fragmented,
      rightChildPageNumber: rightChild,
      cellPointerArrayEndInPage: pointerArrayEnd,
      cellOffsetsInPage: cellOffsets,
    },
    issues,
  };
}
