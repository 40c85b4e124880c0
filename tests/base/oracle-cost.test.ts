/**
 * Lambda cost against the study's own calculator (../shared/cai/compute_cost.py, run with a stub boto3): its example
 * of 100 requests × 30 s × 5 GB with 2 GB of /tmp, priced by actualCostFromUsage at the same (first-tier) prices.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { actualCostFromUsage, estimateStudyCost, formatUsd, tieredComputeUsd } from '../../base/cost-model.ts';
import { findStudyCaiDir, noStudyCai, pythonOracle } from '../support/python-oracle.ts';

const RUN_STUDY_COST = `
import io, json, runpy, sys, types, contextlib
sys.modules["boto3"] = types.SimpleNamespace(client=lambda *a, **k: None)
out = io.StringIO()
with contextlib.redirect_stdout(out):
    g = runpy.run_path(${JSON.stringify(path.join(findStudyCaiDir() ?? '', 'compute_cost.py'))})
print(json.dumps({k: g[k] for k in ["num_requests", "duration", "memory_allocated", "storage", "compute_charges",
                                     "request_charges", "storage_charges", "total_charges"]}))
`;

describe.skipIf(noStudyCai('the cost checks against compute_cost.py'))(
  "cost against the study's compute_cost.py",
  () => {
    it('prices the same requests, GB-seconds and /tmp storage as the study, to the cent fraction', () => {
      const s = pythonOracle<Record<string, number>>(RUN_STUDY_COST, null);
      expect(s).toMatchObject({ num_requests: 100, duration: 30, memory_allocated: 5, storage: 2 });
      const cost = actualCostFromUsage(
        { invocations: s.num_requests, billedDurationMs: s.num_requests * s.duration * 1000 },
        s.memory_allocated * 1024,
        'x86_64',
        { ephemeralMb: s.storage * 1024 },
      );
      const usd = (prefix: string) => cost.lines.find((l) => l.item.startsWith(prefix))!.usd;
      expect(usd('Lambda compute')).toBeCloseTo(s.compute_charges, 12);
      expect(usd('Lambda requests')).toBeCloseTo(s.request_charges, 15);
      expect(usd('Lambda ephemeral storage')).toBeCloseTo(s.storage_charges, 15);
      expect(cost.totalUsd).toBeCloseTo(s.total_charges, 12);
      expect(cost.gbSeconds).toBe(15_000);
      expect(cost.lines.map((l) => l.quantity)).toEqual(['15,000 GB-s', '100 requests', '4,500 GB-s']);
      expect(formatUsd(cost.totalUsd)).toBe('$0.25');
    });
  },
);

describe('study cost estimate: what it assumed, in words, and what it refuses', () => {
  const plan = {
    executions: [
      { ranks: 4, partitionMb: 50, repeats: 1 },
      { ranks: 2, partitionMb: 100, repeats: 2 },
    ],
    lambda: { memoryMb: 1024, arch: 'arm64' as const, ephemeralMb: 1536 },
    rankThroughputBps: 2 ** 20 * 8, // 1 MiB/s: 50 s and 100 s per rank
    overheadSecondsPerRank: 2,
    helperMemoryMb: 256,
    helperSeconds: 3,
    codeObjects: 2,
    stagedUploads: 10,
  };

  it('counts every service by hand and says its assumptions', () => {
    const e = estimateStudyCost(plan);
    expect(e.executions).toBe(3);
    expect(e.expectedSecondsPerRank).toEqual({ 50: 52, 100: 102 });
    // invocations: (4 + 2) + 2 × (2 + 2) = 14
    expect(e.lambdaInvocations).toBe(14);
    // GB-s at 1 GB: 4 × 52 + 2 × (2 × 102) = 616, plus helpers 3 executions × 2 × 3 s × 0.25 GB = 4.5
    expect(e.gbSeconds).toBeCloseTo(620.5, 9);
    const by = Object.fromEntries(e.lines.map((l) => [l.item, l]));
    expect(Object.keys(by)).toEqual([
      'Lambda compute (arm64)',
      'Lambda requests',
      'Lambda ephemeral storage above 512 MB',
      'Step Functions state transitions (standard)',
      'S3 PUT/COPY/POST/LIST requests',
      'S3 GET requests',
    ]);
    // /tmp above 512 MB: 1 GB × rank seconds 616
    expect(by['Lambda ephemeral storage above 512 MB']).toMatchObject({ quantity: '616 GB-s' });
    expect(by['Lambda ephemeral storage above 512 MB'].usd).toBeCloseTo(616 * 3.09e-8, 15);
    // transitions: (3 + 4) + 2 × (3 + 2) = 17; writes: (2 + 4 + 3) + 2 × (2 + 2 + 3) + 10 staged = 33;
    // reads: 4 × (2 + 2) + 4 + 1 + 2 × (2 × 4 + 2 + 1) = 43
    expect(by['Step Functions state transitions (standard)']).toMatchObject({ quantity: '17 transitions' });
    expect(by['Step Functions state transitions (standard)'].usd).toBeCloseTo((17 * 0.025) / 1000, 15);
    expect(by['S3 PUT/COPY/POST/LIST requests']).toMatchObject({ quantity: '33 requests' });
    expect(by['S3 PUT/COPY/POST/LIST requests'].usd).toBeCloseTo((33 * 0.005) / 1000, 15);
    expect(by['S3 GET requests']).toMatchObject({ quantity: '43 requests' });
    expect(by['S3 GET requests'].usd).toBeCloseTo((43 * 0.0004) / 1000, 15);
    expect(by['Lambda compute (arm64)']).toMatchObject({ quantity: '620.5 GB-s' });
    expect(by['Lambda requests']).toMatchObject({ quantity: '14 requests' });
    expect(e.totalUsd).toBeCloseTo(
      e.lines.reduce((s, l) => s + l.usd, 0),
      15,
    );
    expect(e.notes).toEqual([
      'Each inference Lambda is assumed to take 52.0 s for 50 MB, 102.0 s for 100 MB (8 Mbps per rank plus 2 s start-up).',
      'Initialize and Summarize add 2 Lambdas per execution (256 MB, 3 s each).',
      'Free tiers are not applied; data transfer and CloudWatch Logs are not included.',
    ]);
    expect(e.priceSource).toMatch(/aws\.amazon\.com/);
    expect(e.priceAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('refuses memory outside 128–10240 MB, a non-positive throughput, and bad executions, saying which', () => {
    const bad = (over: object) => () => estimateStudyCost({ ...plan, ...over });
    expect(bad({ lambda: { memoryMb: 10241, arch: 'x86_64' } })).toThrow(
      'Lambda memory must be 128–10240 MB, got 10241',
    );
    expect(bad({ lambda: { memoryMb: 127, arch: 'x86_64' } })).toThrow('got 127');
    expect(() => estimateStudyCost({ ...plan, lambda: { memoryMb: 128, arch: 'x86_64' } })).not.toThrow();
    expect(() => estimateStudyCost({ ...plan, lambda: { memoryMb: 10240, arch: 'x86_64' } })).not.toThrow();
    expect(bad({ rankThroughputBps: 0 })).toThrow('rankThroughputBps must be positive, got 0');
    for (const e of [
      { ranks: 1.5, partitionMb: 1, repeats: 1 },
      { ranks: 1, partitionMb: 1, repeats: 0 },
      { ranks: 1, partitionMb: 0, repeats: 1 },
    ]) {
      expect(bad({ executions: [e] }), JSON.stringify(e)).toThrow(
        `a planned execution needs whole positive ranks and repeats and a positive partition size, got ${JSON.stringify(e)}`,
      );
    }
  });

  it('tiers: usage already this month moves the charge to the next tier', () => {
    // x86: 6e9 GB-s at 0.0000166667, then 0.000015: 10 GB-s starting 5 below the boundary
    expect(tieredComputeUsd(10, 'x86_64', undefined, 6e9 - 5)).toBeCloseTo(5 * 0.0000166667 + 5 * 0.000015, 15);
    expect(tieredComputeUsd(10, 'x86_64', undefined, 6e9)).toBeCloseTo(10 * 0.000015, 15);
    expect(tieredComputeUsd(0, 'x86_64')).toBe(0);
  });
});
