/**
 * The output folder check done before anything is written (architecture.md §6).
 *
 * Refused (the CLI maps every refusal to exit 1 and prints `message`):
 * - `not-a-directory`: the path exists and is not a folder;
 * - `contains-input`: an input (or a protected file such as the evidence being re-projected) lies
 *   inside the output folder, or is the folder itself;
 * - `inside-input`: the output folder lies inside an input folder (writing there alters evidence);
 * - `not-empty`: the folder has entries and `force` is not set.
 *
 * With `force`, a non-empty folder is cleaned of exhume's own outputs only (manifest.json first,
 * so the folder stops looking complete at once; then report.xml, evidence.ndjson, issues.csv,
 * transactions.csv, page-versions.csv, ledger.csv, records/, reconciliation/ and every top-level `*.partial`).
 * Anything else is kept and listed in `kept`: exhume never deletes what it did not write.
 */
import { lstat, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PARTIAL_SUFFIX } from './output-file.js';

export type PrepareOutcome =
  | {
      readonly kind: 'ready';
      /** Absolute path of the folder. */
      readonly directory: string;
      /** Entries removed under `force` (names relative to the folder, sorted). */
      readonly removed: readonly string[];
      /** Entries left in place under `force` (not exhume's), sorted. */
      readonly kept: readonly string[];
    }
  | {
      readonly kind: 'refused';
      readonly reason: 'not-a-directory' | 'contains-input' | 'inside-input' | 'not-empty';
      readonly message: string;
    };

export interface PrepareOptions {
  readonly force: boolean;
  /** Paths that must not be inside (or contain) the output folder: inputs, the evidence file. */
  readonly inputPaths: readonly string[];
}

/** Top-level names exhume writes (and may therefore remove under `force`). */
export const OUTPUT_ENTRY_NAMES: readonly string[] = [
  'manifest.json',
  'report.xml',
  'evidence.ndjson',
  'issues.csv',
  'transactions.csv',
  'page-versions.csv',
  'ledger.csv',
  'records',
  'reconciliation',
];

export async function prepareOutputDirectory(directory: string, options: PrepareOptions): Promise<PrepareOutcome> {
  const target = await canonicalPath(resolve(directory));
  for (const inputPath of options.inputPaths) {
    const input = await canonicalPath(resolve(inputPath));
    if (isInside(input, target)) {
      return refused('contains-input', `output folder ${directory} contains the input ${inputPath}; choose a folder outside the evidence`);
    }
    if (isInside(target, input)) {
      return refused('inside-input', `output folder ${directory} lies inside the input ${inputPath}; choose a folder outside the evidence`);
    }
  }
  const status = await lstat(target).catch(() => undefined);
  if (status !== undefined && !status.isDirectory()) {
    return refused('not-a-directory', `output path ${directory} exists and is not a folder`);
  }
  const entries = status === undefined ? [] : (await readdir(target)).sort();
  if (entries.length > 0 && !options.force) {
    return refused('not-empty', `output folder ${directory} is not empty (${entries.length} entries); use --force to replace exhume's outputs in it`);
  }
  const removed: string[] = [];
  const kept: string[] = [];
  const ordered = [...entries].sort((left, right) => Number(right === 'manifest.json') - Number(left === 'manifest.json'));
  for (const entry of ordered) {
    if (OUTPUT_ENTRY_NAMES.includes(entry) || entry.endsWith(PARTIAL_SUFFIX)) {
      await rm(join(target, entry), { recursive: true, force: true });
      removed.push(entry);
    } else {
      kept.push(entry);
    }
  }
  await mkdir(target, { recursive: true });
  return { kind: 'ready', directory: target, removed: removed.sort(), kept };
}

function refused(reason: Extract<PrepareOutcome, { kind: 'refused' }>['reason'], message: string): PrepareOutcome {
  return { kind: 'refused', reason, message };
}

/** `child` is `parent` or lies below it. */
function isInside(child: string, parent: string): boolean {
  const path = relative(parent, child);
  return path === '' || (path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path));
}

/** realpath of the longest existing prefix, plus the rest (the folder may not exist yet). */
async function canonicalPath(absolute: string): Promise<string> {
  const rest: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      return join(await realpath(current), ...rest.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return absolute;
      rest.push(basename(current));
      current = parent;
    }
  }
}
