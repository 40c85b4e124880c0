import { describe, expect, it } from 'vitest';
import { aggregateRanks, removeOutliersAndMean } from '../../cloud/aggregate.ts';
import { parseReportLine } from '../../cloud/logs.ts';

const rank = (cpu: number, mem: number, bps: number, extra: Record<string, unknown> = {}) => ({
  'total_cpu_time (seconds)': cpu,
  'total_cpu_memory (MB)': mem,
  throughput_bps: bps,
  ...extra,
});

describe('study aggregation (hand-computed)', () => {
  it('drops a CPU-time outlier by 1.5×IQR with linear quartiles; sums memory and throughput; total_bits = Σ bps×cpu', () => {
    // cpu sorted 10,11,12,13,50: Q1 = 11 (pos 1), Q3 = 13 (pos 3), IQR 2, bounds [8, 16] → 50 dropped, mean 46/4.
    const ranks = [
      rank(10, 100, 1e6),
      rank(12, 110, 2e6),
      rank(11, 120, 1.5e6),
      rank(13, 130, 1e6),
      rank(50, 140, 0.5e6),
    ];
    const a = aggregateRanks(ranks, 20);
    expect(a.ranks).toBe(5);
    expect(a['total_cpu_time (seconds)']).toBeCloseTo(11.5, 12);
    expect(a.cpu_time_outliers_dropped).toBe(1);
    expect(a['total_cpu_memory (MB)']).toBe(600);
    expect(a.throughput_bps).toBe(6e6);
    // 10e6 + 24e6 + 16.5e6 + 13e6 + 25e6 (the outlier still counts in total_bits, as in the study)
    expect(a.total_bits).toBeCloseTo(88.5e6, 3);
    expect(a.map_duration_seconds).toBe(20);
    expect(a.wall_throughput_bps).toBeCloseTo(4.425e6, 3);
  });

  it('interpolates quartiles between values (numpy linear)', () => {
    // sorted 1,2,2.5,3,4,100: Q1 pos 1.25 → 2.125, Q3 pos 3.75 → 3.75, IQR 1.625, bounds [-0.3125, 6.1875].
    const r = removeOutliersAndMean([1, 2, 3, 4, 100, 2.5]);
    expect(r.q1).toBeCloseTo(2.125, 12);
    expect(r.q3).toBeCloseTo(3.75, 12);
    expect(r.dropped).toBe(1);
    expect(r.mean).toBeCloseTo(2.5, 12);
    // A value exactly on the bound is kept (lower_bound <= x <= upper_bound).
    // [0, 4, 4, 4, 10]: Q1 = Q3 = 4, IQR 0 → only the 4s kept.
    expect(removeOutliersAndMean([0, 4, 4, 4, 10])).toMatchObject({ mean: 4, kept: 3, dropped: 2 });
    // [1,2,3,4]: Q1 1.75, Q3 3.25, all kept.
    expect(removeOutliersAndMean([1, 2, 3, 4])).toMatchObject({ mean: 2.5, kept: 4, dropped: 0 });
  });

  it('handles one rank, no ranks and an unknown Map duration', () => {
    const one = aggregateRanks([
      rank(7, 70, 3, { 'execution_time (seconds/batch)': 0.5, sample_persec: 9, num_batches: 4, batch_size: 32 }),
    ]);
    expect(one).toMatchObject({
      ranks: 1,
      'total_cpu_time (seconds)': 7,
      total_bits: 21,
      'execution_time (seconds/batch)': 0.5,
      sample_persec: 9,
      num_batches: 4,
      batch_size: 32,
      wall_throughput_bps: null,
    });
    const none = aggregateRanks([], 10);
    expect(none.ranks).toBe(0);
    expect(Number.isNaN(none['total_cpu_time (seconds)'])).toBe(true);
    expect(none.wall_throughput_bps).toBeNull();
  });

  it('averages seconds/batch, sums samples/s, and reports batch size only when all ranks agree', () => {
    const a = aggregateRanks([
      rank(1, 1, 1, { 'execution_time (seconds/batch)': 2, sample_persec: 10, num_batches: 3, batch_size: 64 }),
      rank(1, 1, 1, { 'execution_time (seconds/batch)': 4, sample_persec: 30, num_batches: 5, batch_size: 32 }),
    ]);
    expect(a['execution_time (seconds/batch)']).toBe(3);
    expect(a.sample_persec).toBe(40);
    expect(a.num_batches).toBe(8);
    expect(a.batch_size).toBeNull();
  });
});

describe('REPORT line parsing', () => {
  it('parses a cold-start line as Lambda writes it (tab-separated, with Init Duration)', () => {
    const line =
      'REPORT RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95\tDuration: 15.74 ms\tBilled Duration: 16 ms\tMemory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 133.32 ms\t\n';
    expect(parseReportLine(line)).toEqual({
      requestId: '8f507cfc-xmpl-4697-b07a-ac58fc914c95',
      durationMs: 15.74,
      billedDurationMs: 16,
      memorySizeMb: 128,
      maxMemoryUsedMb: 56,
      initDurationMs: 133.32,
    });
  });

  it('parses a warm line (no Init Duration) and one with an X-Ray trace suffix', () => {
    const warm =
      'REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12034.52 ms\tBilled Duration: 12035 ms\tMemory Size: 10240 MB\tMax Memory Used: 3017 MB\t';
    expect(parseReportLine(warm)).toEqual({
      requestId: '3604209a-e9a3-11e6-939a-754dd98c7be3',
      durationMs: 12034.52,
      billedDurationMs: 12035,
      memorySizeMb: 10240,
      maxMemoryUsedMb: 3017,
    });
    const xray =
      'REPORT RequestId: a1b2c3d4-0000-1111-2222-333344445555 Duration: 2.01 ms Billed Duration: 3 ms Memory Size: 2048 MB Max Memory Used: 80 MB Init Duration: 301.7 ms \nXRAY TraceId: 1-5d9d007f-0a8c7fd02xmpl480aed55ef0 SegmentId: 3d752xmpl1bbe37e Sampled: true';
    expect(parseReportLine(xray)).toMatchObject({
      durationMs: 2.01,
      billedDurationMs: 3,
      memorySizeMb: 2048,
      maxMemoryUsedMb: 80,
      initDurationMs: 301.7,
    });
  });

  it('returns null for other log lines and for truncated REPORT lines', () => {
    expect(parseReportLine('START RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95 Version: $LATEST')).toBeNull();
    expect(parseReportLine('END RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95')).toBeNull();
    expect(parseReportLine('2026-11-28T10:00:00.000Z\tabc\tINFO\tRank 3 done in 12.1 s')).toBeNull();
    expect(parseReportLine('REPORT RequestId: 8f507cfc Duration: 15.74 ms\tBilled Duration: 16 ms')).toBeNull();
  });
});
