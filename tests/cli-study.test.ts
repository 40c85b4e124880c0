import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'cosmicai.mjs');
const FIXTURE = path.join(ROOT, 'tests', 'fixtures', 'recorded-results');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-cli-study-'));

const cli = (args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, COSMICAI_DATA_DIR: dataDir }, timeout: 60_000 });

describe('cosmicai import', () => {
  it('--json prints one array with one object per recorded run, under the study names', () => {
    const r = cli(['import', FIXTURE, '--json']);
    expect(r.status).toBe(0);
    const runs = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(Array.isArray(runs)).toBe(true);
    expect(runs).toHaveLength(8);
    const total50 = runs.find((x) => x.partition_mb === 50 && x.data_label === 'total')!;
    expect(total50).toMatchObject({ batch_size: 512, repeat: 1, ranks: 5, 'total_cpu_time (seconds)': 12.75 });
    expect(total50['total_cpu_memory (MB)']).toBeCloseTo(28000, 9);
    expect(total50.throughput_bps).toBeCloseTo(128e6, 3);
    expect(total50.total_bits).toBeCloseTo(1902.5e6, 3);
    const batch = runs.filter((x) => x.sweep === 'batch-size').map((x) => [x.batch_size, x.repeat]);
    expect(batch).toEqual([
      [32, 1],
      [32, 2],
      [64, 1],
    ]);
    for (const x of runs) {
      expect(typeof x.partition_mb).toBe('number');
      expect(typeof x.batch_size).toBe('number');
      expect(typeof x.repeat).toBe('number');
      expect(typeof x.data_label).toBe('string');
    }
    // problems go to stderr, naming the file
    expect(r.stderr).toContain('skipped result-partition-50MB/1GB/2/combined_data.json: not valid JSON');
    expect(r.stderr).toContain('skipped result-partition-25MB/2GB/1/combined_data.json: rank 2 of 2: throughput_bps');
  });

  it('prints a readable table without --json', () => {
    const r = cli(['import', FIXTURE]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^8 recorded run\(s\) from folder .*; 2 file\(s\) skipped/);
    expect(r.stdout).toMatch(/^\s+50\s+total\s+data-size\s+512\s+1\s+5\s+12\.75\s+28000\.0\s+128\.00\s/m);
  });

  it('fails clearly on a folder that does not exist', () => {
    const r = cli(['import', path.join(FIXTURE, 'missing')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: .*missing does not exist/);
  });
});

describe('cosmicai study tables', () => {
  it('prints Tables 2 and 3 as JSON', () => {
    const r = cli(['study', 'tables', FIXTURE, '--format', 'json', '--lambda-memory', '2048', '--data', 'total']);
    expect(r.status).toBe(0);
    const [t2, t3] = JSON.parse(r.stdout) as Array<{ title: string; rows: Array<Record<string, unknown>> }>;
    expect(t2.title).toBe('Table 2. Execution Time vs Input Partitions');
    expect(t2.rows.map((x) => x.partition_mb)).toEqual([50, 100]);
    expect(t2.rows[0]).toMatchObject({ data_label: 'total', concurrent_jobs: 5 });
    expect(t2.rows[0].throughput_gbps).toBeCloseTo(0.128, 12);
    expect(t3.title).toBe('Table 3. Lambda Cost Summary');
    // 100 MB: 24 + 26 = 50 s at 2 GB, 2 requests
    expect(t3.rows[1]).toMatchObject({ partition_mb: 100, invocations: 2, total_duration_s: 50, memory_gb: 2 });
    expect(t3.rows[1].cost_usd).toBeCloseTo(100 * 0.0000166667 + 2 * 0.2e-6, 14);
  });

  it('prints CSV, Markdown and LaTeX', () => {
    const csv = cli(['study', 'tables', FIXTURE, '--format', 'csv']);
    expect(csv.stdout).toMatch(/^# Table 2\. Execution Time vs Input Partitions\r\nData,Partition \(MB\),Average execution time \(s\/batch\)/);
    expect(csv.stdout).toContain('# Table 3. Lambda Cost Summary');
    const md = cli(['study', 'tables', FIXTURE]);
    expect(md.stdout).toContain('**Table 3. Lambda Cost Summary**');
    expect(md.stdout).toContain('10240 MB was assumed');
    const tex = cli(['study', 'tables', FIXTURE, '--format', 'latex']);
    expect(tex.stdout).toContain('\\caption{Table 2. Execution Time vs Input Partitions}');
  });

  it('names the labels it has when --data matches none', () => {
    const r = cli(['study', 'tables', FIXTURE, '--data', '9GB']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no data-size runs with data label "9GB"; the labels found are: 1GB, total/);
  });
});
