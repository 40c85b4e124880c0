import { describe, expect, it } from 'vitest';
import { about, actualCost, estimateStudyCost, formatUsd, tieredComputeUsd } from '../../base/cost-model.ts';
import { DEFAULT_PRICE_TABLE, parsePriceTable } from '../../base/price-table.ts';

describe('price table', () => {
  it('defaults validate and carry a source and date', () => {
    expect(parsePriceTable(DEFAULT_PRICE_TABLE)).toEqual(DEFAULT_PRICE_TABLE);
    expect(DEFAULT_PRICE_TABLE.source).toContain('https://aws.amazon.com/lambda/pricing/');
    expect(DEFAULT_PRICE_TABLE.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('rejects an edited table with a message naming the field', () => {
    const bad = structuredClone(DEFAULT_PRICE_TABLE) as any;
    bad.lambda.usdPerMillionRequests = -1;
    bad.lambda.computeTiers.x86_64[2].upToGbSeconds = 20e9;
    expect(() => parsePriceTable(bad, 'prices.json')).toThrow(/^prices\.json is not valid: /);
    expect(() => parsePriceTable(bad, 'prices.json')).toThrow(/lambda\.usdPerMillionRequests: Too small/);
    expect(() => parsePriceTable(bad, 'prices.json')).toThrow(
      /lambda\.computeTiers\.x86_64: the last tier must have upToGbSeconds: null/,
    );
  });
});

describe('tiered Lambda compute', () => {
  it('prices the first tier flat', () => {
    expect(tieredComputeUsd(1000, 'x86_64')).toBeCloseTo(1000 * 0.0000166667, 12);
    expect(tieredComputeUsd(1000, 'arm64')).toBeCloseTo(1000 * 0.0000133334, 12);
  });

  it('splits usage across the 6-billion GB-s boundary (x86)', () => {
    // 5e9 already used this month; 2e9 more: 1e9 at 0.0000166667 and 1e9 at 0.000015.
    expect(tieredComputeUsd(2e9, 'x86_64', DEFAULT_PRICE_TABLE, 5e9)).toBeCloseTo(16666.7 + 15000, 4);
  });

  it('walks all three tiers', () => {
    // 6e9 × 0.0000166667 + 9e9 × 0.000015 + 5e9 × 0.0000133334
    expect(tieredComputeUsd(20e9, 'x86_64')).toBeCloseTo(100000.2 + 135000 + 66667, 3);
    // arm64: 7.5e9 × 0.0000133334 + 11.25e9 × 0.0000120001 + 1.25e9 × 0.0000106667
    expect(tieredComputeUsd(20e9, 'arm64')).toBeCloseTo(100000.5 + 135001.125 + 13333.375, 3);
  });
});

describe('estimateStudyCost', () => {
  it('counts invocations, GB-s, transitions and S3 requests by hand', () => {
    const est = estimateStudyCost({
      executions: [{ ranks: 10, partitionMb: 100, repeats: 2 }],
      lambda: { memoryMb: 2048, arch: 'x86_64' },
      rankThroughputBps: (100 * 2 ** 20 * 8) / 20, // exactly 20 s per rank
      overheadSecondsPerRank: 0,
    });
    expect(est.executions).toBe(2);
    expect(est.lambdaInvocations).toBe(24); // 2 × (10 ranks + Initialize + Summarize)
    expect(est.gbSeconds).toBeCloseTo(800.5, 9); // 2 × (10 × 20 s × 2 GB + 2 × 1 s × 0.125 GB)
    expect(est.expectedSecondsPerRank[100]).toBeCloseTo(20, 9);
    const byItem = Object.fromEntries(est.lines.map((l) => [l.item, l]));
    expect(byItem['Lambda compute (x86_64)'].usd).toBeCloseTo(800.5 * 0.0000166667, 12);
    expect(byItem['Lambda requests'].usd).toBeCloseTo(0.0000048, 12);
    expect(byItem['Step Functions state transitions (standard)'].quantity).toBe('26 transitions');
    expect(byItem['S3 PUT/COPY/POST/LIST requests'].quantity).toBe('30 requests');
    expect(byItem['S3 GET requests'].quantity).toBe('82 requests');
    expect(est.totalUsd).toBeCloseTo(0.01417929335, 11);
    expect(est.sentence).toBe('This study will invoke about 24 Lambdas, about $0.01.');
    expect(byItem['Lambda ephemeral storage above 512 MB']).toBeUndefined();
  });

  it('reads like the study-sized example', () => {
    // 4 partition sizes of the 12.6 GB set, 3 repeats: 517 + 259 + 173 + 130 ranks.
    const est = estimateStudyCost({
      executions: [
        { ranks: 517, partitionMb: 25, repeats: 3 },
        { ranks: 259, partitionMb: 50, repeats: 3 },
        { ranks: 173, partitionMb: 75, repeats: 3 },
        { ranks: 130, partitionMb: 100, repeats: 3 },
      ],
      lambda: { memoryMb: 3008, arch: 'x86_64' },
    });
    expect(est.lambdaInvocations).toBe(3 * (1079 + 8));
    expect(est.sentence).toMatch(/^This study will invoke about 3,300 Lambdas, about \$\d+\.\d\d\.$/);
  });

  it('rejects impossible plans', () => {
    expect(() =>
      estimateStudyCost({
        executions: [{ ranks: 0, partitionMb: 25, repeats: 1 }],
        lambda: { memoryMb: 1024, arch: 'arm64' },
      }),
    ).toThrow(/ranks/);
    expect(() => estimateStudyCost({ executions: [], lambda: { memoryMb: 64, arch: 'arm64' } })).toThrow(
      /128–10240 MB/,
    );
  });
});

describe('actualCost', () => {
  it('uses billed duration × configured memory, and ephemeral storage above 512 MB', () => {
    const cost = actualCost(
      [{ billedDurationMs: 1000 }, { billedDurationMs: 1500, memorySizeMb: 1024 }, { billedDurationMs: 2500 }],
      1024,
      'arm64',
      {
        ephemeralMb: 1024,
      },
    );
    expect(cost.gbSeconds).toBe(5);
    expect(cost.lambdaInvocations).toBe(3);
    expect(cost.lines.map((l) => l.item)).toEqual([
      'Lambda compute (arm64)',
      'Lambda requests',
      'Lambda ephemeral storage above 512 MB',
    ]);
    // 5 GB-s × 0.0000133334 + 3 × 0.2e-6 + (0.5 GB × 5 s) × 0.0000000309
    expect(cost.totalUsd).toBeCloseTo(0.000066667 + 0.0000006 + 0.00000007725, 14);
  });

  it('notes REPORT lines whose memory differs from the configured memory', () => {
    const cost = actualCost([{ billedDurationMs: 100, memorySizeMb: 2048 }], 1024, 'x86_64', {
      stateTransitions: 1000,
    });
    expect(cost.notes.join(' ')).toMatch(/1 REPORT line\(s\) show a memory size other than the configured 1024 MB/);
    expect(cost.lines.find((l) => l.item.startsWith('Step Functions'))!.usd).toBeCloseTo(0.025, 12);
  });
});

describe('formatting', () => {
  it('rounds like a person would say it', () => {
    expect(about(2506)).toBe('2,500');
    expect(about(24)).toBe('24');
    expect(about(3261)).toBe('3,300');
    expect(formatUsd(0.4049)).toBe('$0.40');
    expect(formatUsd(0.0023456)).toBe('$0.0023');
    expect(formatUsd(0.003)).toBe('$0.0030');
    expect(formatUsd(1e-7)).toBe('$0.00000010');
  });
});

describe('sweep cost estimate', async () => {
  const { estimateSweepCost, ranksFor } = await import('../../study/cost/sweep-estimate.ts');
  const { expandSweep } = await import('../../base/sweep-plan.ts');

  it('counts one rank per partition like the study', () => {
    const job = { worldSize: null, dataLabel: 'total' };
    expect([25, 50, 75, 100].map((p) => ranksFor({ ...job, partitionMb: p }))).toEqual([517, 259, 173, 130]);
    expect(ranksFor({ worldSize: null, dataLabel: '1GB', partitionMb: 100 })).toBe(11);
    expect(ranksFor({ worldSize: 8, dataLabel: '1GB', partitionMb: 100 })).toBe(8);
  });

  it('estimates the cloud jobs of a sweep and nothing for a local one', () => {
    const jobs = expandSweep({
      target: 'both',
      sweeps: ['data-size'],
      partitionSizesMb: [100],
      dataSizesGb: [1, 'all'],
      repeats: 2,
    });
    const est = estimateSweepCost(jobs, { lambda: { memoryMb: 2048, arch: 'x86_64' } })!;
    // 2 repeats × (11 + 130 ranks), plus Initialize and Summarize per execution (4 executions)
    expect(est.executions).toBe(4);
    expect(est.lambdaInvocations).toBe(2 * (11 + 130) + 4 * 2);
    expect(
      estimateSweepCost(expandSweep({ target: 'local' }), { lambda: { memoryMb: 2048, arch: 'x86_64' } }),
    ).toBeNull();
  });
});

describe('price store', async () => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const { loadPriceTable, priceFile, resetPriceTable, savePriceTable } =
    await import('../../study/cost/price-store.ts');

  it('uses the defaults, keeps an edited table, and reports a bad file by path', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'prices-'));
    try {
      expect(await loadPriceTable(dir)).toMatchObject({ table: DEFAULT_PRICE_TABLE, custom: false });
      const edited = {
        ...structuredClone(DEFAULT_PRICE_TABLE),
        region: 'eu-west-1',
        asOf: '2027-01-15',
        source: 'my invoice',
      };
      await savePriceTable(dir, edited);
      expect(await loadPriceTable(dir)).toMatchObject({
        table: { region: 'eu-west-1', asOf: '2027-01-15' },
        custom: true,
      });
      await expect(savePriceTable(dir, { ...edited, asOf: 'yesterday' })).rejects.toThrow(/asOf: asOf must be a date/);
      await writeFile(priceFile(dir), '{"currency": "USD",');
      await expect(loadPriceTable(dir)).rejects.toThrow(
        /prices\.json is not valid JSON .*delete it to use the default prices/,
      );
      await resetPriceTable(dir);
      expect((await loadPriceTable(dir)).custom).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
