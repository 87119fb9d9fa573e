/**
 * Node options for pool worker threads. piscina loads a worker file with `require()` first and
 * falls back to `import()`. On Node ≥ 20.19 `require()` of an ES module is on by default, and on
 * Node 20.20.2 it aborted the whole process from inside a worker thread under load
 * (`ModuleWrap::CreateRequiredModuleFacade` assertion, seen in the test suite and in benchmarks).
 * Turning require(esm) off makes that `require()` throw ERR_REQUIRE_ESM, which piscina catches and
 * answers with `import()`. The flag is passed only where this Node knows it.
 */
const flag = '--no-experimental-require-module';

export function workerExecArgv(): string[] {
  const known = process.allowedNodeEnvironmentFlags.has(flag) || process.allowedNodeEnvironmentFlags.has('--experimental-require-module');
  return known && !process.execArgv.includes(flag) ? [...process.execArgv, flag] : [...process.execArgv];
}
