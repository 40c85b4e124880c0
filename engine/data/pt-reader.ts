import fs from 'node:fs';
import { NotRegularFileError, openRegularFile, openRegularFileSync } from '../regular-file.ts';
import { type ByteSource, fileSource, memorySource } from './byte-source.ts';
import { formatBytes, memoryBudgetBytes } from './memory-budget.ts';
import {
  PickleError,
  PyDict,
  PyGlobal,
  PyList,
  PyObject,
  PyOpaque,
  PyTuple,
  type PyValue,
  Unpickler,
} from './pickle.ts';
import { PtFormatError } from './pt-errors.ts';
import {
  type GalaxyPartition,
  IMAGE_SHAPE,
  MAGNITUDES_PER_SAMPLE,
  type SourceDtype,
  type TensorName,
} from './types.ts';
import { entryDataOffset, isZip, readCentralDirectory, readEntry, type ZipEntry } from './zip-reader.ts';

/**
 * Reads the study's TensorDataset partitions (zip format of torch >= 1.6 and the legacy pickle stream) without
 * Python. Float32 tensors come back as views into the file's bytes when aligned, so a parse costs at most the
 * one copy that reading the file into memory already made.
 */

/** What a partition holds, known from its pickle and record sizes alone (no tensor data is read). */
export interface PartitionHeader {
  path: string;
  format: 'zip' | 'legacy';
  /** File size in bytes. */
  bytes: number;
  samples: number;
  /** false when the TensorDataset holds only images and magnitudes. */
  labelled: boolean;
  /** dtype stored in the file for images, magnitudes and (when labelled) redshifts. */
  dtypes: SourceDtype[];
}

export interface StorageRef {
  dtype: SourceDtype;
  key: string;
  numel: number;
}

export interface TensorSpec {
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

/** Where a storage's raw little-endian bytes live in the file. */
export type StorageLocation = { kind: 'zip'; entry: ZipEntry } | { kind: 'block'; offset: number; byteLength: number };

/** A partition's structure: what its tensors are and where their bytes lie (for pt-stream.ts). */
export interface Layout {
  header: PartitionHeader;
  specs: TensorSpec[];
  storages: Map<string, StorageLocation>;
}

const TENSOR_NAMES: TensorName[] = ['images', 'magnitudes', 'redshifts'];
const STORAGE_DTYPES: Record<string, SourceDtype> = {
  'torch.FloatStorage': 'float32',
  'torch.DoubleStorage': 'float64',
  'torch.HalfStorage': 'float16',
};
const ELEMENT_SIZE: Record<SourceDtype, number> = { float32: 4, float64: 8, float16: 2 };
const ALLOWED_GLOBALS = new Set([
  'torch.utils.data.dataset.TensorDataset',
  'torch._utils._rebuild_tensor_v2',
  'collections.OrderedDict',
  ...Object.keys(STORAGE_DTYPES),
]);
const LEGACY_MAGIC = 119547037146038801333356n;
const LEGACY_PROTOCOL = 1001;
const MAX_RANK = 8;

const shapeText = (s: number[]) => `[${s.join(',')}]`;

function isInt(v: PyValue): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function intTuple(v: PyValue, file: string, what: string, signed = false): number[] {
  const ok = (x: PyValue) => (signed ? typeof x === 'number' && Number.isSafeInteger(x) : isInt(x));
  if (!(v instanceof PyTuple) || !v.items.every(ok))
    throw new PtFormatError(file, 'bad-structure', `${what} is not a tuple of non-negative integers`);
  if (v.items.length > MAX_RANK)
    throw new PtFormatError(file, 'bad-shape', `${what} has rank ${v.items.length}; at most ${MAX_RANK} is supported`);
  return v.items as number[];
}

/** Unpickles the TensorDataset object graph; storages and tensors become descriptions, never live objects. */
function unpickleDataset(bytes: Uint8Array, start: number, file: string): { specs: TensorSpec[]; end: number } {
  const persistentLoad = (pid: PyValue): PyValue => {
    // zip: ('storage', cls, key, location, numel); legacy adds view_metadata (None unless the storage is a view).
    if (!(pid instanceof PyTuple) || (pid.items.length !== 5 && pid.items.length !== 6) || pid.items[0] !== 'storage') {
      throw new PtFormatError(file, 'bad-structure', 'pickle has a persistent id that is not a storage reference');
    }
    const [, cls, key, , numel, view] = pid.items;
    if (!(cls instanceof PyGlobal) || !(cls.qualified in STORAGE_DTYPES)) {
      throw new PtFormatError(
        file,
        'unsupported',
        `storage type ${cls instanceof PyGlobal ? cls.qualified : typeof cls} is not supported; expected FloatStorage, DoubleStorage or HalfStorage`,
      );
    }
    if (typeof key !== 'string' || !isInt(numel))
      throw new PtFormatError(file, 'bad-structure', 'storage reference has a malformed key or element count');
    if (view !== undefined && view !== null)
      throw new PtFormatError(
        file,
        'unsupported',
        `storage '${key}' is a view of another storage (legacy view metadata), which is not supported`,
      );
    return new PyOpaque<StorageRef>({ dtype: STORAGE_DTYPES[cls.qualified], key, numel });
  };
  const reduce = (callable: PyValue, args: PyTuple): PyValue => {
    if (!(callable instanceof PyGlobal))
      throw new PtFormatError(file, 'bad-structure', 'pickle calls something that is not a global');
    if (callable.qualified === 'collections.OrderedDict') {
      const d = new PyDict(true);
      const init = args.items[0];
      if (args.items.length > 1 || (init !== undefined && !(init instanceof PyList)))
        throw new PtFormatError(file, 'bad-structure', 'OrderedDict is built from unexpected arguments');
      for (const pair of init?.items ?? []) {
        if (!(pair instanceof PyTuple) || pair.items.length !== 2)
          throw new PtFormatError(file, 'bad-structure', 'OrderedDict is built from unexpected arguments');
        const k = pair.items[0];
        if (!(k === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof k)))
          throw new PtFormatError(file, 'unsupported', 'OrderedDict has an unsupported key type');
        d.map.set(k as string, pair.items[1]);
      }
      return d;
    }
    if (callable.qualified === 'torch._utils._rebuild_tensor_v2') {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (args.items.length < 6 || args.items.length > 7)
        throw new PtFormatError(file, 'bad-structure', `_rebuild_tensor_v2 called with ${args.items.length} arguments`);
      const [storage, offset, size, stride] = args.items;
      if (!(storage instanceof PyOpaque) || !isInt(offset))
        throw new PtFormatError(file, 'bad-structure', '_rebuild_tensor_v2 called without a storage and offset');
      const spec: TensorSpec = {
        storage: storage.value as StorageRef,
        offset,
        size: intTuple(size, file, 'tensor size'),
        stride: intTuple(stride, file, 'tensor stride', true),
      };
      if (spec.size.length !== spec.stride.length)
        throw new PtFormatError(
          file,
          'bad-structure',
          `tensor size ${shapeText(spec.size)} and stride ${shapeText(spec.stride)} differ in rank`,
        );
      return new PyOpaque<TensorSpec>(spec);
    }
    throw new PtFormatError(
      file,
      'bad-structure',
      `pickle calls ${callable.qualified}, which only makes sense as a class`,
    );
  };
  const newObject = (cls: PyValue, args: PyTuple): PyValue => {
    if (
      cls instanceof PyGlobal &&
      cls.qualified === 'torch.utils.data.dataset.TensorDataset' &&
      args.items.length === 0
    )
      return new PyObject(cls);
    if (cls instanceof PyGlobal && cls.qualified === 'collections.OrderedDict' && args.items.length === 0)
      return new PyDict(true);
    throw new PtFormatError(
      file,
      'bad-structure',
      `pickle instantiates ${cls instanceof PyGlobal ? cls.qualified : 'a non-class'} in an unsupported way`,
    );
  };
  const u = new Unpickler(bytes, start, { allowedGlobals: ALLOWED_GLOBALS, persistentLoad, reduce, newObject });
  const root = u.load();
  return { specs: datasetTensors(root, file), end: u.offset };
}

function describe(v: PyValue): string {
  if (v instanceof PyDict) return v.ordered ? 'an OrderedDict (a model state_dict?)' : 'a dict';
  if (v instanceof PyObject) return `an instance of ${v.cls.qualified}`;
  if (v instanceof PyList) return 'a list';
  if (v instanceof PyTuple) return 'a tuple';
  if (v instanceof PyOpaque) return 'a single tensor';
  return v === null ? 'None' : typeof v;
}

function datasetTensors(root: PyValue, file: string): TensorSpec[] {
  if (!(root instanceof PyObject))
    throw new PtFormatError(
      file,
      'bad-structure',
      `the file holds ${describe(root)}, not a torch.utils.data.TensorDataset`,
    );
  const state = root.state instanceof PyTuple ? root.state.items[0] : root.state;
  const tensors = state instanceof PyDict ? state.map.get('tensors') : undefined;
  if (!(tensors instanceof PyTuple))
    throw new PtFormatError(file, 'bad-structure', 'the TensorDataset has no tensors tuple');
  if (tensors.items.length !== 2 && tensors.items.length !== 3) {
    throw new PtFormatError(
      file,
      'bad-structure',
      `the TensorDataset holds ${tensors.items.length} tensors; expected 3 (images, magnitudes, redshifts) or 2 (images, magnitudes)`,
    );
  }
  return tensors.items.map((t, i) => {
    if (!(t instanceof PyOpaque) || !('stride' in (t.value as object)))
      throw new PtFormatError(
        file,
        'bad-structure',
        `TensorDataset entry ${i} (${TENSOR_NAMES[i]}) is ${describe(t)}, not a tensor`,
      );
    return t.value as TensorSpec;
  });
}

function pickleFailure(err: unknown, file: string, what: string): never {
  if (err instanceof PtFormatError) throw err;
  if (err instanceof PickleError) {
    if (err.kind === 'forbidden-global')
      throw new PtFormatError(file, 'forbidden-global', `${what}: ${err.message}; refusing to load it`);
    if (err.kind === 'unsupported') throw new PtFormatError(file, 'unsupported', `${what}: ${err.message}`);
    throw new PtFormatError(file, 'pickle-corrupt', `${what} is corrupt: ${err.message}`);
  }
  throw err;
}

/** Checks ranks, shapes, sample counts and that every tensor fits inside its declared storage. */
function validate(specs: TensorSpec[], file: string): { samples: number; labelled: boolean } {
  const expected: number[][] = [[...IMAGE_SHAPE], [MAGNITUDES_PER_SAMPLE], []];
  specs.forEach((s, i) => {
    const name = TENSOR_NAMES[i];
    const want = expected[i];
    if (s.size.length !== want.length + 1 || want.some((d, k) => s.size[k + 1] !== d)) {
      throw new PtFormatError(
        file,
        'bad-shape',
        `${name} has shape ${shapeText(s.size)} (rank ${s.size.length}); expected [N${want.map((d) => `,${d}`).join('')}]`,
      );
    }
  });
  const samples = specs[0].size[0];
  specs.forEach((s, i) => {
    if (s.size[0] !== samples)
      throw new PtFormatError(
        file,
        'length-mismatch',
        `images has ${samples} samples but ${TENSOR_NAMES[i]} has ${s.size[0]}`,
      );
  });
  if (samples === 0) throw new PtFormatError(file, 'empty', 'the dataset holds 0 samples');
  specs.forEach((s, i) => {
    const what = `${TENSOR_NAMES[i]} ${shapeText(s.size)} (stride ${shapeText(s.stride)})`;
    // A zero stride repeats one slice N times (x.expand: a 21 KB file that is 4 GB in memory); a negative one
    // walks backwards out of the storage. torch.save never writes either for a tensor made by indexing real data.
    const k0 = s.stride.findIndex((st, k) => s.size[k] > 1 && st <= 0);
    if (k0 >= 0) {
      throw new PtFormatError(
        file,
        'bad-stride',
        `${what} has ${s.stride[k0] === 0 ? 'a zero' : 'a negative'} stride on dimension ${k0}; save contiguous tensors (x.contiguous()) instead`,
      );
    }
    if (!Number.isSafeInteger(numelOf(s)) || numelOf(s) * 4 > Number.MAX_SAFE_INTEGER) {
      throw new PtFormatError(file, 'too-large', `${what} declares more elements than can be counted exactly`);
    }
    let last = s.offset;
    for (let k = 0; k < s.size.length; k++) last += (s.size[k] - 1) * Math.max(0, s.stride[k]);
    if (!Number.isSafeInteger(last) || last >= s.storage.numel) {
      throw new PtFormatError(
        file,
        'size-exceeds-file',
        `${TENSOR_NAMES[i]} ${shapeText(s.size)} (offset ${s.offset}, stride ${shapeText(s.stride)}) reaches element ${last} of storage '${s.storage.key}', which declares only ${s.storage.numel} elements`,
      );
    }
  });
  return { samples, labelled: specs.length === 3 };
}

function numelOf(s: TensorSpec): number {
  return s.size.reduce((a, b) => a * b, 1);
}

/**
 * Bytes a parse of a file held in memory allocates beyond the file's own bytes, from the shapes alone: inflated
 * records, aligned copies of storages and every tensor that is not a float32 contiguous view (gathered or converted).
 */
export function inMemoryCost(layout: Layout): number {
  let bytes = 0;
  for (const [key, loc] of layout.storages) {
    const ref = layout.specs.find((s) => s.storage.key === key)!.storage;
    const raw = ref.numel * ELEMENT_SIZE[ref.dtype];
    if (loc.kind === 'zip' && loc.entry.method !== 0) bytes += loc.entry.size;
    bytes += raw; // the worst case: the record is misaligned and copied once
  }
  for (const s of layout.specs) if (!(s.storage.dtype === 'float32' && isContiguous(s))) bytes += numelOf(s) * 4;
  return bytes;
}

/** Whether pt-stream.ts reads this file batch by batch (zip, stored, float32, contiguous) instead of whole. */
export function streamable(layout: Layout): boolean {
  if (layout.header.format !== 'zip') return false;
  return layout.specs.every((s) => {
    const loc = layout.storages.get(s.storage.key);
    return s.storage.dtype === 'float32' && isContiguous(s) && loc?.kind === 'zip' && loc.entry.method === 0;
  });
}

function checkBudget(layout: Layout, file: string, fileBytes: number, budget: number): void {
  const need = fileBytes + inMemoryCost(layout);
  if (need > budget) {
    throw new PtFormatError(
      file,
      'too-large',
      `reading this ${formatBytes(layout.header.bytes)} file (${layout.header.samples} samples) needs ${formatBytes(need)} of memory (${need} bytes), more than the ${formatBytes(budget)} budget; store the tensors contiguous as float32 (so it streams), split it with \`cosmicai partition\`, or raise COSMICAI_MEMORY_BUDGET_MB`,
    );
  }
}

function storagesOf(specs: TensorSpec[], file: string): Map<string, StorageRef> {
  const byKey = new Map<string, StorageRef>();
  for (const s of specs) {
    const prev = byKey.get(s.storage.key);
    if (prev && (prev.dtype !== s.storage.dtype || prev.numel !== s.storage.numel)) {
      throw new PtFormatError(
        file,
        'bad-structure',
        `storage '${s.storage.key}' is declared twice with different types or sizes`,
      );
    }
    byKey.set(s.storage.key, s.storage);
  }
  return byKey;
}

function zipLayout(src: ByteSource, file: string): Layout {
  const entries = readCentralDirectory(src, file);
  if (!entries.length)
    throw new PtFormatError(file, 'missing-record', 'the zip archive is empty; it holds no data.pkl');
  // torch takes the archive's folder from the first record, whatever the file is called now.
  const prefix = entries[0].name.includes('/') ? entries[0].name.slice(0, entries[0].name.indexOf('/') + 1) : '';
  const byName = new Map(entries.map((e) => [e.name, e]));
  const pkl = byName.get(`${prefix}data.pkl`);
  if (!pkl)
    throw new PtFormatError(
      file,
      'missing-record',
      `the zip archive has no '${prefix}data.pkl' record; it is not a torch.save file`,
    );
  const pickle = readEntry(src, pkl, file);
  let specs: TensorSpec[];
  try {
    specs = unpickleDataset(pickle, 0, file).specs;
  } catch (err) {
    pickleFailure(err, file, 'data.pkl');
  }
  const { samples, labelled } = validate(specs, file);
  const storages = new Map<string, StorageLocation>();
  for (const [key, ref] of storagesOf(specs, file)) {
    const entry = byName.get(`${prefix}data/${key}`);
    if (!entry)
      throw new PtFormatError(
        file,
        'missing-record',
        `the zip archive has no record '${prefix}data/${key}' for storage '${key}'`,
      );
    const need = ref.numel * ELEMENT_SIZE[ref.dtype];
    if (!Number.isSafeInteger(need) || need > entry.size) {
      throw new PtFormatError(
        file,
        'size-exceeds-file',
        `storage '${key}' declares ${ref.numel} ${ref.dtype} elements (${need} bytes) but its record holds only ${entry.size} bytes`,
      );
    }
    entryDataOffset(src, entry, file);
    storages.set(key, { kind: 'zip', entry });
  }
  return {
    header: {
      path: file,
      format: 'zip',
      bytes: src.size,
      samples,
      labelled,
      dtypes: specs.map((s) => s.storage.dtype),
    },
    specs,
    storages,
  };
}

function legacyLayout(src: ByteSource, file: string): Layout {
  // The five pickles sit at the start of the file; read a prefix and widen it only if they run past it.
  let n = Math.min(src.size, 1 << 16);
  for (;;) {
    const bytes = src.read(0, n);
    try {
      return legacyFromPrefix(src, bytes, file);
    } catch (err) {
      if (err instanceof PickleError && err.kind === 'truncated' && n < src.size) {
        n = Math.min(src.size, n * 8);
        continue;
      }
      pickleFailure(err, file, 'the legacy pickle stream');
    }
  }
}

function legacyFromPrefix(src: ByteSource, bytes: Uint8Array, file: string): Layout {
  const plain = { allowedGlobals: new Set<string>() };
  const u = new Unpickler(bytes, 0, plain);
  const magic = u.load();
  if (magic !== LEGACY_MAGIC)
    throw new PtFormatError(
      file,
      'not-pt',
      'not a PyTorch file: it is neither a zip archive nor a legacy torch.save stream (magic number missing)',
    );
  const protocol = u.load();
  if (protocol !== LEGACY_PROTOCOL)
    throw new PtFormatError(
      file,
      'unsupported',
      `legacy torch.save protocol ${String(protocol)} is not supported (expected ${LEGACY_PROTOCOL})`,
    );
  const sysInfo = u.load();
  if (!(sysInfo instanceof PyDict) || sysInfo.map.get('little_endian') !== true) {
    throw new PtFormatError(
      file,
      'unsupported',
      'the file was written on a big-endian machine, which is not supported',
    );
  }
  const { specs, end } = unpickleDataset(bytes, u.offset, file);
  const keysReader = new Unpickler(bytes, end, plain);
  const keyList = keysReader.load();
  if (!(keyList instanceof PyList) || !keyList.items.every((k) => typeof k === 'string'))
    throw new PtFormatError(file, 'bad-structure', 'the legacy storage key list is malformed');
  const { samples, labelled } = validate(specs, file);
  const refs = storagesOf(specs, file);
  const storages = new Map<string, StorageLocation>();
  let pos = keysReader.offset;
  for (const key of keyList.items as string[]) {
    const ref = refs.get(key);
    if (!ref)
      throw new PtFormatError(
        file,
        'bad-structure',
        `the legacy key list names storage '${key}', which no tensor uses`,
      );
    if (storages.has(key))
      throw new PtFormatError(file, 'bad-structure', `the legacy key list names storage '${key}' twice`);
    if (pos + 8 > src.size)
      throw new PtFormatError(
        file,
        'size-exceeds-file',
        `the file ends before the data of storage '${key}'; it is truncated`,
      );
    const head = src.read(pos, 8);
    const count = new DataView(head.buffer, head.byteOffset, 8).getBigInt64(0, true);
    if (count !== BigInt(ref.numel)) {
      throw new PtFormatError(
        file,
        'bad-structure',
        `storage '${key}' declares ${ref.numel} elements in the pickle but ${count} in its data block`,
      );
    }
    const byteLength = ref.numel * ELEMENT_SIZE[ref.dtype];
    if (!Number.isSafeInteger(byteLength) || pos + 8 + byteLength > src.size) {
      throw new PtFormatError(
        file,
        'size-exceeds-file',
        `storage '${key}' declares ${ref.numel} ${ref.dtype} elements (${byteLength} bytes) but only ${src.size - pos - 8} bytes remain in the file`,
      );
    }
    storages.set(key, { kind: 'block', offset: pos + 8, byteLength });
    pos += 8 + byteLength;
  }
  for (const key of refs.keys())
    if (!storages.has(key))
      throw new PtFormatError(file, 'missing-record', `the file holds no data for storage '${key}'`);
  return {
    header: {
      path: file,
      format: 'legacy',
      bytes: src.size,
      samples,
      labelled,
      dtypes: specs.map((s) => s.storage.dtype),
    },
    specs,
    storages,
  };
}

export function readLayout(src: ByteSource, file: string): Layout {
  if (src.size === 0) throw new PtFormatError(file, 'not-pt', 'the file is empty');
  const head = src.read(0, Math.min(src.size, 8));
  if (isZip(head)) return zipLayout(src, file);
  if (head[0] === 0x80) return legacyLayout(src, file);
  if (src.size > 262 && new TextDecoder().decode(src.read(257, 5)) === 'ustar') {
    throw new PtFormatError(
      file,
      'unsupported',
      'this is the tar-based torch.save format of PyTorch < 0.4, which is not supported; re-save it with a current torch',
    );
  }
  const hex = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new PtFormatError(
    file,
    'not-pt',
    `not a PyTorch .pt file (wrong magic bytes ${hex}; expected a zip archive or a legacy torch.save stream)`,
  );
}

let halfTable: Float32Array | null = null;
function halfToFloat(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return (halfTable = t);
}

type StorageArray = Float32Array | Float64Array | Uint16Array;

/** A typed array over the whole storage: a view when the bytes are aligned, otherwise one aligned copy. */
function storageArray(raw: Uint8Array, ref: StorageRef): StorageArray {
  const size = ELEMENT_SIZE[ref.dtype];
  let buffer: ArrayBufferLike = raw.buffer;
  let offset = raw.byteOffset;
  if (offset % size !== 0) {
    const copy = new Uint8Array(ref.numel * size);
    copy.set(raw.subarray(0, ref.numel * size));
    buffer = copy.buffer;
    offset = 0;
  }
  if (ref.dtype === 'float32') return new Float32Array(buffer, offset, ref.numel);
  if (ref.dtype === 'float64') return new Float64Array(buffer, offset, ref.numel);
  return new Uint16Array(buffer, offset, ref.numel);
}

export function isContiguous(s: TensorSpec): boolean {
  let expected = 1;
  for (let k = s.size.length - 1; k >= 0; k--) {
    if (s.size[k] !== 1 && s.stride[k] !== expected) return false;
    expected *= s.size[k];
  }
  return true;
}

function materialize(store: StorageArray, s: TensorSpec, dtype: SourceDtype): Float32Array {
  const numel = numelOf(s);
  if (isContiguous(s)) {
    const part = store.subarray(s.offset, s.offset + numel);
    if (dtype === 'float32') return part as Float32Array;
    if (dtype === 'float64') return new Float32Array(part as Float64Array);
    const t = halfToFloat();
    const out = new Float32Array(numel);
    for (let i = 0; i < numel; i++) out[i] = t[(part as Uint16Array)[i]];
    return out;
  }
  // Strided tensors are gathered into C order; validate() has already bounded every index.
  const out = new Float32Array(numel);
  const t = dtype === 'float16' ? halfToFloat() : null;
  const rank = s.size.length;
  const idx = new Array<number>(rank).fill(0);
  let at = s.offset;
  for (let i = 0; i < numel; i++) {
    out[i] = t ? t[store[at]] : store[at];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < s.size[k]) {
        at += s.stride[k];
        break;
      }
      at -= (s.size[k] - 1) * s.stride[k];
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * Parses a whole partition held in memory. Float32 tensors are views into `bytes` when aligned. What the parse
 * would allocate is computed from the shapes first and refused ('too-large') past `budget` bytes.
 */
export function parseGalaxyPartition(bytes: Uint8Array, path: string, budget = memoryBudgetBytes()): GalaxyPartition {
  const src = memorySource(bytes);
  const layout = readLayout(src, path);
  checkBudget(layout, path, 0, budget);
  const { header, specs, storages } = layout;
  const arrays = new Map<string, StorageArray>();
  const tensors = specs.map((s) => {
    let store = arrays.get(s.storage.key);
    if (!store) {
      const loc = storages.get(s.storage.key)!;
      const raw = loc.kind === 'zip' ? readEntry(src, loc.entry, path) : src.read(loc.offset, loc.byteLength);
      store = storageArray(raw, s.storage);
      arrays.set(s.storage.key, store);
    }
    return materialize(store, s, s.storage.dtype);
  });
  return {
    path,
    samples: header.samples,
    images: tensors[0],
    magnitudes: tensors[1],
    redshifts: header.labelled ? tensors[2] : null,
  };
}

/** Header-level validation of a partition held in memory (what readPartitionHeader does for a file). */
export function parsePartitionHeader(bytes: Uint8Array, path: string): PartitionHeader {
  return readLayout(memorySource(bytes), path).header;
}

/**
 * The whole file in one exactly-sized, 8-byte-aligned buffer, read in large chunks (fs.readFile reads big files
 * in small pieces and is several times slower).
 */
async function readWholeFile(path: string, budget: number): Promise<Buffer> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    let size: number;
    ({ handle, size } = await openRegularFile(path));
    // The file's bytes plus what parsing them allocates, from the shapes, before the file is read.
    checkBudget(readLayout(fileSource(handle.fd, size), path), path, size, budget);
    const buf = Buffer.allocUnsafeSlow(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(buf, done, Math.min(size - done, 64 << 20), done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? buf : buf.subarray(0, done);
  } catch (err) {
    if (err instanceof PtFormatError) throw err;
    if (err instanceof NotRegularFileError) throw notAFile(path, err);
    throw new PtFormatError(path, 'io', `cannot read the file: ${(err as Error).message}`, { cause: err });
  } finally {
    await handle?.close();
  }
}

/** Reads and validates a partition file; throws PtFormatError naming the file and the problem. */
export async function readGalaxyPartition(path: string, budget = memoryBudgetBytes()): Promise<GalaxyPartition> {
  const bytes = await readWholeFile(path, budget);
  return parseGalaxyPartition(bytes, path, budget - bytes.length);
}

/** A folder stays 'io' (as it always was); a FIFO, socket or device is 'not-a-file'. */
function notAFile(path: string, err: NotRegularFileError): PtFormatError {
  return new PtFormatError(path, err.kind === 'folder' ? 'io' : 'not-a-file', `this is a ${err.kind}, not a .pt file`, {
    cause: err,
  });
}

/** Opens a partition file without blocking on FIFOs or devices; PtFormatError 'not-a-file' or 'io' otherwise. */
export function openPartitionFile(path: string): { fd: number; size: number } {
  try {
    return openRegularFileSync(path);
  } catch (err) {
    if (err instanceof NotRegularFileError) throw notAFile(path, err);
    throw new PtFormatError(path, 'io', `cannot open the file: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads only the pickle and record headers of a partition: sample count, labels, dtypes, sizes checked. */
export async function readPartitionHeader(path: string, budget = memoryBudgetBytes()): Promise<PartitionHeader> {
  const { fd, size } = openPartitionFile(path);
  try {
    const layout = readLayout(fileSource(fd, size), path);
    // A file that cannot stream is read whole: refuse it now, not halfway through a run.
    if (!streamable(layout)) checkBudget(layout, path, size, budget);
    return layout.header;
  } catch (err) {
    if (err instanceof PtFormatError) throw err;
    // A read failing or coming up short after fstat: the file is unreadable or changing under us.
    throw new PtFormatError(path, 'io', `cannot read the file: ${(err as Error).message}`, { cause: err });
  } finally {
    fs.closeSync(fd);
  }
}
