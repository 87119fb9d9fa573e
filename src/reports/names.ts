/**
 * Safe, deterministic file names for records/<database>/<table>.csv.
 *
 * Rule: every character outside `[A-Za-z0-9._-]` becomes `_`, a leading `.` becomes `_` (no hidden
 * files, no `..`), a trailing `.` becomes `_` (Windows), names longer than 64 characters keep their
 * last 64 (the end of a path is its most telling part), and Windows device names (`CON`, `nul.db`,
 * `COM1` …) count as unsafe. When anything changed, `-<first 8 hex digits of SHA-256 of the UTF-8
 * original>` is appended, so two originals that sanitise alike still get different names whatever
 * order they arrive in. A name equal, ignoring case, to one already used in the same folder (case-
 * insensitive file systems) gets the same suffix, then `-2`, `-3` … The manifest lists the mapping.
 */
import { createHash } from 'node:crypto';

export const MAXIMUM_NAME_LENGTH_IN_CHARACTERS = 64;

const windowsDeviceName = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

export function sanitizeName(original: string): string {
  let name = original.replace(/[^A-Za-z0-9._-]/g, '_');
  if (name.startsWith('.')) name = `_${name.slice(1)}`;
  if (name.endsWith('.')) name = `${name.slice(0, -1)}_`;
  if (name.length > MAXIMUM_NAME_LENGTH_IN_CHARACTERS) name = name.slice(name.length - MAXIMUM_NAME_LENGTH_IN_CHARACTERS);
  if (name === '') name = '_';
  if (name !== original || windowsDeviceName.test(name)) name = `${name}-${nameHash(original)}`;
  return name;
}

function nameHash(original: string): string {
  return createHash('sha256').update(original, 'utf8').digest('hex').slice(0, 8);
}

/** Allocates names within one folder: the same original always gets the same name. */
export class NameAllocator {
  private readonly byOriginal = new Map<string, string>();
  private readonly usedFolded = new Set<string>();

  allocate(original: string): string {
    const known = this.byOriginal.get(original);
    if (known !== undefined) return known;
    let name = sanitizeName(original);
    if (this.usedFolded.has(name.toLowerCase())) {
      const hash = nameHash(original);
      if (!name.endsWith(`-${hash}`)) name = `${name}-${hash}`;
      const base = name;
      for (let counter = 2; this.usedFolded.has(name.toLowerCase()); counter++) name = `${base}-${counter}`;
    }
    this.usedFolded.add(name.toLowerCase());
    this.byOriginal.set(original, name);
    return name;
  }
}
