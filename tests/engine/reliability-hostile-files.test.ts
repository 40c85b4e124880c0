/**
 * Issue #18, cases 1 and 2: `.pt` files whose shapes expand far past their bytes (zero, negative and overlapping
 * strides, huge numel) and special files (a FIFO named 1.pt) end in a typed PtFormatError naming the file, within
 * 5 s and well under 1 GB, through every way data is opened: header, whole read, stream, dataset, the CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../engine/data/dataset.ts';
import { DEFAULT_MEMORY_BUDGET_BYTES, memoryBudgetBytes } from '../../engine/data/memory-budget.ts';
import { PtFormatError } from '../../engine/data/pt-errors.ts';
import {
  inMemoryCost,
  parseGalaxyPartition,
  readGalaxyPartition,
  readLayout,
  readPartitionHeader,
} from '../../engine/data/pt-reader.ts';
import { openPartitionStream } from '../../engine/data/pt-stream.ts';
import { memorySource } from '../../engine/data/byte-source.ts';
import { NotRegularFileError, readRegularFile } from '../../engine/regular-file.ts';
import { torchZipChunks } from '../../engine/data/zip-writer.ts';
import { concat, FIXTURES, fixture, zipRecords } from '../support/engine-data-helpers.ts';

const ROOT = path.resolve(FIXTURES, '..', '..');
const REG = path.join(FIXTURES, 'regressions');
const FILE_CHECK_MS = 5000;
const GB = 2 ** 30;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function refusal(p: Promise<unknown>): Promise<PtFormatError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'expected a PtFormatError').toBeInstanceOf(PtFormatError);
  return err as PtFormatError;
}

/** Every way a data file is opened, with time and memory growth bounded. */
async function everyReader(file: string): Promise<PtFormatError[]> {
  const errors: PtFormatError[] = [];
  const rss0 = process.memoryUsage().rss;
  for (const open of [readPartitionHeader, readGalaxyPartition, openPartitionStream, (f: string) => openDataset(f)]) {
    const t0 = performance.now();
    const err = await refusal(open(file));
    expect(performance.now() - t0).toBeLessThan(FILE_CHECK_MS);
    expect(err.message.startsWith(`${file}: `)).toBe(true);
    errors.push(err);
  }
  expect(process.memoryUsage().rss - rss0).toBeLessThan(GB / 4);
  return errors;
}

describe('memory bombs: sizes come from the shapes, before anything is allocated', () => {
  it.each(['pt-zero-stride-200000.pt', 'pt-zero-stride-1e7.pt'])(
    '%s (torch.save of x.expand) is bad-stride',
    async (name) => {
      const errors = await everyReader(path.join(REG, name));
      for (const e of errors) {
        expect(e.code).toBe('bad-stride');
        expect(e.message).toMatch(/zero stride on dimension 0/);
      }
    },
  );

  it('overlapping strides that expand 240 KB into 1.2 GB are too-large, naming the size and the budget', async () => {
    const file = path.join(REG, 'pt-overlapping-strides-60000.pt');
    const errors = await everyReader(file);
    for (const e of errors) {
      expect(e.code).toBe('too-large');
      expect(e.message).toMatch(/needs 1\.\d GiB of memory \(\d+ bytes\), more than the 1\.0 GiB budget/);
    }
  });

  it('the cost is computed from the shapes: exact for a strided file, the budget is configurable', async () => {
    const bytes = fs.readFileSync(path.join(REG, 'pt-overlapping-strides-60000.pt'));
    const layout = readLayout(memorySource(bytes), 'x.pt');
    // images gathered (60000·5120·4) + magnitudes gathered (60000·5·4) + one aligned copy of the storage.
    expect(inMemoryCost(layout)).toBe(60000 * 5120 * 4 + 60000 * 5 * 4 + 60080 * 4);
    const legacy = fs.readFileSync(fixture('tiny-8.legacy.pt'));
    expect(parseGalaxyPartition(legacy, 'tiny.pt').samples).toBe(8);
    expect(() => parseGalaxyPartition(legacy, 'tiny.pt', 1000)).toThrow(/tiny\.pt: .*more than the 1000 bytes budget/);
    const legacyFile = path.join(FIXTURES, 'tiny-8.legacy.pt');
    expect((await refusal(readGalaxyPartition(legacyFile, 4096))).code).toBe('too-large');
    expect(memoryBudgetBytes({})).toBe(DEFAULT_MEMORY_BUDGET_BYTES);
    expect(memoryBudgetBytes({ COSMICAI_MEMORY_BUDGET_MB: '64' })).toBe(64 * 2 ** 20);
    expect(() => memoryBudgetBytes({ COSMICAI_MEMORY_BUDGET_MB: '-1' })).toThrow(/COSMICAI_MEMORY_BUDGET_MB/);
  });

  it('negative strides are bad-stride', () => {
    const neg = withFirstStride(path.join(REG, 'pt-zero-stride-200000.pt'), -1024);
    expect(() => parseGalaxyPartition(neg, 'neg.pt')).toThrow(
      /^neg\.pt: images .* has a negative stride on dimension 0/,
    );
    try {
      parseGalaxyPartition(neg, 'neg.pt');
    } catch (e) {
      expect((e as PtFormatError).code).toBe('bad-stride');
    }
  });
});

/** The file re-zipped with the images' first stride (pickled as BININT1 0 before 1024, 32, 1) set to `value`. */
function withFirstStride(file: string, value: number): Uint8Array {
  const needle = Buffer.from([0x4b, 0x00, 0x4d, 0x00, 0x04, 0x4b, 0x20, 0x4b, 0x01]);
  const entries = zipRecords(file).map((r) => {
    if (!r.name.endsWith('data.pkl')) return { name: r.name, parts: [r.data] };
    const pkl = Buffer.from(r.data);
    const i = pkl.indexOf(needle);
    expect(i).toBeGreaterThan(0);
    const binint = Buffer.alloc(5);
    binint[0] = 0x4a; // BININT: signed 4-byte little-endian
    binint.writeInt32LE(value, 1);
    return { name: r.name, parts: [Buffer.concat([pkl.subarray(0, i), binint, pkl.subarray(i + 2)])] };
  });
  return concat(torchZipChunks(entries));
}

describe('special files: a FIFO named 1.pt never blocks', () => {
  const fifoDir = path.join(tmp, 'fifo-data');
  fs.mkdirSync(fifoDir);
  const fifo = path.join(fifoDir, '1.pt');
  spawnSync('mkfifo', [fifo]);

  it('every reader refuses it as not-a-file, at once', async () => {
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    const errors = await everyReader(fifo);
    for (const e of errors) {
      expect(e.code).toBe('not-a-file');
      expect(e.message).toBe(`${fifo}: this is a FIFO (named pipe), not a .pt file`);
    }
    await expect(openDataset(fifoDir)).rejects.toMatchObject({ code: 'not-a-file', file: fifo });
    await expect(readRegularFile(fifo)).rejects.toBeInstanceOf(NotRegularFileError);
    await expect(readRegularFile(fifoDir)).rejects.toThrow(/is a folder, not a regular file/);
  });

  it('the CLI prints the typed error and exits instead of hanging', async () => {
    const child = spawn(process.execPath, ['bin/cosmicai.mjs', 'inspect', fifoDir], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 60_000);
      child.on('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code, out).not.toBe(0);
    expect(code, 'hung on the FIFO').not.toBeNull();
    expect(out).toContain(`${fifo}: this is a FIFO (named pipe), not a .pt file`);
  }, 90_000);
});
