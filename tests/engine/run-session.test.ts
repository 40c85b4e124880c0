import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readGalaxyPartition } from '../../engine/data/pt-reader.ts';
import { inspectModel } from '../../engine/model/model-info.ts';
import { GALAXIES_PER_SESSION_RUN, engineSessionOptions, predictBatch } from '../../engine/run/engine-session.ts';
import { FIXTURES, referenceModel } from '../support/engine-run-helpers.ts';

describe('engine session: batches run as slices', () => {
  it('predicts a batch spanning several slices (and a ragged last one) exactly as galaxy-by-galaxy runs do', async () => {
    const modelPath = await referenceModel();
    const { binding } = await inspectModel(modelPath);
    const part = await readGalaxyPartition(path.join(FIXTURES, 'small-64.pt'));
    const count = 2 * GALAXIES_PER_SESSION_RUN + 3;
    const session = await ort.InferenceSession.create(modelPath, engineSessionOptions({ threads: 1 }));
    try {
      const out = new Float32Array(count + 5).fill(-1);
      await predictBatch(
        session,
        binding,
        part.images.subarray(0, count * 5120),
        part.magnitudes.subarray(0, count * 5),
        count,
        out,
        5,
      );
      expect([...out.subarray(0, 5)]).toEqual([-1, -1, -1, -1, -1]); // nothing written before the offset
      for (let i = 0; i < count; i++) {
        const one = await session.run({
          [binding.image]: new ort.Tensor('float32', part.images.subarray(i * 5120, (i + 1) * 5120), [1, 5, 32, 32]),
          [binding.magnitude]: new ort.Tensor('float32', part.magnitudes.subarray(i * 5, (i + 1) * 5), [1, 5]),
        });
        expect(out[5 + i]).toBeCloseTo((one[binding.output].data as Float32Array)[0], 5);
      }
    } finally {
      await session.release();
    }
  });

  it('shares one set of session options: memory pattern and spinning off, threads only when given', () => {
    const o = engineSessionOptions({ threads: 2 });
    expect(o).toMatchObject({
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
      enableMemPattern: false,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    expect(o.extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
    expect('intraOpNumThreads' in engineSessionOptions()).toBe(false);
    expect(engineSessionOptions({ spinning: true }).extra).toEqual({ session: { intra_op: { allow_spinning: '1' } } });
  });
});
