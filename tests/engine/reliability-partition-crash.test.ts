/**
 * Issue #18 case 6: `cosmicai partition` killed with SIGKILL halfway leaves nothing that looks like a dataset (it
 * used to leave 80 of 160 files that inspected as valid); the next run cleans the dead run's staging folder up
 * and publishes the complete set.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../engine/data/dataset.ts';
import { partitionDataset } from '../../engine/data/partitioner.ts';
import { generateSampleData } from '../../engine/data/sample-data.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cai-partition-crash-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stagingOf = (out: string) =>
  fs.readdirSync(path.dirname(out)).filter((n) => n.startsWith(`.${path.basename(out)}.partial-`));

describe('partition is all or nothing', () => {
  it('kill -9 mid-partition leaves no dataset at --out; a rerun completes it', async () => {
    const src = path.join(work, 'src');
    await generateSampleData({ samples: 400, outDir: src, seed: 3 });
    const out = path.join(work, 'out');
    // 0.02 MB holds one sample: 400 files, slow enough to be killed halfway.
    const child = spawn(
      process.execPath,
      ['bin/cosmicai.mjs', 'partition', '--in', src, '--size-mb', '0.02', '--out', out],
      { cwd: ROOT, stdio: 'ignore' },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
    let staged = 0;
    for (let t = 0; t < 1200 && child.exitCode === null; t++) {
      const dirs = stagingOf(out);
      staged = dirs.length ? fs.readdirSync(path.join(work, dirs[0])).filter((n) => n.endsWith('.pt')).length : 0;
      if (staged >= 20) break;
      await sleep(50);
    }
    expect(staged, 'the partition run was not caught halfway').toBeGreaterThanOrEqual(20);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    expect(fs.existsSync(out)).toBe(false);
    await expect(openDataset(out)).rejects.toMatchObject({ code: 'io' });
    expect(stagingOf(out)).toHaveLength(1); // hidden, beside it, with the dead run's pid in its name

    const done = await partitionDataset(await openDataset(src), 0.02, out);
    expect(done.files).toHaveLength(400);
    expect((await openDataset(out)).samples).toBe(400);
    expect(stagingOf(out)).toEqual([]);
  }, 120_000);

  it('a failed run leaves an existing folder as it was, and publishes into it when it succeeds', async () => {
    const src = path.join(work, 'src2');
    await generateSampleData({ samples: 10, outDir: src, seed: 4 });
    const out = path.join(work, 'out2');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
    const ds = await openDataset(src);
    // The source disappears halfway: the run fails and nothing reaches the output folder.
    const broken = {
      ...ds,
      load: async (ref: (typeof ds.partitions)[0]) => Promise.reject(new Error(`gone: ${ref.path}`)),
    };
    await expect(partitionDataset(broken, 0.02, out)).rejects.toThrow(/gone/);
    expect(fs.readdirSync(out)).toEqual(['notes.txt']);
    expect(stagingOf(out)).toEqual([]);
    const ok = await partitionDataset(ds, 0.05, out);
    const names = ['1.pt', '2.pt', '3.pt', '4.pt', '5.pt']; // 2 samples in 0.05 MB
    expect(ok.files.map((f) => path.basename(f))).toEqual(names);
    expect(fs.readdirSync(out).sort()).toEqual([...names, 'SYNTHETIC.txt', 'dataset.json', 'notes.txt'].sort());
    expect((await openDataset(out)).samples).toBe(10);
  });
});
