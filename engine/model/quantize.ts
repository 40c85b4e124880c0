import {
  DataType,
  decodeModel,
  encodeModel,
  type AttributeMsg,
  type ModelMsg,
  type NodeMsg,
  type TensorMsg,
} from './onnx-proto.ts';
import { attentionCoreNodes } from './attention-core.ts';
import { convToInteger } from './quantize-conv.ts';

/**
 * Dynamic int8 quantization of any fp32 ONNX model, done in TypeScript (no Python needed).
 *
 * Every MatMul and Gemm whose second input is a constant 2-D float weight [K,N] becomes one com.microsoft
 * `DynamicQuantizeMatMul`: the weight is stored as int8, symmetric, with one scale per output channel (column),
 * and at run time onnxruntime quantizes the activations per tensor to uint8 and multiplies u8×s8 with its integer
 * GEMM (the AVX-512 VNNI kernel where the CPU has it), then rescales to float. A MatMul followed by an Add of a
 * constant [N] bias, and Gemm's C, become the op's bias input, so the token linears stay one kernel.
 *
 * By default everything else (Conv, attention products QKᵀ and A·V, norms, softmax) stays fp32; the options
 * `attentionCore` and `convs` quantize the attention products and the convs too (measured slower on an AVX2 host,
 * so off). The output is a valid ONNX model with an added `com.microsoft` opset import; onnxruntime's CPU provider
 * runs it.
 */
export const QUANTIZER_VERSION = '1';
export const MS_DOMAIN = 'com.microsoft';

export interface QuantizeOptions {
  /**
   * Weights in [-63, 63] instead of [-127, 127]: needed for accuracy on x86 CPUs without VNNI, whose u8×s8
   * kernel (vpmaddubsw) can saturate 16-bit sums. Not needed with VNNI.
   */
  reduceRange?: boolean;
  /** Weights with fewer elements than this stay fp32 (default 0: quantize every eligible layer). */
  minElements?: number;
  /**
   * What a com.microsoft Attention node becomes. 'fused' (default): one QAttention (int8 QKV projection; QKᵀ,
   * softmax and A·V in fp32 inside the kernel). 'int8': DynamicQuantizeMatMul for the projection and the core
   * unfused with QKᵀ and A·V as u8×s8 MatMulInteger (engine/model/attention-core.ts). 'fp32': the same unfused
   * graph with an fp32 core (a reference). 'int8-shared': one u8 quantization of the whole QKV tensor, u8×u8
   * products. Measured in bench/README.md (Performance III, part 3).
   */
  attentionCore?: 'fused' | 'fp32' | 'int8' | 'int8-shared';
  /**
   * 'int8': every group-1 Conv with a constant weight becomes DynamicQuantizeLinear + ConvInteger (s8 weights per
   * output channel, a following BatchNormalization folded in; engine/model/quantize-conv.ts). Default 'fp32'.
   */
  convs?: 'fp32' | 'int8';
}

export interface QuantizedLayer {
  node: string;
  op: 'MatMul' | 'Gemm' | 'Attention' | 'Conv';
  /** Weights per output channel (for a Conv: C·kh·kw). */
  k: number;
  /** Output channels. */
  n: number;
  /** A following Add's constant bias (for a Conv: a BatchNormalization) was folded in. */
  biasFolded: boolean;
  /**
   * Attention only, when an unfused core was asked for: how its QKᵀ/softmax/A·V ran ('fused' when the node could
   * not be unfused and stayed one QAttention, with `coreReason`).
   */
  core?: 'fused' | 'fp32' | 'int8' | 'int8-shared';
  coreReason?: string;
}

export interface QuantizeReport {
  quantized: QuantizedLayer[];
  /** MatMul/Gemm nodes left in fp32, and why. */
  skipped: Array<{ node: string; reason: string }>;
  /** Bytes of initializer data before and after. */
  weightBytesBefore: number;
  weightBytesAfter: number;
}

export class QuantizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantizeError';
  }
}

/** float32 values of an initializer (raw_data or float_data), or null for other types / external data. */
function floatValues(t: TensorMsg): Float32Array | null {
  if ((t.dataType ?? 0) !== DataType.FLOAT || t.dataLocation === 1) return null;
  const count = (t.dims ?? []).reduce((a, b) => a * Number(b), 1);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== count * 4) return null;
    const copy = new Uint8Array(t.rawData); // aligned copy: raw_data may sit at any offset in the decoded buffer
    return new Float32Array(copy.buffer, 0, count);
  }
  if (t.floatData && t.floatData.length === count) return Float32Array.from(t.floatData);
  return count === 0 ? new Float32Array(0) : null;
}

function tensorBytes(t: TensorMsg): number {
  if (t.rawData) return t.rawData.length;
  const count = (t.dims ?? []).reduce((a, b) => a * Number(b), 1);
  const width: Record<number, number> = {
    [DataType.FLOAT]: 4,
    [DataType.INT8]: 1,
    [DataType.UINT8]: 1,
    [DataType.INT64]: 8,
    [DataType.INT32]: 4,
    [DataType.DOUBLE]: 8,
    [DataType.FLOAT16]: 2,
  };
  return count * (width[t.dataType ?? 0] ?? 4);
}

/**
 * Symmetric per-column int8 of a row-major [K,N] weight: scale[j] = max_i |w[i,j]| / qmax,
 * q = round(w / scale) clamped to ±qmax. An all-zero column gets scale 1 (its q are all 0).
 */
export function quantizePerColumn(
  w: Float32Array,
  k: number,
  n: number,
  qmax = 127,
): { q: Int8Array; scale: Float32Array } {
  if (w.length !== k * n) throw new QuantizeError(`weight has ${w.length} values, expected ${k}×${n}`);
  const absMax = new Float32Array(n);
  for (let i = 0; i < k; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) {
      const a = Math.abs(w[row + j]);
      if (a > absMax[j]) absMax[j] = a;
    }
  }
  const scale = new Float32Array(n);
  const inv = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    scale[j] = absMax[j] > 0 && Number.isFinite(absMax[j]) ? absMax[j] / qmax : 1;
    inv[j] = 1 / scale[j];
  }
  const q = new Int8Array(k * n);
  for (let i = 0; i < k; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) {
      const v = Math.round(w[row + j] * inv[j]);
      q[row + j] = v > qmax ? qmax : v < -qmax ? -qmax : v;
    }
  }
  return { q, scale };
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = w[i * cols + j];
  return out;
}

const attr = (node: NodeMsg, name: string): AttributeMsg | undefined => node.attribute?.find((a) => a.name === name);
const attrI = (node: NodeMsg, name: string, dflt: number) => Number(attr(node, name)?.i ?? dflt);
const attrF = (node: NodeMsg, name: string, dflt: number) => attr(node, name)?.f ?? dflt;
const isDefaultDomain = (node: NodeMsg) => !node.domain || node.domain === 'ai.onnx';

/** Quantizes a decoded model in place of a copy; returns the new model and what was done. */
export function quantizeModelMsg(
  model: ModelMsg,
  options: QuantizeOptions = {},
): { model: ModelMsg; report: QuantizeReport } {
  const graph = model.graph;
  if (!graph?.node?.length) throw new QuantizeError('the model has no graph nodes');
  if (
    model.opsetImport?.some((o) => o.domain === MS_DOMAIN) &&
    graph.node.some((n) => n.domain === MS_DOMAIN && n.opType === 'DynamicQuantizeMatMul')
  ) {
    throw new QuantizeError('the model is already quantized (it has DynamicQuantizeMatMul nodes)');
  }
  const qmax = options.reduceRange ? 63 : 127;
  const minElements = options.minElements ?? 0;
  const attentionCore = options.attentionCore ?? 'fused';
  const inits = new Map<string, TensorMsg>();
  for (const t of graph.initializer ?? []) if (t.name) inits.set(t.name, t);
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name));
  const consumers = new Map<string, NodeMsg[]>();
  for (const node of graph.node) {
    for (const name of node.input ?? []) if (name) consumers.set(name, [...(consumers.get(name) ?? []), node]);
  }
  const used = new Set<string>([...inits.keys(), ...graph.node.flatMap((n) => [...(n.output ?? []), n.name ?? ''])]);
  const unique = (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };

  const report: QuantizeReport = { quantized: [], skipped: [], weightBytesBefore: 0, weightBytesAfter: 0 };
  const newInits: TensorMsg[] = [];
  const removed = new Set<NodeMsg>();
  const replaced = new Map<NodeMsg, NodeMsg>();

  /** A 1-D float constant of length n usable as bias: an initializer [n] or [1,n]. */
  const biasOf = (name: string | undefined, n: number): Float32Array | null => {
    const t = name ? inits.get(name) : undefined;
    if (!t) return null;
    const dims = (t.dims ?? []).map(Number);
    if (!(dims.length === 1 && dims[0] === n) && !(dims.length === 2 && dims[0] === 1 && dims[1] === n)) return null;
    return floatValues(t);
  };

  /**
   * com.microsoft Attention with a constant [Hin, 3H] weight → DynamicQuantizeLinear of its input + QAttention
   * (u8 activations × s8 weights, per-column weight scales), other attributes kept.
   */
  const pre = new Map<NodeMsg, NodeMsg[]>();
  /** Adds the int8 weight [k,n] and its per-column scales [n] as initializers; returns their names. */
  const addQuantizedWeight = (base: string, w: Float32Array, k: number, n: number) => {
    const { q, scale } = quantizePerColumn(w, k, n, qmax);
    const qName = unique(`${base}_quantized`);
    const sName = unique(`${base}_scale`);
    newInits.push(
      { name: qName, dims: [k, n], dataType: DataType.INT8, rawData: new Uint8Array(q.buffer) },
      { name: sName, dims: [n], dataType: DataType.FLOAT, rawData: new Uint8Array(scale.buffer) },
    );
    return { qName, sName };
  };

  /** Why an Attention node cannot be unfused (null when it can): only the plain self-attention form is written out. */
  const unfusable = (node: NodeMsg, n: number): string | null => {
    const heads = attrI(node, 'num_heads', 0);
    const extra = (node.attribute ?? []).map((a) => a.name).filter((a) => !['num_heads', 'scale'].includes(a));
    if (extra.some((a) => a !== 'unidirectional' || attrI(node, a, 0) !== 0))
      return `attributes ${extra.join(', ')} are not unfused`;
    if ((node.output ?? []).filter((o) => o).length !== 1) return 'more than one output (present state)';
    if (heads <= 0 || n % 3 !== 0 || (n / 3) % heads !== 0)
      return `weight width ${n} does not split into ${heads} heads`;
    return null;
  };

  const quantizeAttention = (node: NodeMsg) => {
    const label = node.name || node.output?.[0] || node.opType;
    let coreReason: string | null = null;
    const [xName, wName, bName, ...rest] = node.input ?? [];
    const wT = wName ? inits.get(wName) : undefined;
    const dims = (wT?.dims ?? []).map(Number);
    const w = wT ? floatValues(wT) : null;
    if (!w || dims.length !== 2 || !bName || rest.some((r) => r)) {
      report.skipped.push({
        node: label,
        reason: 'Attention without a constant 2-D weight and bias, or with mask/past inputs',
      });
      return;
    }
    const [k, n] = dims;
    if (k * n < minElements) {
      report.skipped.push({ node: label, reason: `weight of ${k * n} elements is below minElements ${minElements}` });
      return;
    }
    const base = wName!.replace(/[^A-Za-z0-9_.]/g, '_');
    const { qName, sName } = addQuantizedWeight(base, w, k, n);
    if (attentionCore !== 'fused') {
      const why = unfusable(node, n);
      if (!why) {
        const heads = attrI(node, 'num_heads', 0);
        const qkv = unique(`${label}_qkv`);
        const projection: NodeMsg = {
          name: unique(`${label}_qkv_int8`),
          opType: 'DynamicQuantizeMatMul',
          domain: MS_DOMAIN,
          input: [xName, qName, sName, '', bName],
          output: [qkv],
          attribute: [],
        };
        const core = attentionCoreNodes(
          {
            label,
            qkv,
            output: node.output![0],
            hidden: n / 3,
            heads,
            scale: attrF(node, 'scale', 0) || 1 / Math.sqrt(n / 3 / heads),
            mode: attentionCore,
            qmax,
          },
          { unique, addInit: (t) => newInits.push(t) },
        );
        pre.set(node, [projection, ...core.slice(0, -1)]);
        replaced.set(node, core.at(-1)!);
        report.quantized.push({ node: label, op: 'Attention', k, n, biasFolded: true, core: attentionCore });
        return;
      }
      coreReason = why;
    }
    const [xq, xs, xz] = [
      unique(`${label}_input_quantized`),
      unique(`${label}_input_scale`),
      unique(`${label}_input_zero_point`),
    ];
    pre.set(node, [
      {
        name: unique(`${label}_quantize_input`),
        opType: 'DynamicQuantizeLinear',
        domain: '',
        input: [xName],
        output: [xq, xs, xz],
        attribute: [],
      },
    ]);
    replaced.set(node, {
      name: unique(`${label}_int8`),
      opType: 'QAttention',
      domain: MS_DOMAIN,
      // input, weight, bias, input_scale, weight_scale, mask_index, input_zero_point (weights symmetric: no zero point)
      input: [xq, qName, bName, xs, sName, '', xz],
      output: node.output ?? [],
      attribute: (node.attribute ?? []).filter((a) => a.name === 'num_heads' || a.name === 'unidirectional'),
    });
    report.quantized.push({
      node: label,
      op: 'Attention',
      k,
      n,
      biasFolded: true,
      ...(coreReason ? { core: 'fused' as const, coreReason } : {}),
    });
  };

  const quantizedConvInputs = new Map<string, [string, string, string]>();
  const convContext = {
    inits,
    consumers,
    graphOutputs,
    floatValues,
    unique,
    addInit: (t: TensorMsg) => newInits.push(t),
    qmax,
  };
  for (const node of graph.node) {
    if (node.domain === MS_DOMAIN && node.opType === 'Attention') {
      quantizeAttention(node);
      continue;
    }
    if (options.convs === 'int8' && isDefaultDomain(node) && node.opType === 'Conv') {
      const label = node.name || node.output?.[0] || node.opType;
      const r = convToInteger(node, convContext, quantizedConvInputs);
      if (typeof r === 'string') {
        report.skipped.push({ node: label, reason: r });
        continue;
      }
      pre.set(node, [...r.pre, ...r.nodes.slice(0, -1)]);
      replaced.set(node, r.nodes.at(-1)!);
      if (r.removed) removed.add(r.removed);
      report.quantized.push({ node: label, op: 'Conv', k: r.perChannel, n: r.outChannels, biasFolded: !!r.removed });
      continue;
    }
    if (!isDefaultDomain(node) || (node.opType !== 'MatMul' && node.opType !== 'Gemm')) continue;
    const label = node.name || node.output?.[0] || node.opType;
    const skip = (reason: string) => report.skipped.push({ node: label, reason });
    const [aName, bName, cName] = node.input ?? [];
    const wT = bName ? inits.get(bName) : undefined;
    if (!wT) {
      skip('its weight is not a constant initializer');
      continue;
    }
    if (aName && inits.has(aName)) {
      skip('its activation input is a constant');
      continue;
    }
    const dims = (wT.dims ?? []).map(Number);
    if (dims.length !== 2) {
      skip(`its weight is ${dims.length}-D, not 2-D`);
      continue;
    }
    let w = floatValues(wT);
    if (!w) {
      skip('its weight is not stored float32');
      continue;
    }
    let [k, n] = dims;
    let bias: Float32Array | null = null;
    let output = node.output?.[0] ?? '';
    let foldedAdd: NodeMsg | null = null;

    if (node.opType === 'Gemm') {
      if (attrI(node, 'transA', 0) !== 0) {
        skip('Gemm with transA');
        continue;
      }
      const alpha = attrF(node, 'alpha', 1);
      const beta = attrF(node, 'beta', 1);
      if (attrI(node, 'transB', 0) !== 0) {
        w = transpose(w, k, n);
        [k, n] = [n, k];
      }
      if (alpha !== 1) w = w.map((x) => x * alpha);
      if (cName) {
        bias = biasOf(cName, n);
        if (!bias) {
          skip('Gemm bias C is not a constant [N]');
          continue;
        }
        if (beta !== 1) bias = bias.map((x) => x * beta);
      }
    } else {
      // Fold a following `Add(MatMul(x, W), b)` with a constant b of shape [N] into the op's bias.
      const next = consumers.get(output) ?? [];
      if (next.length === 1 && !graphOutputs.has(output) && next[0].opType === 'Add' && isDefaultDomain(next[0])) {
        const add = next[0];
        const other = add.input?.[0] === output ? add.input?.[1] : add.input?.[0];
        const b = biasOf(other, n);
        if (b && add.input?.length === 2) {
          bias = b;
          foldedAdd = add;
          output = add.output?.[0] ?? output;
        }
      }
    }
    if (k * n < minElements) {
      skip(`weight of ${k * n} elements is below minElements ${minElements}`);
      continue;
    }

    const base = bName!.replace(/[^A-Za-z0-9_.]/g, '_');
    const { qName, sName } = addQuantizedWeight(base, w, k, n);
    const inputs = [aName!, qName, sName];
    if (bias) {
      const bN = unique(`${base}_bias`);
      newInits.push({
        name: bN,
        dims: [n],
        dataType: DataType.FLOAT,
        rawData: new Uint8Array(Float32Array.from(bias).buffer),
      });
      inputs.push('', bN); // no zero point (symmetric), then the bias
    }
    replaced.set(node, {
      name: unique(`${label}_int8`),
      opType: 'DynamicQuantizeMatMul',
      domain: MS_DOMAIN,
      input: inputs,
      output: [output],
      attribute: [],
    });
    if (foldedAdd) removed.add(foldedAdd);
    report.quantized.push({ node: label, op: node.opType, k, n, biasFolded: foldedAdd !== null });
  }

  const nodes = graph.node.filter((n) => !removed.has(n)).flatMap((n) => [...(pre.get(n) ?? []), replaced.get(n) ?? n]);
  const stillUsed = new Set(nodes.flatMap((n) => n.input ?? []));
  for (const o of graph.output ?? []) stillUsed.add(o.name);
  const keptInits = (graph.initializer ?? []).filter((t) => stillUsed.has(t.name ?? ''));
  const allInits = [...keptInits, ...newInits];
  report.weightBytesBefore = (graph.initializer ?? []).reduce((s, t) => s + tensorBytes(t), 0);
  report.weightBytesAfter = allInits.reduce((s, t) => s + tensorBytes(t), 0);
  // Weights that were also graph inputs (IR < 4) and are now unused are dropped from the inputs too.
  const inputs = (graph.input ?? []).filter((v) => !inits.has(v.name) || stillUsed.has(v.name));

  const opsetImport = [...(model.opsetImport ?? [])];
  if (report.quantized.length > 0 && !opsetImport.some((o) => o.domain === MS_DOMAIN))
    opsetImport.push({ domain: MS_DOMAIN, version: 1 });
  const metadataProps = [
    ...(model.metadataProps ?? []).filter((p) => !p.key.startsWith('cosmicai.quantization')),
    {
      key: 'cosmicai.quantization',
      value:
        `int8 dynamic, per-channel symmetric weights (qmax ${qmax}), quantizer v${QUANTIZER_VERSION}` +
        (attentionCore === 'fused' ? '' : `, attention core ${attentionCore} (unfused)`) +
        (options.convs === 'int8' ? ', convs int8 (ConvInteger)' : ''),
    },
  ];
  return {
    model: {
      ...model,
      opsetImport,
      metadataProps,
      graph: { ...graph, node: nodes, initializer: allInits, input: inputs },
    },
    report,
  };
}

/** Serialized fp32 model in, serialized int8 model out. */
export function quantizeModel(
  bytes: Uint8Array,
  options: QuantizeOptions = {},
): { bytes: Uint8Array; report: QuantizeReport } {
  let model: ModelMsg;
  try {
    model = decodeModel(bytes);
  } catch (err) {
    throw new QuantizeError(`not an ONNX model: ${(err as Error).message}`);
  }
  const { model: out, report } = quantizeModelMsg(model, options);
  if (report.quantized.length === 0) {
    throw new QuantizeError(
      'nothing to quantize: the model has no MatMul/Gemm with a constant 2-D float weight' +
        (report.skipped.length
          ? ` (${report.skipped
              .slice(0, 3)
              .map((s) => `${s.node}: ${s.reason}`)
              .join('; ')})`
          : ''),
    );
  }
  return { bytes: encodeModel(out), report };
}
