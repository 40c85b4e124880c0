import { attrInt, attrInts } from './onnx-builder.ts';
import { DataType, type NodeMsg, type TensorMsg } from './onnx-proto.ts';

/**
 * The attention core of a com.microsoft `Attention` node written out as plain ONNX ops, so the quantizer can run
 * QKᵀ and A·V in int8 (issue 21 item 3) instead of inside onnxruntime's fused `QAttention`, whose core is fp32.
 *
 * Input: the QKV projection's output [B, S, 3E] (Q | K | V along the last axis, head h in columns h·d … h·d+d−1 of
 * each, as the fused kernel lays them out). Output: the merged heads [B, S, E], the fused op's output.
 *
 * `int8`: Q per tensor to u8 with a zero point (DynamicQuantizeLinear); K and V symmetric per tensor to s8
 * (scale = max|x| / qmax, QuantizeLinear with an int8 zero point 0; qmax 63 where the u8×s8 kernel saturates 16-bit
 * pair sums, see int8NeedsReducedRange); QKᵀ as MatMulInteger [B,H,S,d]×[B,H,d,S] → int32, Cast, × (sQ·sK/√d);
 * Softmax in fp32; the probabilities to u8 at the fixed scale 1/255 (zero point 0: P ∈ [0, 1]); A·V as
 * MatMulInteger → int32, Cast, × sV/255. The scales are per tensor over the whole session run (all galaxies of a
 * run share them, as the activation scale of DynamicQuantizeMatMul does).
 *
 * `int8-shared`: one DynamicQuantizeLinear of the whole QKV tensor (one u8 scale and zero point for Q, K and V,
 * one pass instead of four), the split and head transposes on u8, and u8×u8 products (no saturation: onnxruntime's
 * u8u8 kernel widens to 16 bits), P as above.
 *
 * `fp32`: the same graph with MatMul and no quantization: the fused op's function, unfused (a reference for
 * the int8 form and for the cost of unfusing alone).
 */
export type AttentionCoreMode = 'fp32' | 'int8' | 'int8-shared';

export interface AttentionCoreContext {
  /** A graph-unique name from a base. */
  unique(base: string): string;
  /** Adds a constant to the graph's initializers. */
  addInit(t: TensorMsg): void;
}

export interface AttentionCoreArgs {
  label: string;
  /** Name of the [B, S, 3E] QKV tensor. */
  qkv: string;
  /** Name the merged heads [B, S, E] must get (the fused node's output). */
  output: string;
  /** E: the hidden size (Q, K and V each). */
  hidden: number;
  heads: number;
  /** Score scale; the fused op's default is 1/√d. */
  scale: number;
  mode: AttentionCoreMode;
  /** Largest |q| of the s8 K and V (127, or 63 on x86 without VNNI). */
  qmax: number;
}

const f32 = (name: string, v: number): TensorMsg => ({
  name,
  dims: [],
  dataType: DataType.FLOAT,
  rawData: new Uint8Array(Float32Array.of(v).buffer),
});
const i64 = (name: string, values: number[]): TensorMsg => ({
  name,
  dims: [values.length],
  dataType: DataType.INT64,
  rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
});

/** The nodes (in topological order) computing the attention core; constants are added through `ctx`. */
export function attentionCoreNodes(args: AttentionCoreArgs, ctx: AttentionCoreContext): NodeMsg[] {
  const { label, hidden: e, heads: h, mode, qmax } = args;
  if (e % h !== 0) throw new Error(`${label}: hidden size ${e} is not a multiple of ${h} heads`);
  const d = e / h;
  const nodes: NodeMsg[] = [];
  const t = (base: string) => ctx.unique(`${label}/${base}`);
  const konst = (base: string, make: (name: string) => TensorMsg) => {
    const name = t(base);
    ctx.addInit(make(name));
    return name;
  };
  const op = (opType: string, input: string[], base: string, attribute: NodeMsg['attribute'] = [], outs = 1) => {
    const output = Array.from({ length: outs }, (_, i) => t(outs === 1 ? base : `${base}_${i}`));
    nodes.push({ name: t(`${base}_node`), opType, domain: '', input, output, attribute });
    return output;
  };
  const one = (opType: string, input: string[], base: string, attribute: NodeMsg['attribute'] = []) =>
    op(opType, input, base, attribute)[0];

  const splitSizes = konst('split_sizes', (n) => i64(n, [e, e, e]));
  const split = (x: string) => op('Split', [x, splitSizes], 'qkv_split', [attrInt('axis', -1)], 3);
  const headsShape = konst('heads_shape', (n) => i64(n, [0, 0, h, d]));
  const toHeads = (x: string, base: string, keyLayout: boolean) =>
    one('Transpose', [one('Reshape', [x, headsShape], `${base}_4d`)], `${base}_heads`, [
      attrInts('perm', keyLayout ? [0, 2, 3, 1] : [0, 2, 1, 3]),
    ]);
  const mergeHeads = (x: string) => {
    const merged = one('Transpose', [x], 'context_merged', [attrInts('perm', [0, 2, 1, 3])]);
    nodes.push({
      name: t('context_reshape_node'),
      opType: 'Reshape',
      domain: '',
      input: [merged, konst('merged_shape', (n) => i64(n, [0, 0, e]))],
      output: [args.output],
      attribute: [],
    });
  };

  const pStep = konst('prob_step', (n) => f32(n, 1 / 255));
  const zeroU8 = konst('zero_u8', (n) => ({ name: n, dims: [], dataType: DataType.UINT8, rawData: new Uint8Array(1) }));
  const toFloat = (x: string, base: string) => one('Cast', [x], base, [attrInt('to', DataType.FLOAT)]);

  if (mode === 'int8-shared') {
    const [u8, s, z] = op('DynamicQuantizeLinear', [args.qkv], 'qkv_u8', [], 3);
    const [q, k, v] = split(u8);
    const scores = one('MatMulInteger', [toHeads(q, 'q', false), toHeads(k, 'k', true), z, z], 'scores');
    const logitScale = one(
      'Mul',
      [one('Mul', [s, s], 'qk_scale'), konst('score_scale', (n) => f32(n, args.scale))],
      'logit_scale',
    );
    const p = one('Softmax', [one('Mul', [toFloat(scores, 'scores_f32'), logitScale], 'logits')], 'probs', [
      attrInt('axis', -1),
    ]);
    const pU8 = one('QuantizeLinear', [p, pStep, zeroU8], 'probs_u8');
    const ctxI32 = one('MatMulInteger', [pU8, toHeads(v, 'v', false), zeroU8, z], 'context');
    const ctxScale = one('Mul', [s, pStep], 'context_scale');
    mergeHeads(one('Mul', [toFloat(ctxI32, 'context_f32'), ctxScale], 'context_scaled'));
    return nodes;
  }

  const [q, k, v] = split(args.qkv);
  if (mode === 'fp32') {
    const scores = one('MatMul', [toHeads(q, 'q', false), toHeads(k, 'k', true)], 'scores');
    const logits = one('Mul', [scores, konst('score_scale', (n) => f32(n, args.scale))], 'logits');
    const p = one('Softmax', [logits], 'probs', [attrInt('axis', -1)]);
    mergeHeads(one('MatMul', [p, toHeads(v, 'v', false)], 'context'));
    return nodes;
  }

  // Symmetric per-tensor s8: scale = max(max|x|, tiny) / qmax, so an all-zero tensor quantizes to zeros, not NaN.
  const tiny = konst('tiny', (n) => f32(n, 1e-30));
  const qmaxC = konst('qmax', (n) => f32(n, qmax));
  const zeroS8 = konst('zero_s8', (n) => ({ name: n, dims: [], dataType: DataType.INT8, rawData: new Uint8Array(1) }));
  const symmetric = (x: string, base: string) => {
    const absMax = one('ReduceMax', [one('Abs', [x], `${base}_abs`)], `${base}_absmax`, [attrInt('keepdims', 0)]);
    const scale = one('Div', [one('Max', [absMax, tiny], `${base}_absmax_safe`), qmaxC], `${base}_scale`);
    return { xq: one('QuantizeLinear', [x, scale, zeroS8], `${base}_s8`), scale };
  };
  const [qU8, qScale, qZero] = op('DynamicQuantizeLinear', [q], 'q_u8', [], 3);
  const kS8 = symmetric(k, 'k');
  const vS8 = symmetric(v, 'v');
  const scoresI32 = one('MatMulInteger', [toHeads(qU8, 'q', false), toHeads(kS8.xq, 'k', true), qZero], 'scores');
  const scoreScale = one(
    'Mul',
    [one('Mul', [qScale, kS8.scale], 'qk_scale'), konst('score_scale', (n) => f32(n, args.scale))],
    'logit_scale',
  );
  const logits = one(
    'Mul',
    [one('Cast', [scoresI32], 'scores_f32', [attrInt('to', DataType.FLOAT)]), scoreScale],
    'logits',
  );
  const p = one('Softmax', [logits], 'probs', [attrInt('axis', -1)]);
  const pU8 = one('QuantizeLinear', [p, pStep, zeroU8], 'probs_u8');
  const ctxI32 = one('MatMulInteger', [pU8, toHeads(vS8.xq, 'v', false)], 'context');
  const ctxScale = one('Mul', [vS8.scale, pStep], 'context_scale');
  mergeHeads(
    one('Mul', [one('Cast', [ctxI32], 'context_f32', [attrInt('to', DataType.FLOAT)]), ctxScale], 'context_scaled'),
  );
  return nodes;
}
