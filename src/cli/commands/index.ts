import type { CommandModule } from 'yargs';
import { infoCommand } from './info.js';

/** Every command, in help order. */
export const commands: CommandModule<object, never>[] = [infoCommand as CommandModule<object, never>];
