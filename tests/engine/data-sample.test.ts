import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../engine/data/dataset.ts';
import { readGalaxyPartition } from '../../engine/data/pt-reader.ts';
import { ensureDefaultSampleData, generateSampleData } from '../../engine/data/sample-data.ts';
import { inspectDataset } from '../../engine/data/stats.ts';
import { partitionDataset } from '../../engine/data/partitioner.ts';
import { FIXTURES, tmpDir } from '../support/engine-data-helpers.ts';

let dir: string;
beforeAll(() => {
  dir = tmpDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const read = (f: string) => fs.readFileSync(f);

describe('synthetic sample data', () => {
  it('is deterministic from the seed and independent of how it is split into files', async () => {
    const a = await generateSampleData({ samples: 40, outDir: path.join(dir, 'a'), seed: 7 });
    const b = await generateSampleData({ samples: 40, outDir: path.join(dir, 'b'), seed: 7 });
    const c = await generateSampleData({ samples: 40, outDir: path.join(dir, 'c'), seed: 8 });
    expect(a.map((f) => path.basename(f))).toEqual(['1.pt']);
    expect(read(a[0]).equals(read(b[0]))).toBe(true);
    expect(read(a[0]).equals(read(c[0]))).toBe(false);
    const split = await generateSampleData({
      samples: 40,
      outDir: path.join(dir, 'split'),
      seed: 7,
      partitionMb: (15 * 100) / 5113,
    });
    expect(split.map((f) => path.basename(f))).toEqual(['1.pt', '2.pt', '3.pt']);
    const whole = await readGalaxyPartition(a[0]);
    const parts = await Promise.all(split.map((f) => readGalaxyPartition(f)));
    expect(parts.map((p) => p.samples)).toEqual([15, 15, 10]);
    expect(
      Buffer.concat(parts.map((p) => Buffer.from(p.images.buffer, p.images.byteOffset, p.images.byteLength))).equals(
        Buffer.from(whole.images.buffer, whole.images.byteOffset, whole.images.byteLength),
      ),
    ).toBe(true);
  });

  it('has magnitudes 15–25, redshifts 0–0.4 and images with a bright centre over a faint background', async () => {
    const [f] = await generateSampleData({ samples: 50, outDir: path.join(dir, 'ranges'), seed: 1 });
    const p = await readGalaxyPartition(f);
    expect(Math.min(...p.magnitudes)).toBeGreaterThanOrEqual(15);
    expect(Math.max(...p.magnitudes)).toBeLessThanOrEqual(25);
    expect(Math.min(...p.redshifts!)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...p.redshifts!)).toBeLessThanOrEqual(0.4);
    for (let s = 0; s < p.samples; s++) {
      for (let band = 0; band < 5; band++) {
        const img = p.images.subarray(s * 5120 + band * 1024, s * 5120 + (band + 1) * 1024);
        const centre = img[16 * 32 + 16];
        const corner = img[0];
        expect(corner).toBeGreaterThanOrEqual(0.01);
        expect(corner).toBeLessThan(0.03);
        expect(centre).toBeGreaterThan(corner + 0.03);
      }
    }
  });

  it('is labelled synthetic beside the files, in inspect, and in partitions cut from it', async () => {
    const out = path.join(dir, 'label');
    await generateSampleData({ samples: 12, outDir: out, seed: 3 });
    expect(fs.readFileSync(path.join(out, 'SYNTHETIC.txt'), 'utf8')).toMatch(/^SYNTHETIC DATA/);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'dataset.json'), 'utf8'))).toMatchObject({
      synthetic: true,
      seed: 3,
      samples: 12,
      files: ['1.pt'],
    });
    expect((await inspectDataset(out)).synthetic).toBe(true);
    const parts = path.join(dir, 'label-parts');
    await partitionDataset(await openDataset(out), (5 * 100) / 5113, parts);
    expect(JSON.parse(fs.readFileSync(path.join(parts, 'dataset.json'), 'utf8'))).toMatchObject({
      synthetic: true,
      samples: 12,
      files: ['1.pt', '2.pt', '3.pt'],
    });
    expect((await inspectDataset(parts)).synthetic).toBe(true);
  });

  it('refuses bad arguments with a clear message', async () => {
    const out = path.join(dir, 'bad');
    await expect(generateSampleData({ samples: 0, outDir: out })).rejects.toThrow(
      `${out}: sample count must be a positive integer, got 0`,
    );
    await expect(generateSampleData({ samples: 2.5, outDir: out })).rejects.toThrow(/positive integer/);
    await expect(generateSampleData({ samples: 5, outDir: out, partitionMb: 0.001 })).rejects.toThrow(
      /smaller than one sample/,
    );
  });
});

describe('ensureDefaultSampleData', () => {
  it('makes 2048 galaxies (seed 42) once, safely when two processes race for it', async () => {
    const dataDir = path.join(dir, 'appdata');
    // Two separate processes and one in-process call, all at once.
    const script = `import { ensureDefaultSampleData } from ${JSON.stringify(path.join(FIXTURES, '..', '..', 'engine', 'data', 'sample-data.ts'))}; console.log(await ensureDefaultSampleData(process.env.TEST_DATA_DIR));`;
    const child = () =>
      new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          env: { ...process.env, TEST_DATA_DIR: dataDir },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (err += d));
        p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(err))));
      });
    const results = await Promise.all([child(), child(), ensureDefaultSampleData(dataDir)]);
    const dest = path.join(dataDir, 'sample-data', 'default');
    expect(results).toEqual([dest, dest, dest]);
    expect(fs.readdirSync(path.join(dataDir, 'sample-data'))).toEqual(['default']);
    expect(fs.readdirSync(dest).sort()).toEqual(['1.pt', 'SYNTHETIC.txt', 'dataset.json']);
    const ds = await openDataset(dest);
    expect(ds.samples).toBe(2048);
    const mtime = fs.statSync(path.join(dest, '1.pt')).mtimeMs;
    expect(await ensureDefaultSampleData(dataDir)).toBe(dest);
    expect(fs.statSync(path.join(dest, '1.pt')).mtimeMs).toBe(mtime);
    const again = await generateSampleData({ samples: 2048, outDir: path.join(dir, 'seed42'), seed: 42 });
    expect(read(again[0]).equals(read(path.join(dest, '1.pt')))).toBe(true);
  });
});
