/**
 * Report writers (issue 6): pure projections of evidence records into the output folder. Start at
 * `openReportWriter` (writer.ts); `reprojectEvidenceFile` (replay.ts) serves `exhume report`.
 */
export * from './types.js';
export * from './columns.js';
export * from './forensic-path.js';
export * from './names.js';
export * from './dfxml.js';
export * from './csv.js';
export * from './manifest.js';
export * from './evidence-file.js';
export * from './output-directory.js';
export * from './output-file.js';
export * from './writer.js';
export * from './replay.js';
