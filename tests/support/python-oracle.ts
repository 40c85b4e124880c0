import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The machine's Python with numpy and torch (Debian python3-numpy, python3-torch): the tests' independent oracle. */
export const ORACLE_PYTHON = '/usr/bin/python3';

/**
 * Runs a Python snippet that reads JSON from stdin (`json.load(sys.stdin)`) and prints JSON; returns it parsed.
 * A missing numpy/torch is a test failure, not a skip: CI installs them (.ci/run).
 */
export function pythonOracle<T = unknown>(script: string, input: unknown, python = ORACLE_PYTHON): T {
  const r = spawnSync(python, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`python oracle failed (${r.status ?? r.error?.message}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * The study's CAI code (`../shared/cai` beside the project). Found by walking up from the working directory, so it
 * is also found from a copy of the project inside it (Stryker's sandbox, `.stryker-tmp/sandbox-*`).
 */
export function findStudyCaiDir(): string | null {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'cai');
    if (existsSync(path.join(candidate, 'lambda', 'initializer.py'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

export function studyCaiDir(): string {
  const dir = findStudyCaiDir();
  if (!dir) throw new Error(`the study's code (../shared/cai) was not found above ${process.cwd()}`);
  return dir;
}

/** For `describe.skipIf`: true where ../shared/cai is absent, after printing which tests skip and why. */
export function noStudyCai(what: string): boolean {
  const missing = findStudyCaiDir() === null;
  if (missing) console.log(`skipping ${what}: the study's code (../shared/cai) is absent above ${process.cwd()}`);
  return missing;
}
