import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../engine/data/dataset.ts';
import { partitionDataset } from '../../engine/data/partitioner.ts';
import { readGalaxyPartition } from '../../engine/data/pt-reader.ts';
import { archiveStem, writeGalaxyPartition } from '../../engine/data/pt-writer.ts';
import { fixture, randomArray, runTorch, tmpDir, torchAvailable } from '../support/engine-data-helpers.ts';

let dir: string;
beforeAll(() => {
  dir = tmpDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (a: Float32Array) =>
  crypto
    .createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');

function galaxies(samples: number, seed: number, labelled = true) {
  return {
    samples,
    images: randomArray(samples * 5120, seed, 0.01, 0.5),
    magnitudes: randomArray(samples * 5, seed + 1, 15, 25),
    redshifts: labelled ? randomArray(samples, seed + 2, 0, 0.4) : null,
  };
}

/** torch.load each file and report, per tensor, its shape, dtype, contiguity and the sha256 of its bytes. */
const TORCH_DIGEST = `
import sys, json, hashlib, torch
out = []
for f in sys.argv[1:]:
    d = torch.load(f, weights_only=False) if 'weights_only' in torch.load.__code__.co_varnames else torch.load(f)
    out.append({'type': type(d).__module__ + '.' + type(d).__name__,
                'tensors': [{'shape': list(t.shape), 'dtype': str(t.dtype), 'contiguous': t.is_contiguous(),
                             'sha': hashlib.sha256(t.numpy().tobytes()).hexdigest()} for t in d.tensors]})
print(json.dumps(out))
`;

describe('writer', () => {
  it('writes the fixtures byte for byte as torch.save does (same values, same file name)', async () => {
    for (const name of ['tiny-8.pt', 'small-64.pt']) {
      const p = await readGalaxyPartition(fixture(name));
      const out = path.join(dir, 'same', name);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      await writeGalaxyPartition(out, p);
      expect(fs.readFileSync(out).equals(fs.readFileSync(fixture(name))), name).toBe(true);
    }
    // The legacy copy holds the same tensors; written in zip format it equals the zip fixture.
    const legacy = await readGalaxyPartition(fixture('tiny-8.legacy.pt'));
    const out = path.join(dir, 'from-legacy', 'tiny-8.pt');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await writeGalaxyPartition(out, legacy);
    expect(fs.readFileSync(out).equals(fs.readFileSync(fixture('tiny-8.pt')))).toBe(true);
  });

  it('round-trips through the reader: 1, 300 (16-bit pickle ints) and 3000 (32-bit) samples, labelled and not', async () => {
    for (const [n, labelled] of [
      [1, true],
      [300, true],
      [3000, false],
    ] as const) {
      const data = galaxies(n, n, labelled);
      const file = path.join(dir, `rt-${n}.pt`);
      await writeGalaxyPartition(file, data);
      const back = await readGalaxyPartition(file);
      expect(back.samples).toBe(n);
      expect(sha(back.images)).toBe(sha(data.images));
      expect(sha(back.magnitudes)).toBe(sha(data.magnitudes));
      if (labelled) expect(sha(back.redshifts!)).toBe(sha(data.redshifts!));
      else expect(back.redshifts).toBeNull();
    }
  });

  it('accepts subarray views and writes only the viewed samples', async () => {
    const all = galaxies(10, 9);
    const view = {
      samples: 3,
      images: all.images.subarray(2 * 5120, 5 * 5120),
      magnitudes: all.magnitudes.subarray(10, 25),
      redshifts: all.redshifts!.subarray(2, 5),
    };
    const file = path.join(dir, 'view.pt');
    await writeGalaxyPartition(file, view);
    const back = await readGalaxyPartition(file);
    expect(Array.from(back.redshifts!)).toEqual(Array.from(view.redshifts));
    expect(sha(back.images)).toBe(sha(view.images));
  });

  it('is atomic: replaces an existing file and leaves no temporary files, even on failure', async () => {
    const sub = path.join(dir, 'atomic');
    fs.mkdirSync(sub);
    const file = path.join(sub, '1.pt');
    fs.writeFileSync(file, 'old');
    await writeGalaxyPartition(file, galaxies(2, 5));
    expect((await readGalaxyPartition(file)).samples).toBe(2);
    await expect(writeGalaxyPartition(path.join(sub, 'missing-dir', '2.pt'), galaxies(1, 1))).rejects.toMatchObject({
      code: 'io',
    });
    expect(fs.readdirSync(sub)).toEqual(['1.pt']);
  });

  it('refuses inconsistent data with a message naming the file', async () => {
    const file = path.join(dir, 'bad.pt');
    const g = galaxies(2, 3);
    await expect(writeGalaxyPartition(file, { ...g, samples: 3 })).rejects.toThrow(
      `${file}: images hold 10240 values; 3 samples need 15360`,
    );
    await expect(writeGalaxyPartition(file, { ...g, magnitudes: new Float32Array(3) })).rejects.toThrow(
      /magnitudes hold 3 values/,
    );
    await expect(writeGalaxyPartition(file, { ...g, redshifts: new Float32Array(5) })).rejects.toThrow(
      /redshifts hold 5 values; expected 2/,
    );
    await expect(
      writeGalaxyPartition(file, {
        samples: 0,
        images: new Float32Array(0),
        magnitudes: new Float32Array(0),
        redshifts: null,
      }),
    ).rejects.toThrow(/at least one/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('names the archive folder after the file, as torch does', () => {
    expect(archiveStem('/a/b/17.pt')).toBe('17');
    expect(archiveStem('tiny-8.pt')).toBe('tiny-8');
    expect(archiveStem('x.y.pt')).toBe('x.y');
  });
});

describe.skipIf(!torchAvailable)('real torch.load reads what we write', () => {
  it('written files load as the same TensorDataset', async () => {
    const files: string[] = [];
    const datas = [galaxies(1, 11), galaxies(300, 12), galaxies(20, 13, false)];
    for (const [i, d] of datas.entries()) {
      const f = path.join(dir, 'torch', `${i + 1}.pt`);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      await writeGalaxyPartition(f, d);
      files.push(f);
    }
    const res = runTorch(TORCH_DIGEST, files) as Array<{
      type: string;
      tensors: Array<{ shape: number[]; dtype: string; contiguous: boolean; sha: string }>;
    }>;
    expect(res).toHaveLength(datas.length); // one answer per file, or the checks below check nothing
    res.forEach((r, i) => {
      const d = datas[i];
      expect(r.type).toBe('torch.utils.data.dataset.TensorDataset');
      const want = [
        { shape: [d.samples, 5, 32, 32], dtype: 'torch.float32', contiguous: true, sha: sha(d.images) },
        { shape: [d.samples, 5], dtype: 'torch.float32', contiguous: true, sha: sha(d.magnitudes) },
        ...(d.redshifts
          ? [{ shape: [d.samples], dtype: 'torch.float32', contiguous: true, sha: sha(d.redshifts) }]
          : []),
      ];
      expect(r.tensors).toEqual(want);
    });
  });

  it('partitions load with torch and concatenate back to the original tensors', async () => {
    const out = path.join(dir, 'torch-parts');
    const { files } = await partitionDataset(await openDataset(fixture('small-64.pt')), 0.1, out);
    expect(files.length).toBe(13);
    const script = `
import sys, json, torch
orig = torch.load(sys.argv[1], weights_only=False) if 'weights_only' in torch.load.__code__.co_varnames else torch.load(sys.argv[1])
parts = [torch.load(f) for f in sys.argv[2:]]
print(json.dumps({'sizes': [len(p) for p in parts],
                  'equal': [torch.equal(torch.cat([p.tensors[i] for p in parts]), orig.tensors[i]) for i in range(3)]}))
`;
    expect(runTorch(script, [fixture('small-64.pt'), ...files])).toEqual({
      sizes: [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4],
      equal: [true, true, true],
    });
  });
});
