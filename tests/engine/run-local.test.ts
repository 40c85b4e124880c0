import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { runLocal, LocalRunError, type LocalRunProgress } from '../../engine/run/local-run.ts';
import { LocalRunRecordSchema } from '../../base/local-run-record.ts';
import { writePredictionsCsv } from '../../engine/run/predictions.ts';
import { ModelError } from '../../engine/model/model-info.ts';
import { PtFormatError } from '../../engine/data/pt-errors.ts';
import { readGalaxyPartition } from '../../engine/data/pt-reader.ts';
import { writeGalaxyPartition } from '../../engine/data/pt-writer.ts';
import { FIXTURES, fixtureFolder, referenceModel } from '../support/engine-run-helpers.ts';

const STUDY_FIELDS = [
  'total_cpu_time (seconds)',
  'total_cpu_memory (MB)',
  'execution_time (seconds/batch)',
  'num_batches',
  'batch_size',
  'device',
  'throughput_bps',
  'sample_persec',
  'data_path',
];
const small = path.join(FIXTURES, 'small-64.pt');
const tiny = path.join(FIXTURES, 'tiny-8.pt');
const tinyExpected = JSON.parse(readFileSync(path.join(FIXTURES, 'tiny-8.expected.json'), 'utf8')) as {
  redshift: { values: number[] };
};

let model: string;
beforeAll(async () => {
  model = await referenceModel();
});

describe('runLocal on the fixtures with the reference model', () => {
  it('records every partition with the study fields and predicts every galaxy', async () => {
    const progress: LocalRunProgress[] = [];
    const { record, predictions, table } = await runLocal(
      { data: [small, tiny], model, batchSize: 16, threads: 1 },
      { onProgress: (p) => progress.push(p) },
    );
    expect(LocalRunRecordSchema.parse(record)).toEqual(record);
    expect(record.status).toBe('completed');
    expect(record.kind).toBe('local');
    for (const rec of [record, ...record.partitions]) {
      for (const f of STUDY_FIELDS) expect(rec).toHaveProperty([f]);
      expect(rec.device).toBe('cpu');
      expect(rec.batch_size).toBe(16);
      expect(rec.sample_persec).toBeGreaterThan(0);
      expect(rec.throughput_bps).toBeCloseTo((rec.samples * 5125 * 32) / rec.inference_seconds, 0);
      expect(rec['execution_time (seconds/batch)']).toBeCloseTo(rec.inference_seconds / rec.num_batches, 9);
      expect(rec['total_cpu_memory (MB)']).toBeGreaterThan(10);
      expect(rec['total_cpu_time (seconds)']).toBeGreaterThan(0);
      expect(rec.latency_ms!.p50).toBeLessThanOrEqual(rec.latency_ms!.p99);
    }
    expect(record.partitions.map((p) => [p.partition, p.data_path, p.num_batches, p.samples, p.status])).toEqual([
      [1, small, Math.ceil(64 / 16), 64, 'completed'],
      [2, tiny, 1, 8, 'completed'],
    ]);
    expect(record.num_batches).toBe(5);
    expect(record.samples).toBe(72);
    expect(record.max_rss_mb).toBeGreaterThanOrEqual(record['total_cpu_memory (MB)']);
    expect(record.model).toMatchObject({
      path: model,
      reference: true,
      precision: 'fp32',
      label: 'reference weights — predictions are not physical',
    });
    expect(record.model.flopsPerSample).toBe(765_058_816);
    expect(record.dataset).toMatchObject({ files: [small, tiny], samples: 72, synthetic: false });
    expect(record.options).toMatchObject({ batchSize: 16, threads: 1, interOpThreads: 1, executionMode: 'sequential' });
    expect(record.metricDefinitions['total_cpu_memory (MB)']).toMatch(/peak resident set/i);

    expect(predictions).toHaveLength(72);
    expect(predictions.map((p) => p.index)).toEqual([...Array(72).keys()]);
    expect(predictions[64]).toMatchObject({ index: 64, partition: 2, z_true: tinyExpected.redshift.values[0] });
    expect(predictions.every((p) => Number.isFinite(p.z_pred))).toBe(true);
    expect(record.accuracy!.count).toBe(72);

    // Same input, same model: a batch boundary does not change a galaxy's prediction.
    const single = await runLocal({ data: tiny, model, batchSize: 3, threads: 1 });
    expect(single.predictions.map((p) => p.z_pred)).toEqual(
      predictions.slice(64).map((p) => expect.closeTo(p.z_pred, 5)),
    );

    const phases = new Set(progress.map((p) => p.phase));
    expect(phases).toEqual(new Set(['session', 'loading', 'inferring']));
    const last = progress.at(-1)!;
    expect(last).toMatchObject({
      batchesDone: 5,
      batchesTotal: 5,
      samplesDone: 72,
      samplesTotal: 72,
      partitions: 2,
      etaSeconds: 0,
    });

    const csvFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'cosmicai-pred-')), 'p.csv');
    await writePredictionsCsv(csvFile, table);
    const lines = readFileSync(csvFile, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('index,partition,z_true,z_pred');
    expect(lines).toHaveLength(73);
    expect(lines[65].split(',').slice(0, 2)).toEqual(['64', '2']);
  });

  it('cancels within a batch, keeps finished batches and ends the worker', async () => {
    const controller = new AbortController();
    let worker: Worker | undefined;
    let exited = false;
    const result = await runLocal(
      { data: [small, tiny], model, batchSize: 8, threads: 1 },
      {
        signal: controller.signal,
        onWorker: (w) => {
          worker = w;
          w.once('exit', () => (exited = true));
        },
        onProgress: (p) => {
          if (p.phase === 'inferring' && p.batchesDone === 2) controller.abort();
        },
      },
    );
    expect(result.record.status).toBe('cancelled');
    const [first, second] = result.record.partitions;
    // The flag is checked before each batch: at most the batch running when abort() fired also finishes.
    expect(first.status).toBe('cancelled');
    expect(first.num_batches).toBeGreaterThanOrEqual(2);
    expect(first.num_batches).toBeLessThanOrEqual(3);
    expect(first.samples).toBe(first.num_batches * 8);
    expect(second).toMatchObject({ status: 'skipped', samples: 0, num_batches: 0 });
    expect(result.predictions).toHaveLength(first.samples);
    expect(LocalRunRecordSchema.safeParse(result.record).success).toBe(true);
    expect(exited).toBe(true);
    expect(worker!.threadId).toBe(-1);
  });

  it('an abort before the session exists ends at once with nothing inferred', async () => {
    const controller = new AbortController();
    controller.abort();
    let worker: Worker | undefined;
    const { record, predictions } = await runLocal(
      { data: tiny, model, batchSize: 4, threads: 1 },
      { signal: controller.signal, onWorker: (w) => (worker = w) },
    );
    expect(record.status).toBe('cancelled');
    expect(record.samples).toBe(0);
    expect(record.partitions[0].status).toBe('skipped');
    expect(predictions).toHaveLength(0);
    expect(worker!.threadId).toBe(-1);
  });

  it('a worker that dies mid-run rejects with a clear error carrying what was computed', async () => {
    let worker: Worker | undefined;
    const err = await runLocal(
      { data: [tiny, small], model, batchSize: 4, threads: 1 },
      {
        onWorker: (w) => (worker = w),
        onProgress: (p) => {
          if (p.phase === 'loading' && p.partition === 2) void worker!.terminate();
        },
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalRunError);
    expect((err as LocalRunError).code).toBe('worker');
    expect((err as LocalRunError).message).toMatch(/inference worker exited unexpectedly/);
    const partial = (err as LocalRunError).partial!;
    expect(partial.record.status).toBe('failed');
    expect(partial.record.partitions[0]).toMatchObject({ status: 'completed', samples: 8 });
    expect(partial.predictions).toHaveLength(8);
  });

  it('records a corrupt partition as failed and runs the others', async () => {
    // 2.pt: the image record's bytes are altered, so the header reads fine but the CRC check fails on load.
    const dir = fixtureFolder({ '1.pt': 'tiny-8.pt', '2.pt': 'tiny-8.pt', '3.pt': 'small-64.pt', '4.pt': 'tiny-8.pt' });
    const bytes = readFileSync(path.join(dir, '2.pt'));
    const firstPixel = Buffer.from(Float32Array.of(0.013051191344857216).buffer);
    const at = bytes.indexOf(firstPixel);
    expect(at).toBeGreaterThan(0);
    bytes.writeFloatLE(0.5, at);
    writeFileSync(path.join(dir, '2.pt'), bytes);
    // 4.pt: not a .pt file at all, so even its header cannot be read.
    writeFileSync(path.join(dir, '4.pt'), 'this is not a torch file');

    const { record, predictions } = await runLocal({ data: dir, model, batchSize: 32, threads: 1 });
    expect(record.status).toBe('completed');
    expect(record.partitions.map((p) => p.status)).toEqual(['completed', 'failed', 'completed', 'failed']);
    expect(record.partitions[1].error).toMatch(/2\.pt.*CRC/i);
    expect(record.partitions[3].error).toMatch(/4\.pt/);
    expect(record.error).toMatch(/2 of 4 partition\(s\) failed/);
    expect(record.samples).toBe(72);
    expect(new Set(predictions.map((p) => p.partition))).toEqual(new Set([1, 3]));
    expect(LocalRunRecordSchema.safeParse(record).success).toBe(true);
  });

  it('counts NaN and Inf inputs and still infers them', async () => {
    const p = await readGalaxyPartition(tiny);
    const images = Float32Array.from(p.images);
    const magnitudes = Float32Array.from(p.magnitudes);
    images[0] = Number.NaN;
    images[5000] = Number.NaN;
    images[6000] = Infinity;
    magnitudes[7] = -Infinity;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-nan-'));
    const file = path.join(dir, 'nan.pt');
    await writeGalaxyPartition(file, { images, magnitudes, redshifts: p.redshifts, samples: 8 });
    const { record, predictions } = await runLocal({ data: file, model, batchSize: 4, threads: 1 });
    expect(record.status).toBe('completed');
    expect(record.partitions[0]).toMatchObject({ nan_inputs: 2, inf_inputs: 2 });
    expect(record).toMatchObject({ nan_inputs: 2, inf_inputs: 2 });
    expect(predictions).toHaveLength(8);
  });
});

describe('runLocal refuses bad input with clear errors', () => {
  it.each([0, -4, 1.5, 65537, Number.NaN])('batch size %s', async (batchSize) => {
    await expect(runLocal({ data: tiny, model, batchSize })).rejects.toThrow(
      /batch size must be a whole number from 1 to 65536/,
    );
  });
  it('bad threads and graph optimisation level', async () => {
    await expect(runLocal({ data: tiny, model, threads: 0 })).rejects.toThrow(/threads must be a whole number/);
    await expect(runLocal({ data: tiny, model, graphOptimization: 'max' as never })).rejects.toThrow(
      /graph optimisation must be one of/,
    );
  });
  it('a model file that is not ONNX', async () => {
    const bad = path.join(mkdtempSync(path.join(os.tmpdir(), 'cosmicai-bad-')), 'model.onnx');
    writeFileSync(bad, 'definitely not a protobuf model');
    const err = await runLocal({ data: tiny, model: bad }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).message).toContain(bad);
  });
  it('no data, and data that is not a .pt file', async () => {
    await expect(runLocal({ data: [], model })).rejects.toMatchObject({ code: 'no-data' });
    await expect(runLocal({ data: [], model })).rejects.toBeInstanceOf(LocalRunError);
    const notPt = path.join(mkdtempSync(path.join(os.tmpdir(), 'cosmicai-bad-')), 'x.pt');
    writeFileSync(notPt, 'nope');
    const err = await runLocal({ data: notPt, model }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PtFormatError);
    expect((err as PtFormatError).file).toBe(notPt);
  });
});
