/**
 * Offset formatting shared by every message and report: `0x` plus at least 8 hex digits.
 */
export function formatOffset(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** Hex of a byte value or small field, for messages: `0x0d`, `0x377f0682`. */
export function formatHex(value: number, digits = 2): string {
  return `0x${value.toString(16).padStart(digits, '0')}`;
}
