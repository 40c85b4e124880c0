/**
 * int8 end to end (issue 21 item 3): GELU in its tanh form is the int8 default (onnxruntime's gelu approximation),
 * measured to pay on an AVX2 host within the accuracy budget (bench/README.md, Performance III); 'erf' keeps the
 * exact form. Checks the option, that it really changes what runs, and that the drift from fp32 stays in bound.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineSessionOptions } from '../../engine/run/engine-session.ts';
import { LocalRunError, runLocal } from '../../engine/run/local-run.ts';
import { validateLocalRunOptions } from '../../engine/run/local-run-options.ts';
import { FIXTURES, SHARED_MODEL_DIR, referenceModel } from '../support/engine-run-helpers.ts';
import { int8DriftBound } from '../support/int8-tolerance.ts';

describe('int8 GELU form', () => {
  it('is tanh for int8 by default, erf on request, and never changes fp32', () => {
    expect(validateLocalRunOptions({ precision: 'int8', threads: 1 }).geluApproximation).toBe(true);
    expect(validateLocalRunOptions({ precision: 'int8', int8Gelu: 'erf', threads: 1 }).geluApproximation).toBe(false);
    expect(validateLocalRunOptions({ threads: 1 }).geluApproximation).toBe(false);
    expect(() => validateLocalRunOptions({ int8Gelu: 'tanh', threads: 1 })).toThrow(/int8 option/);
    expect(() => validateLocalRunOptions({ precision: 'int8', int8Gelu: 'fast' as never })).toThrow(LocalRunError);
    expect(engineSessionOptions({ geluApproximation: true }).extra).toEqual({
      session: { intra_op: { allow_spinning: '0' } },
      optimization: { enable_gelu_approximation: '1' },
    });
    expect(engineSessionOptions().extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
  });

  it('runs, is recorded, differs from the erf form by a little and stays within the int8 drift bound', async () => {
    const model = await referenceModel();
    const common = { model, data: path.join(FIXTURES, 'small-64.pt'), batchSize: 64, threads: 1 };
    const dataDir = SHARED_MODEL_DIR;
    const tanh = await runLocal({ ...common, precision: 'int8', dataDir });
    const erf = await runLocal({ ...common, precision: 'int8', int8Gelu: 'erf', dataDir });
    const fp32 = await runLocal({ ...common, dataDir });
    expect(tanh.record.options.gelu).toBe('tanh');
    expect(erf.record.options.gelu).toBeUndefined();
    expect(fp32.record.options.gelu).toBeUndefined();
    const diff = (a: Float32Array, b: Float32Array) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
    expect(diff(tanh.table.zPred, erf.table.zPred)).toBeGreaterThan(0); // the approximation really ran
    const { bound, why } = int8DriftBound();
    const drift = diff(tanh.table.zPred, fp32.table.zPred);
    expect(drift, `max |dz| ${drift} (${why})`).toBeLessThan(bound);
  }, 180_000);
});
