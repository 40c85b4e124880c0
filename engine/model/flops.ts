import type { GraphMsg } from './onnx-proto.ts';
import { inferShapes } from './graph-shapes.ts';

export interface FlopCount {
  /** Multiply-adds per sample in Conv, MatMul (including attention's QKᵀ and AV) and Gemm nodes. */
  macs: number;
  /** 2 · macs: the convention the study quotes (765,058,816 for AstroMAE). */
  flops: number;
  byOp: Record<string, number>;
}

const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);
const STANDARD_COSTED = new Set(['Conv', 'MatMul', 'Gemm']);
/** onnxruntime contrib ops that carry the same products (fused attention, int8 matmuls). */
const CONTRIB_COSTED = new Set(['Attention', 'QAttention', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat']);

/**
 * Walks the graph at batch 1 and costs every Conv, MatMul and Gemm. Elementwise ops, norms, softmax and pooling
 * are not counted (the usual convention, and the one behind the study's figure). Returns null when a costed node's
 * shapes cannot be inferred.
 */
export function countFlops(graph: GraphMsg, opset: number): FlopCount | null {
  const { shapes } = inferShapes(graph, opset);
  const byOp: Record<string, number> = {};
  let macs = 0;
  for (const node of graph.node ?? []) {
    const contrib = node.domain === 'com.microsoft';
    if (contrib ? !CONTRIB_COSTED.has(node.opType) : !STANDARD_COSTED.has(node.opType)) continue;
    if (node.domain && node.domain !== 'ai.onnx' && !contrib) continue;
    const a = shapes.get(node.input?.[0] ?? '');
    const b = shapes.get(node.input?.[1] ?? '');
    const out = shapes.get(node.output?.[0] ?? '');
    if (!a || !b || !out) return null;
    let n: number;
    if (node.opType === 'Conv') {
      // Each output element takes (Cin / group) · kernel area multiply-adds: the product of W's dims after Cout.
      n = product(out.shape) * product(b.shape.slice(1));
    } else if (node.opType === 'Attention' || node.opType === 'QAttention') {
      // The QKV projection, then QKᵀ and A·V over all heads: S·S·H multiply-adds each.
      const s = a.shape[1];
      n = s * a.shape[2] * b.shape[1] + 2 * s * s * out.shape[2];
      n *= a.shape[0];
    } else if (
      node.opType === 'MatMul' ||
      node.opType === 'DynamicQuantizeMatMul' ||
      node.opType === 'MatMulIntegerToFloat'
    ) {
      n = product(out.shape) * a.shape[a.shape.length - 1];
    } else {
      const transA = node.attribute?.find((x) => x.name === 'transA')?.i ?? 0;
      n = product(out.shape) * (transA ? a.shape[0] : a.shape[1]);
    }
    if (!Number.isFinite(n)) return null;
    macs += n;
    byOp[node.opType] = (byOp[node.opType] ?? 0) + 2 * n;
  }
  return { macs, flops: 2 * macs, byOp };
}
