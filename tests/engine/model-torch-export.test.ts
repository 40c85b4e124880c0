import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectModel } from '../../engine/model/model-info.ts';
import { checkExport } from '../../engine/model/verify-export.ts';

const PYTHON = '/usr/bin/python3';
const REPO = path.resolve(import.meta.dirname, '../..');
const EXPORT = path.join(REPO, 'tools', 'export_onnx.py');

function torchAvailable(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return probe.status === 0
    ? null
    : `${PYTHON} cannot import torch (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()})`;
}
const skipReason = torchAvailable();
if (skipReason) console.log(`skipping the PyTorch export tests: ${skipReason}`);

// A small stand-in for the study's model: same calling convention (a list [image, magnitude]), Conv+BN, LayerNorm, GELU.
const STUDY_MODEL = `
import torch
from torch import nn

class TinyAstro(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(5, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.AvgPool2d(8)
        self.norm = nn.LayerNorm(128, eps=1e-6)
        self.mag = nn.Linear(5, 16)
        self.head = nn.Sequential(nn.Linear(128 + 16, 32), nn.GELU(), nn.Linear(32, 1))

    def forward(self, x):
        image, magnitude = x
        f = self.pool(torch.relu(self.bn(self.conv(image)))).flatten(1)
        return self.head(torch.cat([self.norm(f), torch.relu(self.mag(magnitude))], 1))
`;

const SAVE = `
import torch, study_model
torch.manual_seed(3)
model = study_model.TinyAstro()
model.train()
for _ in range(3):  # non-trivial BatchNorm running statistics
    model([torch.randn(16, 5, 32, 32) * 2 + 1, torch.rand(16, 5) * 4 + 18])
torch.save(torch.nn.DataParallel(model.eval()), 'Fine_Tune_Model/Mixed_Inception_z_VITAE_Base_Img_Full_New_Full.pt')
torch.save(model.state_dict(), 'state_dict.pt')
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-torch-export-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runExport(cwd: string, args: string[]) {
  return spawnSync(PYTHON, [EXPORT, ...args], { cwd, encoding: 'utf8', timeout: 240_000 });
}

describe.skipIf(skipReason !== null)('tools/export_onnx.py with real PyTorch', () => {
  it('exports a pickled DataParallel [image, magnitude] model that onnxruntime-node runs to within 1e-4 of PyTorch', async () => {
    const study = path.join(dir, 'study');
    await rm(study, { recursive: true, force: true });
    execFileSync('mkdir', ['-p', path.join(study, 'Fine_Tune_Model')]);
    await writeFile(path.join(study, 'study_model.py'), STUDY_MODEL);
    execFileSync(PYTHON, ['-c', SAVE], { cwd: study });

    // Run from the study checkout with the default checkpoint path, as the README says.
    const samples = path.join(dir, 'tiny-samples');
    const result = runExport(study, ['--output', 'tiny.onnx', '--verify-batch', '5', '--samples-dir', samples]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('wrote tiny.onnx (opset 17, dynamic batch)');
    expect(result.stdout).toMatch(/verified with onnxruntime(-node)?.* on a batch of 5/);

    const model = path.join(study, 'tiny.onnx');
    const info = await inspectModel(model);
    expect(info.inputs.map((i) => [i.name, i.shape])).toEqual([
      ['image', ['batch', 5, 32, 32]],
      ['magnitude', ['batch', 5]],
    ]);
    expect(info.outputs[0].name).toBe('redshift');
    expect(info.opset).toBe(17);
    expect(info.binding).toEqual({ image: 'image', magnitude: 'magnitude', output: 'redshift' });
    // The export traced batch 2; the check ran batch 5, so the batch axis is really dynamic.
    const check = await checkExport(model, samples, 5);
    expect(check.predictions.length).toBe(5);
    expect(check.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(new Set(Array.from(check.expected)).size).toBe(5);
    // Conv 5→8 3×3 at 32×32, then Linear 5→16, 144→32, 32→1.
    expect(info.flopsPerSample).toBe(2 * (8 * 32 * 32 * 5 * 9 + 5 * 16 + 144 * 32 + 32));
  });

  it('exports the PyTorch port of AstroMAE with the reference FLOPs, and matches PyTorch to 1e-4', async () => {
    const work = path.join(dir, 'astromae');
    execFileSync('mkdir', ['-p', work]);
    const ckpt = path.join(work, 'astromae.pt');
    const out = execFileSync(PYTHON, [path.join(REPO, 'bench', 'astromae_torch.py'), '--checkpoint', ckpt], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ parameters: 15_764_097 });
    const samples = path.join(work, 'samples');
    const result = runExport(work, [
      '--checkpoint',
      ckpt,
      '--output',
      'astromae.onnx',
      '--module-path',
      path.join(REPO, 'bench'),
      '--samples-dir',
      samples,
    ]);
    expect(result.status, result.stderr).toBe(0);
    const model = path.join(work, 'astromae.onnx');
    const info = await inspectModel(model);
    // The counter infers torch's Shape/Gather/Concat/Reshape chains and lands on the figure.
    expect(info.flopsPerSample).toBe(765_058_816);
    // torch.onnx.export folds each BatchNorm's weight and bias into its Conv in eval mode: 9,824 fewer initializers.
    expect(info.parameters).toBe(15_764_097 - 9_824);
    const check = await checkExport(model, samples, 3);
    expect(check.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });

  it('fails clearly on a missing checkpoint and on a state_dict', async () => {
    const missing = runExport(dir, ['--checkpoint', 'nope.pt', '--output', 'x.onnx']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('nope.pt: no such checkpoint');
    const stateDict = runExport(path.join(dir, 'study'), ['--checkpoint', 'state_dict.pt', '--output', 'x.onnx']);
    expect(stateDict.status).toBe(1);
    expect(stateDict.stderr).toContain('not a pickled model');
  });
});
