import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, tmpDir } from '../../support/engine-data-helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function cosmicai(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/cosmicai.mjs', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = tmpDir('cosmicai-cli-data-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cosmicai inspect / partition / sample-data', () => {
  it('inspect tests/fixtures/tiny-8.pt --json prints one JSON object with the README sums', () => {
    const r = cosmicai('inspect', 'tests/fixtures/tiny-8.pt', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(['files', 'samples', 'bytes', 'tensors']);
    expect(report.files).toEqual(['tests/fixtures/tiny-8.pt']);
    expect(report.samples).toBe(8);
    expect(report.bytes).toBe(165214);
    const [images, magnitudes, redshifts] = report.tensors;
    expect(images).toMatchObject({
      name: 'images',
      shape: [8, 5, 32, 32],
      dtype: 'float32',
      min: 0.010000033304095268,
      max: 0.4864528477191925,
      nan: 0,
      inf: 0,
    });
    expect(magnitudes).toMatchObject({ name: 'magnitudes', shape: [8, 5], dtype: 'float32', nan: 0, inf: 0 });
    expect(redshifts).toMatchObject({ name: 'redshifts', shape: [8], dtype: 'float32', nan: 0, inf: 0 });
    expect(Math.abs(images.sum - 972.6460874984041) / 972.6460874984041).toBeLessThan(1e-9);
    expect(Math.abs(magnitudes.sum - 801.8756351470947) / 801.8756351470947).toBeLessThan(1e-9);
    expect(Math.abs(redshifts.sum - 1.650769810192287) / 1.650769810192287).toBeLessThan(1e-9);
    expect(images.mean).toBeCloseTo(972.6460874984041 / 40960, 12);
    expect(Object.keys(images)).toEqual(['name', 'shape', 'dtype', 'sum', 'min', 'max', 'mean', 'nan', 'inf']);
  });

  it('inspect prints a table for people, over a list of files', () => {
    const r = cosmicai('inspect', fixture('tiny-8.legacy.pt'), fixture('small-64.pt'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/samples\s+72/);
    expect(r.stdout).toMatch(/images\s+\[72,5,32,32\]\s+float32/);
  });

  it('sample-data, then partition, then inspect the folder', () => {
    const src = path.join(dir, 'synthetic');
    const made = cosmicai('sample-data', '--samples', '30', '--out', src, '--seed', '5');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/wrote 30 SYNTHETIC galaxies \(seed 5\) in 1 file\(s\)/);
    const out = path.join(dir, 'parts');
    const split = cosmicai('partition', '--in', src, '--size-mb', '0.1', '--out', out);
    expect(split.code).toBe(0);
    expect(split.stdout).toMatch(/wrote 6 file\(s\) .*: 5 samples per file, 30 samples in all/);
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.pt')).length).toBe(6);
    const r = cosmicai('inspect', out, '--json');
    const report = JSON.parse(r.stdout);
    expect(report.samples).toBe(30);
    expect(report.synthetic).toBe(true);
    expect(report.files.map((f: string) => path.basename(f))).toEqual(['1.pt', '2.pt', '3.pt', '4.pt', '5.pt', '6.pt']);
    const table = cosmicai('inspect', out);
    expect(table.stdout).toMatch(/^SYNTHETIC DATA/);
  });

  it('errors name the file and the problem, exit code 1, nothing on stdout', () => {
    const bad = path.join(dir, 'bad.pt');
    fs.writeFileSync(bad, 'not a tensor file');
    const r = cosmicai('inspect', bad, '--json');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error: ${bad}: not a PyTorch .pt file (wrong magic bytes`);
    const tooSmall = cosmicai(
      'partition',
      '--in',
      fixture('tiny-8.pt'),
      '--size-mb',
      '0.001',
      '--out',
      path.join(dir, 'x'),
    );
    expect(tooSmall.code).toBe(1);
    expect(tooSmall.stderr).toMatch(/smaller than one sample \(20504 bytes\)/);
    const badArg = cosmicai('sample-data', '--samples', 'many', '--out', path.join(dir, 'y'));
    expect(badArg.code).not.toBe(0);
    expect(badArg.stderr).toMatch(/expected a positive integer/);
  });
});
