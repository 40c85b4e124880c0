/**
 * A run whose failed ranks were re-run, as a study measurement and in Table 3: its cost covers every billed
 * invocation of both executions (the failed attempt included), its requests are its invocations, not its ranks, and
 * its wall time is the two executions' own times, not the gap between them. Expected values by hand.
 */
import { describe, expect, it } from 'vitest';
import { mergeRerunRecord } from '../../cloud/rerun-merge.ts';
import { measurementFromRunRecord } from '../../study/cloud-measurement.ts';
import { executionCostUsd, table3 } from '../../study/tables.ts';
import { cloudRecord } from '../support/cloud-record.ts';

const perRank = (rank: number, requestId: string, billed: number) => ({
  rank,
  requestId,
  durationMs: billed,
  billedDurationMs: billed,
  memorySizeMb: 2048,
  maxMemoryUsedMb: 500,
});
const usage = (invocations: number, billed: number) => ({
  invocations,
  billedDurationMs: billed,
  durationMs: billed,
  maxMemoryUsedMb: 500,
  coldStarts: 0,
  initDurationMs: 0,
});

const resultPath = 'team/result-partition-25MB/1GB/1';
// The original, 10:00:00 → 10:00:10: ranks 0 and 2 (3 s, 5 s) and the failed attempt of rank 1 (1 s).
const original = cloudRecord({
  status: 'failed',
  result_path: resultPath,
  ranks: 2,
  failed_ranks: [
    { rank: '1', index: 1, dataPath: 'd/2.pt', error: 'E', cause: '', event: 'MapIterationFailed', timestamp: null },
  ],
  lambda: usage(3, 9000),
  lambda_per_rank: [perRank(0, 'a', 3000), perRank(1, 'b', 1000), perRank(2, 'c', 5000)],
  rank_plan: [0, 1, 2].map((rank) => ({ rank, dataPath: `d/${rank + 1}.pt` })),
});
// The re-run of rank 1, 10:05:00 → 10:05:08: 4 s.
const rerun = cloudRecord({
  result_path: resultPath,
  started: '2026-12-01T10:05:00.000Z',
  finished: '2026-12-01T10:05:08.000Z',
  executionArn: 'arn:aws:states:us-east-1:1:execution:sm:second',
  executionName: 'second',
  ranks: 3,
  rank_keys: [`${resultPath}/0.json`, `${resultPath}/1.json`, `${resultPath}/2.json`],
  lambda: usage(1, 4000),
  lambda_per_rank: [perRank(1, 'd', 4000)],
  rank_plan: [{ rank: 1, dataPath: 'd/2.pt' }],
});

describe('the cost of a re-run run', () => {
  const merged = mergeRerunRecord(original, rerun);
  const m = measurementFromRunRecord(merged);

  it('counts the billed duration and the requests of both executions', () => {
    expect(m.rankSecondsTotal).toBe(13); // (9000 + 4000) ms
    expect(m.rankSecondsSource).toBe('billed');
    expect(m.invocations).toBe(4);
    expect(m.ranks).toBe(3);
    expect(m.lambdaMemoryMb).toBe(2048);
    // 13 s × 2 GB × $0.0000166667 + 4 × $0.20 / 1e6
    const byHand = 13 * 2 * 0.0000166667 + 4 * 0.2e-6;
    expect(executionCostUsd(m)).toBeCloseTo(byHand, 15);
    const t = table3([m]);
    expect(t.rows[0].invocations).toBe(4);
    expect(t.rows[0].cost_usd as number).toBeCloseTo(byHand, 15);
    expect(t.note).toMatch(/re-run counts the invocations and billed duration of all its executions/);
  });

  it('takes the executions’ own wall times, not the five minutes between them', () => {
    expect(m.executionSeconds).toBe(18); // 10 s + 8 s
  });

  it('leaves a run of one execution as it was: one request per rank, no re-run note', () => {
    const one = measurementFromRunRecord(cloudRecord({ result_path: resultPath, ranks: 3, lambda: usage(3, 9000) }));
    expect(one.invocations).toBeUndefined();
    expect(executionCostUsd(one, { lambdaMemoryMb: 2048 })).toBeCloseTo(9 * 2 * 0.0000166667 + 3 * 0.2e-6, 15);
    expect(table3([one]).note).not.toMatch(/re-run/);
    expect(one.executionSeconds).toBe(10);
  });
});
