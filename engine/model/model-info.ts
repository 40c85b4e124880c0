import { stat } from 'node:fs/promises';
import { countFlops } from './flops.ts';
import { valueInfoDims } from './graph-shapes.ts';
import { readRegularFile } from '../regular-file.ts';
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
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
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
    throw new ModelError(
      file,
      'does-not-fit',
      `${file}: the model does not fit AstroMAE's interface: ${problem}.\n${describe(inputs, outputs)}`,
    );
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
      fail(
        `input ${io.name} has a fixed batch of ${io.shape[0]}; export it with a dynamic batch axis (torch.onnx.export dynamic_axes)`,
      );
    }
  }
  const output = pick(outputs, (io) => (io.shape.length === 1 ? 'exact' : fits(io.shape, [1])), OUTPUT_NAME);
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

/** Largest model file read into memory; ONNX protobufs are capped at 2 GB anyway (bigger ones use external data). */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

async function readModelBytes(file: string): Promise<Uint8Array> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new ModelError(file, 'not-found', `${file}: not a file`);
    if (info.size > MAX_MODEL_BYTES)
      throw new ModelError(file, 'not-onnx', `${file}: ${info.size} bytes is larger than any ONNX protobuf (2 GB)`);
    return await readRegularFile(file); // never blocks on a FIFO swapped in after the stat
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw new ModelError(file, 'not-found', `${file}: cannot read the model file (${(err as Error).message})`);
  }
}

/**
 * Decodes and checks a model's bytes. protobufjs checks every declared length against the bytes left before it
 * allocates, so a hostile length or truncation ends here as `not-onnx`; the checks below make sure the fields
 * later stages read have the types they expect (a flipped bit can turn a message into a string).
 */
export function parseModel(bytes: Uint8Array, file: string): ModelMsg {
  const notOnnx = (why: string) =>
    new ModelError(
      file,
      'not-onnx',
      `${file}: not an ONNX model (${why}). Export one with tools/export_onnx.py or torch.onnx.export.`,
    );
  let model: ModelMsg;
  try {
    model = decodeModel(bytes);
  } catch (err) {
    throw notOnnx(`it does not parse as an ONNX protobuf: ${(err as Error).message}`);
  }
  if (!model.graph || !model.graph.node?.length || !model.opsetImport?.length || !model.irVersion) {
    throw notOnnx('no graph, nodes, opset or IR version');
  }
  const problem = structureProblem(model);
  if (problem) throw notOnnx(problem);
  return model;
}

const isName = (v: unknown) => v === undefined || typeof v === 'string';
const isCount = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v));

/** The first field whose value a reader would trip on (non-finite or unsafe int64 dims, missing names). */
function structureProblem(model: ModelMsg): string | null {
  const graph = model.graph!;
  if (!isCount(model.irVersion) || model.irVersion! <= 0)
    return `IR version ${model.irVersion} is not a positive integer`;
  for (const o of model.opsetImport ?? [])
    if (!isCount(o.version)) return `opset version ${o.version} is not an integer`;
  for (const t of graph.initializer ?? []) {
    if (!isName(t.name)) return 'an initializer has no usable name';
    for (const d of t.dims ?? [])
      if (!isCount(d) || d < 0) return `initializer ${t.name ?? '?'} declares dimension ${d}`;
  }
  for (const v of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    if (typeof v.name !== 'string' || v.name === '') return 'a graph input or output has no name';
    for (const d of v.type?.tensorType?.shape?.dim ?? [])
      if (!isCount(d.dimValue)) return `${v.name} declares dimension ${d.dimValue}`;
  }
  for (const n of graph.node ?? [])
    if (typeof n.opType !== 'string' || n.opType === '') return `node ${n.name ?? '?'} has no operator type`;
  return null;
}

export async function inspectModel(file: string): Promise<ModelInfo> {
  return inspectModelBytes(await readModelBytes(file), file);
}

/** inspectModel on bytes already in memory (`file` names them in errors): a ModelInfo or a ModelError, nothing else. */
export function inspectModelBytes(bytes: Uint8Array, file: string): ModelInfo {
  const model = parseModel(bytes, file);
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
    flopsPerSample: flopsOrNull(model, opset),
    opset,
    reference: label !== null,
    label,
    binding,
  };
}

/** FLOPs are best-effort: a graph the shape inference cannot follow (or trips over) just has no FLOP count. */
function flopsOrNull(model: ModelMsg, opset: number): number | null {
  try {
    const flops = countFlops(model.graph!, opset)?.flops ?? null;
    return flops !== null && Number.isFinite(flops) ? flops : null;
  } catch {
    return null;
  }
}
