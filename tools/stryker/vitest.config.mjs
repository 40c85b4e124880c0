// The vitest configuration Stryker runs: the project's options, with `include` replaced (not merged) by the core's
// test files (STRYKER_CORE_FILES, comma-separated, selects which core files; all when unset).
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';
import { ROOT, selectCore, testsOf } from './resolve.mjs';

const files = (process.env.STRYKER_CORE_FILES ?? '').split(',').filter(Boolean);

export default defineConfig({
  ...base,
  root: ROOT,
  test: { ...base.test, include: testsOf(selectCore(files)), maxWorkers: 1 },
});
