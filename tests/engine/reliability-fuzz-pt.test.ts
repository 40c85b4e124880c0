/**
 * Hostile `.pt` files beyond byte mutation (tests/engine/data-fuzz.test.ts): generated zip bombs, deeply nested
 * pickles, unexpected globals and huge declared tensor sizes. Each must end in a PtFormatError naming the file,
 * quickly and without inflating or allocating what it declares.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PtFormatError } from '../../engine/data/pt-errors.ts';
import {
  parseGalaxyPartition,
  parsePartitionHeader,
  readGalaxyPartition,
  readPartitionHeader,
} from '../../engine/data/pt-reader.ts';
import { openPartitionStream } from '../../engine/data/pt-stream.ts';
import { torchZipChunks } from '../../engine/data/zip-writer.ts';
import { FIXTURES, concat, fixture, rawDataset, zipFromEntries, zipRecords } from '../support/engine-data-helpers.ts';
import { prng, type Rng } from '../support/fuzz-prng.ts';

const BOUND_MS = 2000; // a hang detector, not a speed target
const MEMORY_BOUND = 256 * 2 ** 20;

function zipWithPickle(pickle: Uint8Array): Uint8Array {
  return concat(
    torchZipChunks([
      { name: 'x/data.pkl', parts: [pickle] },
      { name: 'x/version', parts: [Buffer.from('3\n')] },
    ]),
  );
}

const PROTO2 = [0x80, 0x02];
const STOP = 0x2e;

/** Nesting `depth` levels deep with one of the pickle's container constructors. */
function nestedPickle(r: Rng, depth: number): { bytes: Uint8Array; how: string } {
  const kind = r.int(4);
  // [opening ops repeated depth times, closing ops repeated depth times]
  const [open, close, first] = [
    [[0x85], [], [0x29]], // EMPTY_TUPLE, then TUPLE1 around it depth times: one stack slot, depth levels
    [[0x5d], [0x61], [0x5d]], // EMPTY_LIST … APPEND
    [[0x4b, 0, 0x7d], [0x73], [0x7d]], // EMPTY_DICT, then (K 0, EMPTY_DICT) … SETITEM
    [[0x28], [0x74], []], // MARK … TUPLE
  ][kind];
  const bytes = new Uint8Array(2 + first.length + depth * (open.length + close.length) + 1);
  bytes.set(PROTO2, 0);
  bytes.set(first, 2);
  let at = 2 + first.length;
  for (let i = 0; i < depth; i++, at += open.length) bytes.set(open, at);
  for (let i = 0; i < depth; i++, at += close.length) bytes.set(close, at);
  bytes[at] = STOP;
  return { bytes, how: `${['TUPLE1', 'LIST', 'DICT', 'MARK'][kind]} nesting ${depth} deep` };
}

const GLOBALS = [
  'os\nsystem',
  'posix\nsystem',
  'builtins\neval',
  '__builtin__\nexec',
  'subprocess\nPopen',
  'builtins\ngetattr',
  'torch._utils\n_rebuild_parameter',
  'torch\nload',
  'numpy.core.multiarray\n_reconstruct',
  'collections\ndefaultdict',
  'torch.utils.data.dataset\nTensorDataset ',
  'torch._utils\n_rebuild_tensor_v2\u0000',
  '\nx',
  'a\n',
  'webbrowser\nopen',
];

/** A GLOBAL or STACK_GLOBAL outside the allow-list, called with REDUCE or built with NEWOBJ. */
function globalPickle(r: Rng): { bytes: Uint8Array; how: string } {
  const g = r.pick(GLOBALS);
  const [mod, name] = g.split('\n');
  const ref =
    r.next() < 0.5
      ? [0x63, ...Buffer.from(`${mod}\n${name}\n`)]
      : [0x8c, Buffer.byteLength(mod), ...Buffer.from(mod), 0x8c, Buffer.byteLength(name), ...Buffer.from(name), 0x93];
  const arg = [0x8c, 2, 0x6c, 0x73, 0x85]; // ('ls',)
  const call = r.next() < 0.5 ? [...arg, 0x52] : [0x29, 0x81]; // REDUCE or NEWOBJ
  return { bytes: Uint8Array.from([...PROTO2, ...ref, ...call, STOP]), how: `global ${JSON.stringify(g)}` };
}

const ZERO_MB = new Uint8Array(2 ** 20);
const ZERO_MB_DEFLATED = zlib.deflateRawSync(ZERO_MB, { finishFlush: zlib.constants.Z_FULL_FLUSH, level: 9 });
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

/** A real zip bomb record: `mb` MiB of zeros in ~1 KB per MiB (full-flush blocks concatenated), honestly declared. */
function zipBomb(records: Array<{ name: string; data: Uint8Array }>, target: string, mb: number): Uint8Array {
  const deflated = Buffer.concat([...new Array<Buffer>(mb).fill(ZERO_MB_DEFLATED), FINAL_EMPTY_BLOCK]);
  return bombZip(records, target, deflated, mb * 2 ** 20, zerosCrc(mb));
}

const crcs = new Map<number, number>();
function zerosCrc(mb: number): number {
  let crc = crcs.get(mb);
  if (crc === undefined) {
    crc = 0;
    for (let i = 0; i < mb; i++) crc = zlib.crc32(ZERO_MB, crc);
    crcs.set(mb, crc);
  }
  return crc;
}

function bombZip(
  records: Array<{ name: string; data: Uint8Array }>,
  target: string,
  deflated: Uint8Array,
  size: number,
  crc: number,
): Uint8Array {
  return zipFromEntries(
    records.map((rec) =>
      rec.name === target
        ? { name: rec.name, body: deflated, method: 8 as const, crc, size }
        : { name: rec.name, body: rec.data, method: 0 as const, crc: zlib.crc32(rec.data), size: rec.data.length },
    ),
  );
}

const HUGE_DIMS = [2 ** 31, 2 ** 32 + 8, 2 ** 40, 2 ** 52, 1e9, 123_456_789];

function hugeDeclared(r: Rng): { bytes: Uint8Array; how: string } {
  const n = r.pick(HUGE_DIMS);
  const which = r.int(3);
  const shapes = [[8, 5, 32, 32], [8, 5], [8]];
  shapes[which] = which === 0 ? [n, 5, 32, 32] : which === 1 ? [n, 5] : [n];
  const bytes = rawDataset(
    'huge.pt',
    shapes.map((shape, i) => ({ shape, values: new Float32Array(i === 0 ? 8 * 5120 : i === 1 ? 40 : 8) })),
  );
  return { bytes, how: `tensor ${which} declares ${n} samples` };
}

interface Stats {
  refused: number;
  valid: number;
  slowest: number;
  peak: number;
  codes: Map<string, number>;
}

function check(bytes: Uint8Array, label: string, stats: Stats, base: number): void {
  for (const parse of [parsePartitionHeader, parseGalaxyPartition]) {
    const t0 = performance.now();
    try {
      const res = parse(bytes, label);
      if ('images' in res) {
        expect(res.images.length, label).toBe(res.samples * 5120);
        stats.valid++;
      }
    } catch (err) {
      if (!(err instanceof PtFormatError))
        throw new Error(`${label}: ${parse.name} threw ${(err as Error)?.stack?.slice(0, 600) ?? String(err)}`, {
          cause: err,
        });
      expect(err.message.startsWith(`${label}: `), label).toBe(true);
      if (parse === parseGalaxyPartition) {
        stats.refused++;
        stats.codes.set(err.code, (stats.codes.get(err.code) ?? 0) + 1);
      }
    }
    stats.slowest = Math.max(stats.slowest, performance.now() - t0);
    const mem = process.memoryUsage();
    stats.peak = Math.max(stats.peak, mem.heapUsed + mem.arrayBuffers - base);
  }
}

function run(name: string, cases: number, gen: (r: Rng, i: number) => { bytes: Uint8Array; how: string }): Stats {
  const r = prng(0xbadf00d ^ cases ^ name.length);
  const stats: Stats = { refused: 0, valid: 0, slowest: 0, peak: 0, codes: new Map() };
  const mem = process.memoryUsage();
  for (let i = 0; i < cases; i++) {
    const { bytes, how } = gen(r, i);
    check(bytes, `${name} case ${i} (${how})`, stats, mem.heapUsed + mem.arrayBuffers);
  }
  expect(stats.slowest).toBeLessThan(BOUND_MS);
  expect(stats.peak).toBeLessThan(MEMORY_BOUND);
  console.log(
    `${name}: ${stats.valid} valid, ${stats.refused} refused, slowest ${stats.slowest.toFixed(1)} ms, peak growth ${(stats.peak / 2 ** 20).toFixed(0)} MB;`,
    Object.fromEntries(stats.codes),
  );
  return stats;
}

describe('hostile .pt files end in a PtFormatError, quickly and without large allocations', () => {
  it('deeply nested pickles (up to a million levels)', () => {
    let shallow = 0;
    const stats = run('nested', 120, (r) => {
      const depth = r.pick([10, 201, 999, 1001, 5000, 50_000, 100_001, 1_000_000]);
      const { bytes, how } = nestedPickle(r, depth);
      if (depth <= 200) shallow++;
      return { bytes: zipWithPickle(bytes), how };
    });
    expect(stats.refused).toBe(120);
    // Only the shallow ones reach the structure check; every deeper one is stopped inside the pickle machine.
    expect(stats.codes.get('bad-structure')).toBe(shallow);
    expect(stats.codes.get('pickle-corrupt')).toBe(120 - shallow);
  });

  it('unexpected globals, called or constructed, are refused by name', () => {
    const stats = run('globals', 400, (r) => {
      const { bytes, how } = globalPickle(r);
      return { bytes: zipWithPickle(bytes), how };
    });
    expect(stats.refused).toBe(400);
    expect(stats.codes.get('forbidden-global') ?? 0).toBeGreaterThan(300);
  });

  it('zip bombs: records that honestly declare and inflate to 65 MiB – 1 GiB of zeros are not inflated', () => {
    const records = zipRecords(fixture('tiny-8.pt'));
    const targets = records.filter((rec) => /data\.pkl$|data\/\d$/.test(rec.name)).map((rec) => rec.name);
    const stats = run('bomb', 40, (r) => {
      const target = r.pick(targets);
      const mb = r.pick([65, 100, 300, 1024]);
      return { bytes: zipBomb(records, target, mb), how: `${target} inflates to ${mb} MiB` };
    });
    expect(stats.refused).toBe(40);
    // The largest are refused from their declared sizes by the memory budget before any inflating starts.
    expect((stats.codes.get('zip-bomb') ?? 0) + (stats.codes.get('too-large') ?? 0)).toBe(40);
    expect(stats.codes.get('zip-bomb')).toBeGreaterThan(0);
  });

  it('declared tensor sizes far beyond the file', () => {
    const stats = run('huge', 200, (r) => hugeDeclared(r));
    expect(stats.refused).toBe(200);
  });
});

/** The images' stride tuple (1, 1, 1, 1) of pt-overlapping-strides-60000.pt (as_strided over 60,080 floats). */
const EXPANDED = path.join(FIXTURES, 'regressions', 'pt-overlapping-strides-60000.pt');
const EXPANDED_STRIDE = Buffer.from([0x4b, 0x01, 0x4b, 0x01, 0x4b, 0x01, 0x4b, 0x01]);

function binint(v: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = 0x4a; // BININT: signed 32-bit
  b.writeInt32LE(v, 1);
  return b;
}

/** 60,000 images declared over a 60,080-element storage with random strides: zero, negative, overlapping, huge. */
function stridedBomb(r: Rng): { bytes: Uint8Array; how: string } {
  const positive = [1, 2, 7, 32, 1024, 5120, 2 ** 31 - 1];
  const s = [r.pick(positive), r.pick(positive), r.pick(positive), r.pick(positive)];
  // Half the cases put a zero or negative stride on one dimension; the rest overlap or overrun the storage.
  if (r.int(2) === 0) s[r.int(4)] = r.pick([0, -1, -1024, -5120, -(2 ** 31)]);
  const entries = zipRecords(EXPANDED).map((rec) => {
    if (!rec.name.endsWith('data.pkl')) return { name: rec.name, parts: [rec.data] };
    const pkl = Buffer.from(rec.data);
    const at = pkl.indexOf(EXPANDED_STRIDE);
    expect(at).toBeGreaterThan(0);
    return {
      name: rec.name,
      parts: [Buffer.concat([pkl.subarray(0, at), ...s.map(binint), pkl.subarray(at + EXPANDED_STRIDE.length)])],
    };
  });
  return { bytes: concat(torchZipChunks(entries)), how: `images [60000,5,32,32] stride [${s.join(',')}]` };
}

describe('memory bombs from strides, and special files', () => {
  it('zero, negative, overlapping and huge strides: refused from the shapes, nothing expanded', () => {
    const stats = run('strides', 80, (r) => stridedBomb(r));
    expect(stats.refused).toBe(80);
    expect(stats.valid).toBe(0);
    for (const code of stats.codes.keys()) expect(['bad-stride', 'too-large', 'size-exceeds-file']).toContain(code);
    expect(stats.codes.get('bad-stride')).toBeGreaterThan(0);
    expect((stats.codes.get('too-large') ?? 0) + (stats.codes.get('size-exceeds-file') ?? 0)).toBeGreaterThan(0);
  });

  it.runIf(process.platform !== 'win32')('a FIFO named 1.pt: not-a-file at once, never a blocking open', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-fifo-'));
    try {
      const fifo = path.join(dir, '1.pt');
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      for (const open of [readPartitionHeader, readGalaxyPartition, openPartitionStream]) {
        const t0 = performance.now();
        await expect(open(fifo)).rejects.toMatchObject({ code: 'not-a-file', file: fifo });
        expect(performance.now() - t0).toBeLessThan(BOUND_MS);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Writes the hand-made regression fixtures (run with REGRESSIONS=write); the tests below only read them. */
if (process.env.REGRESSIONS === 'write') {
  const dir = path.join(FIXTURES, 'regressions');
  const r = prng(1);
  let nest = nestedPickle(r, 100_000);
  while (!nest.how.startsWith('TUPLE1')) nest = nestedPickle(r, 100_000);
  fs.writeFileSync(path.join(dir, 'pt-tuple1-nested-100000.pt'), zipWithPickle(nest.bytes));
  fs.writeFileSync(
    path.join(dir, 'pt-zip-bomb-100MiB.pt'),
    zipBomb(zipRecords(fixture('tiny-8.pt')), 'tiny-8/data/0', 100),
  );
  fs.writeFileSync(
    path.join(dir, 'pt-global-os-system.pt'),
    zipWithPickle(
      Uint8Array.from([...PROTO2, 0x63, ...Buffer.from('os\nsystem\n'), 0x8c, 2, 0x6c, 0x73, 0x85, 0x52, STOP]),
    ),
  );
}

describe('.pt regression fixtures', () => {
  const dir = path.join(FIXTURES, 'regressions');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.pt'));
  it('the listing finds the known cases (an empty or moved folder must not become zero tests)', () => {
    const known = ['pt-global-os-system.pt', 'pt-tuple1-nested-100000.pt', 'pt-zip-bomb-100MiB.pt'];
    expect(files).toEqual(expect.arrayContaining(known));
  });
  it.each(files)('%s is refused with a PtFormatError', (file) => {
    const stats: Stats = { refused: 0, valid: 0, slowest: 0, peak: 0, codes: new Map() };
    check(fs.readFileSync(path.join(dir, file)), file, stats, 0);
    expect(stats.refused).toBe(1);
  });
});
