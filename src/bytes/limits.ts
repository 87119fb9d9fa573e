/**
 * Every length or count read from evidence passes `safeLength()` against a named limit before it
 * drives a loop, an allocation or a slice. The limits live here, with their unit and purpose.
 */

/** Largest SQLite page (the header value 1 means 65536). */
export const maximumPageSizeInBytes = 65_536;
/** Smallest SQLite page. */
export const minimumPageSizeInBytes = 512;
/** A record header cannot be larger than a page's usable area in a sane database; larger means garbage. */
export const maximumRecordHeaderSizeInBytes = 65_536;
/** SQLite's SQLITE_MAX_LENGTH default is 1e9; recovered records are capped well below it. */
export const maximumPayloadSizeInBytes = 1_000_000_000;
/** Overflow chains longer than this are treated as loops or garbage. */
export const maximumOverflowChainLength = 1_000_000;
/** SQLITE_MAX_COLUMN hard limit. */
export const maximumColumnCount = 32_767;
/** B-tree depth: SQLite itself refuses trees deeper than 20 (BTCURSOR_MAX_DEPTH). */
export const maximumBtreeDepth = 20;
/** Pages that may be visited by one b-tree walk: bounded by the page count, never by evidence. */
export const maximumFreelistTrunkCount = 10_000_000;

export interface LengthCheck {
  readonly ok: boolean;
  readonly value: number;
}

/**
 * Bounds a length read from evidence. Returns `{ ok: false }` when the value is negative, not an
 * integer or above `maximum`; the caller turns that into an Issue naming `reason`.
 */
export function safeLength(value: number | bigint, maximum: number): LengthCheck {
  const numeric = typeof value === 'bigint' ? (value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value)) : value;
  if (!Number.isSafeInteger(numeric) || numeric < 0 || numeric > maximum) return { ok: false, value: numeric };
  return { ok: true, value: numeric };
}
