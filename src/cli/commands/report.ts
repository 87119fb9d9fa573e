import type { CommandModule } from 'yargs';
import { reprojectEvidenceFile } from '../../reports/replay.js';
import { CliUsageError, ExitCode } from '../handle-errors.js';

interface ReportArguments {
  readonly evidence: string;
  readonly out: string;
  readonly force: boolean;
  readonly excel: boolean | undefined;
  readonly quiet: boolean;
}

export async function runReport(argv: ReportArguments, commandLine: readonly string[]): Promise<number> {
  const outcome = await reprojectEvidenceFile(argv.evidence, argv.out, {
    force: argv.force,
    commandLine,
    ...(argv.excel === undefined ? {} : { excel: argv.excel }),
  });
  switch (outcome.kind) {
    case 'refused':
    case 'unreadable':
      throw new CliUsageError(outcome.message);
    case 'malformed':
      throw new CliUsageError(`${argv.evidence} line ${outcome.lineNumber}: ${outcome.message}`);
    case 'done': {
      const errors = outcome.manifest.issues.bySeverity['error'] ?? 0;
      if (!argv.quiet) process.stderr.write(`exhume: re-projected ${argv.evidence} into ${argv.out}\n`);
      return errors > 0 ? ExitCode.doneWithErrors : ExitCode.done;
    }
  }
}

export const reportCommand: CommandModule<object, ReportArguments> = {
  command: 'report <evidence>',
  describe: 'Re-project a saved evidence file (DIR/evidence.ndjson) into CSV and DFXML without the image',
  builder: (yargs) =>
    yargs
      .positional('evidence', { type: 'string', demandOption: true, describe: 'evidence.ndjson written by scan' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (must be empty, or use --force)' })
      .option('force', { type: 'boolean', default: false, describe: "replace exhume's outputs in a non-empty output folder" })
      .option('excel', { type: 'boolean', describe: 'override the scan’s --excel choice' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no summary on stderr' }) as never,
  handler: async (argv) => {
    process.exitCode = await runReport(argv, ['exhume', ...process.argv.slice(2)]);
  },
};
