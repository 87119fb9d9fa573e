/**
 * Provenance chains: how a finding's bytes were reached, from the evidence file down to the
 * structure. Plain data (survives structuredClone and JSON), renders to one stable string, and
 * folds back to an absolute image offset wherever every layer is linear.
 */
import { formatOffset } from '../bytes/offsets.js';

export type Layer =
  | { readonly kind: 'file'; readonly location: string }
  | { readonly kind: 'range'; readonly start: number; readonly length: number }
  | { readonly kind: 'sqlite-page'; readonly pageNumber: number; readonly pageSize: number }
  | {
      readonly kind: 'wal-frame';
      readonly frameIndex: number;
      readonly pageNumber: number;
      readonly salt1: number;
      readonly salt2: number;
      /** Size of the WAL frame header + page, so the page's file offset can be computed. */
      readonly pageSize: number;
    }
  | { readonly kind: 'journal-record'; readonly recordIndex: number; readonly pageNumber: number; readonly fileOffset: number }
  | { readonly kind: 'overflow'; readonly pageNumbers: readonly number[] }
  | { readonly kind: 'cell'; readonly offsetInPage: number };

export interface SourcePath {
  readonly layer: Layer;
  readonly parent: SourcePath | null;
}

export const WAL_HEADER_SIZE_IN_BYTES = 32;
export const WAL_FRAME_HEADER_SIZE_IN_BYTES = 24;

export function filePath(location: string): SourcePath {
  if (location.length === 0) throw new Error('filePath: empty location');
  return { layer: { kind: 'file', location }, parent: null };
}

/**
 * Adds a layer. Invalid numbers are programmer errors, so this throws.
 * @throws Error on a negative or unsafe integer field.
 */
export function extendPath(parent: SourcePath, layer: Layer): SourcePath {
  for (const [key, value] of Object.entries(layer)) {
    if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 0)) {
      throw new Error(`extendPath: ${layer.kind}.${key} must be a non-negative safe integer, got ${value}`);
    }
  }
  return { layer, parent };
}

export function layers(path: SourcePath): Layer[] {
  const out: Layer[] = [];
  for (let node: SourcePath | null = path; node !== null; node = node.parent) out.push(node.layer);
  return out.reverse();
}

export function renderLayer(layer: Layer): string {
  switch (layer.kind) {
    case 'file':
      return `file:${layer.location}`;
    case 'range':
      return `range@${formatOffset(layer.start)}+${formatOffset(layer.length)}`;
    case 'sqlite-page':
      return `sqlite-page#${layer.pageNumber}`;
    case 'wal-frame':
      return `wal-frame#${layer.frameIndex}(page ${layer.pageNumber}, salts ${hex32(layer.salt1)}/${hex32(layer.salt2)})`;
    case 'journal-record':
      return `journal-record#${layer.recordIndex}(page ${layer.pageNumber})`;
    case 'overflow':
      return `overflow(${layer.pageNumbers.join(',')})`;
    case 'cell':
      return `cell@${formatOffset(layer.offsetInPage)}`;
  }
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** One stable string; path equality is string equality. */
export function renderPath(path: SourcePath): string {
  return layers(path).map(renderLayer).join(' > ');
}

/** The file (evidence) location the chain starts from. */
export function rootLocation(path: SourcePath): string {
  let node: SourcePath = path;
  while (node.parent !== null) node = node.parent;
  return node.layer.kind === 'file' ? node.layer.location : '';
}

/**
 * Maps `offsetInLeaf` (an offset inside the last layer) back to an absolute offset in the root
 * file. Returns undefined where a layer is not linear (an overflow-reassembled payload).
 */
export function toImageOffset(path: SourcePath, offsetInLeaf: number): number | undefined {
  let offset = offsetInLeaf;
  for (let node: SourcePath | null = path; node !== null; node = node.parent) {
    const layer = node.layer;
    switch (layer.kind) {
      case 'file':
        return offset;
      case 'range':
        offset += layer.start;
        break;
      case 'sqlite-page': {
        // A page inside a database file (or a range) starts at (n - 1) * pageSize, unless its
        // parent already positions the page (a WAL frame or journal record).
        const parentKind = node.parent?.layer.kind;
        if (parentKind !== 'wal-frame' && parentKind !== 'journal-record') offset += (layer.pageNumber - 1) * layer.pageSize;
        break;
      }
      case 'wal-frame':
        offset +=
          WAL_HEADER_SIZE_IN_BYTES +
          (layer.frameIndex - 1) * (WAL_FRAME_HEADER_SIZE_IN_BYTES + layer.pageSize) +
          WAL_FRAME_HEADER_SIZE_IN_BYTES;
        break;
      case 'journal-record':
        offset += layer.fileOffset + 4;
        break;
      case 'overflow':
        return undefined;
      case 'cell':
        offset += layer.offsetInPage;
        break;
    }
  }
  return offset;
}
