/** Seed models and seeded mutations for the ONNX fuzz suite (tests/engine/reliability-fuzz-onnx.test.ts). */
import { GraphBuilder, attrInt, attrInts, modelMessage, tensorValueInfo } from '../../engine/model/onnx-builder.ts';
import { encodeModel, type ModelMsg } from '../../engine/model/onnx-proto.ts';
import type { Rng } from './fuzz-prng.ts';

/** A small model with the shape-arithmetic chain torch.onnx.export writes (Shape → Gather → Concat → Reshape) and a Conv. */
export function buildChainModel(): Uint8Array {
  const g = new GraphBuilder();
  const w = g.weight('conv.w', [4, 5, 3, 3], new Float32Array(4 * 5 * 9).fill(0.01));
  const conv = g.op('Conv', ['image', w], 'conv', [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1])]);
  const pooled = g.op('GlobalAveragePool', [conv], 'pool');
  const shape = g.op('Shape', [pooled], 'shape');
  const batch = g.op('Gather', [shape, g.ints([0])], 'gather', [attrInt('axis', 0)]);
  const target = g.op('Concat', [batch, g.ints([-1])], 'concat', [attrInt('axis', 0)]);
  const flat = g.op('Reshape', [pooled, target], 'reshape');
  const joined = g.op('Concat', [flat, 'magnitude'], 'join', [attrInt('axis', 1)]);
  const head = g.op('MatMul', [joined, g.weight('head.w', [9, 1], new Float32Array(9).fill(0.1))], 'head');
  g.nodes.push({ opType: 'Relu', input: [head], output: ['redshift'], name: 'out', attribute: [] });
  return encodeModel(
    modelMessage({
      graphName: 'chain',
      builder: g,
      inputs: [tensorValueInfo('image', ['batch', 5, 32, 32]), tensorValueInfo('magnitude', ['batch', 5])],
      outputs: [tensorValueInfo('redshift', ['batch', 1])],
      opset: 17,
      producerVersion: 'test',
      docString: 'fuzz seed model',
      metadata: { 'cosmicai.weights': 'fuzz' },
    }),
  );
}

const HUGE_VARINTS = [
  [0xf0, 0xff, 0xff, 0xff, 0x0f], // 4 GB
  [0xff, 0xff, 0xff, 0xff, 0x07], // 2 GB
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 2^64 - 1 (a negative int64)
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // an over-long varint
];

export function mutateBytes(r: Rng, original: Uint8Array): { bytes: Uint8Array; how: string } {
  const b = Buffer.from(original);
  // Structure lives in the first bytes (model header, graph, nodes) and the last (inputs, outputs, metadata).
  const at = () =>
    r.next() < 0.5
      ? r.int(Math.min(b.length, 600))
      : r.next() < 0.5
        ? b.length - 1 - r.int(Math.min(b.length, 600))
        : r.int(b.length);
  const kind = r.int(5);
  if (kind === 0) {
    const cut = at();
    return { bytes: b.subarray(0, cut), how: `truncate at ${cut}` };
  }
  if (kind === 1) {
    const flips: number[] = [];
    for (let i = 1 + r.int(6); i > 0; i--) {
      const p = at();
      b[p] ^= 1 << r.int(8);
      flips.push(p);
    }
    return { bytes: b, how: `flip bits at ${flips.join(',')}` };
  }
  if (kind === 2) {
    // A huge length or value: overwrite (or insert) a varint where a length prefix or int64 may sit.
    const p = at();
    const v = Buffer.from(r.pick(HUGE_VARINTS));
    const out =
      r.next() < 0.5
        ? Buffer.concat([b.subarray(0, p), v, b.subarray(p + v.length)])
        : Buffer.concat([b.subarray(0, p), v, b.subarray(p)]);
    return { bytes: out, how: `huge varint at ${p}` };
  }
  if (kind === 3) {
    // Wrong wire type: rewrite a tag byte's low 3 bits (varint ↔ length-delimited ↔ fixed32/64, groups).
    const p = at();
    const old = b[p];
    b[p] = (old & ~7) | r.int(8);
    return { bytes: b, how: `wire type at ${p}: ${old} -> ${b[p]}` };
  }
  const p = at();
  const n = 1 + r.int(12);
  const out =
    r.next() < 0.5
      ? Buffer.concat([b.subarray(0, p), Buffer.alloc(n, r.int(256)), b.subarray(p)])
      : Buffer.concat([b.subarray(0, p), b.subarray(p + n)]);
  return { bytes: out, how: `${out.length > b.length ? 'insert' : 'delete'} ${n} bytes at ${p}` };
}

const OPS = [
  'Conv',
  'MatMul',
  'Gemm',
  'Reshape',
  'Shape',
  'Gather',
  'Concat',
  'Slice',
  'Range',
  'Expand',
  'Tile',
  'ConstantOfShape',
  'Transpose',
  'Split',
  'Pad',
  'Unsqueeze',
  'Squeeze',
  'Flatten',
  'Attention',
  'Where',
  'Add',
  'Constant',
  'ReduceMean',
  'MaxPool',
  'Bogus',
];
const DIMS = [0, -1, -(2 ** 31), 2 ** 31, 2 ** 53, 2 ** 62, 1e300, 7];

export function mutateMessage(r: Rng, base: ModelMsg): { bytes: Uint8Array; how: string } {
  const m = structuredClone(base) as ModelMsg;
  const g = m.graph!;
  const hows: string[] = [];
  for (let i = 1 + r.int(3); i > 0; i--) {
    const kind = r.int(9);
    if (kind === 0 && g.initializer?.length) {
      const t = r.pick(g.initializer);
      t.dims = (t.dims ?? [1]).map((d) => (r.next() < 0.5 ? r.pick(DIMS) : d));
      hows.push(`dims of ${t.name}`);
    } else if (kind === 1) {
      const v = r.pick([...(g.input ?? []), ...(g.output ?? [])]);
      const dims = v?.type?.tensorType?.shape?.dim;
      if (dims?.length) dims[r.int(dims.length)] = r.next() < 0.5 ? { dimValue: r.pick(DIMS) } : { dimParam: '' };
      hows.push(`value dim of ${v?.name}`);
    } else if (kind === 2) {
      const v = r.pick([...(g.input ?? []), ...(g.output ?? [])]);
      if (v?.type?.tensorType) v.type.tensorType.elemType = r.int(20);
      hows.push(`elem type of ${v?.name}`);
    } else if (kind === 3) {
      const field = r.pick([
        'graph',
        'opsetImport',
        'irVersion',
        'input',
        'output',
        'node',
        'initializer',
        'opType',
        'rawData',
        'shape',
        'name',
      ]);
      if (field === 'graph') delete m.graph;
      else if (field === 'opsetImport') delete m.opsetImport;
      else if (field === 'irVersion') delete m.irVersion;
      else if (field === 'input' || field === 'output' || field === 'node' || field === 'initializer') delete g[field];
      else if (field === 'opType' && g.node?.length) r.pick(g.node).opType = '';
      else if (field === 'rawData' && g.initializer?.length) delete r.pick(g.initializer).rawData;
      else if (field === 'shape') for (const v of g.input ?? []) delete v.type?.tensorType?.shape;
      else if (field === 'name' && g.input?.length) r.pick(g.input).name = '';
      hows.push(`missing ${field}`);
    } else if (kind === 4 && g.node?.length) {
      // A random operator wired to random existing values: exercises shape inference on nonsense.
      const names = [
        ...(g.input ?? []).map((v) => v.name),
        ...(g.initializer ?? []).map((t) => t.name ?? ''),
        ...g.node.flatMap((n) => n.output ?? []),
      ];
      const node = r.pick(g.node);
      node.opType = r.pick(OPS);
      node.input = Array.from({ length: r.int(4) }, () => r.pick(names));
      hows.push(`node ${node.name} -> ${node.opType}`);
    } else if (kind === 5 && g.node?.length) {
      const node = r.pick(g.node);
      const a = node.attribute?.length ? r.pick(node.attribute) : undefined;
      if (a) {
        if (r.next() < 0.5) a.ints = Array.from({ length: r.int(6) }, () => r.pick(DIMS));
        else a.i = r.pick(DIMS);
      }
      hows.push(`attribute of ${node.name}`);
    } else if (kind === 6 && g.initializer?.length) {
      const t = r.pick(g.initializer);
      t.dataType = r.int(20);
      if (r.next() < 0.5) t.rawData = t.rawData?.subarray(0, r.int(t.rawData.length + 1));
      hows.push(`data of ${t.name}`);
    } else if (kind === 7) {
      m.opsetImport = [
        { domain: r.pick(['', 'ai.onnx', 'com.microsoft', 'x']), version: r.pick([0, -1, 1, 17, 2 ** 40]) },
      ];
      hows.push('opset');
    } else if (g.node?.length) {
      // A cycle or a dangling edge.
      const node = r.pick(g.node);
      node.input = [...(node.input ?? []), r.pick(['redshift', 'nowhere', node.output?.[0] ?? ''])];
      hows.push(`edge into ${node.name}`);
    }
  }
  return { bytes: encodeModel(m), how: hows.join('; ') };
}
