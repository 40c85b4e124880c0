import { attrInt } from './onnx-builder.ts';
import { DataType, type NodeMsg, type TensorMsg } from './onnx-proto.ts';

/**
 * Conv → ConvInteger (issue 21 item 3, quantize option `convs: 'int8'`). onnxruntime's CPU ConvInteger takes u8
 * activations, s8 or u8 weights and only a scalar weight zero point, so the weights are symmetric per output
 * channel (zero point 0, one scale per channel applied after the integer conv):
 *
 *   DynamicQuantizeLinear(x) → ConvInteger(x_u8, w_s8, x_zero_point) → Cast → × (x_scale · w_scale[M,1,1]) → + bias
 *
 * A BatchNormalization with constant parameters that is the conv's only consumer is folded into the weights and
 * bias first (onnxruntime fuses Conv+BN in fp32, not ConvInteger+BN). Convs reading the same input share one
 * DynamicQuantizeLinear. Only group-1 2-D convs with a constant float weight are rewritten.
 */
export interface ConvContext {
  inits: Map<string, TensorMsg>;
  consumers: Map<string, NodeMsg[]>;
  graphOutputs: Set<string>;
  floatValues(t: TensorMsg): Float32Array | null;
  unique(base: string): string;
  addInit(t: TensorMsg): void;
  /** Largest |q| of the s8 weights (63 where vpmaddubsw would saturate). */
  qmax: number;
}

export interface ConvRewrite {
  /** Nodes to insert before the conv's place (the input's quantizer, when this conv is the first to need it). */
  pre: NodeMsg[];
  /** The nodes replacing the conv. */
  nodes: NodeMsg[];
  /** A folded BatchNormalization to drop. */
  removed: NodeMsg | null;
  outChannels: number;
  /** Weights per output channel (C·kh·kw). */
  perChannel: number;
}

const attrOf = (node: NodeMsg, name: string) => node.attribute?.find((a) => a.name === name);

const f32 = (name: string, dims: number[], v: Float32Array): TensorMsg => ({
  name,
  dims,
  dataType: DataType.FLOAT,
  rawData: new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
});

/** Returns the rewrite, or a reason the conv stays fp32. `quantizedInputs` caches DynamicQuantizeLinear outputs. */
export function convToInteger(
  node: NodeMsg,
  ctx: ConvContext,
  quantizedInputs: Map<string, [string, string, string]>,
): ConvRewrite | string {
  const label = node.name || node.output?.[0] || 'Conv';
  const [x, wName, bName] = node.input ?? [];
  const wT = wName ? ctx.inits.get(wName) : undefined;
  const dims = (wT?.dims ?? []).map(Number);
  const w0 = wT ? ctx.floatValues(wT) : null;
  if (!w0 || dims.length !== 4) return 'its weight is not a constant 4-D float tensor';
  if (Number(attrOf(node, 'group')?.i ?? 1) !== 1) return 'grouped conv';
  if (x && ctx.inits.has(x)) return 'its input is a constant';
  const [m] = dims;
  const per = dims[1] * dims[2] * dims[3];
  let bias = new Float32Array(m);
  if (bName) {
    const bT = ctx.inits.get(bName);
    const b = bT ? ctx.floatValues(bT) : null;
    if (!b || b.length !== m) return 'its bias is not a constant [M]';
    bias = Float32Array.from(b);
  }
  const w = Float32Array.from(w0);
  let output = node.output?.[0] ?? '';

  // Fold a following BatchNormalization (inference form, constant parameters) into w and b.
  let removed: NodeMsg | null = null;
  const next = ctx.consumers.get(output) ?? [];
  if (next.length === 1 && !ctx.graphOutputs.has(output) && next[0].opType === 'BatchNormalization') {
    const bn = next[0];
    const params = (bn.input ?? []).slice(1).map((n) => {
      const t = ctx.inits.get(n);
      return t ? ctx.floatValues(t) : null;
    });
    if (
      params.length === 4 &&
      params.every((p) => p?.length === m) &&
      (bn.output ?? []).filter((o) => o).length === 1
    ) {
      const [gamma, beta, mean, variance] = params as Float32Array[];
      const eps = attrOf(bn, 'epsilon')?.f ?? 1e-5;
      for (let o = 0; o < m; o++) {
        const s = gamma[o] / Math.sqrt(variance[o] + eps);
        for (let i = 0; i < per; i++) w[o * per + i] *= s;
        bias[o] = (bias[o] - mean[o]) * s + beta[o];
      }
      removed = bn;
      output = bn.output![0];
    }
  }

  // Symmetric per output channel, zero point 0 (a scalar, as onnxruntime requires).
  const q = new Int8Array(w.length);
  const scale = new Float32Array(m);
  for (let o = 0; o < m; o++) {
    let absMax = 0;
    for (let i = 0; i < per; i++) absMax = Math.max(absMax, Math.abs(w[o * per + i]));
    scale[o] = absMax > 0 && Number.isFinite(absMax) ? absMax / ctx.qmax : 1;
    for (let i = 0; i < per; i++) {
      const v = Math.round(w[o * per + i] / scale[o]);
      q[o * per + i] = Math.max(-ctx.qmax, Math.min(ctx.qmax, v));
    }
  }
  const base = (wName ?? label).replace(/[^A-Za-z0-9_.]/g, '_');
  const name = (suffix: string) => ctx.unique(`${base}_${suffix}`);
  const qName = name('quantized');
  const zName = name('zero_point');
  const sName = name('channel_scale');
  const bN = name('channel_bias');
  ctx.addInit({ name: qName, dims, dataType: DataType.INT8, rawData: new Uint8Array(q.buffer) });
  ctx.addInit({ name: zName, dims: [], dataType: DataType.INT8, rawData: new Uint8Array(1) });
  ctx.addInit(f32(sName, [m, 1, 1], scale));
  ctx.addInit(f32(bN, [m, 1, 1], bias));

  const pre: NodeMsg[] = [];
  let xq = quantizedInputs.get(x);
  if (!xq) {
    xq = [ctx.unique(`${x}_u8`), ctx.unique(`${x}_scale`), ctx.unique(`${x}_zero_point`)];
    quantizedInputs.set(x, xq);
    pre.push({
      name: ctx.unique(`${x}_quantize`),
      opType: 'DynamicQuantizeLinear',
      domain: '',
      input: [x],
      output: xq,
    });
  }
  const t = (s: string) => ctx.unique(`${label}_${s}`);
  const [acc, accF, sc, scaled] = [t('i32'), t('f32'), t('scale'), t('scaled')];
  const conv = (node.attribute ?? []).filter((a) =>
    ['kernel_shape', 'strides', 'pads', 'dilations', 'auto_pad'].includes(a.name),
  );
  const nodes: NodeMsg[] = [
    {
      name: t('int8'),
      opType: 'ConvInteger',
      domain: '',
      input: [xq[0], qName, xq[2], zName],
      output: [acc],
      attribute: conv,
    },
    {
      name: t('cast'),
      opType: 'Cast',
      domain: '',
      input: [acc],
      output: [accF],
      attribute: [attrInt('to', DataType.FLOAT)],
    },
    { name: t('scale_node'), opType: 'Mul', domain: '', input: [xq[1], sName], output: [sc] },
    { name: t('rescale'), opType: 'Mul', domain: '', input: [accF, sc], output: [scaled] },
    { name: t('bias'), opType: 'Add', domain: '', input: [scaled, bN], output: [output] },
  ];
  return { pre, nodes, removed, outChannels: m, perChannel: per };
}
