/**
 * The only exit-code funnel (architecture.md §5): 0 done (warnings possible); 1 usage or
 * unreadable input; 2 done but error-severity issues were recorded; 3 internal error.
 */
export const ExitCode = { done: 0, usage: 1, doneWithErrors: 2, internal: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliUsageError) return ExitCode.usage;
  return ExitCode.internal;
}

export function reportError(error: unknown): ExitCode {
  const code = exitCodeFor(error);
  if (code === ExitCode.usage) process.stderr.write(`exhume: ${(error as Error).message}\n`);
  else process.stderr.write(`exhume: internal error (a bug): ${(error as Error).stack ?? String(error)}\n`);
  return code;
}
