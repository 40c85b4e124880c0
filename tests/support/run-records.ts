import { LocalRunRecordSchema, METRIC_DEFINITIONS, type LocalRunRecord } from '../../base/local-run-record.ts';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../../base/metric-keys.ts';

/** A small, schema-valid local run record (one partition) for tests of stores and tables; `over` replaces fields. */
export function localRecord(over: Partial<LocalRunRecord> = {}): LocalRunRecord {
  const study = {
    [CPU_TIME]: 0.5,
    [CPU_MEMORY]: 100,
    [EXECUTION_TIME]: 0.1,
    num_batches: 2,
    batch_size: 2,
    device: 'cpu',
    throughput_bps: 1000,
    sample_persec: 12.5,
    data_path: 'sample.pt',
    samples: 3,
    inference_seconds: 0.24,
    load_seconds: 0.01,
    latency_ms: { p50: 100, p90: 110, p99: 120 },
    nan_inputs: 0,
    inf_inputs: 0,
  };
  return LocalRunRecordSchema.parse({
    ...study,
    id: 'local-test',
    kind: 'local',
    status: 'completed',
    started: '2026-01-01T00:00:00.000Z',
    finished: '2026-01-01T00:00:01.000Z',
    wall_seconds: 1,
    session_seconds: 0.2,
    max_rss_mb: 120,
    options: { batchSize: 2, threads: 1, interOpThreads: 1, graphOptimization: 'all', executionMode: 'sequential' },
    model: {
      path: 'model.onnx',
      label: 'test',
      reference: true,
      parameters: 1,
      flopsPerSample: null,
      precision: 'fp32',
    },
    dataset: { spec: ['sample.pt'], files: ['sample.pt'], samples: 3, bytes: 100, synthetic: true },
    partitions: [{ ...study, partition: 1, status: 'completed', samples_in_file: 3, error: null }],
    accuracy: null,
    host: {
      cpuModel: 'test',
      logicalCores: 1,
      physicalCores: 1,
      physicalCoresSource: 'estimate',
      ramBytes: 1,
      os: 'linux',
      arch: 'x64',
      node: 'v20',
      onnxruntime: '1',
      cpuFlags: [],
    },
    error: null,
    metricDefinitions: METRIC_DEFINITIONS,
    ...over,
  });
}
