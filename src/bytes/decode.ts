/**
 * The one place binary-parser layouts run. binary-parser 2.3.0 throws on short buffers (DataView
 * RangeError) and on failed asserts, so the length is checked first and any throw becomes
 * `malformed`.
 */
import type { Parser } from 'binary-parser';
import type { Issue, ParseOutcome } from '../issues/issue.js';
import { issue } from '../issues/issue.js';
import type { SourcePath } from '../provenance/path.js';
import { formatOffset } from './offsets.js';

export function decode<T>(
  layout: Parser,
  sizeInBytes: number,
  bytes: Uint8Array,
  at: number,
  path: SourcePath,
  code: string,
  what: string,
): ParseOutcome<T> {
  if (at < 0 || at + sizeInBytes > bytes.length) {
    const problem: Issue = issue(
      code,
      'error',
      path,
      at,
      `${what} at ${formatOffset(at)}: needs ${sizeInBytes} bytes, ${Math.max(0, bytes.length - at)} available`,
    );
    return { kind: 'malformed', issues: [problem] };
  }
  try {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset + at, sizeInBytes);
    return { kind: 'parsed', value: layout.parse(view) as T, issues: [] };
  } catch (error) {
    const problem: Issue = issue(code, 'error', path, at, `${what} at ${formatOffset(at)}: ${String(error)}`);
    return { kind: 'malformed', issues: [problem] };
  }
}
