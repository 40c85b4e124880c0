import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ORACLE_PYTHON, pythonOracle } from './python-oracle.ts';

/** Where answers are kept: one JSON file per question, named by its SHA-256. */
export const ORACLE_CACHE_DIR = path.join(os.tmpdir(), 'cai-python-oracle-cache');

/**
 * pythonOracle, with the answer kept on disk and keyed by the Python, the script and the input (SHA-256 of the
 * three): the same question gets the same numpy/scipy answer without starting Python again. Mutation testing runs
 * a test file once per mutant, and starting Python with scipy costs more than a second each time; the expected
 * value is still Python's, never the code under test's (the key does not depend on that code).
 * CAI_ORACLE_NO_CACHE=1 always asks Python.
 */
export function cachedPythonOracle<T = unknown>(script: string, input: unknown, python = ORACLE_PYTHON): T {
  const key = createHash('sha256')
    .update(JSON.stringify([python, script, input]))
    .digest('hex');
  const file = path.join(ORACLE_CACHE_DIR, `${key}.json`);
  const useCache = process.env.CAI_ORACLE_NO_CACHE !== '1';
  if (useCache) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as T;
    } catch {
      // not asked yet (or a torn file): ask Python
    }
  }
  const answer = pythonOracle<T>(script, input, python);
  if (useCache) {
    mkdirSync(ORACLE_CACHE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(answer));
    renameSync(tmp, file); // atomic: a concurrent reader sees the whole answer or none
  }
  return answer;
}
