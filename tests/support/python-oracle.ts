import { spawnSync } from 'node:child_process';

/** The machine's Python with numpy and torch (Debian python3-numpy, python3-torch): the tests' independent oracle. */
export const ORACLE_PYTHON = '/usr/bin/python3';

/**
 * Runs a Python snippet that reads JSON from stdin (`json.load(sys.stdin)`) and prints JSON; returns it parsed.
 * A missing numpy/torch is a test failure, not a skip: CI installs them (.ci/run).
 */
export function pythonOracle<T = unknown>(script: string, input: unknown): T {
  const r = spawnSync(ORACLE_PYTHON, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`python oracle failed (${r.status ?? r.error?.message}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
