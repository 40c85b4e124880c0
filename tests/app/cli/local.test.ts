import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalRunRecordSchema } from '../../../base/local-run-record.ts';
import { FIXTURES, SHARED_MODEL_DIR, referenceModel } from '../../support/engine-run-helpers.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'cosmicai.mjs');
const small = path.join(FIXTURES, 'small-64.pt');
const tiny = path.join(FIXTURES, 'tiny-8.pt');

function cli(args: string[], dataDir: string) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, COSMICAI_DATA_DIR: dataDir },
    timeout: 240_000,
  });
}

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'cosmicai-cli-local-'));

describe('cosmicai local', () => {
  it('runs the fixtures, prints the metrics table and writes the record and predictions', async () => {
    await referenceModel(); // the default model comes from the data folder: reuse the shared cache
    const out = tmp();
    const json = path.join(out, 'out.json');
    const csv = path.join(out, 'pred.csv');
    const r = cli(
      ['local', '--data', small, tiny, '--batch-size', '16', '--threads', '1', '--json', json, '--predictions', csv],
      SHARED_MODEL_DIR,
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^partition\s+status\s+samples\s+batches\s+load \(s\)\s+inference \(s\)\s+execution_time \(s\/batch\)/m,
    );
    expect(r.stdout).toMatch(/^1\s+completed\s+64\s+4\s/m);
    expect(r.stdout).toMatch(/^2\s+completed\s+8\s+1\s/m);
    expect(r.stdout).toMatch(/^run\s+completed\s+72\s+5\s/m);
    expect(r.stdout).toContain('reference weights — predictions are not physical');
    expect(r.stdout).not.toContain('synthetic data');
    expect(r.stdout).toMatch(/accuracy over 72 labelled galaxies/);
    const record = LocalRunRecordSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    expect(record).toMatchObject({ status: 'completed', num_batches: 5, batch_size: 16, samples: 72 });
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('index,partition,z_true,z_pred');
    expect(lines).toHaveLength(73);
  });

  it('rejects a bad batch size with a clear message and exit code 1', () => {
    for (const [value, message] of [
      ['0', /batch size must be a whole number from 1 to 65536, got 0/],
      ['abc', /--batch-size must be a whole number, got 'abc'/],
    ] as const) {
      const r = cli(['local', '--data', tiny, '--batch-size', value], SHARED_MODEL_DIR);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it('names a model file that is not ONNX', () => {
    const r = cli(['local', '--data', tiny, '--model', tiny], SHARED_MODEL_DIR);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: .*tiny-8\.pt/m);
  });

  it('Ctrl-C cancels and still writes what was computed', async () => {
    const out = tmp();
    const json = path.join(out, 'out.json');
    const csv = path.join(out, 'pred.csv');
    const child = spawn(
      process.execPath,
      [
        CLI,
        'local',
        '--data',
        small,
        tiny,
        '--batch-size',
        '4',
        '--threads',
        '1',
        '--json',
        json,
        '--predictions',
        csv,
      ],
      {
        env: { ...process.env, COSMICAI_DATA_DIR: SHARED_MODEL_DIR },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/partition 1\/2 inferring/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toMatch(/cancelling after the current batch/);
    expect(code).toBe(130);
    expect(stdout).toMatch(/: cancelled/);
    const record = LocalRunRecordSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    expect(record.status).toBe('cancelled');
    expect(record.samples).toBeGreaterThan(0);
    expect(record.samples).toBeLessThan(72);
    expect(record.partitions[1].status).toBe('skipped');
    expect(readFileSync(csv, 'utf8').trimEnd().split('\n')).toHaveLength(record.samples + 1);
  });

  it('runs with no arguments on the default model and synthetic sample data', () => {
    const dataDir = tmp();
    const r = cli(['local'], dataDir);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^run\s+completed\s+2,048\s+4\s/m);
    expect(r.stdout).toContain('reference weights — predictions are not physical');
    expect(r.stdout).toContain('synthetic data');
  }, 240_000);
});
