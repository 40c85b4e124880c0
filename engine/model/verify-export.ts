import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { inspectModel } from './model-info.ts';

async function readF32(file: string): Promise<Float32Array> {
  const bytes = await readFile(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export interface ExportCheck {
  predictions: Float32Array;
  expected: Float32Array;
  maxAbsDiff: number;
}

/**
 * Runs an exported model in onnxruntime-node on the batch tools/export_onnx.py wrote (image.f32, magnitude.f32,
 * expected.f32 in `samplesDir`), bound through inspectModel, and compares with PyTorch's output.
 */
export async function checkExport(modelPath: string, samplesDir: string, batch: number): Promise<ExportCheck> {
  const info = await inspectModel(modelPath);
  const [image, magnitude, expected] = await Promise.all(
    ['image', 'magnitude', 'expected'].map((n) => readF32(path.join(samplesDir, `${n}.f32`))),
  );
  if (image.length !== batch * 5 * 32 * 32 || magnitude.length !== batch * 5 || expected.length !== batch) {
    throw new Error(`${samplesDir}: sample files do not hold a batch of ${batch}`);
  }
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
  try {
    const out = await session.run({
      [info.binding.image]: new ort.Tensor('float32', image, [batch, 5, 32, 32]),
      [info.binding.magnitude]: new ort.Tensor('float32', magnitude, [batch, 5]),
    });
    const predictions = out[info.binding.output].data as Float32Array;
    let maxAbsDiff = 0;
    for (let i = 0; i < batch; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(predictions[i] - expected[i]));
    if (predictions.length !== batch) maxAbsDiff = Infinity;
    return { predictions, expected, maxAbsDiff };
  } finally {
    await session.release();
  }
}
