import { describe, expect, it } from 'vitest';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { recommendMemory, RecommendInputError, type Recommendation } from '../../study/recommend.ts';
import { measurementFromRunRecord } from '../../study/cloud-measurement.ts';
import { recommendationTable } from '../../study/recommend-table.ts';
import { SWEEP_3X3, sweepRecord } from '../support/memory-sweep-runs.ts';
import { cloudMeasurement } from '../support/study-measurement.ts';

/**
 * The memory recommendation against numbers worked out here from AWS's published Lambda price formula
 * (x86_64, first tier: $0.0000166667 per GB-s, GB = MB ÷ 1024; $0.20 per million requests), not from the code
 * under test.
 */

const USD_PER_GB_S = 0.0000166667;
const USD_PER_REQUEST = 0.2 / 1e6;
/** One execution: Σ billed rank seconds × GB + one request per rank. */
const priceOf = (rankSecondsTotal: number, memoryMb: number, ranks: number) =>
  rankSecondsTotal * (memoryMb / 1024) * USD_PER_GB_S + ranks * USD_PER_REQUEST;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

/** A cloud memory-sweep run: the shared builder's round numbers, at 1024 MB (REPORT lines), 10 rank-seconds billed. */
const run = (over: Partial<StudyMeasurement>): StudyMeasurement =>
  cloudMeasurement({
    throughputBps: 1e6,
    memoryMb: 1000,
    totalBits: 1e6,
    rankSecondsTotal: 10,
    lambdaMemoryMb: 1024,
    lambdaMemorySource: 'report',
    engine: 'onnxruntime',
    model: 'astromae.onnx',
    ...over,
  });

/** Σ billed rank seconds of the three repeats at each size (4 ranks each), and the executions' wall times. */
const TOTALS: Record<number, number[]> = { 1024: [40, 42, 44], 2048: [18, 20, 22], 4096: [14, 14, 14] };
const WALL: Record<number, number[]> = { 1024: [15, 16, 17], 2048: [9, 9, 12], 4096: [7, 8, 9] };
const sweep = (): StudyMeasurement[] =>
  Object.entries(TOTALS).flatMap(([mb, totals]) =>
    totals.map((t, i) =>
      run({
        id: `m${mb}-r${i + 1}`,
        repeat: i + 1,
        lambdaMemoryMb: Number(mb),
        rankSecondsTotal: t,
        executionSeconds: WALL[Number(mb)][i],
      }),
    ),
  );

const one = (r: Recommendation) => {
  expect(r.groups).toHaveLength(1);
  return r.groups[0];
};

describe('the memory recommendation, 3 sizes × 3 repeats', () => {
  const g = one(recommendMemory(sweep()));
  const costs = (mb: number) => TOTALS[mb].map((t) => priceOf(t, mb, 4));

  it('gives each size its mean and sample sd of cost, mean rank duration and execution wall time', () => {
    expect(g.sizes.map((s) => s.memoryMb)).toEqual([1024, 2048, 4096]);
    for (const s of g.sizes) {
      expect(s.repeats).toBe(3);
      expect(s.costUsd).toBeCloseTo(mean(costs(s.memoryMb)), 15);
      // 4096 MB's repeats are equal: sd 0
      expect(s.costSdUsd).toBeCloseTo(sd(costs(s.memoryMb)), 15);
      expect(s.durationS).toBeCloseTo(mean(TOTALS[s.memoryMb]) / 4, 12);
      expect(s.durationSdS).toBeCloseTo(sd(TOTALS[s.memoryMb].map((t) => t / 4)), 12);
      expect(s.executionS).toBeCloseTo(mean(WALL[s.memoryMb]), 12);
      expect(s.executionSdS).toBeCloseTo(sd(WALL[s.memoryMb]), 12);
    }
    // By hand: 1024 MB costs 42 GB-s × $0.0000166667 + 4 × $0.0000002 = $0.0007008014 per execution.
    expect(g.sizes[0].costUsd).toBeCloseTo(0.0007008014, 12);
    expect(g.sizes[1].durationS).toBe(5);
  });

  it('picks the cheapest (2048 MB), the fastest (4096 MB) and the balanced one at w = 0.5 (2048 MB)', () => {
    expect(g.picks.cost.memoryMb).toBe(2048);
    expect(g.picks.speed.memoryMb).toBe(4096);
    // Score = 0.5 × cost ÷ max cost + 0.5 × duration ÷ max duration, max cost at 4096 MB, max duration at 1024 MB.
    const maxCost = mean(costs(4096));
    const score = (mb: number) => 0.5 * (mean(costs(mb)) / maxCost) + 0.5 * (mean(TOTALS[mb]) / 4 / 10.5);
    expect(score(2048)).toBeLessThan(score(4096));
    expect(g.picks.balanced.memoryMb).toBe(2048);
    expect(g.sizes.map((s) => s.balancedScore)).toEqual([1024, 2048, 4096].map((mb) => expect.closeTo(score(mb), 12)));
    expect(g.recommended).toBe(g.picks.balanced);
  });

  it('says how much cheaper or faster the pick is than each other size', () => {
    const vs = g.picks.cost.versus;
    expect(vs.map((v) => v.memoryMb)).toEqual([1024, 4096]);
    expect(vs[0].costPct).toBeCloseTo(((mean(costs(2048)) - mean(costs(1024))) / mean(costs(1024))) * 100, 9);
    expect(vs[0].durationPct).toBeCloseTo(((5 - 10.5) / 10.5) * 100, 9);
    expect(vs[1].durationPct).toBeCloseTo(((5 - 3.5) / 3.5) * 100, 9);
    expect(g.picks.cost.sentence).toMatch(/^Cheapest: 2048 MB, \$0\.000\d+ per execution, mean rank duration 5 s; /);
    expect(g.picks.cost.sentence).toContain('vs 1024 MB: 5% cheaper, 52% faster');
    expect(g.picks.cost.sentence).toContain('vs 4096 MB: 29% cheaper, 43% slower');
    expect(g.picks.cost.tiedWith).toEqual([]);
  });

  it('weight 0 is the fastest, weight 1 the cheapest; w = 0.2 leans to speed (4096 MB)', () => {
    const at = (weight: number) => one(recommendMemory(sweep(), { weight })).picks.balanced.memoryMb;
    expect(at(0)).toBe(4096);
    expect(at(1)).toBe(2048);
    expect(at(0.2)).toBe(4096);
    expect(at(0.8)).toBe(2048);
  });

  it('weight 0 and 1 agree with the fastest and the cheapest on other data too', () => {
    for (let seed = 1; seed <= 25; seed++) {
      let x = seed;
      const rnd = () => ((x = (x * 16807) % 2147483647) / 2147483647) * 100 + 1;
      const runs = [512, 1024, 1769, 3008, 10240].map((mb, i) =>
        run({ id: `s${seed}-${i}`, lambdaMemoryMb: mb, rankSecondsTotal: rnd() }),
      );
      const w0 = one(recommendMemory(runs, { weight: 0 }));
      const w1 = one(recommendMemory(runs, { weight: 1 }));
      expect(w0.picks.balanced.memoryMb).toBe(w0.picks.speed.memoryMb);
      expect(w1.picks.balanced.memoryMb).toBe(w1.picks.cost.memoryMb);
    }
  });

  it('the strategy chooses which pick is recommended', () => {
    expect(one(recommendMemory(sweep(), { strategy: 'cost' })).recommended.memoryMb).toBe(2048);
    expect(one(recommendMemory(sweep(), { strategy: 'speed' })).recommended.memoryMb).toBe(4096);
  });
});

describe('ties, one size, bad input', () => {
  it('a cost tie goes to the faster size, and the pick says so', () => {
    // 40 s at 1 GB and 20 s at 2 GB are the same 40 GB-s: the same price.
    const g = one(
      recommendMemory([
        run({ id: 'a', lambdaMemoryMb: 1024, rankSecondsTotal: 40 }),
        run({ id: 'b', lambdaMemoryMb: 2048, rankSecondsTotal: 20 }),
        run({ id: 'c', lambdaMemoryMb: 4096, rankSecondsTotal: 16 }),
      ]),
    );
    expect(g.sizes[0].costUsd).toBe(g.sizes[1].costUsd);
    expect(g.picks.cost.memoryMb).toBe(2048);
    expect(g.picks.cost.tiedWith).toEqual([1024]);
    expect(g.picks.cost.sentence).toContain('Tied on cost with 1024 MB; the faster is picked');
  });

  it('a duration tie goes to the cheaper size', () => {
    const g = one(
      recommendMemory([
        run({ id: 'a', lambdaMemoryMb: 2048, rankSecondsTotal: 8 }),
        run({ id: 'b', lambdaMemoryMb: 4096, rankSecondsTotal: 8 }),
        run({ id: 'c', lambdaMemoryMb: 1024, rankSecondsTotal: 30 }),
      ]),
    );
    expect(g.picks.speed.memoryMb).toBe(2048);
    expect(g.picks.speed.tiedWith).toEqual([4096]);
    expect(g.picks.speed.sentence).toContain('Tied on duration with 4096 MB; the cheaper is picked');
    expect(g.picks.cost.memoryMb).toBe(2048);
  });

  it('one memory size: every pick is it, and the notes say a second size is needed', () => {
    const g = one(recommendMemory([run({ id: 'a' }), run({ id: 'b', repeat: 2, rankSecondsTotal: 12 })]));
    expect(g.sizes).toHaveLength(1);
    expect([g.picks.cost, g.picks.speed, g.picks.balanced].map((p) => p.memoryMb)).toEqual([1024, 1024, 1024]);
    expect(g.picks.cost.sentence).toContain('Only this memory size was measured');
    expect(g.notes.join(' ')).toMatch(/Only one memory size \(1024 MB\).*two or more memory sizes/);
    expect(g.picks.cost.versus).toEqual([]);
  });

  it('refuses a weight outside [0, 1] and an unknown strategy with a typed error', () => {
    expect(() => recommendMemory(sweep(), { weight: 1.5 })).toThrow(RecommendInputError);
    expect(() => recommendMemory(sweep(), { weight: Number.NaN })).toThrow(/from 0 \(fastest\) to 1 \(cheapest\)/);
    expect(() => recommendMemory(sweep(), { strategy: 'fast' as never })).toThrow(/use cost, speed or balanced/);
  });
});

describe('never mixes runs that are not alike', () => {
  it('groups by batch size, precision, ranks, partition size and emulation, and says why', () => {
    const runs = [
      ...sweep(),
      run({ id: 'b32', batchSize: 32, lambdaMemoryMb: 1024 }),
      run({ id: 'b32b', batchSize: 32, lambdaMemoryMb: 2048 }),
      run({ id: 'p50', partitionMb: 50, ranks: 2 }),
      run({ id: 'int8', precision: 'int8' }),
      run({ id: 'emu', emulated: true }),
    ];
    const r = recommendMemory(runs);
    expect(r.groups).toHaveLength(5);
    const labels = r.groups.map((g) => g.label);
    expect(labels).toContain('1GB · 25 MB partitions · batch 32 · 4 ranks · fp32 · onnxruntime · astromae.onnx');
    expect(labels).toContain('1GB · 25 MB partitions · batch 512 · 4 ranks · int8 · onnxruntime · astromae.onnx');
    // The 3 × 3 sweep stays together and gives the same picks as alone.
    const main = r.groups.find((g) => g.sizes.length === 3)!;
    expect(main.sizes.every((s) => s.repeats === 3)).toBe(true);
    expect(main.picks.cost.memoryMb).toBe(2048);
    const split = r.notes.find((n) => n.startsWith('The runs form 5 groups'))!;
    expect(split).toContain('batch sizes differ (32, 512)');
    expect(split).toContain('precisions differ');
    expect(split).toContain('rank counts differ');
    expect(split).toContain('partition sizes differ (25, 50)');
    expect(split).toContain('emulated and AWS runs differ');
    expect(r.groups.find((g) => g.setup.emulated)!.notes.join(' ')).toMatch(/Emulated on this computer/);
  });

  it('leaves out local runs and runs without a Lambda memory, with the reason', () => {
    const r = recommendMemory([
      ...sweep(),
      run({ id: 'local', target: 'local', lambdaMemoryMb: undefined }),
      run({ id: 'nomem', lambdaMemoryMb: undefined, lambdaMemorySource: undefined }),
    ]);
    expect(r.groups).toHaveLength(1);
    expect(r.excluded).toEqual([
      { id: 'local', reason: 'a local run has no Lambda memory to tune' },
      { id: 'nomem', reason: 'its Lambda memory is not recorded (no REPORT lines, no profile)' },
    ]);
  });

  it('flags memory taken from the profile and durations from CPU time', () => {
    const r = recommendMemory([
      run({ id: 'a', lambdaMemorySource: 'profile' }),
      run({ id: 'b', lambdaMemoryMb: 2048 }),
      run({ id: 'c', rankSecondsSource: 'cpu-time' }),
    ]);
    expect(r.groups).toHaveLength(2);
    expect(r.groups[0].notes.join(' ')).toContain("Memory for 1024 MB is the profile's setting (assumed)");
    expect(r.groups[1].label).toContain('durations from CPU time');
    expect(r.notes.at(-1)).toContain('duration sources (billed and CPU time) differ');
  });
});

describe('from cloud run records', () => {
  it('reads the memory from the REPORT lines and the wall time from the execution, and recommends', () => {
    const runs = SWEEP_3X3.map((r) => measurementFromRunRecord(sweepRecord(r)));
    expect(runs[0]).toMatchObject({ lambdaMemoryMb: 1024, lambdaMemorySource: 'report', executionSeconds: 15 });
    const g = one(recommendMemory(runs));
    expect(g.sizes.map((s) => [s.memoryMb, s.repeats])).toEqual([
      [1024, 3],
      [2048, 3],
      [4096, 3],
    ]);
    expect(g.sizes[0].costUsd).toBeCloseTo(priceOf(42, 1024, 4), 15);
    expect(g.sizes[2].executionS).toBe(8);
    expect([g.picks.cost.memoryMb, g.picks.speed.memoryMb, g.picks.balanced.memoryMb]).toEqual([2048, 4096, 2048]);
  });
});

describe('zero durations', () => {
  it('a size that measured 0 s gives no percentage against it, and no Infinity anywhere', () => {
    const g = one(
      recommendMemory([
        run({ id: 'a', lambdaMemoryMb: 1024, rankSecondsTotal: 0 }),
        run({ id: 'b', lambdaMemoryMb: 2048, rankSecondsTotal: 4 }),
      ]),
    );
    expect(g.picks.speed.memoryMb).toBe(1024);
    const vs = g.picks.cost.versus;
    expect(g.picks.cost.memoryMb).toBe(1024);
    expect(vs).toEqual([{ memoryMb: 2048, costPct: expect.any(Number), durationPct: -100 }]);
    const t = recommendationTable(
      recommendMemory([
        run({ id: 'a', lambdaMemoryMb: 1024, rankSecondsTotal: 0 }),
        run({ id: 'b', lambdaMemoryMb: 2048, rankSecondsTotal: 4 }),
      ]),
    );
    expect(t.rows.map((r) => r.duration_vs_fastest_pct)).toEqual([0, null]);
    const slow = recommendMemory([run({ id: 'b', lambdaMemoryMb: 2048, rankSecondsTotal: 4 })]);
    expect(slow.groups[0].picks.cost.versus).toEqual([]);
    const bal = one(
      recommendMemory([
        run({ id: 'a', rankSecondsTotal: 0 }),
        run({ id: 'c', lambdaMemoryMb: 512, rankSecondsTotal: 0 }),
      ]),
    );
    expect(bal.sizes.every((s) => Number.isFinite(s.balancedScore))).toBe(true);
    expect(bal.picks.speed.versus[0].durationPct).toBe(0);
  });
});
