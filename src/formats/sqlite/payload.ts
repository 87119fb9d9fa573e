/**
 * How much of a cell's payload stays on the b-tree page (sqlite.md §1.7; fileformat2 "Cell Payload
 * Overflow Pages"). U = usable size, P = payload size; divisions truncate.
 */

/** Most bytes kept local: U − 35 on table leaves; ((U − 12) × 64 / 255) − 23 on index pages. */
export function maximumLocalPayload(usableSize: number, isTable: boolean): number {
  return isTable ? usableSize - 35 : Math.floor(((usableSize - 12) * 64) / 255) - 23;
}

/** Fewest bytes kept local: ((U − 12) × 32 / 255) − 23 for every page kind. */
export function minimumLocalPayload(usableSize: number): number {
  return Math.floor(((usableSize - 12) * 32) / 255) - 23;
}

/** Bytes of a P-byte payload stored on the page itself. */
export function localPayloadSize(payloadSize: number, usableSize: number, isTable: boolean): number {
  const maximum = maximumLocalPayload(usableSize, isTable);
  if (payloadSize <= maximum) return payloadSize;
  const minimum = minimumLocalPayload(usableSize);
  const candidate = minimum + ((payloadSize - minimum) % (usableSize - 4));
  return candidate <= maximum ? candidate : minimum;
}
