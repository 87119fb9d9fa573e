/**
 * Forensic paths in the spirit of bulk_extractor (dfxml.md §5): the decimal image offset of the
 * deepest linear point of the provenance chain, plus one `-HOP` per layer below it.
 *
 * - Bytes that exist as such in the image (every layer linear, `imageOffset` defined): the decimal
 *   image offset alone, e.g. `5271093`.
 * - Bytes that exist only after reassembly (an `overflow` layer, or any future non-linear layer):
 *   the image offset of the deepest ancestor that still maps to the image, then one hop per
 *   remaining layer, e.g. `20480-OVERFLOW-6.7-cell0` (page 5's cell continued on pages 6 and 7),
 *   or `8192-SQLITE-page12-cell3` for a page of a database rebuilt behind a non-linear layer.
 *
 * Hop tokens: `SQLITE-page<n>`, `cell<offsetInPage>`, `OVERFLOW-<p1>.<p2>…`, `WAL-frame<i>`,
 * `JOURNAL-record<i>`, `RANGE-<start>`; all numbers decimal. Only the first number is an image
 * offset, exactly as bulk_extractor's `identify_filenames.py` expects.
 */
import type { Layer, SourcePath } from '../provenance/path.js';
import { toImageOffset } from '../provenance/path.js';

export function forensicPath(path: SourcePath, imageOffset: number | undefined): string {
  if (imageOffset !== undefined) return String(imageOffset);
  const hops: string[] = [];
  for (let node: SourcePath | null = path; node !== null; node = node.parent) {
    const anchor = toImageOffset(node, 0);
    if (anchor !== undefined) return String(anchor) + hops.reverse().join('');
    hops.push(`-${hopToken(node.layer)}`);
  }
  // Unreachable for a chain rooted at a file layer (offset 0 of the file is always linear).
  return `0${hops.reverse().join('')}`;
}

function hopToken(layer: Layer): string {
  switch (layer.kind) {
    case 'sqlite-page':
      return `SQLITE-page${layer.pageNumber}`;
    case 'cell':
      return `cell${layer.offsetInPage}`;
    case 'overflow':
      return `OVERFLOW-${layer.pageNumbers.join('.')}`;
    case 'wal-frame':
      return `WAL-frame${layer.frameIndex}`;
    case 'journal-record':
      return `JOURNAL-record${layer.recordIndex}`;
    case 'range':
      return `RANGE-${layer.start}`;
    case 'file':
      return `FILE`;
    default: {
      // A layer kind added after this file was written: name it rather than fail.
      const unknown: { readonly kind: string } = layer;
      return unknown.kind.toUpperCase();
    }
  }
}
