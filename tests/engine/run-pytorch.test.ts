import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../../engine/run/local-run.ts';
import { runPytorchLocal } from '../../engine/run/pytorch-run.ts';
import { runLocalEngine } from '../../engine/run/run-engine.ts';
import { LocalRunRecordSchema, type StudyProfiler } from '../../base/local-run-record.ts';
import { PYTHON, torchAvailable } from '../support/engine-data-helpers.ts';

/**
 * The PyTorch local engine on the model stand-in's checkpoint: it predicts what onnxruntime predicts on the same
 * weights exported to ONNX, and its profiler fields are what the study's own lambda/inference.py computes (the
 * script's `inference()` is run as the oracle on the same data, its S3 upload captured).
 */

const CAI = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'cai');
const REF_DIR = path.join(CAI, 'reference');
const REF = path.join(REF_DIR, 'astromae_ref.py');
const STUDY_INFERENCE = path.join(CAI, 'lambda', 'inference.py');
const onnxAvailable = torchAvailable && spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
const ready = torchAvailable && fs.existsSync(REF) && fs.existsSync(STUDY_INFERENCE);
if (ready && !onnxAvailable)
  console.log('skipping the ONNX cross-check: the python onnx package is missing (apt-get install python3-onnx)');

let dir: string;
let checkpoint: string;
let data: string;

function python(args: string[], cwd = dir, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(PYTHON, args, {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${args.slice(0, 2).join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// Runs the study's own inference() (lambda/inference.py) over one partition, its S3 client replaced by one that
// keeps what it would have uploaded; prints that rank JSON.
const STUDY_ORACLE = `
import importlib.util, json, sys, types, torch
from torch.utils.data import DataLoader
script, checkpoint, code, part, batch = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
sys.path.append(code)
torch.set_num_threads(1)
spec = importlib.util.spec_from_file_location('study_inference', script)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
sent = {}
class Capture:
    def put_object(self, **kw):
        sent.update(json.loads(kw['Body']))
mod.s3_client = Capture()
model = mod.load_model(checkpoint, 'cpu')
data = torch.load(part, weights_only=False)
args = types.SimpleNamespace(data_bucket='oracle')
mod.inference(model, DataLoader(data, batch_size=batch), device='cpu', batch_size=batch, rank=0,
              result_path='r', data_path=part, args=args)
print(json.dumps(sent))
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmicai-pytorch-'));
  if (!ready) return;
  checkpoint = path.join(dir, 'model', 'astromae.pt');
  fs.mkdirSync(path.dirname(checkpoint));
  python([REF, 'cai-checkpoint', checkpoint]);
  data = path.join(dir, 'data');
  fs.mkdirSync(data);
  python([REF, 'make-pt', path.join(data, '1.pt'), '--samples', '20', '--seed', '5', '--mag-dtype', 'float64']);
  python([REF, 'make-pt', path.join(data, '2.pt'), '--samples', '9', '--seed', '6']);
}, 300_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!ready)('the PyTorch local engine', () => {
  it("records both families; its profiler fields are the study's inference.py's on the same data", async () => {
    const progress: number[] = [];
    const res = await runPytorchLocal(
      { model: checkpoint, code: REF_DIR, python: PYTHON, data, batchSize: 8, threads: 1 },
      { onProgress: (p) => progress.push(p.samplesDone) },
    );
    const rec = LocalRunRecordSchema.parse(res.record);
    expect(rec.status).toBe('completed');
    expect(rec.engine).toBe('pytorch');
    expect(rec.runtime?.torch).toMatch(/^\d+\.\d+/);
    expect(rec.samples).toBe(29);
    expect(res.table.length).toBe(29);
    expect(progress.at(-1)).toBe(29);
    expect(rec.model.parameters).toBeGreaterThan(15_000_000);
    // Physical family.
    expect(rec.definitions?.['total_cpu_time (seconds)']).toBe('cpu.process');
    expect(rec['total_cpu_time (seconds)']).toBeGreaterThan(0);
    expect(rec['total_cpu_memory (MB)']).toBeGreaterThan(50);
    expect(rec.num_batches).toBe(3 + 2);
    expect(rec.total_bits).toBe(20 * 164_160 + 9 * 164_000);
    expect(rec.study_formula!['execution_time (seconds/batch)']).toBeCloseTo(rec.inference_seconds / (29 / 8), 12);
    // The study's family, per partition, with the script's formulas.
    const [p1, p2] = rec.partitions;
    for (const [p, bits] of [
      [p1, 20 * 164_160],
      [p2, 9 * 164_000],
    ] as const) {
      const s = p.study_profiler!;
      const t = s['total_cpu_time (seconds)'];
      expect(t).toBeGreaterThan(0);
      expect(s['execution_time (seconds/batch)']).toBeCloseTo(t / (p.samples / 8), 12);
      expect(s.throughput_bps * t).toBeCloseTo(bits, 3);
      expect(s.sample_persec * t).toBeCloseTo(p.samples, 9);
    }
    // Run level: as the script does for a rank given both files (times and allocations summed).
    const run = rec.study_profiler!;
    expect(run['total_cpu_time (seconds)']).toBeCloseTo(
      p1.study_profiler!['total_cpu_time (seconds)'] + p2.study_profiler!['total_cpu_time (seconds)'],
      9,
    );
    expect(run.throughput_bps * run['total_cpu_time (seconds)']).toBeCloseTo(rec.total_bits!, 3);

    // The oracle: the study's own inference() on partition 1 with the same checkpoint and batch size.
    const theirs = JSON.parse(
      python(['-c', STUDY_ORACLE, STUDY_INFERENCE, checkpoint, REF_DIR, path.join(data, '1.pt'), '8'], dir, {
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'oracle',
        AWS_SECRET_ACCESS_KEY: 'oracle',
      }),
    ) as StudyProfiler;
    const ours = p1.study_profiler!;
    expect(ours.num_batches).toBe(theirs.num_batches);
    expect(ours.batch_size).toBe(theirs.batch_size);
    expect(ours.device).toBe(theirs.device);
    // Same data and operators: the same input bits, and the profiler's allocation sum of the same kind and size
    // (the script's own value varies by a few % from one run to the next: ~521 vs ~526 MB here).
    expect(ours.throughput_bps * ours['total_cpu_time (seconds)']).toBeCloseTo(
      theirs.throughput_bps * theirs['total_cpu_time (seconds)'],
      3,
    );
    expect(ours.throughput_bps * ours['total_cpu_time (seconds)']).toBeCloseTo(20 * 164_160, 3);
    const memRatio = ours['total_cpu_memory (MB)'] / theirs['total_cpu_memory (MB)'];
    expect(memRatio).toBeGreaterThan(0.9);
    expect(memRatio).toBeLessThan(1.1);
    // Times are measured, so they only agree in kind: the same formula links them in both.
    expect(theirs['execution_time (seconds/batch)']).toBeCloseTo(theirs['total_cpu_time (seconds)'] / (20 / 8), 12);
  });

  it.skipIf(!onnxAvailable)(
    'predicts what onnxruntime predicts on the same weights exported with export-onnx (1e-4)',
    async () => {
      const onnx = path.join(dir, 'astromae.onnx');
      python([REF, 'export-onnx', onnx]);
      const torchRun = await runLocalEngine({
        engine: 'pytorch',
        model: checkpoint,
        code: REF_DIR,
        python: PYTHON,
        data,
        batchSize: 8,
        threads: 1,
      });
      const ortRun = await runLocal({ model: onnx, data, batchSize: 8, threads: 1 });
      expect(torchRun.table.length).toBe(29);
      expect(ortRun.table.length).toBe(29);
      let worst = 0;
      for (let i = 0; i < 29; i++) {
        expect(torchRun.table.index[i]).toBe(ortRun.table.index[i]);
        worst = Math.max(worst, Math.abs(torchRun.table.zPred[i] - ortRun.table.zPred[i]));
      }
      expect(worst).toBeLessThan(1e-4);
      expect(torchRun.record.accuracy?.count).toBe(29);
    },
  );

  it('cancels: the runner stops before its next batch and what was computed is kept', async () => {
    const controller = new AbortController();
    const res = await runPytorchLocal(
      { model: checkpoint, code: REF_DIR, python: PYTHON, data, batchSize: 4, threads: 1, noProfiler: true },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.samplesDone >= 4) controller.abort();
        },
      },
    );
    expect(res.record.status).toBe('cancelled');
    expect(res.record.samples).toBeGreaterThanOrEqual(4);
    expect(res.record.samples).toBeLessThan(29);
    expect(res.table.length).toBe(res.record.samples);
    expect(res.record.study_profiler).toBeNull();
  });

  it('says clearly when the interpreter has no torch, or does not exist', async () => {
    const noTorch = path.join(dir, 'python-without-torch');
    // The same interpreter without site-packages (-S): a real Python that cannot import torch.
    fs.writeFileSync(noTorch, `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`, { mode: 0o755 });
    await expect(runPytorchLocal({ model: checkpoint, python: noTorch, data })).rejects.toThrow(
      /cannot import torch .*install PyTorch/,
    );
    await expect(
      runPytorchLocal({ model: checkpoint, python: path.join(dir, 'no-such-python'), data }),
    ).rejects.toThrow(/no such program; pass --python/);
    await expect(runLocalEngine({ engine: 'pytorch', data })).rejects.toThrow(/needs a checkpoint/);
    await expect(runLocalEngine({ engine: 'pytorch', model: checkpoint, precision: 'int8', data })).rejects.toThrow(
      /int8 is an onnxruntime option/,
    );
  });

  it('says which folder to give when the checkpoint needs code it cannot import', async () => {
    await expect(runPytorchLocal({ model: checkpoint, code: dir, python: PYTHON, data, batchSize: 8 })).rejects.toThrow(
      /cannot load .*astromae.pt.*--code/,
    );
  });
});
