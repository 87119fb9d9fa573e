/**
 * Windows over an image (bulk_extractor's pages and margins). A window owns the start positions
 * `[start, start + pageLength)`: a hit belongs to the window its first byte lies in, so every
 * structure is reported exactly once whatever the window size. It reads `leadLength` bytes before
 * its start and `marginLength` bytes past its end (both clipped to the image) so a structure that
 * starts near either edge is still checked whole (signatures.ts explains the sizes).
 */
import { defaultWindowSizeInBytes, scanLeadSizeInBytes, scanMarginSizeInBytes } from './signatures.js';

export interface ScanWindow {
  /** 0-based position in the plan. */
  readonly index: number;
  /** Image offset of the first start position the window owns (a multiple of 512). */
  readonly start: number;
  /** Start positions owned: `[start, start + pageLength)`. */
  readonly pageLength: number;
  /** Bytes readable past the owned range (clipped to the image end). */
  readonly marginLength: number;
  /** Bytes readable before `start` (clipped to the image start). */
  readonly leadLength: number;
}

export interface WindowPlanOptions {
  /** Owned length of each window; rounded up to a multiple of 512. Default 16 MiB. */
  readonly windowSizeInBytes?: number;
  readonly marginSizeInBytes?: number;
  readonly leadSizeInBytes?: number;
}

/**
 * Plans the windows of an image of `imageSizeInBytes` bytes. An empty image has no window.
 * @throws Error on a negative or unsafe size, or a non-positive window size (programmer errors).
 */
export function planWindows(imageSizeInBytes: number, options: WindowPlanOptions = {}): ScanWindow[] {
  if (!Number.isSafeInteger(imageSizeInBytes) || imageSizeInBytes < 0) throw new Error(`planWindows: image size ${imageSizeInBytes} is not a non-negative safe integer`);
  const asked = options.windowSizeInBytes ?? defaultWindowSizeInBytes;
  if (!Number.isSafeInteger(asked) || asked <= 0) throw new Error(`planWindows: window size ${asked} must be a positive safe integer`);
  const pageLengthFull = Math.ceil(asked / 512) * 512;
  const margin = options.marginSizeInBytes ?? scanMarginSizeInBytes;
  const lead = options.leadSizeInBytes ?? scanLeadSizeInBytes;
  const windows: ScanWindow[] = [];
  for (let start = 0, index = 0; start < imageSizeInBytes; start += pageLengthFull, index++) {
    const pageLength = Math.min(pageLengthFull, imageSizeInBytes - start);
    windows.push({
      index,
      start,
      pageLength,
      marginLength: Math.max(0, Math.min(margin, imageSizeInBytes - start - pageLength)),
      leadLength: Math.min(lead, start),
    });
  }
  return windows;
}
