import { GraphBuilder, attrFloat, attrInt, attrInts, modelMessage, tensorValueInfo } from './onnx-builder.ts';
import { encodeModel } from './onnx-proto.ts';
import { Prng } from '../prng.ts';

const MS_DOMAIN = 'com.microsoft';

/**
 * AstroMAE as an ONNX graph with seeded random weights (the trained weights are not public).
 * The layer list is the one in issue 3 and in bench/astromae_torch.py; both give 15,764,097 trainable parameters
 * and 382,529,408 multiply-adds per galaxy. BatchNorm stays a BatchNormalization node: onnxruntime folds it into
 * the preceding Conv at load time, and keeping it makes the parameter count the trainable one.
 */
export const REFERENCE_LABEL = 'reference weights — predictions are not physical';
export const REFERENCE_SEED = 20240611;
/** Builder version of the standard (opset-17 only) graph; the fused graph is version 2. */
export const REFERENCE_BUILDER_VERSION = '1';
export const REFERENCE_FUSED_BUILDER_VERSION = '2';
/** The file the app caches and runs (and uploads for cloud runs): the fused variant. */
export const REFERENCE_FILE_NAME = `astromae-reference-v${REFERENCE_FUSED_BUILDER_VERSION}.onnx`;
/** The standard-ops variant, for runtimes without onnxruntime's contrib ops. */
export const REFERENCE_STANDARD_FILE_NAME = `astromae-reference-v${REFERENCE_BUILDER_VERSION}.onnx`;
export const REFERENCE_PARAMETERS = 15_764_097;
export const REFERENCE_FLOPS_PER_SAMPLE = 765_058_816;
export const REFERENCE_OPSET = 17;

const EMBED = 192;
const HEADS = 3;
const HEAD_DIM = EMBED / HEADS;
const PATCHES = 64;
const TOKENS = PATCHES + 1;
const DEPTH = 12;
const MLP_HIDDEN = 768;
const BRANCH_OUT = 1096;
const MAG_HIDDEN = 1024;

class AstroMaeGraph {
  readonly g = new GraphBuilder();
  private readonly rng: Prng;
  private readonly fused: boolean;

  constructor(seed: number, fused: boolean) {
    this.rng = new Prng(seed);
    this.fused = fused;
  }

  private uniform(n: number, bound: number): Float32Array {
    return this.rng.uniform(new Float32Array(n), bound);
  }

  private filled(n: number, value: number): Float32Array {
    return new Float32Array(n).fill(value);
  }

  /** PyTorch-default Linear on a 2-D input: Gemm with W stored [in, out]. */
  gemm(x: string, inF: number, outF: number, name: string): string {
    const bound = 1 / Math.sqrt(inF);
    const w = this.g.weight(`${name}.weight`, [inF, outF], this.uniform(inF * outF, bound));
    const b = this.g.weight(`${name}.bias`, [outF], this.uniform(outF, bound));
    return this.g.op('Gemm', [x, w, b], name);
  }

  /** ViT Linear weights, timm init (trunc-normal 0.02, zero bias). */
  tokenWeights(inF: number, outF: number, name: string): { w: string; b: string } {
    const w = this.g.weight(`${name}.weight`, [inF, outF], this.rng.truncNormal(new Float32Array(inF * outF), 0.02));
    const b = this.g.weight(`${name}.bias`, [outF], this.filled(outF, 0));
    return { w, b };
  }

  /** ViT Linear on [B, T, in]: MatMul + Add. */
  tokenLinear(x: string, inF: number, outF: number, name: string): string {
    const { w, b } = this.tokenWeights(inF, outF, name);
    return this.g.op('Add', [this.g.op('MatMul', [x, w], `${name}.matmul`), b], name);
  }

  /**
   * The residual stream x + (input + bias) and its LayerNorm. (com.microsoft SkipLayerNormalization does this in
   * one node, but measured here its CPU kernel was slower than the three standard ops, so they stay.)
   */
  residualLayerNorm(
    input: string,
    skip: string,
    bias: string,
    width: number,
    name: string,
    sumName: string,
  ): { normed: string; sum: string } {
    const sum = this.g.op('Add', [skip, this.g.op('Add', [input, bias], `${sumName}.bias`)], sumName);
    return { normed: this.layerNorm(sum, width, name), sum };
  }

  layerNorm(x: string, width: number, name: string): string {
    const scale = this.g.weight(`${name}.weight`, [width], this.filled(width, 1));
    const bias = this.g.weight(`${name}.bias`, [width], this.filled(width, 0));
    return this.g.op('LayerNormalization', [x, scale, bias], name, [attrInt('axis', -1), attrFloat('epsilon', 1e-6)]);
  }

  conv(x: string, inC: number, outC: number, k: number, stride: number, pad: number, name: string): string {
    const bound = 1 / Math.sqrt(inC * k * k);
    const w = this.g.weight(`${name}.weight`, [outC, inC, k, k], this.uniform(outC * inC * k * k, bound));
    const b = this.g.weight(`${name}.bias`, [outC], this.uniform(outC, bound));
    return this.g.op('Conv', [x, w, b], name, [
      attrInts('kernel_shape', [k, k]),
      attrInts('strides', [stride, stride]),
      attrInts('pads', [pad, pad, pad, pad]),
    ]);
  }

  /** Conv + BatchNorm + ReLU, one Inception branch step. */
  convBnRelu(x: string, inC: number, outC: number, k: number, name: string): string {
    const y = this.conv(x, inC, outC, k, 1, (k - 1) / 2, `${name}.conv`);
    const bn = [
      this.g.weight(`${name}.bn.weight`, [outC], this.filled(outC, 1)),
      this.g.weight(`${name}.bn.bias`, [outC], this.filled(outC, 0)),
      this.g.weight(`${name}.bn.running_mean`, [outC], this.filled(outC, 0)),
      this.g.weight(`${name}.bn.running_var`, [outC], this.filled(outC, 1)),
    ];
    const normed = this.g.op('BatchNormalization', [y, ...bn], `${name}.bn`, [attrFloat('epsilon', 1e-5)]);
    return this.g.op('Relu', [normed], `${name}.relu`);
  }

  relu(x: string, name: string): string {
    return this.g.op('Relu', [x], name);
  }

  /** GELU in the erf form torch.onnx.export writes for opset 17; onnxruntime fuses it into one Gelu kernel. */
  gelu(x: string, name: string): string {
    const scaled = this.g.op('Div', [x, this.g.scalar(Math.SQRT2)], `${name}.div`);
    const erf = this.g.op('Erf', [scaled], `${name}.erf`);
    const onePlus = this.g.op('Add', [erf, this.g.scalar(1)], `${name}.add`);
    const times = this.g.op('Mul', [x, onePlus], `${name}.mul`);
    return this.g.op('Mul', [times, this.g.scalar(0.5)], name);
  }

  attention(x: string, name: string): string {
    const g = this.g;
    const qkv = this.tokenLinear(x, EMBED, 3 * EMBED, `${name}.qkv`);
    const split5 = g.op('Reshape', [qkv, g.ints([0, TOKENS, 3, HEADS, HEAD_DIM])], `${name}.qkv_reshape`);
    const perm = g.op('Transpose', [split5], `${name}.qkv_permute`, [attrInts('perm', [2, 0, 3, 1, 4])]);
    const [q5, k5, v5] = g.node('Split', [perm], `${name}.qkv_split`, [attrInt('axis', 0)], 3);
    const axis0 = g.ints([0]);
    const q = g.op('Squeeze', [q5, axis0], `${name}.q`);
    const k = g.op('Squeeze', [k5, axis0], `${name}.k`);
    const v = g.op('Squeeze', [v5, axis0], `${name}.v`);
    const kT = g.op('Transpose', [k], `${name}.k_t`, [attrInts('perm', [0, 1, 3, 2])]);
    const scores = g.op('MatMul', [q, kT], `${name}.scores`);
    const scaled = g.op('Mul', [scores, g.scalar(1 / Math.sqrt(HEAD_DIM))], `${name}.scaled`);
    const attn = g.op('Softmax', [scaled], `${name}.softmax`, [attrInt('axis', -1)]);
    const ctx = g.op('MatMul', [attn, v], `${name}.context`);
    const merged = g.op('Transpose', [ctx], `${name}.context_permute`, [attrInts('perm', [0, 2, 1, 3])]);
    const flat = g.op('Reshape', [merged, g.ints([0, TOKENS, EMBED])], `${name}.context_reshape`);
    return this.tokenLinear(flat, EMBED, EMBED, `${name}.proj`);
  }

  /**
   * The 12 blocks with onnxruntime's fused com.microsoft Attention (QKV projection with bias, softmax attention
   * over 3 heads, heads merged, in one kernel; no Split/Transpose copies). Weights are drawn in the same order as in
   * the standard graph, so both variants compute the same function.
   */
  fusedBlocks(x0: string): string {
    const g = this.g;
    let x = x0;
    let h = this.layerNorm(x0, EMBED, 'vit.blocks.0.norm1');
    for (let i = 0; i < DEPTH; i++) {
      const b = `vit.blocks.${i}`;
      const qkv = this.tokenWeights(EMBED, 3 * EMBED, `${b}.attn.qkv`);
      const att = g.node('Attention', [h, qkv.w, qkv.b], `${b}.attn`, [attrInt('num_heads', HEADS)], 1, MS_DOMAIN)[0];
      const proj = this.tokenWeights(EMBED, EMBED, `${b}.attn.proj`);
      const r1 = this.residualLayerNorm(
        g.op('MatMul', [att, proj.w], `${b}.attn.proj.matmul`),
        x,
        proj.b,
        EMBED,
        `${b}.norm2`,
        `${b}.residual1`,
      );
      const fc1 = this.tokenLinear(r1.normed, EMBED, MLP_HIDDEN, `${b}.mlp.fc1`);
      const fc2 = this.tokenWeights(MLP_HIDDEN, EMBED, `${b}.mlp.fc2`);
      const m = g.op('MatMul', [this.gelu(fc1, `${b}.mlp.gelu`), fc2.w], `${b}.mlp.fc2.matmul`);
      if (i + 1 < DEPTH) {
        const r2 = this.residualLayerNorm(m, r1.sum, fc2.b, EMBED, `vit.blocks.${i + 1}.norm1`, `${b}.residual2`);
        h = r2.normed;
        x = r2.sum;
      } else {
        x = g.op('Add', [r1.sum, g.op('Add', [m, fc2.b], `${b}.mlp.fc2`)], `${b}.residual2`);
      }
    }
    return x;
  }

  vitBranch(image: string): string {
    const g = this.g;
    const patches = this.conv(image, 5, EMBED, 4, 4, 0, 'vit.patch_embed');
    const seq = g.op('Reshape', [patches, g.ints([0, EMBED, PATCHES])], 'vit.patch_flatten');
    const tokens = g.op('Transpose', [seq], 'vit.patch_tokens', [attrInts('perm', [0, 2, 1])]);
    const cls = g.weight('vit.cls_token', [1, 1, EMBED], this.rng.truncNormal(new Float32Array(EMBED), 0.02));
    const batch = g.op('Shape', [image], 'vit.batch_size', [attrInt('start', 0), attrInt('end', 1)]);
    const clsShape = g.op('Concat', [batch, g.ints([1, EMBED])], 'vit.cls_shape', [attrInt('axis', 0)]);
    const clsB = g.op('Expand', [cls, clsShape], 'vit.cls_expand');
    const withCls = g.op('Concat', [clsB, tokens], 'vit.tokens', [attrInt('axis', 1)]);
    const pos = g.weight(
      'vit.pos_embed',
      [1, TOKENS, EMBED],
      this.rng.truncNormal(new Float32Array(TOKENS * EMBED), 0.02),
    );
    let x = g.op('Add', [withCls, pos], 'vit.pos_add');
    if (this.fused) x = this.fusedBlocks(x);
    else
      for (let i = 0; i < DEPTH; i++) {
        const b = `vit.blocks.${i}`;
        x = g.op('Add', [x, this.attention(this.layerNorm(x, EMBED, `${b}.norm1`), `${b}.attn`)], `${b}.residual1`);
        const h = this.layerNorm(x, EMBED, `${b}.norm2`);
        const mlp = this.tokenLinear(
          this.gelu(this.tokenLinear(h, EMBED, MLP_HIDDEN, `${b}.mlp.fc1`), `${b}.mlp.gelu`),
          MLP_HIDDEN,
          EMBED,
          `${b}.mlp.fc2`,
        );
        x = g.op('Add', [x, mlp], `${b}.residual2`);
      }
    const patchTokens = g.op('Slice', [x, g.ints([1]), g.ints([TOKENS]), g.ints([1])], 'vit.patch_only');
    const pooled = g.op('ReduceMean', [patchTokens], 'vit.mean_pool', [attrInts('axes', [1]), attrInt('keepdims', 0)]);
    const normed = this.layerNorm(pooled, EMBED, 'vit.fc_norm');
    const fc = this.gemm(normed, EMBED, EMBED, 'vit.fc');
    const up = this.relu(this.gemm(fc, EMBED, BRANCH_OUT, 'vit.head.0'), 'vit.head.relu');
    return this.gemm(up, BRANCH_OUT, BRANCH_OUT, 'vit.head.1');
  }

  inceptionBlock(x: string, inC: number, outC: number, withFive: boolean, name: string): string {
    const g = this.g;
    const branches = [
      this.convBnRelu(x, inC, outC, 1, `${name}.b1x1`),
      this.convBnRelu(this.convBnRelu(x, inC, outC, 1, `${name}.b3x3.reduce`), outC, outC, 3, `${name}.b3x3`),
    ];
    if (withFive) {
      branches.push(
        this.convBnRelu(this.convBnRelu(x, inC, outC, 1, `${name}.b5x5.reduce`), outC, outC, 5, `${name}.b5x5`),
      );
    }
    const pooled = g.op('MaxPool', [x], `${name}.pool`, [
      attrInts('kernel_shape', [3, 3]),
      attrInts('strides', [1, 1]),
      attrInts('pads', [1, 1, 1, 1]),
    ]);
    branches.push(this.convBnRelu(pooled, inC, outC, 1, `${name}.bpool`));
    return g.op('Concat', branches, `${name}.concat`, [attrInt('axis', 1)]);
  }

  avgPool2(x: string, name: string): string {
    return this.g.op('AveragePool', [x], name, [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])]);
  }

  inceptionBranch(image: string): string {
    let x = this.avgPool2(this.conv(image, 5, 32, 1, 1, 0, 'inception.stem'), 'inception.stem_pool');
    x = this.inceptionBlock(x, 32, 16, true, 'inception.block1');
    x = this.inceptionBlock(x, 64, 16, true, 'inception.block2');
    x = this.avgPool2(x, 'inception.pool2');
    x = this.inceptionBlock(x, 64, 8, true, 'inception.block3');
    x = this.inceptionBlock(x, 32, 8, true, 'inception.block4');
    x = this.avgPool2(x, 'inception.pool4');
    x = this.inceptionBlock(x, 32, 4, false, 'inception.block5');
    const flat = this.g.op('Flatten', [x], 'inception.flatten', [attrInt('axis', 1)]);
    const up = this.relu(this.gemm(flat, 12 * 4 * 4, BRANCH_OUT, 'inception.head.0'), 'inception.head.relu');
    return this.gemm(up, BRANCH_OUT, BRANCH_OUT, 'inception.head.1');
  }

  magnitudeBranch(magnitude: string): string {
    let x = this.gemm(magnitude, 5, MAG_HIDDEN, 'magnitude.0');
    for (let i = 1; i <= 4; i++)
      x = this.gemm(this.relu(x, `magnitude.relu${i}`), MAG_HIDDEN, MAG_HIDDEN, `magnitude.${i}`);
    return x;
  }

  build(): void {
    const joined = this.g.op(
      'Concat',
      [this.vitBranch('image'), this.inceptionBranch('image'), this.magnitudeBranch('magnitude')],
      'head.concat',
      [attrInt('axis', 1)],
    );
    const hidden = this.relu(this.gemm(joined, 2 * BRANCH_OUT + MAG_HIDDEN, MAG_HIDDEN, 'head.0'), 'head.relu');
    this.gemm(hidden, MAG_HIDDEN, 1, 'redshift');
  }
}

export interface ReferenceModelOptions {
  seed?: number;
  /**
   * 'standard' (default): opset-17 ops only, runs anywhere. 'fused': the ViT attention is onnxruntime's
   * com.microsoft Attention kernel (same weights, same function, same FLOPs).
   */
  variant?: ReferenceVariant;
}
export type ReferenceVariant = 'standard' | 'fused';

/** Serialized ONNX bytes of the reference AstroMAE; identical bytes for identical seeds. */
export function buildReferenceModel(options: ReferenceModelOptions = {}): Uint8Array {
  const seed = options.seed ?? REFERENCE_SEED;
  const variant = options.variant ?? 'standard';
  const graph = new AstroMaeGraph(seed, variant === 'fused');
  const version = variant === 'fused' ? REFERENCE_FUSED_BUILDER_VERSION : REFERENCE_BUILDER_VERSION;
  graph.build();
  return encodeModel(
    modelMessage({
      graphName: 'astromae_reference',
      builder: graph.g,
      inputs: [tensorValueInfo('image', ['batch', 5, 32, 32]), tensorValueInfo('magnitude', ['batch', 5])],
      outputs: [tensorValueInfo('redshift', ['batch', 1])],
      opset: REFERENCE_OPSET,
      extraOpsets: variant === 'fused' ? [{ domain: MS_DOMAIN, version: 1 }] : [],
      producerVersion: version,
      docString: `AstroMAE reference architecture (ViT + Inception + magnitude MLP), ${REFERENCE_LABEL}.`,
      metadata: {
        'cosmicai.weights': REFERENCE_LABEL,
        'cosmicai.seed': String(seed),
        'cosmicai.builder_version': version,
        'cosmicai.architecture': 'astromae',
        ...(variant === 'fused' ? { 'cosmicai.variant': 'fused' } : {}),
      },
    }),
  );
}
