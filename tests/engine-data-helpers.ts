import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeTensorDataset } from '../engine/data/pt-writer.ts';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
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
    out[i] = lo + ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo));
  }
  return out;
}

/** Real PyTorch, when this machine has it (Debian python3-torch under /usr/bin/python3). */
export const PYTHON = '/usr/bin/python3';
export const torchAvailable = (() => {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  const ok = r.status === 0;
  if (!ok) console.log(`skipping real-torch checks: ${PYTHON} -c 'import torch' failed (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`);
  return ok;
})();

/** Runs a Python snippet with real torch and returns its stdout parsed as JSON. */
export function runTorch(script: string, args: string[]): unknown {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
