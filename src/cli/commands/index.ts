import type { CommandModule } from 'yargs';
import { infoCommand } from './info.js';
import { reportCommand } from './report.js';
import { scanCommand } from './scan.js';

/** Every command, in help order. */
export const commands: CommandModule<object, never>[] = [
  infoCommand as CommandModule<object, never>,
  scanCommand as CommandModule<object, never>,
  reportCommand as CommandModule<object, never>,
];
