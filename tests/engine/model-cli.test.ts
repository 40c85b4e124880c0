import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');
let dataDir: string;

function cosmicai(args: string[]) {
  const result = spawnSync(process.execPath, [path.join(REPO, 'bin', 'cosmicai.mjs'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, COSMICAI_DATA_DIR: dataDir },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-model-cli-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('cosmicai model info', () => {
  it('--json reports the reference model (built into the data folder on first use)', () => {
    const { code, stdout, stderr } = cosmicai(['model', 'info', '--json']);
    expect(code, stderr).toBe(0);
    const info = JSON.parse(stdout);
    expect(info.parameters).toBe(15_764_097);
    expect(info.flopsPerSample).toBe(765_058_816);
    expect(info.inputs).toEqual([
      { name: 'image', shape: ['batch', 5, 32, 32], dtype: 'float32' },
      { name: 'magnitude', shape: ['batch', 5], dtype: 'float32' },
    ]);
    expect(info.outputs).toEqual([{ name: 'redshift', shape: ['batch', 1], dtype: 'float32' }]);
    expect(info.path).toBe(path.join(dataDir, 'models', 'astromae-reference-v2.onnx'));
    expect(info.label).toBe('reference weights — predictions are not physical');
  });

  it('prints a table that labels reference weights as not physical', () => {
    const { code, stdout } = cosmicai(['model', 'info']);
    expect(code).toBe(0);
    expect(stdout).toContain('reference weights — predictions are not physical');
    expect(stdout).toMatch(/parameters\s+15,764,097/);
    expect(stdout).toMatch(/FLOPs\/galaxy\s+765,058,816/);
    expect(stdout).toContain('image [batch,5,32,32] float32');
  });

  it('takes a FILE and fails with exit 1 and a clear message when it is not ONNX', async () => {
    const ref = path.join(dataDir, 'models', 'astromae-reference-v2.onnx');
    const explicit = cosmicai(['model', 'info', ref, '--json']);
    expect(explicit.code).toBe(0);
    expect(JSON.parse(explicit.stdout).parameters).toBe(15_764_097);

    const bogus = path.join(dataDir, 'bogus.onnx');
    await writeFile(bogus, 'not a model');
    const bad = cosmicai(['model', 'info', bogus]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${bogus}: not an ONNX model`);
    expect(bad.stdout).toBe('');
  });
});
