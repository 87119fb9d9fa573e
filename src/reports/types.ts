/**
 * Plain-data types shared by the report writers: what a run is (tool, command line, inputs, start
 * time), how it ends, and the provisional transaction row.
 *
 * Reports never read the clock: every time comes from the caller as a `Date`.
 */
import type { RowEvent } from '../assembly/versions/row-events.js';

/** One evidence input, as the CLI opened and hashed it before the scan. */
export interface ReportInput {
  /** The path exactly as given on the command line. */
  readonly path: string;
  /** Absolute path (recorded in manifest.json; used to refuse an output folder holding it). */
  readonly absolutePath: string;
  readonly sizeInBytes: number;
  /** Lowercase hex. */
  readonly sha256: string;
  /** Lowercase hex. */
  readonly md5: string;
  /**
   * When the hashes above were computed. `separate-read-before-scan`: a read of the whole file of
   * its own, before anything else read it (databases, WALs, journals); `scan-read`: during the
   * raw-image scan's single read, over exactly the bytes the scan saw (hash-alongside.ts). Absent
   * in reports written before this field existed (then: a separate read before the scan).
   */
  readonly hashedDuring?: InputHashingPass;
}

export type InputHashingPass = 'separate-read-before-scan' | 'scan-read';

/**
 * Where the program ran, for DFXML `execution_environment` and `library`. Defaults to
 * `describeExecutionEnvironment()`; tests and re-projections pass a fixed one.
 */
export interface ExecutionEnvironment {
  /** `os.type()`, e.g. `Linux`. */
  readonly osSysname: string;
  /** `os.release()`. */
  readonly osRelease: string;
  /** `os.hostname()`. */
  readonly host: string;
  /** `os.machine()`, e.g. `x86_64`. */
  readonly arch: string;
  /** `process.versions.node`. */
  readonly nodeVersion: string;
}

/** Everything a report needs to know about the run before the first record arrives. */
export interface ReportRun {
  readonly tool: {
    readonly name: string;
    readonly version: string;
    /** DFXML `build_environment/compiler`, e.g. `tsc 5.9.3`; omitted when absent. */
    readonly compiler?: string;
  };
  /** argv as the user typed it, program name first (`['exhume', 'scan', 'pos.img', ...]`). */
  readonly commandLine: readonly string[];
  /** The parsed CLI options, JSON-serialisable (no bigint, functions or class instances). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Given by the caller: reports never read the clock. */
  readonly startTime: Date;
  readonly inputs: readonly ReportInput[];
  /** Defaults to `describeExecutionEnvironment()`. */
  readonly environment?: ExecutionEnvironment;
}

/**
 * The per-input check done at the end of the run (aligned by index with `ReportRun.inputs`).
 * - `re-hash` (also when absent): the whole file hashed again; `sha256`/`md5` are those hashes.
 * - `file-identity`: an input hashed during the scan's single read is not read a third time; its
 *   size, modification time, change time and inode at the end of the run are compared with those
 *   taken before its first byte was read. `sha256` and `md5` are then empty (nothing was re-hashed).
 */
export interface InputVerification {
  readonly method?: InputVerificationMethod;
  readonly sha256: string;
  readonly md5: string;
  /** The caller's verdict; for `re-hash` the manifest records it AND-ed with a comparison of both hashes. */
  readonly unchanged: boolean;
}

export type InputVerificationMethod = 're-hash' | 'file-identity';

export interface FinishInput {
  /** Given by the caller: reports never read the clock. */
  readonly endTime: Date;
  /** One per input, same order as `ReportRun.inputs`. */
  readonly inputsVerified: readonly InputVerification[];
  /**
   * Optional phase durations in milliseconds (`{ scan: 812, hash: 640 }`), written to manifest.json
   * under the declared timestamp subtree `/timing` (never to evidence.ndjson).
   */
  readonly timings?: Readonly<Record<string, number>>;
}

/**
 * One WAL, journal or flash transaction for transactions.csv: null where a field does not apply.
 * Extra facts go in `details` (bigint allowed, kept exactly); the row-level events in `events`.
 *
 * WAL transactions are `wal:<generation>.<sequence in generation>` (generation 1 is the first
 * salt pair met in the file, normally the header's), listed in WAL order; journal transactions are
 * `journal:<n>` (1: the journal's own transaction; 2…: earlier ones whose records PERSIST mode
 * left behind).
 */
export interface TransactionRow {
  /** Identifier, as `EvidenceRecord.transaction` refers to it. */
  readonly transaction: string;
  readonly database: string;
  readonly source: 'wal' | 'journal' | 'flash';
  /** Order of the transaction within its log (commit order). */
  readonly sequence: number | bigint;
  /** WAL salt generation, journal header index, flash sequence; null where unknown. */
  readonly generation: number | bigint | null;
  /** `committed`, `uncommitted`, `stale-generation`, … */
  readonly commitState: string;
  readonly checksumState: 'valid' | 'invalid' | 'not-applicable';
  /** First and last WAL frame index (or journal record index), inclusive; null where not applicable. */
  readonly firstFrame: number | null;
  readonly lastFrame: number | null;
  /** Page numbers written by the transaction, in log order. */
  readonly pages: readonly number[];
  readonly insertCount: number;
  readonly updateCount: number;
  readonly deleteCount: number;
  readonly details?: Readonly<Record<string, string | number | bigint | boolean | null>>;
  /**
   * Row-level events: insert (every column after), update (the changed columns before and after),
   * delete (every column before), each with its table, key and where the versions were read.
   * transactions.csv writes them inside the `details` JSON, under `events`.
   */
  readonly events?: readonly RowEvent[];
}

/**
 * One version of one database page for page-versions.csv: a journal pre-image, the main file's
 * page, or a WAL frame, in the order the page went through them. Pages without rows are listed
 * too (overflow, freelist, interior, index pages). Plain facts about the image, no page bytes.
 */
export interface PageVersionRow {
  readonly database: string;
  readonly pageNumber: number;
  /** 1, 2, 3 … per (database, page): journal pre-images, older WAL generations, main file, current WAL generation. */
  readonly version: number;
  readonly source: 'journal' | 'main' | 'wal';
  /** WAL frame number or journal record number (1-based); null for the main file. */
  readonly sourceNumber: number | null;
  /** The evidence file holding the image and the absolute offset of its first byte there. */
  readonly image: string;
  readonly imageOffset: number;
  /** `main-file`, `journal-preimage`, or the frame's WAL label as a record state (`wal-committed` …). */
  readonly state: string;
  readonly transaction: string | null;
  readonly checksum: 'valid' | 'invalid' | 'not-applicable';
  /** `table-leaf`, `table-interior`, `index-leaf`, `index-interior`, `freelist-trunk`, `freelist-leaf` (main file), `zeroed`, `other`. */
  readonly pageType: string;
  readonly sha256: string;
}

/** Which outputs a writer produces and how. */
export interface ReportFormatOptions {
  /** `--excel`: UTF-8 BOM, neutralised formulas, and a `values_hex` column in record CSVs. */
  readonly excel: boolean;
  /** records/…csv and transactions.csv (issues.csv is always written). */
  readonly csv: boolean;
  /** report.xml. */
  readonly xml: boolean;
}
