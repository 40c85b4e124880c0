/** A tiny ONNX model with the AstroMAE interface (image [B,5,32,32], magnitude [B,5] → redshift [B,1]) for fast cloud runs. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GraphBuilder, modelMessage, tensorValueInfo, attrInt } from '../../engine/model/onnx-builder.ts';
import { encodeModel } from '../../engine/model/onnx-proto.ts';

export function buildTinyModel(): Uint8Array {
  const g = new GraphBuilder();
  const w1 = g.weight('w_image', [5 * 32 * 32, 1], new Float32Array(5 * 32 * 32).fill(1e-4));
  const w2 = g.weight('w_mag', [5, 1], new Float32Array(5).fill(0.01));
  const b = g.weight('bias', [1], new Float32Array([0.05]));
  const flat = g.op('Flatten', ['image'], 'flatten', [attrInt('axis', 1)]);
  const a = g.op('Gemm', [flat, w1, b], 'gemm_image');
  const m = g.op('MatMul', ['magnitude', w2], 'matmul_mag');
  g.nodes.push({ opType: 'Add', input: [a, m], output: ['redshift'], name: 'add_out', attribute: [] });
  return encodeModel(
    modelMessage({
      graphName: 'tiny',
      builder: g,
      inputs: [tensorValueInfo('image', ['batch', 5, 32, 32]), tensorValueInfo('magnitude', ['batch', 5])],
      outputs: [tensorValueInfo('redshift', ['batch', 1])],
      opset: 17,
      producerVersion: 'test',
      docString: 'tiny test model',
      metadata: {},
    }),
  );
}

export async function writeTinyModel(file: string): Promise<string> {
  await writeFile(file, buildTinyModel());
  return file;
}

/** `<parent>/cosmicai-bench/` holding only the tiny model as model.onnx: the code+model folder a cloud run stages. */
export async function writeTinyCodeDir(parent: string): Promise<string> {
  const dir = path.join(parent, 'cosmicai-bench');
  await mkdir(dir, { recursive: true });
  await writeTinyModel(path.join(dir, 'model.onnx'));
  return dir;
}
