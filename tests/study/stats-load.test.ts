// study/stats.ts builds its method note when it loads (B formatted with an explicit 'en-US'). A test file that
// imports it at the top cannot report a failure there as a failed test: the file fails to load, and Stryker's vitest
// runner counts that as no failed test (mutant #388 in docs/mutation-testing.md). Imported inside the test, a
// failure to load is this test failing.
import { expect, it } from 'vitest';

it('loads, and its method note gives B as 10,000', async () => {
  const stats = await import('../../study/stats.ts');
  expect(stats.STATS_METHOD_NOTE).toContain('B = 10,000 resamples');
});
