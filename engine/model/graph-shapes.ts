import {
  DataType,
  type AttributeMsg,
  type GraphMsg,
  type NodeMsg,
  type TensorMsg,
  type ValueInfo,
} from './onnx-proto.ts';

/**
 * Static shape inference at batch 1, enough to cost the Conv/MatMul/Gemm nodes of the models people export:
 * every symbolic input dim is taken as 1, and small integer tensors (the Shape → Gather → Concat → Reshape chains
 * torch.onnx.export writes for a dynamic batch) are evaluated. A value it cannot infer is simply unknown.
 */
export interface ValueShape {
  shape: number[];
  /** Flattened contents, kept only for small tensors (shape arithmetic). */
  values?: number[];
}

const SMALL = 64;
const ELEMENTWISE = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'And',
  'Or',
  'Max',
  'Min',
  'Where',
  'Mod',
  'PRelu',
  'Sum',
]);
const SAME_SHAPE = new Set([
  'Identity',
  'Relu',
  'LeakyRelu',
  'Gelu',
  'Erf',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Sqrt',
  'Neg',
  'Exp',
  'Log',
  'Abs',
  'Reciprocal',
  'Softmax',
  'LogSoftmax',
  'Dropout',
  'Clip',
  'Elu',
  'Selu',
  'Softplus',
  'BatchNormalization',
  'LayerNormalization',
  'InstanceNormalization',
  'Cast',
  'CastLike',
  'Not',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Mish',
  'Celu',
  'Sin',
  'Cos',
  'IsNaN',
  'IsInf',
  // com.microsoft contrib ops onnxruntime fuses or that our builder and quantizer emit
  'BiasGelu',
  'FastGelu',
  'QuickGelu',
]);

export function attr(node: NodeMsg, name: string): AttributeMsg | undefined {
  return node.attribute?.find((a) => a.name === name);
}
// proto3 omits zero scalars, so an attribute that is present without `i` holds 0.
const attrI = (node: NodeMsg, name: string, fallback: number): number => {
  const a = attr(node, name);
  return a ? (a.i ?? 0) : fallback;
};
const attrInts = (node: NodeMsg, name: string): number[] | undefined => {
  const a = attr(node, name);
  return a?.ints && a.ints.length > 0 ? a.ints : undefined;
};

const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/** Values of a small numeric tensor (int64/int32/float/double), or undefined. */
export function tensorValues(t: TensorMsg): number[] | undefined {
  const dims = t.dims ?? [];
  const n = product(dims);
  if (n > SMALL) return undefined;
  if (t.int64Data?.length) return t.int64Data.map(Number);
  if (t.int32Data?.length) return t.int32Data;
  if (t.floatData?.length) return t.floatData;
  if (t.doubleData?.length) return t.doubleData;
  const raw = t.rawData;
  if (!raw || raw.byteLength === 0) return n === 0 ? [] : undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    switch (t.dataType) {
      case DataType.INT64:
        out.push(Number(view.getBigInt64(i * 8, true)));
        break;
      case DataType.INT32:
        out.push(view.getInt32(i * 4, true));
        break;
      case DataType.FLOAT:
        out.push(view.getFloat32(i * 4, true));
        break;
      case DataType.DOUBLE:
        out.push(view.getFloat64(i * 8, true));
        break;
      case DataType.BOOL:
      case DataType.UINT8:
        out.push(view.getUint8(i));
        break;
      default:
        return undefined;
    }
  }
  return out;
}

export function valueInfoDims(info: ValueInfo): Array<number | string> | null {
  const dims = info.type?.tensorType?.shape?.dim;
  if (!dims) return null;
  return dims.map((d, i) =>
    d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue > 0 ? d.dimValue : `?${i}`,
  );
}

function broadcast(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

function elementwise(op: string, a: number, b: number): number {
  switch (op) {
    case 'Add':
      return a + b;
    case 'Sub':
      return a - b;
    case 'Mul':
      return a * b;
    case 'Div':
      return Number.isInteger(a) && Number.isInteger(b) ? Math.trunc(a / b) : a / b;
    case 'Max':
      return Math.max(a, b);
    case 'Min':
      return Math.min(a, b);
    case 'Equal':
      return a === b ? 1 : 0;
    default:
      return NaN;
  }
}

const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

function poolShape(node: NodeMsg, x: number[], kernel: number[], outChannels: number): number[] | undefined {
  const spatial = x.length - 2;
  const strides = attrInts(node, 'strides') ?? new Array(spatial).fill(1);
  const dil = attrInts(node, 'dilations') ?? new Array(spatial).fill(1);
  const pads = attrInts(node, 'pads') ?? new Array(2 * spatial).fill(0);
  const autoPad = attr(node, 'auto_pad')?.s ? new TextDecoder().decode(attr(node, 'auto_pad')!.s) : 'NOTSET';
  const ceil = attrI(node, 'ceil_mode', 0) === 1;
  const out = [x[0], outChannels];
  for (let i = 0; i < spatial; i++) {
    const size = x[i + 2];
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') out.push(Math.ceil(size / strides[i]));
    else {
      const eff = dil[i] * (kernel[i] - 1) + 1;
      const padded = size + (autoPad === 'VALID' ? 0 : pads[i] + pads[i + spatial]);
      const q = (padded - eff) / strides[i];
      out.push((ceil ? Math.ceil(q) : Math.floor(q)) + 1);
    }
  }
  return out.every((d) => d > 0) ? out : undefined;
}

function sliceValues(node: NodeMsg, get: (i: number) => ValueShape | undefined, opset: number) {
  if (opset < 10) {
    return {
      starts: attrInts(node, 'starts'),
      ends: attrInts(node, 'ends'),
      axes: attrInts(node, 'axes'),
      steps: undefined,
    };
  }
  return { starts: get(1)?.values, ends: get(2)?.values, axes: get(3)?.values, steps: get(4)?.values };
}

type Inferred = Array<ValueShape | undefined>;

function inferNode(node: NodeMsg, get: (i: number) => ValueShape | undefined, opset: number): Inferred {
  const op = node.opType;
  const x = get(0);
  if (SAME_SHAPE.has(op))
    return x ? [{ shape: x.shape, values: op === 'Cast' || op === 'Identity' ? x.values : undefined }] : [];
  if (ELEMENTWISE.has(op)) {
    const ins = (node.input ?? []).map((_, i) => get(i));
    if (ins.some((v) => !v)) return [];
    const shape = ins.reduce((s, v) => broadcast(s, v!.shape), [] as number[]);
    let values: number[] | undefined;
    const n = product(shape);
    // Small 1-D shape arithmetic only: every operand is a scalar or has the output's length.
    if (n <= SMALL && ins.every((v) => v!.values && (v!.values.length === 1 || v!.values.length === n))) {
      const at = (v: ValueShape, i: number) => v.values![v.values!.length === 1 ? 0 : i];
      const [a, b, c] = ins as ValueShape[];
      if (op === 'Where' && c) values = Array.from({ length: n }, (_, i) => (at(a, i) ? at(b, i) : at(c, i)));
      else if (ins.length === 2) values = Array.from({ length: n }, (_, i) => elementwise(op, at(a, i), at(b, i)));
      if (values?.some((v) => Number.isNaN(v))) values = undefined;
    }
    return [{ shape, values }];
  }
  switch (op) {
    case 'Constant': {
      const t = attr(node, 'value')?.t;
      if (t) return [{ shape: t.dims ?? [], values: tensorValues(t) }];
      const ints = attr(node, 'value_ints')?.ints;
      if (ints) return [{ shape: [ints.length], values: ints }];
      if (attr(node, 'value_int')) return [{ shape: [], values: [attrI(node, 'value_int', 0)] }];
      const f = attr(node, 'value_float');
      if (f) return [{ shape: [], values: [f.f ?? 0] }];
      return [];
    }
    case 'Shape': {
      if (!x) return [];
      const r = x.shape.length;
      const start = normAxis(attrI(node, 'start', 0), r);
      const end = attr(node, 'end') ? Math.min(normAxis(attrI(node, 'end', r), r), r) : r;
      const values = x.shape.slice(Math.max(0, start), end);
      return [{ shape: [values.length], values }];
    }
    case 'Size':
      return x ? [{ shape: [], values: [product(x.shape)] }] : [];
    case 'ConstantOfShape': {
      const dims = x?.values;
      if (!dims) return [];
      const fill = attr(node, 'value')?.t;
      const v = fill ? (tensorValues(fill)?.[0] ?? 0) : 0;
      return [{ shape: dims, values: product(dims) <= SMALL ? new Array(product(dims)).fill(v) : undefined }];
    }
    case 'Gather': {
      const idx = get(1);
      if (!x || !idx) return [];
      const axis = normAxis(attrI(node, 'axis', 0), x.shape.length);
      const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
      let values: number[] | undefined;
      if (x.values && idx.values && x.shape.length === 1)
        values = idx.values.map((i) => x.values![i < 0 ? i + x.shape[0] : i]);
      return [{ shape, values }];
    }
    case 'Unsqueeze': {
      if (!x) return [];
      const axes = opset >= 13 ? get(1)?.values : attrInts(node, 'axes');
      if (!axes) return [];
      const rank = x.shape.length + axes.length;
      const set = new Set(axes.map((a) => normAxis(a, rank)));
      const shape: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) shape.push(set.has(i) ? 1 : x.shape[j++]);
      return [{ shape, values: x.values }];
    }
    case 'Squeeze': {
      if (!x) return [];
      const axes = opset >= 13 ? get(1)?.values : attrInts(node, 'axes');
      const set = new Set(
        (axes ?? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) =>
          normAxis(a, x.shape.length),
        ),
      );
      return [{ shape: x.shape.filter((_, i) => !set.has(i)), values: x.values }];
    }
    case 'Concat': {
      const ins = (node.input ?? []).map((_, i) => get(i));
      if (ins.some((v) => !v) || ins.length === 0) return [];
      const axis = normAxis(attrI(node, 'axis', 0), ins[0]!.shape.length);
      const shape = [...ins[0]!.shape];
      shape[axis] = ins.reduce((s, v) => s + v!.shape[axis], 0);
      const values = shape.length === 1 && ins.every((v) => v!.values) ? ins.flatMap((v) => v!.values!) : undefined;
      return [{ shape, values }];
    }
    case 'Slice': {
      if (!x) return [];
      const { starts, ends, axes, steps } = sliceValues(node, get, opset);
      if (!starts || !ends) return [];
      const shape = [...x.shape];
      const ranges = x.shape.map((d) => ({ start: 0, end: d, step: 1 }));
      starts.forEach((s, i) => {
        const axis = normAxis(axes?.[i] ?? i, x.shape.length);
        const dim = x.shape[axis];
        const step = steps?.[i] ?? 1;
        const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
        const start = step > 0 ? clamp(s, 0, dim) : clamp(s, -1, dim - 1);
        const end = step > 0 ? clamp(ends[i], 0, dim) : clamp(ends[i], -1, dim - 1);
        shape[axis] = Math.max(0, Math.ceil((end - start) / step));
        ranges[axis] = { start, end, step };
      });
      let values: number[] | undefined;
      if (x.values && x.shape.length === 1) {
        const r = ranges[0];
        values = [];
        for (let i = r.start; r.step > 0 ? i < r.end : i > r.end; i += r.step) values.push(x.values[i]);
      }
      return [{ shape, values }];
    }
    case 'Reshape': {
      const target = opset >= 5 ? get(1)?.values : attrInts(node, 'shape');
      if (!x || !target) return [];
      const allowZero = attrI(node, 'allowzero', 0) === 1;
      const shape = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
      const known = shape.filter((d) => d !== -1);
      if (known.length < shape.length) shape[shape.indexOf(-1)] = product(x.shape) / product(known);
      return [{ shape, values: x.values }];
    }
    case 'Expand': {
      const target = get(1)?.values;
      if (!x || !target) return [];
      return [{ shape: broadcast(x.shape, target) }];
    }
    case 'Tile': {
      const reps = get(1)?.values;
      return x && reps ? [{ shape: x.shape.map((d, i) => d * reps[i]) }] : [];
    }
    case 'Transpose': {
      if (!x) return [];
      const perm = attrInts(node, 'perm') ?? x.shape.map((_, i) => x.shape.length - 1 - i);
      return [{ shape: perm.map((p) => x.shape[p]) }];
    }
    case 'Flatten': {
      if (!x) return [];
      const axis = normAxis(attrI(node, 'axis', 1), x.shape.length);
      return [{ shape: [product(x.shape.slice(0, axis)), product(x.shape.slice(axis))] }];
    }
    case 'Conv': {
      const w = get(1);
      if (!x || !w) return [];
      const out = poolShape(node, x.shape, attrInts(node, 'kernel_shape') ?? w.shape.slice(2), w.shape[0]);
      return out ? [{ shape: out }] : [];
    }
    case 'MaxPool':
    case 'AveragePool': {
      const kernel = attrInts(node, 'kernel_shape');
      if (!x || !kernel) return [];
      const out = poolShape(node, x.shape, kernel, x.shape[1]);
      return out ? [{ shape: out }, { shape: out }] : [];
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return x ? [{ shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] }] : [];
    case 'ReduceMean':
    case 'ReduceSum':
    case 'ReduceMax':
    case 'ReduceMin':
    case 'ReduceProd':
    case 'ReduceL2': {
      if (!x) return [];
      const fromInput = (op === 'ReduceSum' && opset >= 13) || opset >= 18;
      const axes = fromInput ? (node.input?.[1] ? get(1)?.values : undefined) : attrInts(node, 'axes');
      if (fromInput && node.input?.[1] && !axes) return [];
      const keep = attrI(node, 'keepdims', 1) === 1;
      const set = new Set((axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, x.shape.length)));
      const shape = keep ? x.shape.map((d, i) => (set.has(i) ? 1 : d)) : x.shape.filter((_, i) => !set.has(i));
      return [{ shape }];
    }
    case 'MatMul': {
      const b = get(1);
      if (!x || !b) return [];
      const a2 = x.shape.length === 1 ? [1, x.shape[0]] : x.shape;
      const b2 = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
      const batch = broadcast(a2.slice(0, -2), b2.slice(0, -2));
      const shape = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
      if (x.shape.length === 1) shape.splice(shape.length - 2, 1);
      if (b.shape.length === 1) shape.pop();
      return [{ shape }];
    }
    // com.microsoft: [B,S,Hin] × weights [Hin, 3H] → [B,S,H] (H = the V width when qkv_hidden_sizes is given).
    case 'Attention':
    case 'QAttention': {
      const w = get(1);
      if (!x || !w || x.shape.length !== 3 || w.shape.length !== 2) return [];
      const sizes = attrInts(node, 'qkv_hidden_sizes');
      return [{ shape: [x.shape[0], x.shape[1], sizes ? sizes[2] : w.shape[1] / 3] }];
    }
    case 'SkipLayerNormalization':
      return x ? [{ shape: x.shape }, undefined, undefined, { shape: x.shape }] : [];
    case 'DynamicQuantizeLinear':
      return x ? [{ shape: x.shape }, { shape: [] }, { shape: [] }] : [];
    case 'DynamicQuantizeMatMul':
    case 'MatMulIntegerToFloat':
    case 'MatMulInteger': {
      const b = get(1);
      if (!x || !b || x.shape.length < 2 || b.shape.length !== 2) return [];
      return [{ shape: [...x.shape.slice(0, -1), b.shape[1]] }];
    }
    case 'Gemm': {
      const b = get(1);
      if (!x || !b || x.shape.length !== 2 || b.shape.length !== 2) return [];
      const m = attrI(node, 'transA', 0) ? x.shape[1] : x.shape[0];
      const n = attrI(node, 'transB', 0) ? b.shape[0] : b.shape[1];
      return [{ shape: [m, n] }];
    }
    case 'Split': {
      if (!x) return [];
      const axis = normAxis(attrI(node, 'axis', 0), x.shape.length);
      const outputs = node.output?.length ?? 1;
      const sizes =
        (opset >= 13 ? get(1)?.values : attrInts(node, 'split')) ??
        new Array(outputs).fill(Math.ceil(x.shape[axis] / outputs)).map((s, i) => Math.min(s, x.shape[axis] - s * i));
      return sizes.map((s) => ({ shape: x.shape.map((d, i) => (i === axis ? s : d)) }));
    }
    case 'Pad': {
      const pads = opset >= 11 ? get(1)?.values : attrInts(node, 'pads');
      if (!x || !pads) return [];
      const r = x.shape.length;
      return [{ shape: x.shape.map((d, i) => d + pads[i] + pads[i + r]) }];
    }
    case 'Range': {
      const [s, l, d] = [get(0)?.values?.[0], get(1)?.values?.[0], get(2)?.values?.[0]];
      if (s === undefined || l === undefined || d === undefined) return [];
      return [{ shape: [Math.max(0, Math.ceil((l - s) / d))] }];
    }
    default:
      return [];
  }
}

export interface GraphShapes {
  shapes: Map<string, ValueShape>;
  /** Names of nodes whose outputs could not be inferred (first few), for diagnostics. */
  unknown: string[];
}

export function inferShapes(graph: GraphMsg, opset: number): GraphShapes {
  const shapes = new Map<string, ValueShape>();
  for (const t of graph.initializer ?? [])
    shapes.set(t.name ?? '', { shape: (t.dims ?? []).map(Number), values: tensorValues(t) });
  for (const input of graph.input ?? []) {
    if (shapes.has(input.name)) continue;
    const dims = valueInfoDims(input);
    if (dims) shapes.set(input.name, { shape: dims.map((d) => (typeof d === 'number' ? d : 1)) });
  }
  const unknown: string[] = [];
  for (const node of graph.node ?? []) {
    const get = (i: number) => {
      const name = node.input?.[i];
      return name ? shapes.get(name) : undefined;
    };
    const outs = inferNode(node, get, opset);
    (node.output ?? []).forEach((name, i) => {
      const v = outs[i];
      if (v && v.shape.every((d) => Number.isFinite(d) && d >= 0)) shapes.set(name, v);
      else if (name && i === 0) unknown.push(node.name || node.opType);
    });
  }
  return { shapes, unknown };
}
