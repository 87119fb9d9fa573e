/**
 * Issues are data: malformed input yields an Issue, never a throw. Codes are dotted
 * (format.structure.reason); messages name the hex offset and the bad value.
 */
import type { SourcePath } from '../provenance/path.js';
import { renderPath, toImageOffset } from '../provenance/path.js';

export type Severity = 'info' | 'warning' | 'error';

export interface Issue {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** Where: the chain down to the structure at fault. */
  readonly path: SourcePath;
  /** Offset inside the last layer of `path`. */
  readonly offsetInLeaf: number;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export function issue(
  code: string,
  severity: Severity,
  path: SourcePath,
  offsetInLeaf: number,
  message: string,
  details?: Readonly<Record<string, string | number | boolean>>,
): Issue {
  return details === undefined
    ? { code, severity, message, path, offsetInLeaf }
    : { code, severity, message, path, offsetInLeaf, details };
}

export function issueImageOffset(value: Issue): number | undefined {
  return toImageOffset(value.path, value.offsetInLeaf);
}

export function issueSortKey(value: Issue): string {
  return `${renderPath(value.path)}\u0000${String(value.offsetInLeaf).padStart(16, '0')}\u0000${value.code}`;
}

/** A parser has exactly three outcomes. Exceptions are for bugs. */
export type ParseOutcome<T> =
  | { readonly kind: 'not-this-format' }
  | { readonly kind: 'malformed'; readonly issues: readonly [Issue, ...Issue[]] }
  | { readonly kind: 'parsed'; readonly value: T; readonly issues: readonly Issue[] };

export const notThisFormat = { kind: 'not-this-format' } as const;

export function malformed<T>(first: Issue, ...rest: Issue[]): ParseOutcome<T> {
  return { kind: 'malformed', issues: [first, ...rest] };
}

export function parsed<T>(value: T, issues: readonly Issue[] = []): ParseOutcome<T> {
  return { kind: 'parsed', value, issues };
}
