import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PtFormatError } from './pt-errors.ts';
import { IMAGE_SHAPE, IMAGE_VALUES_PER_SAMPLE, MAGNITUDES_PER_SAMPLE } from './types.ts';
import { torchZipChunks } from './zip-writer.ts';

/**
 * Writes a partition exactly as `torch.save(TensorDataset(images, magnitudes, redshifts), path)` does in torch
 * 1.13: same pickle opcodes and memo numbering, same zip layout. For the same values and file name the bytes
 * are identical to PyTorch's, which the tests check against the fixtures.
 */

export interface PartitionData {
  images: Float32Array;
  magnitudes: Float32Array;
  redshifts: Float32Array | null;
  samples: number;
}

/** The archive folder torch uses: the file name without directory and extension. */
export function archiveStem(file: string): string {
  const base = path.basename(file);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Emits the protocol-2 opcodes CPython's pickler produces for a TensorDataset of contiguous float tensors. */
class DatasetPickler {
  private readonly bytes: number[] = [];
  private readonly memo = new Map<string, number>();
  private next = 0;

  private op(...b: number[]): void {
    for (const x of b) this.bytes.push(x);
  }

  private put(): void {
    const i = this.next++;
    if (i < 256)
      this.op(0x71, i); // BINPUT
    else this.op(0x72, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, i >>> 24); // LONG_BINPUT
  }

  /** Reuses a memoized object (BINGET) or writes it and memoizes it. */
  private memoized(id: string, write: () => void): void {
    const i = this.memo.get(id);
    if (i !== undefined) {
      if (i < 256) this.op(0x68, i);
      else this.op(0x6a, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, i >>> 24);
      return;
    }
    write();
    this.memo.set(id, this.next);
    this.put();
  }

  private global(module: string, name: string): void {
    this.memoized(`g:${module}.${name}`, () => this.op(0x63, ...Buffer.from(`${module}\n${name}\n`, 'utf8')));
  }

  /** A fresh string object (memoized once, never shared). */
  private str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
    this.put();
  }

  /** A string CPython shares between uses (interned identifiers and constants). */
  private sharedStr(s: string): void {
    this.memoized(`s:${s}`, () => {
      const b = Buffer.from(s, 'utf8');
      this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
    });
  }

  private int(v: number): void {
    if (v >= 0 && v <= 0xff) this.op(0x4b, v);
    else if (v >= 0 && v <= 0xffff) this.op(0x4d, v & 0xff, v >> 8);
    else if (v >= -(2 ** 31) && v < 2 ** 31)
      this.op(0x4a, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
    else {
      // LONG1, two's complement little-endian with CPython's length rule: bit_length // 8 + 1 bytes.
      let x = BigInt(v);
      const n = (x.toString(2).length >> 3) + 1;
      const out: number[] = [];
      for (let i = 0; i < n; i++, x >>= 8n) out.push(Number(x & 0xffn));
      this.op(0x8a, n, ...out);
    }
  }

  /** Tuples of up to 3 items use TUPLE1..3, longer ones MARK ... TUPLE; every non-empty tuple is memoized. */
  private tuple(items: Array<() => void>): void {
    if (items.length === 0) {
      this.op(0x29);
      return;
    }
    if (items.length > 3) this.op(0x28);
    for (const write of items) write();
    this.op(items.length > 3 ? 0x74 : 0x84 + items.length);
    this.put();
  }

  private tensor(key: string, shape: number[]): void {
    const numel = shape.reduce((a, b) => a * b, 1);
    const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    this.global('torch._utils', '_rebuild_tensor_v2');
    // The argument tuple has 6 items: MARK ... TUPLE.
    this.op(0x28);
    this.tuple([
      () => this.sharedStr('storage'),
      () => this.global('torch', 'FloatStorage'),
      () => this.str(key),
      () => this.sharedStr('cpu'),
      () => this.int(numel),
    ]);
    this.op(0x51); // BINPERSID
    this.int(0);
    this.tuple(shape.map((d) => () => this.int(d)));
    this.tuple(stride.map((d) => () => this.int(d)));
    this.op(0x89); // NEWFALSE: requires_grad
    this.global('collections', 'OrderedDict');
    this.op(0x29, 0x52); // EMPTY_TUPLE REDUCE: OrderedDict()
    this.put();
    this.op(0x74); // TUPLE
    this.put();
    this.op(0x52); // REDUCE
    this.put();
  }

  dataset(shapes: number[][]): Uint8Array {
    this.op(0x80, 2); // PROTO 2
    this.global('torch.utils.data.dataset', 'TensorDataset');
    this.op(0x29, 0x81); // EMPTY_TUPLE NEWOBJ
    this.put();
    this.op(0x7d); // EMPTY_DICT (the instance __dict__)
    this.put();
    this.sharedStr('tensors');
    this.tuple(shapes.map((shape, i) => () => this.tensor(String(i), shape)));
    this.op(0x73, 0x62, 0x2e); // SETITEM BUILD STOP
    return Uint8Array.from(this.bytes);
  }
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function checkData(file: string, d: PartitionData): void {
  const bad = (problem: string) => new PtFormatError(file, 'invalid-argument', problem);
  if (!Number.isSafeInteger(d.samples) || d.samples <= 0)
    throw bad(`cannot write ${d.samples} samples; a partition needs at least one`);
  if (d.images.length !== d.samples * IMAGE_VALUES_PER_SAMPLE)
    throw bad(
      `images hold ${d.images.length} values; ${d.samples} samples need ${d.samples * IMAGE_VALUES_PER_SAMPLE}`,
    );
  if (d.magnitudes.length !== d.samples * MAGNITUDES_PER_SAMPLE)
    throw bad(
      `magnitudes hold ${d.magnitudes.length} values; ${d.samples} samples need ${d.samples * MAGNITUDES_PER_SAMPLE}`,
    );
  if (d.redshifts && d.redshifts.length !== d.samples)
    throw bad(`redshifts hold ${d.redshifts.length} values; expected ${d.samples}`);
}

/**
 * Chunks of a zip-format torch.save(TensorDataset(*tensors)) file of contiguous float32 tensors, each in its own
 * storage. No shape checks: tests also use it to build malformed files.
 */
export function encodeTensorDataset(
  file: string,
  tensors: Array<{ shape: number[]; bytes: Uint8Array }>,
): Uint8Array[] {
  const stem = archiveStem(file);
  const pickle = new DatasetPickler().dataset(tensors.map((t) => t.shape));
  try {
    return torchZipChunks([
      { name: `${stem}/data.pkl`, parts: [pickle] },
      ...tensors.map((t, i) => ({ name: `${stem}/data/${i}`, parts: [t.bytes] })),
      { name: `${stem}/version`, parts: [new TextEncoder().encode('3\n')] },
    ]);
  } catch (err) {
    throw new PtFormatError(file, 'invalid-argument', (err as Error).message, { cause: err });
  }
}

/** The file's bytes as chunks (tensor data as views, not copies), named for `file`'s archive folder. */
export function encodeGalaxyPartition(file: string, data: PartitionData): Uint8Array[] {
  checkData(file, data);
  const n = data.samples;
  return encodeTensorDataset(file, [
    { shape: [n, ...IMAGE_SHAPE], bytes: bytesOf(data.images) },
    { shape: [n, MAGNITUDES_PER_SAMPLE], bytes: bytesOf(data.magnitudes) },
    ...(data.redshifts ? [{ shape: [n], bytes: bytesOf(data.redshifts) }] : []),
  ]);
}

/** Writes a TensorDataset partition atomically (temporary file in the same folder, then rename). */
export async function writeGalaxyPartition(
  file: string,
  data: { images: Float32Array; magnitudes: Float32Array; redshifts: Float32Array | null; samples: number },
): Promise<void> {
  const chunks = encodeGalaxyPartition(file, data);
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`,
  );
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(tmp, 'wx');
    for (const c of chunks) {
      let done = 0;
      while (done < c.length) done += (await handle.write(c, done, c.length - done)).bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await handle?.close().catch(() => {});
    await fs.promises.rm(tmp, { force: true }).catch(() => {});
    throw new PtFormatError(file, 'io', `cannot write the file: ${(err as Error).message}`, { cause: err });
  }
}
