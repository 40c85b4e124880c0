// The numeric and protocol core that mutation testing covers, and for each file the narrow set of test files that
// check it (Stryker runs only these, so a run fits on two shared cores). One place to edit when files move
// (e.g. engine/study → study/, cloud/cost → study/cost): change the paths here, nothing else.
//
// `mutate` may name a part of a file: { file, from, to } mutates the lines from the first line matching `from` to
// the first line matching `to` after it (or after the line matching `after`, when given), found when the config
// loads, so edits above it do not shift the range.
export const CORE = [
  // metric computation and the run window
  // run-record.ts: the derivation of the study fields (its zod schemas and definition texts are not metric code)
  {
    mutate: {
      file: 'base/local-run-record.ts',
      from: /^export const INPUT_BITS_PER_SAMPLE/,
      after: /^export function studyRates\(/,
      to: /^}$/,
    },
    tests: ['tests/engine/run-metrics.test.ts', 'tests/engine/run-record.test.ts'],
  },
  { mutate: 'engine/run/inference-window.ts', tests: ['tests/engine/run-window.test.ts'] },
  {
    mutate: 'engine/run/percentiles.ts',
    tests: ['tests/engine/run-metrics.test.ts', 'tests/cloud/oracle-aggregate.test.ts'],
  },
  {
    mutate: 'engine/run/accuracy.ts',
    tests: ['tests/engine/run-metrics.test.ts', 'tests/engine/oracle-accuracy.test.ts'],
  },
  {
    mutate: {
      file: 'engine/run/record-builder.ts',
      from: /^function latency\(/,
      after: /^export function buildRecord\(/,
      to: /^}$/,
    },
    tests: ['tests/engine/run-record.test.ts'],
  },
  // aggregation and statistics
  { mutate: 'cloud/aggregate.ts', tests: ['tests/cloud/aggregate.test.ts', 'tests/cloud/oracle-aggregate.test.ts'] },
  {
    mutate: 'study/stats.ts',
    tests: [
      'tests/study/stats.test.ts',
      'tests/study/stats-edges.test.ts',
      'tests/study/stats-load.test.ts',
      'tests/study/tables.test.ts',
      'tests/engine/oracle-accuracy.test.ts',
    ],
  },
  // cost
  {
    mutate: 'base/cost-model.ts',
    tests: ['tests/base/cost-model.test.ts', 'tests/base/oracle-cost.test.ts', 'tests/base/cost-model-prices.test.ts'],
  },
  // payload and rank planning
  { mutate: 'cloud/payload.ts', tests: ['tests/cloud/payload.test.ts', 'tests/cloud/profiles.test.ts'] },
  { mutate: 'cloud/lambda/rank-plan.ts', tests: ['tests/cloud/rank-plan.test.ts'] },
  // table building
  {
    mutate: 'study/tables.ts',
    tests: [
      'tests/study/tables.test.ts',
      'tests/study/tables-columns.test.ts',
      'tests/study/tables-edges.test.ts',
      'tests/study/tables-ci.test.ts',
      'tests/study/cold-warm.test.ts',
      'tests/study/table2-concurrency.test.ts',
      'tests/study/tables-memory.test.ts',
      'tests/study/tables-survivors.test.ts',
    ],
  },
  // the .pt reader's shape and size checks
  {
    mutate: { file: 'engine/data/pt-reader.ts', from: /^function validate\(/, to: /^}$/ },
    tests: ['tests/engine/data-errors.test.ts', 'tests/engine/data-reader.test.ts'],
  },
];

/** The file a core entry mutates. */
export const fileOf = (entry) => (typeof entry.mutate === 'string' ? entry.mutate : entry.mutate.file);
