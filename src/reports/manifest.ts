/**
 * manifest.json (architecture.md §6): written last, so its presence means the folder is complete.
 *
 * Two runs on the same input produce byte-identical folders except for the fields listed in the
 * manifest's own `timestampFields`:
 * - manifest.json `/timing` (start and end time, duration, optional phase durations);
 * - report.xml `/dfxml/creator/execution_environment/start_time`;
 * - evidence.ndjson line 1 `/startTime` and its last line `/endTime`;
 * - the `sha256` of report.xml and evidence.ndjson in `/outputs` (they hold the times above).
 * Every timestamp is a fixed-width ISO 8601 UTC string, so no file size varies between runs.
 */
import type { ReportFormatOptions, ReportInput, ReportRun, InputVerification } from './types.js';
import type { OutputFileSummary } from './output-file.js';

export const MANIFEST_FILE_NAME = 'manifest.json';
export const MANIFEST_VERSION = 1;

export type OutputKind = 'records' | 'issues' | 'transactions' | 'page-versions' | 'dfxml' | 'evidence';

export interface ManifestOutput extends OutputFileSummary {
  readonly kind: OutputKind;
  /** Data rows (CSV), fileobjects (DFXML) or lines (NDJSON). */
  readonly itemCount: number;
  /** records/… only: the original names the sanitised file name stands for. */
  readonly database?: string;
  readonly table?: string;
  /** records/… only: `{ header: original column name }` for headers renamed to avoid a clash. */
  readonly renamedColumns?: Readonly<Record<string, string>>;
}

export interface ManifestInput extends ReportInput {
  readonly verifiedAtEnd: InputVerification;
}

/** A field that may differ between two runs on the same input. */
export type TimestampField =
  | { readonly file: string; readonly jsonPointer: string; readonly note?: string }
  | { readonly file: string; readonly line: number; readonly jsonPointer: string }
  | { readonly file: string; readonly xpath: string };

export interface Reprojection {
  /** The evidence file as given to `exhume report`. */
  readonly evidenceFile: string;
  readonly evidenceSha256: string;
  /** The `exhume report` command line (the scan's own is `commandLine`). */
  readonly commandLine: readonly string[];
}

export interface Manifest {
  readonly manifestVersion: number;
  readonly tool: ReportRun['tool'];
  readonly commandLine: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
  readonly report: ReportFormatOptions;
  readonly reprojection?: Reprojection;
  readonly inputs: readonly ManifestInput[];
  readonly outputs: readonly ManifestOutput[];
  readonly counts: {
    readonly records: number;
    readonly tables: number;
    readonly transactions: number;
    readonly byState: Readonly<Record<string, number>>;
    readonly byStatus: Readonly<Record<string, number>>;
  };
  readonly issues: {
    readonly total: number;
    readonly byCode: Readonly<Record<string, number>>;
    readonly bySeverity: Readonly<Record<string, number>>;
  };
  readonly timing: {
    readonly startTime: string;
    readonly endTime: string;
    readonly durationMilliseconds: number;
    readonly phases?: Readonly<Record<string, number>>;
  };
  readonly timestampFields: readonly TimestampField[];
}

/** Counts as an object with sorted keys (stable bytes whatever the arrival order). */
export function sortedCounts(counts: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of [...counts.keys()].sort()) out[key] = counts.get(key) ?? 0;
  return out;
}

/** The declared timestamp fields for a manifest whose outputs are `outputs` (sorted as written). */
export function timestampFields(outputs: readonly ManifestOutput[], evidenceLineCount: number): TimestampField[] {
  const fields: TimestampField[] = [{ file: MANIFEST_FILE_NAME, jsonPointer: '/timing' }];
  outputs.forEach((output, index) => {
    if (output.kind === 'dfxml' || output.kind === 'evidence') {
      fields.push({ file: MANIFEST_FILE_NAME, jsonPointer: `/outputs/${index}/sha256`, note: `hash of ${output.path}, which holds timestamps` });
    }
  });
  for (const output of outputs) {
    if (output.kind === 'dfxml') fields.push({ file: output.path, xpath: '/dfxml/creator/execution_environment/start_time' });
    if (output.kind === 'evidence') {
      fields.push({ file: output.path, line: 1, jsonPointer: '/startTime' });
      fields.push({ file: output.path, line: evidenceLineCount, jsonPointer: '/endTime' });
    }
  }
  return fields;
}

export function renderManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
