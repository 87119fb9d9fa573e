/**
 * Strings that outlive the batch they were unpacked from.
 *
 * Records cross the worker boundary packed (pool/record-batch.ts): a batch's values, hashes and
 * reasons arrive as a few long strings, and unpacking slices them. V8 represents a slice of 13
 * characters or more as a view into its parent, so one value kept for later (a row snapshot of a
 * WAL page version, a fingerprint in a committed view) keeps the whole batch's text alive: measured
 * on the 11,413-frame WAL benchmark, 50 MB of batch texts were held by a few megabytes of slices.
 *
 * `detached` returns an equal string that shares nothing with its source: prepending a character
 * makes a cons string, and slicing that flattens it into a fresh copy, of which V8 keeps a view
 * one character longer than the text. Shorter strings are copies already and pass through.
 * Use it where a string from a record is kept beyond the batch, not on the hot path of records
 * that are written and dropped.
 */
const shortestSliceLength = 13;

export function detached<T extends string | null>(text: T): T {
  if (text === null || text.length < shortestSliceLength) return text;
  return ` ${text}`.slice(1) as T;
}

/** `detached` over every value. */
export function detachedValues<T extends string | null>(values: readonly T[]): T[] {
  const out = new Array<T>(values.length);
  for (let index = 0; index < values.length; index++) out[index] = detached(values[index] as T);
  return out;
}
