/**
 * Reversible text in XML. XML 1.0 cannot carry most control characters at all, parsers turn a raw
 * CR into LF in content, and they turn TAB, LF and CR into spaces in attribute values. exhume never
 * drops or alters such a string: it writes the hex of its exact UTF-8 bytes instead and says so.
 *
 * - Element content: `encoding="hex"` on `ex:` elements, `ex:encoding="hex"` on DFXML elements
 *   (the schema only admits foreign attributes there).
 * - Attribute values: the attribute is renamed `<name>-hex` and holds the hex.
 */

/** Characters that cannot survive in element content: C0 controls except TAB and LF, CR, U+FFFE/F, lone surrogates. */
const unsafeInText = /[\u0000-\u0008\u000B-\u001F\uFFFE\uFFFF\p{Cs}]/u;
/** In attribute values TAB and LF are unsafe too (attribute-value normalisation). */
const unsafeInAttribute = /[\u0000-\u001F\uFFFE\uFFFF\p{Cs}]/u;

export function isSafeXmlText(value: string): boolean {
  return !unsafeInText.test(value);
}

export function isSafeXmlAttribute(value: string): boolean {
  return !unsafeInAttribute.test(value);
}

export function utf8Hex(value: string): string {
  return Buffer.from(value, 'utf8').toString('hex');
}

/** Escapes `&`, `<`, `>` for hand-written element content (the caller checked `isSafeXmlText`). */
export function escapeXmlText(value: string): string {
  return value.replace(/[&<>]/g, (character) => (character === '&' ? '&amp;' : character === '<' ? '&lt;' : '&gt;'));
}

/** Escapes for a double-quoted, hand-written attribute value (the caller checked `isSafeXmlAttribute`). */
export function escapeXmlAttribute(value: string): string {
  return value.replace(/[&<>"]/g, (character) =>
    character === '&' ? '&amp;' : character === '<' ? '&lt;' : character === '>' ? '&gt;' : '&quot;',
  );
}

/**
 * A hand-written DFXML element holding `value`, hex-encoded (with `ex:encoding="hex"`) when the
 * text is not XML-safe.
 */
export function dfxmlTextElement(name: string, value: string): string {
  return isSafeXmlText(value)
    ? `<${name}>${escapeXmlText(value)}</${name}>`
    : `<${name} ex:encoding="hex">${utf8Hex(value)}</${name}>`;
}
