// Mutation testing of the numeric and protocol core (docs/mutation-testing.md). The file list and the tests
// that check each file live in tools/stryker/core.mjs. Run through `npm run mutate` (tools/stryker/mutate.mjs),
// which runs one core file at a time; STRYKER_CORE_FILES (comma-separated) picks the files for a direct run.
import { mutatePattern, selectCore } from './tools/stryker/resolve.mjs';

const files = (process.env.STRYKER_CORE_FILES ?? '').split(',').filter(Boolean);
const slug = process.env.STRYKER_REPORT_NAME ?? 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'tools/stryker/vitest.config.mjs', related: false },
  checkers: process.env.STRYKER_NO_TYPECHECK ? [] : ['typescript'],
  tsconfigFile: 'tools/stryker/tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: selectCore(files).map(mutatePattern),
  coverageAnalysis: 'perTest',
  // Two cores shared by several people: one test-runner process, one checker.
  concurrency: 1,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  // Incremental only when asked (the CI step does): Stryker keeps an earlier "survived" for a static mutant even
  // when new tests were added since, so the recorded full runs are not incremental.
  incremental: process.env.STRYKER_INCREMENTAL === '1',
  incrementalFile: `reports/mutation/${slug}.incremental.json`,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: `reports/mutation/${slug}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  ignorePatterns: ['test-results', 'reports', 'out', 'dist', 'release', '.stryker-tmp'],
};
