import { describe, expect, it } from 'vitest';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { localMeasurement } from '../support/study-measurement.ts';
import { meanStd, sampleStd } from '../../study/stats.ts';
import { dataLabelGb, table1, table2, table3 } from '../../study/tables.ts';
import { exportTable } from '../../base/table.ts';

const run = localMeasurement;

describe('stats', () => {
  it('uses the sample standard deviation (n − 1)', () => {
    // mean 5; squared deviations 9+1+1+9 = 20; 20/3
    expect(sampleStd([2, 4, 6, 8])).toBeCloseTo(Math.sqrt(20 / 3), 12);
    expect(meanStd([3])).toEqual({ mean: 3, std: null, n: 1 });
  });
});

describe('Table 1', () => {
  const runs = [
    run({ batchSize: 64, secondsPerBatch: 2, throughputBps: 4e6, memoryMb: 2048 }),
    run({ batchSize: 32, repeat: 1, secondsPerBatch: 0.5, throughputBps: 8e6, memoryMb: 512 }),
    run({ batchSize: 32, repeat: 2, secondsPerBatch: 0.7, throughputBps: 12e6, memoryMb: 1024 }),
    run({ batchSize: 512, sweep: 'data-size', secondsPerBatch: 99 }),
  ];
  const t = table1(runs);

  it('has one row per batch size, sorted, with means and sample sd', () => {
    expect(t.title).toBe('Table 1. Execution Time vs Batch Size');
    expect(t.rows.map((r) => r.batch_size)).toEqual([32, 64]); // the data-size run is left out
    const [r32, r64] = t.rows;
    expect(r32.seconds_per_batch).toBeCloseTo(0.6, 12);
    expect(r32.seconds_per_batch_sd).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(r32.throughput_mbps).toBeCloseTo(10, 12);
    expect(r32.throughput_mbps_sd).toBeCloseTo(Math.sqrt(8), 12);
    expect(r32.memory_gb).toBeCloseTo(0.75, 12);
    expect(r32.memory_gb_sd).toBeCloseTo(Math.sqrt(0.125), 12);
    expect(r32.repeats).toBe(2);
    expect(r64).toMatchObject({
      seconds_per_batch: 2,
      seconds_per_batch_sd: null,
      throughput_mbps: 4,
      memory_gb: 2,
      repeats: 1,
    });
  });

  it('labels units and says how sd is computed', () => {
    expect(t.columns.map((c) => c.key)).toEqual([
      'batch_size',
      'seconds_per_batch',
      'seconds_per_batch_sd',
      'throughput_mbps',
      'throughput_mbps_sd',
      'memory_gb',
      'memory_gb_sd',
      'repeats',
    ]);
    expect(t.columns.find((c) => c.key === 'throughput_mbps')!.unit).toBe('Mbps');
    expect(t.note).toMatch(/n − 1/);
    expect(t.note).toMatch(/Mbps = 10\^6 bit\/s/);
  });

  it('adds a "Run on" column when local and cloud are mixed', () => {
    const mixed = table1([...runs, run({ target: 'cloud', batchSize: 32, secondsPerBatch: 3 })]);
    expect(mixed.columns[0].key).toBe('target');
    expect(mixed.rows.map((r) => `${r.target}:${r.batch_size}`)).toEqual(['cloud:32', 'local:32', 'local:64']);
  });
});

describe('fp32 and int8 runs', () => {
  // Same target and batch size; only the precision differs. Averaged together they would read 0.6 s ± 0.29.
  const runs = [
    run({ batchSize: 32, repeat: 1, precision: 'fp32', secondsPerBatch: 0.8, throughputBps: 10e6, memoryMb: 1024 }),
    run({ batchSize: 32, repeat: 2, precision: 'fp32', secondsPerBatch: 1.0, throughputBps: 8e6, memoryMb: 1024 }),
    run({ batchSize: 32, repeat: 1, precision: 'int8', secondsPerBatch: 0.3, throughputBps: 30e6, memoryMb: 512 }),
    run({ batchSize: 32, repeat: 2, precision: 'int8', secondsPerBatch: 0.5, throughputBps: 20e6, memoryMb: 512 }),
    run({ batchSize: 64, precision: 'int8', secondsPerBatch: 0.9, throughputBps: 40e6, memoryMb: 768 }),
  ];

  it('Table 1 keeps them in separate rows with their own means, fp32 first, and a Precision column', () => {
    const t = table1(runs);
    expect(t.columns.map((c) => c.key).slice(0, 2)).toEqual(['precision', 'batch_size']);
    expect(t.rows.map((r) => `${r.precision}:${r.batch_size}:${r.repeats}`)).toEqual([
      'fp32:32:2',
      'int8:32:2',
      'int8:64:1',
    ]);
    const [fp32, int8] = t.rows;
    expect(fp32.seconds_per_batch).toBeCloseTo(0.9, 12);
    expect(fp32.seconds_per_batch_sd).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(fp32.throughput_mbps).toBeCloseTo(9, 12);
    expect(int8.seconds_per_batch).toBeCloseTo(0.4, 12);
    expect(int8.seconds_per_batch_sd).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(int8.throughput_mbps).toBeCloseTo(25, 12);
    expect(int8.memory_gb).toBeCloseTo(0.5, 12);
    expect(t.note).toMatch(/int8 rows ran the dynamically quantized copy/);
  });

  it('treats a run without a precision (cloud, recorded, older local records) as fp32', () => {
    const t = table1([
      run({ batchSize: 32, secondsPerBatch: 0.8 }),
      run({ batchSize: 32, repeat: 2, precision: 'fp32', secondsPerBatch: 1.0 }),
      runs[2],
    ]);
    expect(t.rows.map((r) => `${r.precision}:${r.repeats}`)).toEqual(['fp32:2', 'int8:1']);
    expect(t.rows[0].seconds_per_batch).toBeCloseTo(0.9, 12);
    const mixed = table1([run({ target: 'cloud', batchSize: 32, secondsPerBatch: 3 }), runs[2]]);
    expect(mixed.rows.map((r) => `${r.target}:${r.precision}`)).toEqual(['cloud:fp32', 'local:int8']);
  });

  it('says int8 even when every run is int8, and adds nothing when every run is fp32', () => {
    expect(table1([runs[2], runs[3]]).rows.map((r) => r.precision)).toEqual(['int8']);
    const fp32 = table1([runs[0], runs[1]]);
    expect(fp32.columns.some((c) => c.key === 'precision')).toBe(false);
    expect(fp32.note).not.toMatch(/int8/);
  });

  it('Table 2 groups by precision too', () => {
    const t = table2([
      run({ sweep: 'data-size', partitionMb: 25, dataLabel: '1GB', secondsPerBatch: 2 }),
      run({ sweep: 'data-size', partitionMb: 25, dataLabel: '1GB', precision: 'int8', secondsPerBatch: 1 }),
      run({
        sweep: 'data-size',
        partitionMb: 25,
        dataLabel: '1GB',
        precision: 'int8',
        repeat: 2,
        secondsPerBatch: 0.5,
      }),
    ]);
    expect(t.rows.map((r) => `${r.data_label}/${r.partition_mb}/${r.precision}`)).toEqual([
      '1GB/25/fp32',
      '1GB/25/int8',
    ]);
    expect(t.rows[0].seconds_per_batch).toBe(2);
    expect(t.rows[1].seconds_per_batch).toBeCloseTo(0.75, 12);
  });

  it('keeps the precision in every export', () => {
    const t = table1(runs);
    expect(exportTable(t, 'csv').split('\r\n')[0]).toMatch(/^Precision,Batch size,/);
    expect(exportTable(t, 'csv')).toMatch(/\r\nint8,32,0\.4/);
    expect(exportTable(t, 'md')).toMatch(/\| int8 \| 32 \|/);
    expect(exportTable(t, 'tex')).toMatch(/int8 & 32 &/);
    expect(
      (JSON.parse(exportTable(t, 'json')) as { rows: Array<Record<string, unknown>> }).rows.map((r) => r.precision),
    ).toEqual(['fp32', 'int8', 'int8']);
  });
});

describe('Table 2 and Table 3', () => {
  const cloud = (o: Partial<StudyMeasurement>) => run({ target: 'cloud', sweep: 'data-size', ...o });
  const runs = [
    cloud({
      partitionMb: 50,
      dataLabel: 'total',
      ranks: 2,
      repeat: 1,
      secondsPerBatch: 1,
      throughputBps: 3e9,
      memoryMb: 2048,
      rankSecondsTotal: 100,
      lambdaMemoryMb: 2048,
    }),
    cloud({
      partitionMb: 50,
      dataLabel: 'total',
      ranks: 2,
      repeat: 2,
      secondsPerBatch: 2,
      throughputBps: 1e9,
      memoryMb: 4096,
      rankSecondsTotal: 120,
      lambdaMemoryMb: 2048,
    }),
    cloud({
      partitionMb: 25,
      dataLabel: 'total',
      ranks: 4,
      secondsPerBatch: 0.5,
      throughputBps: 2e9,
      memoryMb: 1024,
      rankSecondsTotal: 10,
    }),
    cloud({ partitionMb: 25, dataLabel: '2GB', ranks: 1 }),
    cloud({ partitionMb: 25, dataLabel: '10GB', ranks: 1 }),
    cloud({ partitionMb: 25, dataLabel: '1GB', sweep: 'batch-size', batchSize: 64 }),
  ];

  it('Table 2 orders by data size then partition and leaves batch-size runs out', () => {
    const t = table2(runs);
    expect(t.rows.map((r) => `${r.data_label}/${r.partition_mb}`)).toEqual([
      '2GB/25',
      '10GB/25',
      'total/25',
      'total/50',
    ]);
    const r50 = t.rows[3];
    expect(r50.seconds_per_batch).toBeCloseTo(1.5, 12);
    expect(r50.seconds_per_batch_sd).toBeCloseTo(Math.SQRT1_2, 12);
    expect(r50.throughput_gbps).toBeCloseTo(2, 12);
    expect(r50.memory_gb).toBeCloseTo(3, 12);
    expect(r50.ranks).toBe(2);
    expect(r50.concurrent_jobs).toBeNull(); // no run has a rank timeline
    expect(table2(runs, { dataLabel: 'total' }).rows).toHaveLength(2);
  });

  it('Table 3 prices each execution from duration × Lambda memory', () => {
    const t = table3(runs, { dataLabel: 'total' });
    const [r25, r50] = t.rows;
    // 50 MB: 100 s and 120 s at 2 GB → 200 and 240 GB-s at $0.0000166667, plus 2 requests at $0.2/M
    const c1 = 200 * 0.0000166667 + 2 * 0.2e-6;
    const c2 = 240 * 0.0000166667 + 2 * 0.2e-6;
    expect(r50).toMatchObject({ invocations: 2, memory_gb: 2, repeats: 2 });
    expect(r50.total_duration_s).toBeCloseTo(110, 12);
    expect(r50.cost_usd).toBeCloseTo((c1 + c2) / 2, 14);
    expect(r50.cost_usd_sd).toBeCloseTo(Math.abs(c2 - c1) / Math.SQRT2, 14);
    // 25 MB has no recorded memory: the 10240 MB fallback, said in the notes
    expect(r25.memory_gb).toBe(10);
    expect(r25.cost_usd).toBeCloseTo(10 * 10 * 0.0000166667 + 4 * 0.2e-6, 14);
    expect(t.note).toMatch(/10240 MB was assumed/);
    expect(t.note).toMatch(/total_cpu_time \(seconds\)" summed/);
    // Each row says where its duration came from: these runs kept no REPORT lines.
    expect(t.rows.map((r) => r.duration_source)).toEqual(['estimated from CPU time', 'estimated from CPU time']);
    const billed = table3(
      runs.map((r) => ({ ...r, rankSecondsSource: 'billed' as const })),
      { dataLabel: 'total' },
    );
    expect(billed.rows.map((r) => r.duration_source)).toEqual(['billed (REPORT lines)', 'billed (REPORT lines)']);
  });

  it('Table 3 reproduces the cost rows the study published for its 12.6 GB set', () => {
    // The study (AI-for-Astronomy README, "Cost estimate"): requests × duration × memory GB × $0.00001667:
    // 25 MB: 517 × 6.55 s × 2.8 GB → $0.16; 100 MB: 130 × 25 s × 7.0 GB → $0.38.
    const study = [
      cloud({
        partitionMb: 25,
        dataLabel: 'total',
        ranks: 517,
        rankSecondsTotal: 517 * 6.55,
        lambdaMemoryMb: 2.8 * 1024,
      }),
      cloud({ partitionMb: 100, dataLabel: 'total', ranks: 130, rankSecondsTotal: 130 * 25, lambdaMemoryMb: 7 * 1024 }),
    ];
    const rows = table3(study).rows;
    expect(rows.map((r) => Math.round((r.cost_usd as number) * 100) / 100)).toEqual([0.16, 0.38]);
    expect(rows.map((r) => r.invocations)).toEqual([517, 130]);
  });

  it('Table 3 ignores local runs', () => {
    expect(table3([run({ partitionMb: 25, dataLabel: 'total' })]).rows).toEqual([]);
  });
});

describe('data labels', () => {
  it('reads sizes from folder names', () => {
    expect(dataLabelGb('1GB')).toBe(1);
    expect(dataLabelGb('total')).toBe(12.6);
    expect(dataLabelGb('total100GB')).toBe(100);
    expect(dataLabelGb('timing')).toBeNull();
  });
});
