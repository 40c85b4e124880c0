import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFINITIONS, inputBitsPerGalaxy, METRIC_CATALOGUE } from '../../base/metric-catalogue.ts';
import { openDataset } from '../../engine/data/dataset.ts';
import { partitionDataset, samplesPer100Mb, samplesPerPartition } from '../../engine/data/partitioner.ts';
import { readPartitionHeader } from '../../engine/data/pt-reader.ts';
import { runLocal } from '../../engine/run/local-run.ts';
import { LocalRunRecordSchema } from '../../base/local-run-record.ts';
import { PYTHON, torchAvailable } from '../support/engine-data-helpers.ts';
import { referenceModel } from '../support/engine-run-helpers.ts';

/**
 * Exact counts: bits per galaxy from the stored dtypes, total_bits = bits read, and partition sizes as the study's
 * split_data.py derives them. The study's own script and the model stand-in are the oracles where Python is here.
 */

const CAI = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'cai');
const SPLIT = path.join(CAI, 'split_data.py');
const REF = path.join(CAI, 'reference', 'astromae_ref.py');
const haveOracle = torchAvailable && fs.existsSync(SPLIT) && fs.existsSync(REF);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmicai-exact-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function python(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(PYTHON, args, { cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

describe('the catalogue', () => {
  it('counts 164,160 bits per galaxy with float64 magnitudes and 164,000 with float32', () => {
    expect(inputBitsPerGalaxy({ images: 'float32', magnitudes: 'float64' })).toBe(164_160);
    expect(inputBitsPerGalaxy({ images: 'float32', magnitudes: 'float32' })).toBe(164_000);
  });

  it("names a unit and at least two definitions per key, each of the key's family", () => {
    for (const e of METRIC_CATALOGUE) {
      expect(e.unit.length).toBeGreaterThan(0);
      expect(e.definitions.length).toBeGreaterThanOrEqual(2);
      for (const d of e.definitions) expect(DEFINITIONS[d].family).toBe(e.family);
    }
  });
});

describe.skipIf(!fs.existsSync(SPLIT))("partition sizes follow the study's split_data.py", () => {
  it('derives 5113 galaxies per 100 MB and its 10 MB chunk from the script itself', () => {
    const m = /chunk_size\s*=\s*(\d+)\s*\/\/\s*(\d+)\s*#\s*creates exactly (\d+)MB/.exec(
      fs.readFileSync(SPLIT, 'utf8'),
    );
    expect(m, 'split_data.py no longer states its chunk size as N//D # creates exactly 100MB').not.toBeNull();
    const [anchor, divisor, anchorMb] = [Number(m![1]), Number(m![2]), Number(m![3])];
    expect(samplesPer100Mb()).toBe(anchor);
    expect(anchorMb).toBe(100);
    expect(samplesPerPartition(anchorMb / divisor)).toBe(Math.floor(anchor / divisor));
    expect([25, 50, 75, 100].map((mb) => samplesPerPartition(mb))).toEqual([1278, 2556, 3834, 5113]);
  });

  it.skipIf(!haveOracle)('splits a dataset into the files split_data.py writes (run as the oracle)', async () => {
    const raw = path.join(dir, 'raw_data');
    const work = path.join(dir, 'work');
    const shim = path.join(dir, 'shim');
    fs.mkdirSync(raw, { recursive: true });
    fs.mkdirSync(work);
    fs.mkdirSync(shim);
    // split_data.py only uses tqdm as a progress bar; a pass-through stands in when it is not installed.
    fs.writeFileSync(path.join(shim, 'tqdm.py'), 'def tqdm(it, *a, **k):\n    return it\n');
    python([REF, 'make-pt', path.join(raw, 'total.pt'), '--samples', '600', '--seed', '11'], dir);
    python([SPLIT], work, { PYTHONPATH: shim });
    const theirs = fs.readdirSync(path.join(raw, '10MB')).sort((a, b) => parseInt(a) - parseInt(b));
    const theirCounts = await Promise.all(
      theirs.map(async (f) => (await readPartitionHeader(path.join(raw, '10MB', f))).samples),
    );
    expect(theirCounts).toEqual([511, 89]);
    const ours = await partitionDataset(await openDataset(path.join(raw, 'total.pt')), 10, path.join(dir, 'ours'));
    const ourCounts = await Promise.all(ours.files.map(async (f) => (await readPartitionHeader(f)).samples));
    expect(ourCounts).toEqual(theirCounts);
  });
});

describe.skipIf(!haveOracle)('a local run counts the bits it actually read', () => {
  it('float64 magnitudes: 164,160 bits per galaxy, total_bits = galaxies × bits, study s/batch alongside', async () => {
    const data = path.join(dir, 'f64');
    fs.mkdirSync(data);
    python([REF, 'make-pt', path.join(data, '1.pt'), '--samples', '20', '--seed', '5', '--mag-dtype', 'float64'], dir);
    python([REF, 'make-pt', path.join(data, '2.pt'), '--samples', '7', '--seed', '6'], dir);
    const { record } = await runLocal({ data, model: await referenceModel(), batchSize: 8, threads: 1 }, {});
    LocalRunRecordSchema.parse(record);
    expect(record.samples).toBe(27);
    const [p1, p2] = record.partitions;
    expect(p1.bits_per_sample).toBe(164_160);
    expect(p1.total_bits).toBe(20 * 164_160);
    expect(p2.bits_per_sample).toBe(164_000);
    expect(p2.total_bits).toBe(7 * 164_000);
    expect(record.total_bits).toBe(20 * 164_160 + 7 * 164_000);
    expect(record.throughput_bps).toBeCloseTo(record.total_bits! / record.inference_seconds, 6);
    // Physical s/batch over ceil(batches) = 3 + 1; the study's formula over samples ÷ batch size = 27 / 8.
    expect(record.num_batches).toBe(4);
    expect(record['execution_time (seconds/batch)']).toBeCloseTo(record.inference_seconds / 4, 12);
    expect(record.study_formula!['execution_time (seconds/batch)']).toBeCloseTo(
      record.inference_seconds / (27 / 8),
      12,
    );
    expect(record.definitions?.['total_cpu_time (seconds)']).toBe('cpu.process');
    expect(record.definitions?.total_bits).toBe('bits.read-dtype');
    expect(record.engine).toBe('onnxruntime');
  });
});
