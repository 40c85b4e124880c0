import { readFile, stat } from 'node:fs/promises';
import { countFlops } from './flops.ts';
import { valueInfoDims } from './graph-shapes.ts';
import { DataType, decodeModel, type ModelMsg } from './onnx-proto.ts';

export interface ModelIO {
  name: string;
  shape: (number | string)[];
  dtype: string;
}

export interface ModelInfo {
  path: string;
  inputs: ModelIO[];
  outputs: ModelIO[];
  /** Float initializer elements, BatchNorm running statistics excluded. */
  parameters: number;
  /** 2 × multiply-adds per galaxy in Conv/MatMul/Gemm; null when the shapes cannot be inferred. */
  flopsPerSample: number | null;
  opset: number;
  /** True for a model carrying the reference-weights label (the built-in AstroMAE with random weights). */
  reference: boolean;
  label: string | null;
  /** Which graph input takes the images, which the magnitudes, and which output holds the redshift. */
  binding: { image: string; magnitude: string; output: string };
}

export class ModelError extends Error {
  readonly file: string;
  readonly code: string;
  constructor(file: string, code: 'not-found' | 'not-onnx' | 'does-not-fit', message: string) {
    super(message);
    this.name = 'ModelError';
    this.file = file;
    this.code = code;
  }
}

const DTYPES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};
const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, 16]);
const RUNNING_STAT = /running_(mean|var)/;

export const EXPECTED_INTERFACE =
  'expected: an image input [B,5,32,32] float32 and a magnitude input [B,5] float32 (B a dynamic batch axis), and one output [B,1] or [B]';

const IMAGE_NAME = /image|img/i;
const MAGNITUDE_NAME = /mag/i;
const OUTPUT_NAME = /redshift|z_pred|^z$|^output/i;

export function formatIO(io: ModelIO): string {
  return `${io.name} [${io.shape.join(',')}] ${io.dtype}`;
}

function describe(inputs: ModelIO[], outputs: ModelIO[]): string {
  const list = (ios: ModelIO[]) => (ios.length ? ios.map(formatIO).join('; ') : '(none)');
  return `  inputs:  ${list(inputs)}\n  outputs: ${list(outputs)}\n  ${EXPECTED_INTERFACE}`;
}

type Fit = 'exact' | 'loose' | false;

/** Does `shape` have a batch axis followed by `rest`? Symbolic or unknown dims fit loosely. */
function fits(shape: (number | string)[], rest: number[]): Fit {
  if (shape.length === 0) return 'loose'; // no shape recorded in the graph
  if (shape.length !== rest.length + 1) return false;
  let fit: Fit = 'exact';
  for (let i = 0; i < rest.length; i++) {
    const d = shape[i + 1];
    if (typeof d === 'number') {
      if (d !== rest[i]) return false;
    } else fit = 'loose';
  }
  return fit;
}

/** Matching by shape first; ties (or only loose matches) are settled by name. */
function pick<T extends ModelIO>(ios: T[], fit: (io: T) => Fit, name: RegExp): { chosen?: T; why?: string } {
  const exact = ios.filter((io) => fit(io) === 'exact');
  if (exact.length === 1) return { chosen: exact[0] };
  const pool = exact.length > 1 ? exact : ios.filter((io) => fit(io) === 'loose');
  if (pool.length === 1 && exact.length === 0) return { chosen: pool[0] };
  const named = pool.filter((io) => name.test(io.name));
  if (named.length === 1) return { chosen: named[0] };
  if (pool.length === 0) return { why: 'no candidate with that shape' };
  return { why: `ambiguous between ${pool.map((io) => io.name).join(', ')}` };
}

/** Binds a model's inputs/outputs to image, magnitude and redshift, or throws a ModelError that lists them. */
export function bindModelIO(file: string, inputs: ModelIO[], outputs: ModelIO[]): ModelInfo['binding'] {
  const fail = (problem: string): never => {
    throw new ModelError(file, 'does-not-fit', `${file}: the model does not fit AstroMAE's interface: ${problem}.\n${describe(inputs, outputs)}`);
  };
  const image = pick(inputs, (io) => fits(io.shape, [5, 32, 32]), IMAGE_NAME);
  if (!image.chosen) fail(`no image input [B,5,32,32] (${image.why})`);
  const rest = inputs.filter((io) => io !== image.chosen);
  const magnitude = pick(rest, (io) => fits(io.shape, [5]), MAGNITUDE_NAME);
  if (!magnitude.chosen) fail(`no magnitude input [B,5] (${magnitude.why})`);
  const extra = rest.filter((io) => io !== magnitude.chosen);
  if (extra.length) fail(`it has inputs besides image and magnitude (${extra.map((io) => io.name).join(', ')})`);
  for (const io of [image.chosen!, magnitude.chosen!]) {
    if (io.dtype !== 'float32') fail(`input ${io.name} is ${io.dtype}, not float32`);
    if (typeof io.shape[0] === 'number' && io.shape[0] !== 0) {
      fail(`input ${io.name} has a fixed batch of ${io.shape[0]}; export it with a dynamic batch axis (torch.onnx.export dynamic_axes)`);
    }
  }
  const output = pick(
    outputs,
    (io) => (io.shape.length === 1 ? 'exact' : fits(io.shape, [1])),
    OUTPUT_NAME,
  );
  if (!output.chosen) fail(`no output [B,1] or [B] (${output.why})`);
  return { image: image.chosen!.name, magnitude: magnitude.chosen!.name, output: output.chosen!.name };
}

function ioList(model: ModelMsg, which: 'input' | 'output'): ModelIO[] {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return (graph[which] ?? [])
    .filter((v) => !initializers.has(v.name)) // IR < 4 listed weights among the inputs
    .map((v) => ({
      name: v.name,
      shape: valueInfoDims(v) ?? [],
      dtype: DTYPES[v.type?.tensorType?.elemType ?? 0] ?? 'unknown',
    }));
}

export function countParameters(model: ModelMsg): number {
  let total = 0;
  for (const t of model.graph?.initializer ?? []) {
    if (!FLOAT_TYPES.has(t.dataType ?? 0) || RUNNING_STAT.test(t.name ?? '')) continue;
    total += (t.dims ?? []).reduce((a, b) => a * Number(b), 1);
  }
  return total;
}

export function defaultOpset(model: ModelMsg): number {
  return model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0;
}

export async function readModel(file: string): Promise<ModelMsg> {
  let bytes: Buffer;
  try {
    if (!(await stat(file)).isFile()) throw new ModelError(file, 'not-found', `${file}: not a file`);
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw new ModelError(file, 'not-found', `${file}: cannot read the model file (${(err as Error).message})`);
  }
  const notOnnx = (why: string) =>
    new ModelError(file, 'not-onnx', `${file}: not an ONNX model (${why}). Export one with tools/export_onnx.py or torch.onnx.export.`);
  let model: ModelMsg;
  try {
    model = decodeModel(bytes);
  } catch (err) {
    throw notOnnx(`it does not parse as an ONNX protobuf: ${(err as Error).message}`);
  }
  if (!model.graph || !model.graph.node?.length || !model.opsetImport?.length || !model.irVersion) {
    throw notOnnx('no graph, nodes, opset or IR version');
  }
  return model;
}

export async function inspectModel(file: string): Promise<ModelInfo> {
  const model = await readModel(file);
  const inputs = ioList(model, 'input');
  const outputs = ioList(model, 'output');
  const binding = bindModelIO(file, inputs, outputs);
  const opset = defaultOpset(model);
  const label = model.metadataProps?.find((p) => p.key === 'cosmicai.weights')?.value ?? null;
  return {
    path: file,
    inputs,
    outputs,
    parameters: countParameters(model),
    flopsPerSample: countFlops(model.graph!, opset)?.flops ?? null,
    opset,
    reference: label !== null,
    label,
    binding,
  };
}
