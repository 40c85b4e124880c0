import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { memorySource } from '../../engine/data/byte-source.ts';
import { readCentralDirectory, readEntry } from '../../engine/data/zip-reader.ts';
import { encodeTensorDataset } from '../../engine/data/pt-writer.ts';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const fixture = (name: string) => path.join(FIXTURES, name);

export function tmpDir(prefix = 'cosmicai-data-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function sum64(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

export function concat(chunks: Uint8Array[]): Buffer {
  return Buffer.concat(chunks);
}

/** A zip-format TensorDataset with arbitrary shapes (no checks), for malformed-input tests. */
export function rawDataset(file: string, tensors: Array<{ shape: number[]; values?: Float32Array }>): Buffer {
  return concat(
    encodeTensorDataset(
      file,
      tensors.map((t) => {
        const values = t.values ?? new Float32Array(t.shape.reduce((a, b) => a * b, 1)).fill(1);
        return { shape: t.shape, bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
      }),
    ),
  );
}

/** Deterministic float32 data for round trips. */
export function randomArray(n: number, seed: number, lo = 0, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

/** Real PyTorch, when this machine has it (Debian python3-torch under /usr/bin/python3). */
export const PYTHON = '/usr/bin/python3';
export const torchAvailable = (() => {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  const ok = r.status === 0;
  if (!ok)
    console.log(
      `skipping real-torch checks: ${PYTHON} -c 'import torch' failed (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`,
    );
  return ok;
})();

/** Runs a Python snippet with real torch and returns its stdout parsed as JSON. */
export function runTorch(script: string, args: string[]): unknown {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** One record of a plain zip, already encoded: `body` as stored in the archive, `crc` and `size` of what it inflates to. */
export interface ZipEntryBytes {
  name: string;
  body: Uint8Array;
  method: 0 | 8;
  crc: number;
  size: number;
}

/** A plain zip (no zip64, no data descriptors) from already-encoded records; the sizes are written as given. */
export function zipFromEntries(entries: ZipEntryBytes[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const body = Buffer.from(e.body);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt32LE(e.crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A plain zip (no zip64, no data descriptors) with each record stored or deflated, as other zip tools write. */
export function plainZip(
  records: Array<{ name: string; data: Uint8Array; deflate: boolean; declaredSize?: number }>,
): Buffer {
  return zipFromEntries(
    records.map((r) => ({
      name: r.name,
      body: r.deflate ? zlib.deflateRawSync(r.data) : r.data,
      method: r.deflate ? 8 : 0,
      crc: zlib.crc32(r.data),
      size: r.declaredSize ?? r.data.length,
    })),
  );
}

/** The records of a torch zip, via our own reader (name -> bytes). */
export function zipRecords(file: string): Array<{ name: string; data: Uint8Array }> {
  const bytes = fs.readFileSync(file);
  const src = memorySource(bytes);
  return readCentralDirectory(src, file).map((e) => ({ name: e.name, data: readEntry(src, e, file) }));
}
