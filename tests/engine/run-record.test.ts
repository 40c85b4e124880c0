/**
 * The local run record's numbers from known measurements (what the worker would report), each expected value
 * computed by hand: sums over partitions, peak memory, rates, latency percentiles (numpy linear), timestamps.
 */
import { describe, expect, it } from 'vitest';
import { buildRecord, partitionRecordOf } from '../../engine/run/record-builder.ts';
import { LocalRunRecordSchema, METRIC_DEFINITIONS, studyRates } from '../../base/local-run-record.ts';
import type { PartitionMeasurement } from '../../engine/run/worker-protocol.ts';

const MiB = 2 ** 20;
const BITS = (5 * 32 * 32 + 5) * 32; // float32 image [5,32,32] + magnitudes [5] per galaxy

const part = (over: Partial<PartitionMeasurement>): PartitionMeasurement => ({
  partition: 1,
  path: '/d/1.pt',
  status: 'completed',
  samplesInFile: 0,
  samples: 0,
  batches: 0,
  inferenceSeconds: 0,
  loadSeconds: 0,
  cpuSeconds: 0,
  peakRssBytes: 0,
  batchMs: [],
  nanInputs: 0,
  infInputs: 0,
  error: null,
  ...over,
});

const p1 = part({
  partition: 1,
  path: '/d/1.pt',
  samplesInFile: 100,
  samples: 100,
  batches: 4,
  inferenceSeconds: 2,
  loadSeconds: 0.5,
  cpuSeconds: 3,
  peakRssBytes: 300 * MiB,
  batchMs: [400, 500, 600, 500],
  nanInputs: 2,
  infInputs: 1,
});
const p2 = part({
  partition: 2,
  path: '/d/2.pt',
  samplesInFile: 60,
  samples: 60,
  batches: 2,
  inferenceSeconds: 1,
  loadSeconds: 0.25,
  cpuSeconds: 1.5,
  peakRssBytes: 400 * MiB,
  batchMs: [700, 300],
  infInputs: 3,
});
const p3 = part({ partition: 3, path: '/d/3.pt', status: 'skipped', samplesInFile: 80 });

const inputs = (sessionRss: number, partitions = [p1, p2, p3]) => ({
  started: new Date('2026-01-02T03:04:05.000Z'),
  wallSeconds: 5.5,
  status: 'completed' as const,
  error: null,
  sessionSeconds: 1.25,
  sessionRss,
  valid: { batchSize: 32, threads: 2, graphOptimization: 'all' as const, precision: 'fp32' as const, spinning: false },
  model: { path: '/m.onnx', label: 'm', reference: true, parameters: 10, flopsPerSample: 20 },
  dataset: { spec: ['/d'], files: ['/d/1.pt', '/d/2.pt', '/d/3.pt'], samples: 240, bytes: 1234, synthetic: false },
  partitions,
  accuracy: null,
});

describe('local run record (hand-computed from known measurements)', () => {
  it('per partition: the study fields, load, latency percentiles and input counts', () => {
    const r = partitionRecordOf(p1, 32);
    expect(r).toEqual({
      partition: 1,
      status: 'completed',
      'total_cpu_time (seconds)': 3,
      'total_cpu_memory (MB)': 300,
      'execution_time (seconds/batch)': 0.5, // 2 s / 4 batches
      num_batches: 4,
      throughput_bps: (100 * 164_000) / 2,
      sample_persec: 50,
      batch_size: 32,
      device: 'cpu',
      data_path: '/d/1.pt',
      samples: 100,
      samples_in_file: 100,
      inference_seconds: 2,
      load_seconds: 0.5,
      // sorted 400,500,500,600: p50 at 1.5 → 500; p90 at 2.7 → 570; p99 at 2.97 → 597
      latency_ms: { p50: 500, p90: expect.closeTo(570, 9), p99: expect.closeTo(597, 9) },
      nan_inputs: 2,
      inf_inputs: 1,
      error: null,
      // Exact counts: no dtypes given, so float32 image and magnitudes (BITS per galaxy), read once each.
      bits_per_sample: BITS,
      total_bits: 100 * BITS,
      // The study's divisor: samples ÷ batch size = 100 / 32 = 3.125 "batches", not the 4 batches that ran.
      study_formula: { 'execution_time (seconds/batch)': 2 / (100 / 32) },
    });
    const skipped = partitionRecordOf(p3, 32);
    expect(skipped).toMatchObject({
      status: 'skipped',
      samples: 0,
      samples_in_file: 80,
      latency_ms: null,
      num_batches: 0,
      'execution_time (seconds/batch)': 0,
      throughput_bps: 0,
      sample_persec: 0,
    });
  });

  it('for the run: sums, the peak over partitions, rates over the summed inference time, all batches pooled', () => {
    const rec = buildRecord(inputs(200 * MiB));
    expect(LocalRunRecordSchema.parse(rec)).toEqual(rec);
    expect(rec).toMatchObject({
      kind: 'local',
      status: 'completed',
      started: '2026-01-02T03:04:05.000Z',
      finished: '2026-01-02T03:04:10.500Z', // + 5.5 s
      wall_seconds: 5.5,
      session_seconds: 1.25,
      samples: 160,
      num_batches: 6,
      inference_seconds: 3,
      'total_cpu_time (seconds)': 4.5,
      'total_cpu_memory (MB)': 400, // the larger partition peak (the session's 200 MiB is below it)
      'execution_time (seconds/batch)': 0.5, // 3 s / 6
      load_seconds: 0.75,
      nan_inputs: 2,
      inf_inputs: 4,
      batch_size: 32,
      device: 'cpu',
      data_path: '/d',
      error: null,
    });
    expect(rec.id).toMatch(/^local-20260102T030405Z-[0-9a-f]{6}$/);
    expect(rec.throughput_bps).toBeCloseTo((160 * BITS) / 3, 6);
    expect(rec.sample_persec).toBeCloseTo(160 / 3, 12);
    // pooled 300,400,500,500,600,700: p50 at 2.5 → 500; p90 at 4.5 → 650; p99 at 4.95 → 695
    expect(rec.latency_ms!.p50).toBe(500);
    expect(rec.latency_ms!.p90).toBeCloseTo(650, 9);
    expect(rec.latency_ms!.p99).toBeCloseTo(695, 9);
    expect(rec.max_rss_mb).toBeGreaterThanOrEqual(400);
    expect(rec.partitions.map((p) => p.partition)).toEqual([1, 2, 3]);
    expect(rec.options).toEqual({
      batchSize: 32,
      threads: 2,
      interOpThreads: 1,
      graphOptimization: 'all',
      executionMode: 'sequential',
      spinning: false,
    });
    expect(rec.model).toEqual({
      path: '/m.onnx',
      label: 'm',
      reference: true,
      parameters: 10,
      flopsPerSample: 20,
      precision: 'fp32',
    });
    expect(rec.metricDefinitions).toBe(METRIC_DEFINITIONS);
  });

  it('memory is the session RSS when that is the highest; a run with no batches has zero rates and no latency', () => {
    expect(buildRecord(inputs(500 * MiB))['total_cpu_memory (MB)']).toBe(500);
    const two = inputs(MiB);
    expect(buildRecord({ ...two, dataset: { ...two.dataset, spec: ['/a', '/b.pt'] } }).data_path).toBe('/a, /b.pt');
    const empty = buildRecord({ ...inputs(64 * MiB, [p3]), status: 'cancelled' });
    expect(empty).toMatchObject({
      status: 'cancelled',
      samples: 0,
      num_batches: 0,
      inference_seconds: 0,
      latency_ms: null,
      throughput_bps: 0,
      sample_persec: 0,
      'execution_time (seconds/batch)': 0,
      'total_cpu_memory (MB)': 64,
    });
  });

  it('max_rss_mb: the OS high-water mark of the process (maxRSS, KiB → MB) or the peak sampled RSS, the larger', () => {
    // A sampled peak above anything this process reaches: it wins, in MB (2^20 bytes).
    expect(buildRecord(inputs(64 * 1024 * MiB)).max_rss_mb).toBe(64 * 1024);
    // A tiny sampled peak: the process's own high-water mark, read around the call.
    const lo = process.resourceUsage().maxRSS / 1024;
    const rss = buildRecord({ ...inputs(MiB, [p3]) }).max_rss_mb;
    const hi = process.resourceUsage().maxRSS / 1024;
    expect(lo).toBeGreaterThan(1);
    expect(rss).toBeGreaterThanOrEqual(lo);
    expect(rss).toBeLessThanOrEqual(hi);
  });

  it('studyRates: a partition with batches but no measured time has zero rates, not Infinity', () => {
    expect(studyRates({ samples: 10, batches: 1, inferenceSeconds: 0, cpuSeconds: 0, peakRssBytes: MiB })).toEqual({
      'total_cpu_time (seconds)': 0,
      'total_cpu_memory (MB)': 1,
      'execution_time (seconds/batch)': 0,
      num_batches: 1,
      throughput_bps: 0,
      sample_persec: 0,
    });
  });
});
