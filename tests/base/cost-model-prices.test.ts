/**
 * Lambda, Step Functions and S3 cost against the published price formulas, every expected value written out by hand:
 * the AWS Lambda pricing page's worked example (free tier left out, as the model says), each volume tier of both
 * architectures entered at and past its boundary, billed duration taken as billed (1 ms granularity), a user's own
 * price table, and the plan options that the study-sized tests leave at their defaults.
 */
import { describe, expect, it } from 'vitest';
import {
  about,
  actualCost,
  actualCostFromUsage,
  estimateStudyCost,
  formatUsd,
  tieredComputeUsd,
} from '../../base/cost-model.ts';
import { DEFAULT_PRICE_TABLE, type PriceTable } from '../../base/price-table.ts';

// Published us-east-1 prices (https://aws.amazon.com/lambda/pricing/ and the Step Functions and S3 pages).
const X86 = [0.0000166667, 0.000015, 0.0000133334]; // per GB-s: first 6 B GB-s, next 9 B, over 15 B a month
const ARM = [0.0000133334, 0.0000120001, 0.0000106667]; // per GB-s: first 7.5 B GB-s, next 11.25 B, over 18.75 B
const PER_REQUEST = 0.2 / 1e6;
const PER_EPHEMERAL_GB_S = 0.0000000309;
const PER_TRANSITION = 0.025 / 1000;
const PER_S3_WRITE = 0.005 / 1000;
const PER_S3_READ = 0.0004 / 1000;

const usdOf = (lines: { item: string; usd: number }[], prefix: string) => {
  const line = lines.find((l) => l.item.startsWith(prefix));
  if (!line) throw new Error(`no cost line starting with "${prefix}" in ${lines.map((l) => l.item).join(', ')}`);
  return line.usd;
};

describe("the Lambda pricing page's example: 512 MB, 3 million invocations of 1 s", () => {
  const usage = { invocations: 3_000_000, billedDurationMs: 3_000_000 * 1000 };

  it('x86_64: 1.5 million GB-s at the first tier plus 3 million requests', () => {
    const cost = actualCostFromUsage(usage, 512, 'x86_64');
    expect(cost.gbSeconds).toBe(1_500_000);
    expect(cost.lambdaInvocations).toBe(3_000_000);
    expect(cost.lines).toEqual([
      { item: 'Lambda compute (x86_64)', quantity: '1,500,000 GB-s', usd: expect.closeTo(25.00005, 9) },
      { item: 'Lambda requests', quantity: '3,000,000 requests', usd: expect.closeTo(0.6, 12) },
    ]);
    expect(cost.totalUsd).toBeCloseTo(25.60005, 9);
    expect(cost.notes).toEqual(['3,000,000 REPORT lines, 3,000,000 billed seconds at 512 MB.']);
    expect(cost.priceSource).toBe(DEFAULT_PRICE_TABLE.source);
    expect(cost.priceAsOf).toBe(DEFAULT_PRICE_TABLE.asOf);
  });

  it('arm64: the same usage at the Graviton price', () => {
    const cost = actualCostFromUsage(usage, 512, 'arm64');
    expect(usdOf(cost.lines, 'Lambda compute (arm64)')).toBeCloseTo(20.0001, 9);
    expect(cost.totalUsd).toBeCloseTo(20.6001, 9);
  });
});

describe('billed duration from REPORT lines', () => {
  it('is summed as billed, in 1 ms steps, times the configured memory', () => {
    // 1 ms + 1233 ms = 1.234 s at 1 GB; /tmp of 1024 MB bills 0.5 GB above the free 512 MB.
    const cost = actualCost([{ billedDurationMs: 1 }, { billedDurationMs: 1233 }], 1024, 'x86_64', {
      ephemeralMb: 1024,
    });
    expect(cost.gbSeconds).toBeCloseTo(1.234, 12);
    expect(cost.lines).toEqual([
      { item: 'Lambda compute (x86_64)', quantity: '1.2 GB-s', usd: expect.closeTo(1.234 * X86[0], 15) },
      { item: 'Lambda requests', quantity: '2 requests', usd: expect.closeTo(2 * PER_REQUEST, 15) },
      {
        item: 'Lambda ephemeral storage above 512 MB',
        quantity: '0.6 GB-s',
        usd: expect.closeTo(0.617 * PER_EPHEMERAL_GB_S, 18),
      },
    ]);
    expect(cost.notes).toEqual(['2 REPORT lines, 1.234 billed seconds at 1024 MB.']);
  });

  it('bills memory in MB with 1 GB = 1024 MB, and no /tmp charge at or below 512 MB', () => {
    const cost = actualCost([{ billedDurationMs: 2000 }], 1536, 'arm64', { ephemeralMb: 256 });
    expect(cost.gbSeconds).toBe(3);
    expect(cost.lines.map((l) => l.item)).toEqual(['Lambda compute (arm64)', 'Lambda requests']);
    expect(actualCost([{ billedDurationMs: 2000 }], 1536, 'arm64', { ephemeralMb: 512 }).lines).toHaveLength(2);
  });

  it('counts only REPORT lines whose memory is known and differs from the configured size', () => {
    const lines = [
      { billedDurationMs: 1000, memorySizeMb: 1024 },
      { billedDurationMs: 1000 },
      { billedDurationMs: 1000, memorySizeMb: 2048 },
      { billedDurationMs: 1000, memorySizeMb: 512 },
    ];
    const cost = actualCost(lines, 1024, 'x86_64');
    expect(cost.gbSeconds).toBe(4); // the configured 1024 MB, not what the lines say
    expect(cost.notes).toEqual([
      '4 REPORT lines, 4 billed seconds at 1024 MB.',
      '2 REPORT line(s) show a memory size other than the configured 1024 MB; the configured size was used.',
    ]);
    expect(actualCost(lines.slice(0, 2), 1024, 'x86_64').notes).toEqual([
      '2 REPORT lines, 2 billed seconds at 1024 MB.',
    ]);
  });

  it('adds the Step Functions and S3 requests the execution history counted', () => {
    const cost = actualCost([{ billedDurationMs: 1000 }], 1024, 'x86_64', {
      stateTransitions: 2000,
      s3Writes: 3000,
      s3Reads: 5000,
    });
    expect(cost.lines.slice(2)).toEqual([
      {
        item: 'Step Functions state transitions (standard)',
        quantity: '2,000 transitions',
        usd: expect.closeTo(2000 * PER_TRANSITION, 15),
      },
      { item: 'S3 PUT/COPY/POST/LIST requests', quantity: '3,000 requests', usd: expect.closeTo(0.015, 15) },
      { item: 'S3 GET requests', quantity: '5,000 requests', usd: expect.closeTo(0.002, 15) },
    ]);
    expect(cost.totalUsd).toBeCloseTo(X86[0] + PER_REQUEST + 0.05 + 0.015 + 0.002, 15);
  });
});

describe('monthly volume tiers, entered at and past each boundary', () => {
  it('x86_64: 6 B and 15 B GB-s', () => {
    expect(tieredComputeUsd(10, 'x86_64', undefined, 7e9)).toBeCloseTo(10 * X86[1], 15);
    expect(tieredComputeUsd(10, 'x86_64', undefined, 15e9)).toBeCloseTo(10 * X86[2], 15);
    expect(tieredComputeUsd(10, 'x86_64', undefined, 20e9)).toBeCloseTo(10 * X86[2], 15);
    expect(tieredComputeUsd(10, 'x86_64', undefined, 15e9 - 3)).toBeCloseTo(3 * X86[1] + 7 * X86[2], 15);
  });

  it('arm64: 7.5 B and 18.75 B GB-s', () => {
    expect(tieredComputeUsd(10, 'arm64', undefined, 7.5e9 - 4)).toBeCloseTo(4 * ARM[0] + 6 * ARM[1], 15);
    expect(tieredComputeUsd(10, 'arm64', undefined, 7.5e9)).toBeCloseTo(10 * ARM[1], 15);
    expect(tieredComputeUsd(10, 'arm64', undefined, 18.75e9 - 4)).toBeCloseTo(4 * ARM[1] + 6 * ARM[2], 15);
    expect(tieredComputeUsd(10, 'arm64', undefined, 30e9)).toBeCloseTo(10 * ARM[2], 15);
  });

  it('never charges for no usage or a negative amount of it', () => {
    expect(tieredComputeUsd(0, 'arm64', undefined, 7e9)).toBe(0);
    expect(tieredComputeUsd(-5, 'x86_64')).toBe(0);
    expect(tieredComputeUsd(-5, 'arm64', undefined, 20e9)).toBe(0);
  });

  it('the usage already this month reaches the tiers through both cost functions', () => {
    const after = actualCostFromUsage({ invocations: 1, billedDurationMs: 10_000 }, 1024, 'x86_64', {
      alreadyUsedGbSeconds: 7e9,
    });
    expect(usdOf(after.lines, 'Lambda compute')).toBeCloseTo(10 * X86[1], 15);
    const plan = {
      executions: [{ ranks: 1, partitionMb: 1, repeats: 1 }],
      lambda: { memoryMb: 1024, arch: 'arm64' as const },
      rankThroughputBps: 2 ** 20 * 8, // 1 s per rank
      overheadSecondsPerRank: 9,
      helperSeconds: 0,
    };
    // 10 s at 1 GB
    expect(usdOf(estimateStudyCost(plan).lines, 'Lambda compute')).toBeCloseTo(10 * ARM[0], 15);
    expect(usdOf(estimateStudyCost({ ...plan, alreadyUsedGbSeconds: 20e9 }).lines, 'Lambda compute')).toBeCloseTo(
      10 * ARM[2],
      15,
    );
  });
});

describe("a user's own price table", () => {
  const prices: PriceTable = {
    ...structuredClone(DEFAULT_PRICE_TABLE),
    region: 'eu-west-1',
    source: 'my invoice',
    asOf: '2027-01-15',
    lambda: {
      computeTiers: {
        x86_64: [
          { upToGbSeconds: 100, usdPerGbSecond: 0.00002 },
          { upToGbSeconds: null, usdPerGbSecond: 0.00001 },
        ],
        arm64: [{ upToGbSeconds: null, usdPerGbSecond: 0.000015 }],
      },
      usdPerMillionRequests: 0.4,
      freeEphemeralMb: 1024,
      usdPerEphemeralGbSecond: 0.0000001,
    },
    stepFunctions: { usdPerThousandStandardTransitions: 0.05 },
    s3: { usdPerThousandWrites: 0.01, usdPerThousandReads: 0.001 },
  };

  it('prices actual usage with every one of its fields', () => {
    const cost = actualCostFromUsage({ invocations: 10, billedDurationMs: 150_000 }, 1024, 'x86_64', {
      prices,
      ephemeralMb: 2048,
      stateTransitions: 1000,
      s3Writes: 1000,
      s3Reads: 1000,
    });
    expect(cost.lines).toEqual([
      // 150 GB-s: 100 at 0.00002, 50 at 0.00001
      { item: 'Lambda compute (x86_64)', quantity: '150 GB-s', usd: expect.closeTo(0.0025, 15) },
      { item: 'Lambda requests', quantity: '10 requests', usd: expect.closeTo(0.000004, 15) },
      // 1 GB above its free 1024 MB × 150 s
      { item: 'Lambda ephemeral storage above 1024 MB', quantity: '150 GB-s', usd: expect.closeTo(0.000015, 15) },
      { item: 'Step Functions state transitions (standard)', quantity: '1,000 transitions', usd: 0.05 },
      { item: 'S3 PUT/COPY/POST/LIST requests', quantity: '1,000 requests', usd: 0.01 },
      { item: 'S3 GET requests', quantity: '1,000 requests', usd: 0.001 },
    ]);
    expect(cost).toMatchObject({ priceSource: 'my invoice', priceAsOf: '2027-01-15' });
  });

  it('prices an estimate with it too', () => {
    const e = estimateStudyCost(
      {
        executions: [{ ranks: 2, partitionMb: 1, repeats: 1 }],
        lambda: { memoryMb: 1024, arch: 'x86_64', ephemeralMb: 1024 },
        rankThroughputBps: 2 ** 20 * 8, // 1 s per rank
        overheadSecondsPerRank: 0,
        helperSeconds: 0,
      },
      prices,
    );
    // 4 invocations, 2 GB-s; no /tmp line (1024 MB is free here); 5 transitions, 7 writes, 9 reads
    expect(e.lines.map((l) => [l.item, l.usd])).toEqual([
      ['Lambda compute (x86_64)', expect.closeTo(2 * 0.00002, 15)],
      ['Lambda requests', expect.closeTo(4 * 0.4e-6, 15)],
      ['Step Functions state transitions (standard)', expect.closeTo(5 * 0.05e-3, 15)],
      ['S3 PUT/COPY/POST/LIST requests', expect.closeTo(7 * 0.01e-3, 15)],
      ['S3 GET requests', expect.closeTo(9 * 0.001e-3, 15)],
    ]);
    expect(e.priceSource).toBe('my invoice');
  });
});

describe('study estimate with the default assumptions', () => {
  it('one 100 MB execution of 130 ranks at 3008 MB on arm64, by hand', () => {
    const e = estimateStudyCost({
      executions: [{ ranks: 130, partitionMb: 100, repeats: 1 }],
      lambda: { memoryMb: 3008, arch: 'arm64' },
    });
    // 100 MiB × 8 bits at 30 Mbps = 27.962 s, plus 3 s start-up
    expect(e.expectedSecondsPerRank).toEqual({ 100: expect.closeTo(30.962026666666667, 12) });
    expect(e.lambdaInvocations).toBe(132);
    // 130 × 30.962 s × 2.9375 GB + Initialize and Summarize at 128 MB for 1 s
    expect(e.gbSeconds).toBeCloseTo(11823.873933333332, 8);
    const quantities = Object.fromEntries(e.lines.map((l) => [l.item, l.quantity]));
    expect(quantities).toEqual({
      'Lambda compute (arm64)': '11,823.9 GB-s',
      'Lambda requests': '132 requests',
      'Step Functions state transitions (standard)': '133 transitions',
      'S3 PUT/COPY/POST/LIST requests': '135 requests',
      'S3 GET requests': '521 requests',
    });
    const hand =
      11823.873933333332 * ARM[0] + 132 * PER_REQUEST + 133 * PER_TRANSITION + 135 * PER_S3_WRITE + 521 * PER_S3_READ;
    expect(e.totalUsd).toBeCloseTo(hand, 12);
    expect(e.totalUsd).toBeCloseTo(0.16188724070270666, 12);
    expect(e.sentence).toBe('This study will invoke about 130 Lambdas, about $0.16.');
    expect(e.notes.slice(0, 2)).toEqual([
      'Each inference Lambda is assumed to take 31.0 s for 100 MB (30 Mbps per rank plus 3 s start-up).',
      'Initialize and Summarize add 2 Lambdas per execution (128 MB, 1 s each).',
    ]);
  });

  it('counts transitionsPerMapItem per Map item', () => {
    const e = estimateStudyCost({
      executions: [{ ranks: 5, partitionMb: 10, repeats: 2 }],
      lambda: { memoryMb: 1024, arch: 'x86_64' },
      transitionsPerMapItem: 2,
    });
    // 2 × (Initialize + Map + Summarize + 5 items × 2)
    expect(e.lines.find((l) => l.item.startsWith('Step Functions'))!.quantity).toBe('26 transitions');
  });

  it('an empty plan costs nothing and says so', () => {
    const e = estimateStudyCost({ executions: [], lambda: { memoryMb: 1024, arch: 'x86_64' } });
    expect(e).toMatchObject({ executions: 0, lambdaInvocations: 0, gbSeconds: 0, totalUsd: 0 });
    expect(e.sentence).toBe('This study will invoke about 0 Lambdas, about $0.00.');
  });

  it('refuses fractional repeats and negative or missing sizes', () => {
    const plan = (e: object) => () =>
      estimateStudyCost({ executions: [e as never], lambda: { memoryMb: 1024, arch: 'x86_64' } });
    for (const e of [
      { ranks: 2, partitionMb: 10, repeats: 1.5 },
      { ranks: -1, partitionMb: 10, repeats: 1 },
      { ranks: 2, partitionMb: -10, repeats: 1 },
      { ranks: 2, partitionMb: Number.NaN, repeats: 1 },
      { ranks: 2, partitionMb: 10, repeats: -2 },
    ])
      expect(plan(e), JSON.stringify(e)).toThrow(/^a planned execution needs whole positive ranks and repeats/);
    expect(() =>
      estimateStudyCost({
        executions: [],
        lambda: { memoryMb: Number.NaN, arch: 'x86_64' },
      }),
    ).toThrow('Lambda memory must be 128–10240 MB, got NaN');
  });
});

describe('formatting at the edges', () => {
  it('dollars: zero, exactly one cent, just under a cent', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.01)).toBe('$0.01');
    expect(formatUsd(0.0099)).toBe('$0.0099');
    expect(formatUsd(12.345)).toBe('$12.35');
  });

  it('counts: two significant digits from 100 up', () => {
    expect(about(0)).toBe('0');
    expect(about(99)).toBe('99');
    expect(about(100)).toBe('100');
    expect(about(149)).toBe('150');
    expect(about(12_345)).toBe('12,000');
  });
});
