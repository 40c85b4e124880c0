import * as ort from 'onnxruntime-node';
import { IMAGE_VALUES_PER_SAMPLE as IMAGE_VALUES, MAGNITUDES_PER_SAMPLE as MAGNITUDES } from '../data/types.ts';
import type { ModelInfo } from '../model/model-info.ts';
import { type GraphOptimization } from '../../base/options.ts';

/**
 * Galaxies per onnxruntime session.run. A batch larger than this runs as consecutive slices of it (views into the
 * batch, same outputs); the study's seconds-per-batch still times the whole batch.
 *
 * Small slices keep a ViT block's widest activation (65 tokens × 768 × 4 B × 16 = 3.2 MB) in the caches between the
 * matmul that writes it and the GELU and matmul that read it; with 128 galaxies (25 MB) every op streams through
 * memory. Measured (bench/README.md): on an idle host 16 is as fast as 128 or up to ~5% faster, and on a host shared
 * with other jobs, where the caches are contended, it needs 15–25% less CPU per galaxy; activation memory falls
 * from ~200 MB to ~25 MB. 8 re-reads the heads' weights (14 MB) twice as often for no gain.
 */
export const GALAXIES_PER_SESSION_RUN = 16;

export interface EngineSessionSettings {
  /** Intra-op threads; undefined lets onnxruntime use every core (what a Lambda container does). */
  threads?: number;
  graphOptimization?: GraphOptimization;
  spinning?: boolean;
  /**
   * onnxruntime's `optimization.enable_gelu_approximation`: Gelu (erf) runs as FastGelu (tanh form). The int8 path
   * uses it by default: 1–11% less CPU per galaxy on an AVX2 host, accuracy within the issue-21 budget (bench/README.md).
   */
  geluApproximation?: boolean;
}

/**
 * The session options the local engine and the Lambda workers share, so local and cloud ranks compute the same way.
 * Memory pattern off: with a dynamic batch it pre-plans one block per run (+60% RSS, no speed). Spinning off:
 * idle spinning threads inflate total_cpu_time with no work done and, on a busy host, steal the cores.
 */
export function engineSessionOptions(s: EngineSessionSettings = {}): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    ...(s.threads !== undefined ? { intraOpNumThreads: s.threads } : {}),
    interOpNumThreads: 1,
    graphOptimizationLevel: s.graphOptimization ?? 'all',
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: false,
    extra: {
      session: { intra_op: { allow_spinning: s.spinning ? '1' : '0' } },
      ...(s.geluApproximation ? { optimization: { enable_gelu_approximation: '1' } } : {}),
    },
  };
}

/**
 * Predicts `count` galaxies (images [count,5,32,32], magnitudes [count,5], views) into `out` at `outOffset`, in
 * session runs of `slice` galaxies (default GALAXIES_PER_SESSION_RUN; host tuning may pick another). Throws when the
 * model's output does not hold one value per galaxy.
 */
export async function predictBatch(
  session: ort.InferenceSession,
  binding: ModelInfo['binding'],
  images: Float32Array,
  magnitudes: Float32Array,
  count: number,
  out: Float32Array,
  outOffset: number,
  slice: number = GALAXIES_PER_SESSION_RUN,
): Promise<void> {
  if (!Number.isInteger(slice) || slice <= 0) throw new Error(`galaxies per session run must be ≥ 1, got ${slice}`);
  for (let s = 0; s < count; s += slice) {
    const n = Math.min(slice, count - s);
    const result = await session.run({
      [binding.image]: new ort.Tensor('float32', images.subarray(s * IMAGE_VALUES, (s + n) * IMAGE_VALUES), [
        n,
        5,
        32,
        32,
      ]),
      [binding.magnitude]: new ort.Tensor('float32', magnitudes.subarray(s * MAGNITUDES, (s + n) * MAGNITUDES), [n, 5]),
    });
    const y = result[binding.output];
    if (!y || y.data.length !== n) {
      throw new Error(
        `model output '${binding.output}' has ${y ? y.data.length : 0} values for ${n} galaxies ` +
          `(shape [${y?.dims.join(',') ?? ''}]); expected [${n},1] or [${n}]`,
      );
    }
    out.set(y.data as Float32Array, outOffset + s);
  }
}
