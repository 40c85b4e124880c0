// Turns the CORE list into Stryker `mutate` patterns and a vitest include list.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CORE, fileOf } from './core.mjs';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** `file:from-to` for a part of a file (Stryker's line-range syntax), found by the entry's patterns. */
export function mutatePattern(entry) {
  if (typeof entry.mutate === 'string') return entry.mutate;
  const { file, from, after, to } = entry.mutate;
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => from.test(l));
  if (start < 0) throw new Error(`stryker core: ${file} has no line matching ${from}`);
  const anchor = after ? lines.findIndex((l, i) => i >= start && after.test(l)) : start;
  if (anchor < 0) throw new Error(`stryker core: ${file} has no line matching ${after} after ${from}`);
  const end = lines.findIndex((l, i) => i > anchor && to.test(l));
  if (end < 0) throw new Error(`stryker core: ${file} has no line matching ${to} after line ${anchor + 1}`);
  return `${file}:${start + 1}-${end + 1}`;
}

/** The core entries for the given files (all when none given); an unknown file is an error. */
export function selectCore(files = []) {
  if (files.length === 0) return CORE;
  return files.map((f) => {
    const entry = CORE.find((e) => fileOf(e) === f);
    if (!entry) throw new Error(`${f} is not in the mutation-testing core (tools/stryker/core.mjs)`);
    return entry;
  });
}

/** The test files for the entries, each once; a listed file that does not exist is an error (not zero tests). */
export function testsOf(entries) {
  const tests = [...new Set(entries.flatMap((e) => e.tests))];
  const missing = tests.filter((t) => !existsSync(path.join(ROOT, t)));
  if (missing.length) throw new Error(`stryker core lists test files that do not exist: ${missing.join(', ')}`);
  return tests;
}
