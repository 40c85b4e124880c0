import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countFlops } from '../../engine/model/flops.ts';
import { GraphBuilder, attrInt, attrInts, modelMessage, tensorValueInfo } from '../../engine/model/onnx-builder.ts';
import { DataType, encodeModel, type ValueInfo } from '../../engine/model/onnx-proto.ts';
import { ModelError, bindModelIO, inspectModel, type ModelIO } from '../../engine/model/model-info.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-model-info-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeModel(name: string, g: GraphBuilder, inputs: ValueInfo[], outputs: ValueInfo[]): Promise<string> {
  const file = path.join(dir, name);
  const bytes = encodeModel(
    modelMessage({
      graphName: name,
      builder: g,
      inputs,
      outputs,
      opset: 17,
      producerVersion: 'test',
      docString: '',
      metadata: {},
    }),
  );
  await writeFile(file, bytes);
  return file;
}

const io = (name: string, shape: (number | string)[], dtype = 'float32'): ModelIO => ({ name, shape, dtype });

async function expectModelError(p: Promise<unknown>, code: string, ...fragments: string[]): Promise<ModelError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  const me = err as ModelError;
  expect(me.code).toBe(code);
  for (const f of fragments) expect(me.message).toContain(f);
  return me;
}

describe('binding inputs and outputs', () => {
  it('matches by shape before name', () => {
    const binding = bindModelIO(
      'm.onnx',
      [io('magnitude', ['N', 5, 32, 32]), io('image', ['N', 5])],
      [io('y', ['N', 1])],
    );
    expect(binding).toEqual({ image: 'magnitude', magnitude: 'image', output: 'y' });
  });

  it('falls back to names when shapes do not decide', () => {
    const binding = bindModelIO(
      'm.onnx',
      [io('magnitudes', []), io('images', [])],
      [io('aux', ['N', 1]), io('redshift', ['N', 1])],
    );
    expect(binding).toEqual({ image: 'images', magnitude: 'magnitudes', output: 'redshift' });
    const loose = bindModelIO('m.onnx', [io('x', ['N', 'c', 'h', 'w']), io('m', ['N', 'k'])], [io('z', ['N'])]);
    expect(loose).toEqual({ image: 'x', magnitude: 'm', output: 'z' });
  });

  it('rejects a model that does not fit, listing its inputs and outputs and what is expected', () => {
    const call = () => bindModelIO('resnet.onnx', [io('pixels', ['N', 3, 224, 224])], [io('logits', ['N', 1000])]);
    expect(call).toThrow(ModelError);
    try {
      call();
    } catch (err) {
      const me = err as ModelError;
      expect(me.file).toBe('resnet.onnx');
      expect(me.code).toBe('does-not-fit');
      expect(me.message).toContain('no image input [B,5,32,32]');
      expect(me.message).toContain('pixels [N,3,224,224] float32');
      expect(me.message).toContain('logits [N,1000] float32');
      expect(me.message).toContain('expected: an image input [B,5,32,32] float32 and a magnitude input [B,5]');
    }
  });

  it('names the problem: missing magnitude, extra input, wrong output, fixed batch, float64, ambiguity', () => {
    const img = io('image', ['N', 5, 32, 32]);
    const out = [io('z', ['N', 1])];
    expect(() => bindModelIO('a.onnx', [img], out)).toThrow(/no magnitude input \[B,5\]/);
    expect(() => bindModelIO('a.onnx', [img, io('mag', ['N', 5]), io('mask', ['N', 5, 32])], out)).toThrow(
      /besides image and magnitude \(mask\)/,
    );
    expect(() => bindModelIO('a.onnx', [img, io('mag', ['N', 5])], [io('z', ['N', 2])])).toThrow(
      /no output \[B,1\] or \[B\]/,
    );
    expect(() => bindModelIO('a.onnx', [io('image', [1, 5, 32, 32]), io('mag', [1, 5])], out)).toThrow(
      /fixed batch of 1.*dynamic batch axis/,
    );
    expect(() => bindModelIO('a.onnx', [img, io('mag', ['N', 5], 'float64')], out)).toThrow(
      /mag is float64, not float32/,
    );
    expect(() =>
      bindModelIO('a.onnx', [io('a', ['N', 5, 32, 32]), io('b', ['N', 5, 32, 32]), io('mag', ['N', 5])], out),
    ).toThrow(/ambiguous between a, b/);
  });
});

describe('inspectModel on files', () => {
  it('binds a small model by shape and runs it in onnxruntime-node through that binding', async () => {
    // Misleading names on purpose: the [B,5,32,32] input is called "magnitude".
    const g = new GraphBuilder();
    const imgMean = g.op('ReduceMean', ['magnitude'], 'img_mean', [
      attrInts('axes', [1, 2, 3]),
      attrInt('keepdims', 0),
    ]);
    const magMean = g.op('ReduceMean', ['image'], 'mag_mean', [attrInts('axes', [1]), attrInt('keepdims', 0)]);
    g.op('Add', [imgMean, magMean], 'z');
    const file = await writeModel(
      'swapped.onnx',
      g,
      [tensorValueInfo('magnitude', ['N', 5, 32, 32]), tensorValueInfo('image', ['N', 5])],
      [tensorValueInfo('z', ['N'])],
    );
    const info = await inspectModel(file);
    expect(info.binding).toEqual({ image: 'magnitude', magnitude: 'image', output: 'z' });
    expect(info.parameters).toBe(0);
    expect(info.flopsPerSample).toBe(0);
    expect(info.reference).toBe(false);
    expect(info.label).toBeNull();

    const session = await ort.InferenceSession.create(file);
    const image = new Float32Array(2 * 5120).map((_, i) => (i < 5120 ? 1 : 2));
    const magnitude = new Float32Array([20, 20, 20, 20, 20, 10, 10, 10, 10, 10]);
    const out = await session.run({
      [info.binding.image]: new ort.Tensor('float32', image, [2, 5, 32, 32]),
      [info.binding.magnitude]: new ort.Tensor('float32', magnitude, [2, 5]),
    });
    expect(Array.from(out[info.binding.output].data as Float32Array)).toEqual([21, 12]);
    await session.release();
  });

  it('counts float initializers as parameters, except BatchNorm running statistics', async () => {
    const g = new GraphBuilder();
    const w = g.weight('fc.weight', [5, 3], new Float32Array(15));
    const stat = g.weight('bn.running_mean', [3], new Float32Array(3));
    const h = g.op('MatMul', ['magnitude', w], 'fc');
    const s = g.op('Add', [h, stat], 'shift');
    const pooled = g.op('ReduceMean', ['image'], 'pool', [attrInts('axes', [1, 2, 3]), attrInt('keepdims', 1)]);
    const flat = g.op('Reshape', [pooled, g.ints([-1, 1])], 'flat');
    g.op('Add', [g.op('ReduceSum', [s, g.ints([1])], 'sum', [attrInt('keepdims', 1)]), flat], 'redshift');
    const file = await writeModel(
      'bn.onnx',
      g,
      [tensorValueInfo('image', ['batch', 5, 32, 32]), tensorValueInfo('magnitude', ['batch', 5])],
      [tensorValueInfo('redshift', ['batch', 1])],
    );
    const info = await inspectModel(file);
    expect(info.parameters).toBe(15);
    expect(info.flopsPerSample).toBe(2 * 5 * 3);
  });

  it('rejects a file that is not ONNX, an empty file and a missing file with a ModelError naming the file', async () => {
    const text = path.join(dir, 'notes.onnx');
    await writeFile(text, 'this is not a protobuf at all, just some text\n');
    const err = await expectModelError(inspectModel(text), 'not-onnx', text, 'not an ONNX model');
    expect(err.file).toBe(text);
    const empty = path.join(dir, 'empty.onnx');
    await writeFile(empty, '');
    await expectModelError(inspectModel(empty), 'not-onnx', empty);
    await expectModelError(inspectModel(path.join(dir, 'missing.onnx')), 'not-found', 'missing.onnx');
    await expectModelError(inspectModel(path.resolve('tests/fixtures/tiny-8.pt')), 'not-onnx', 'tiny-8.pt');
  });

  it('rejects a real model with the wrong interface, listing its inputs and outputs', async () => {
    const g = new GraphBuilder();
    g.op('Relu', ['pixels'], 'activations');
    const file = await writeModel(
      'wrong.onnx',
      g,
      [tensorValueInfo('pixels', ['N', 3, 64, 64])],
      [tensorValueInfo('activations', ['N', 3, 64, 64])],
    );
    await expectModelError(
      inspectModel(file),
      'does-not-fit',
      'wrong.onnx',
      'pixels [N,3,64,64] float32',
      'activations [N,3,64,64] float32',
    );
    const g2 = new GraphBuilder();
    g2.op('Identity', ['magnitude'], 'redshift');
    const f64 = await writeModel(
      'double.onnx',
      g2,
      [tensorValueInfo('image', ['N', 5, 32, 32]), tensorValueInfo('magnitude', ['N', 5], DataType.DOUBLE)],
      [tensorValueInfo('redshift', ['N'], DataType.DOUBLE)],
    );
    await expectModelError(inspectModel(f64), 'does-not-fit', 'magnitude is float64');
  });
});

describe('FLOP counter', () => {
  it('costs grouped, strided, padded Conv, batched MatMul and Gemm with transposes', () => {
    const g = new GraphBuilder();
    // Conv 4→6, groups 2, kernel 3, stride 2, pad 1 on 9×9 → 5×5; MACs = 6·5·5 · (4/2)·3·3
    const w = g.weight('w', [6, 2, 3, 3], new Float32Array(108));
    const c = g.op('Conv', ['x', w], 'conv', [
      attrInt('group', 2),
      attrInts('strides', [2, 2]),
      attrInts('pads', [1, 1, 1, 1]),
    ]);
    const flat = g.op('Flatten', [c], 'flat'); // [1, 150]
    const gw = g.weight('gw', [7, 150], new Float32Array(1050));
    const gemm = g.op('Gemm', [flat, gw], 'gemm', [attrInt('transB', 1)]); // [1,7]: 150·7
    const r = g.op('Reshape', [gemm, g.ints([1, 7, 1])], 'r');
    const mw = g.weight('mw', [4, 1, 3], new Float32Array(12));
    g.op('MatMul', [r, mw], 'mm'); // [1,7,1]×[4,1,3] → [4,7,3]: 4·7·3·1
    const graph = modelMessage({
      graphName: 'f',
      builder: g,
      inputs: [tensorValueInfo('x', ['B', 4, 9, 9])],
      outputs: [tensorValueInfo('mm', ['B'])],
      opset: 17,
      producerVersion: '',
      docString: '',
      metadata: {},
    }).graph!;
    const count = countFlops(graph, 17)!;
    expect(count.byOp).toEqual({ Conv: 2 * 6 * 25 * 18, Gemm: 2 * 150 * 7, MatMul: 2 * 4 * 7 * 3 });
    expect(count.flops).toBe(2 * count.macs);
  });

  it('returns null when a costed node has shapes it cannot infer', () => {
    const g = new GraphBuilder();
    const unknown = g.op('NonZero', ['x'], 'nz');
    const w = g.weight('w', [4, 4], new Float32Array(16));
    g.op('MatMul', [g.op('Cast', [unknown], 'cast', [attrInt('to', 1)]), w], 'mm');
    const graph = modelMessage({
      graphName: 'u',
      builder: g,
      inputs: [tensorValueInfo('x', ['B', 4])],
      outputs: [tensorValueInfo('mm', ['B', 4])],
      opset: 17,
      producerVersion: '',
      docString: '',
      metadata: {},
    }).graph!;
    expect(countFlops(graph, 17)).toBeNull();
  });
});
