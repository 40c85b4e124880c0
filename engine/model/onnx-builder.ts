import {
  AttrType,
  DataType,
  type AttributeMsg,
  type ModelMsg,
  type NodeMsg,
  type TensorMsg,
  type ValueInfo,
} from './onnx-proto.ts';

export type Attr = AttributeMsg;
export const attrInt = (name: string, i: number): Attr => ({ name, type: AttrType.INT, i });
export const attrFloat = (name: string, f: number): Attr => ({ name, type: AttrType.FLOAT, f });
export const attrInts = (name: string, ints: number[]): Attr => ({ name, type: AttrType.INTS, ints });

/** float32 tensor stored as little-endian raw_data (how onnxruntime and torch.onnx.export store weights). */
export function floatTensor(name: string, dims: number[], data: Float32Array): TensorMsg {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`initializer ${name}: ${data.length} values for shape [${dims}]`);
  return {
    name,
    dims,
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export function int64Tensor(name: string, values: number[]): TensorMsg {
  return { name, dims: [values.length], dataType: DataType.INT64, int64Data: values };
}

export function tensorValueInfo(
  name: string,
  dims: Array<number | string>,
  elemType: number = DataType.FLOAT,
): ValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Accumulates nodes and initializers with unique, readable names. */
export class GraphBuilder {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  weight(name: string, dims: number[], data: Float32Array): string {
    const unique = this.unique(name);
    this.initializers.push(floatTensor(unique, dims, data));
    return unique;
  }

  /** An int64 constant (shapes, axes), shared between nodes that use the same values. */
  ints(values: number[]): string {
    const key = values.join(',');
    const existing = this.constants.get(key);
    if (existing) return existing;
    const name = this.unique(`const_i64_${values.join('_').replace(/-/g, 'm')}`);
    this.initializers.push(int64Tensor(name, values));
    this.constants.set(key, name);
    return name;
  }

  /** A float scalar as a Constant node (not an initializer, so it never counts as a parameter); shared by value. */
  scalar(value: number): string {
    const key = `f32:${value}`;
    const existing = this.constants.get(key);
    if (existing) return existing;
    const name = this.node('Constant', [], `const_f32_${this.constants.size}`, [
      { name: 'value', type: AttrType.TENSOR, t: floatTensor('', [], new Float32Array([value])) },
    ])[0];
    this.constants.set(key, name);
    return name;
  }

  /**
   * Adds a node. `outputs` is a count, or a list saying which outputs are used: unused optional outputs get the
   * empty name ONNX uses for "not produced". `domain` is for contrib ops (e.g. com.microsoft).
   */
  node(
    opType: string,
    inputs: string[],
    name: string,
    attribute: Attr[] = [],
    outputs: number | boolean[] = 1,
    domain?: string,
  ): string[] {
    const nodeName = this.unique(name);
    const used = typeof outputs === 'number' ? new Array<boolean>(outputs).fill(true) : outputs;
    const outs = used.length === 1 ? [nodeName] : used.map((u, i) => (u ? this.unique(`${nodeName}_out${i}`) : ''));
    this.nodes.push({ opType, input: inputs, output: outs, name: nodeName, attribute, ...(domain ? { domain } : {}) });
    return outs;
  }

  op(opType: string, inputs: string[], name: string, attribute: Attr[] = []): string {
    return this.node(opType, inputs, name, attribute, 1)[0];
  }
}

export function modelMessage(args: {
  graphName: string;
  builder: GraphBuilder;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  opset: number;
  /** Opsets of other domains the graph uses (e.g. com.microsoft 1). */
  extraOpsets?: Array<{ domain: string; version: number }>;
  producerVersion: string;
  docString: string;
  metadata: Record<string, string>;
}): ModelMsg {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: args.opset }, ...(args.extraOpsets ?? [])],
    producerName: 'cosmicai-bench',
    producerVersion: args.producerVersion,
    docString: args.docString,
    graph: {
      name: args.graphName,
      node: args.builder.nodes,
      initializer: args.builder.initializers,
      input: args.inputs,
      output: args.outputs,
    },
    metadataProps: Object.entries(args.metadata).map(([key, value]) => ({ key, value })),
  };
}
