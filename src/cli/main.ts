#!/usr/bin/env node
/**
 * exhume command line. Commands are registered from an explicit array (commands/index.ts); exit
 * codes come only from handle-errors.ts.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { CliUsageError, ExitCode, reportError } from './handle-errors.js';
import { toolVersion } from './version.js';

const epilogue = `Exit codes:
  0  done (warnings possible)
  1  usage error or unreadable input
  2  done, but error-severity issues were recorded (see issues.csv)
  3  internal error (a bug: please report it with the command line)`;

export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = ExitCode.done;
  try {
    await yargs(argv as string[])
      .scriptName('exhume')
      .usage('$0 <command> [options]\n\nRecovers transaction ledgers from SQLite databases, their WAL and journal files, and storage images. Evidence is only ever read.')
      .command(commands)
      .demandCommand(1, 'name a command: info, scan or report')
      .strict()
      .epilogue(epilogue)
      .version(toolVersion())
      .help()
      .wrap(Math.min(110, process.stdout.columns ?? 110))
      .fail((message, error) => {
        if (error !== undefined && error !== null) throw error;
        throw new CliUsageError(message);
      })
      .parseAsync();
    return Number(process.exitCode ?? ExitCode.done);
  } catch (error) {
    return reportError(error);
  }
}

const exitCode = await main(hideBin(process.argv));
process.exitCode = exitCode;
