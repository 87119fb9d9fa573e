/** Byte builders for tier-1 tests. */

/** `hex\`0d 00 01\`` → bytes. Whitespace and newlines are ignored. */
export function hex(strings: TemplateStringsArray, ...values: unknown[]): Uint8Array {
  const text = strings.reduce((acc, part, index) => acc + part + (index < values.length ? String(values[index]) : ''), '');
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new Error('hex: odd digit count');
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function u16be(value: number): Uint8Array {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}

export function u32be(value: number): Uint8Array {
  return Uint8Array.of((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/** Deterministic pseudo-random noise (xorshift32), never all zeros. */
export function noise(length: number, seed = 0x7f): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[index] = state & 0xff;
  }
  return out;
}

/** `bytes` placed after `prefixLength` bytes of noise, followed by 64 more bytes of noise. */
export function withNoise(prefixLength: number, bytes: Uint8Array, seed = 0x7f): Uint8Array {
  return concat(noise(prefixLength, seed), bytes, noise(64, seed + 1));
}
