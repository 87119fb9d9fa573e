/**
 * Bounds-checked big- and little-endian readers over a Uint8Array. Each returns `undefined` when
 * the field does not fit, so callers decide whether that is `*.truncated` or not-this-format.
 */

export function u8(bytes: Uint8Array, at: number): number | undefined {
  return at >= 0 && at < bytes.length ? bytes[at] : undefined;
}

export function u16be(bytes: Uint8Array, at: number): number | undefined {
  if (at < 0 || at + 2 > bytes.length) return undefined;
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
}

export function u32be(bytes: Uint8Array, at: number): number | undefined {
  if (at < 0 || at + 4 > bytes.length) return undefined;
  return (
    (bytes[at] as number) * 0x1000000 +
    (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
  );
}

export function u32le(bytes: Uint8Array, at: number): number | undefined {
  if (at < 0 || at + 4 > bytes.length) return undefined;
  return (
    (bytes[at + 3] as number) * 0x1000000 +
    (((bytes[at + 2] as number) << 16) | ((bytes[at + 1] as number) << 8) | (bytes[at] as number))
  );
}

/** Unchecked variants for hot loops whose bounds were checked once by the caller. */
export function u16beUnchecked(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
}

export function u32beUnchecked(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) * 0x1000000 +
    (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
  );
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
