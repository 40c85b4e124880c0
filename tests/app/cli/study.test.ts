import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'cosmicai.mjs');
const FIXTURE = path.join(ROOT, 'tests', 'fixtures', 'recorded-results');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-cli-study-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const cli = (args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, COSMICAI_DATA_DIR: dataDir },
    timeout: 60_000,
  });

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
    expect(r.stderr).toContain('History: 8 recorded run(s) added');
  });

  it('adds the runs to History once', () => {
    const again = cli(['import', FIXTURE, '--json']);
    expect(again.stderr).toContain('History: 0 recorded run(s) added, 8 already there');
    const dry = cli(['import', FIXTURE, '--json', '--no-save']);
    expect(dry.stderr).not.toContain('History:');
  });

  it('prints a readable table without --json', () => {
    const r = cli(['import', FIXTURE, '--no-save']);
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
    expect(t2.rows[0]).toMatchObject({ data_label: 'total', ranks: 5, concurrent_jobs: null });
    expect(t2.rows[0].throughput_gbps).toBeCloseTo(0.128, 12);
    expect(t3.title).toBe('Table 3. Lambda Cost Summary');
    // 100 MB: 24 + 26 = 50 s at 2 GB, 2 requests
    expect(t3.rows[1]).toMatchObject({ partition_mb: 100, invocations: 2, total_duration_s: 50, memory_gb: 2 });
    expect(t3.rows[1].cost_usd).toBeCloseTo(100 * 0.0000166667 + 2 * 0.2e-6, 14);
  });

  it('prints CSV, Markdown and LaTeX', () => {
    const csv = cli(['study', 'tables', FIXTURE, '--format', 'csv']);
    expect(csv.stdout).toMatch(
      /^# Table 2\. Execution Time vs Input Partitions\r\nData,Partition \(MB\),Average execution time \(s\/batch\)/,
    );
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

describe('cosmicai study run / show / list / estimate', () => {
  const tiny = path.join(ROOT, 'tests', 'fixtures', 'tiny-8.pt');

  it('runs a local sweep, prints Table 1, and keeps the study and its runs', () => {
    const r = cli([
      'study',
      'run',
      '--batch-sizes',
      '4,8',
      '--repeats',
      '1',
      '--data',
      tiny,
      '--threads',
      '1',
      '--name',
      'cli sweep',
      '--format',
      'json',
    ]);
    expect(r.stderr).toMatch(/2 job\(s\): 2 local, 0 cloud\./);
    expect(r.stderr).toMatch(/\[2\/2\] 2 done, 0 failed/);
    expect(r.status).toBe(0);
    const [t1] = JSON.parse(r.stdout) as Array<{ title: string; rows: Array<Record<string, number>> }>;
    expect(t1.title).toBe('Table 1. Execution Time vs Batch Size');
    expect(t1.rows.map((x) => x.batch_size)).toEqual([4, 8]);
    expect(t1.rows.every((x) => x.seconds_per_batch > 0 && x.throughput_mbps > 0 && x.memory_gb > 0)).toBe(true);

    const id = /study (study-\S+) created/.exec(r.stderr)![1];
    const list = cli(['study', 'list']);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+cli sweep\\s+2\\s+0\\s+0\\s`, 'm'));
    const show = cli(['study', 'show', id]);
    expect(show.stdout).toContain(`${id} "cli sweep": 2 done, 0 failed, 0 pending, 0 running of 2`);
    expect(show.stdout).toContain('**Table 1. Execution Time vs Batch Size**');
  });

  it('runs the local jobs at int8 with --precision int8: the stored records and the table say int8', () => {
    const r = cli([
      'study',
      'run',
      '--batch-sizes',
      '8',
      '--repeats',
      '1',
      '--data',
      tiny,
      '--threads',
      '1',
      '--precision',
      'int8',
      '--name',
      'int8 sweep',
      '--format',
      'json',
    ]);
    expect(r.stderr).toMatch(/\[1\/1\] 1 done, 0 failed/);
    expect(r.status).toBe(0);
    const [t1] = JSON.parse(r.stdout) as Array<{ rows: Array<Record<string, unknown>> }>;
    expect(t1.rows).toEqual([expect.objectContaining({ precision: 'int8', batch_size: 8, repeats: 1 })]);

    const id = /study (study-\S+) created/.exec(r.stderr)![1];
    const study = JSON.parse(readFileSync(path.join(dataDir, 'studies', id, 'study.json'), 'utf8')) as {
      params: { localPrecision?: string };
      jobs: Array<{ runId: string; result: { precision?: string } }>;
    };
    expect(study.params.localPrecision).toBe('int8');
    expect(study.jobs.map((j) => j.result.precision)).toEqual(['int8']);
    const entry = JSON.parse(readFileSync(path.join(dataDir, 'runs', study.jobs[0].runId, 'run.json'), 'utf8')) as {
      headline: { precision?: string };
      record: { model: { precision: string } };
    };
    expect(entry.record.model.precision).toBe('int8');
    expect(entry.headline.precision).toBe('int8');
    expect(cli(['study', 'show', id]).stdout).toMatch(/\| Precision \| Batch size \|[\s\S]*\| int8 \| 8 \|/);
  });

  it('rejects a precision it does not know, and --precision with only cloud jobs', () => {
    const bad = cli(['study', 'run', '--precision', 'fp16']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/argument 'fp16' is invalid\. Allowed choices are fp32, int8/);
    const cloud = cli(['study', 'run', '--target', 'cloud', '--precision', 'int8']);
    expect(cloud.status).toBe(1);
    expect(cloud.stderr).toMatch(/--precision sets the precision of local jobs, and --target cloud has none/);
  });

  it('compares a local run of the sweep with an imported cloud run from History', () => {
    const runs = readdirSync(path.join(dataDir, 'runs')).map(
      (id) =>
        JSON.parse(readFileSync(path.join(dataDir, 'runs', id, 'run.json'), 'utf8')) as {
          id: string;
          kind: string;
          name: string;
        },
    );
    const local = runs.find((r) => r.kind === 'local' && r.name.startsWith('cli sweep · '))!;
    const recorded = runs.find((r) => r.kind === 'recorded' && r.name === 'Recorded 100 MB / total / run 1')!;
    const r = cli(['study', 'compare', local.id, recorded.id, '--format', 'json']);
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout) as {
      title: string;
      rows: Array<{ metric: string; a: number; b: number; note: string }>;
      comparable: boolean;
      warnings: string[];
    };
    expect(t.title).toBe('Comparison: local vs cloud');
    // The reference model on onnxruntime against the study's PyTorch profiler numbers: not like with like, and said.
    expect(t.comparable).toBe(false);
    expect(t.warnings).toContain('engines differ (local onnxruntime, cloud pytorch)');
    expect(t.warnings).toContain(
      'models differ (local reference model, cloud Mixed_Inception_z_VITAE_Base_Img_Full_New_Full.pt)',
    );
    const metrics = t.rows.filter((x) => x.metric !== 'Warning');
    expect(metrics.map((x) => x.metric)).toEqual([
      'Execution Time/Batch (s)',
      'Throughput (Mbps)',
      'CPU Time (s)',
      'Memory (MB)',
      'Samples/sec',
    ]);
    expect(metrics[1].b).toBe(67); // 35 + 32 Mbps summed over the two ranks
    expect(metrics[3].b).toBe(14000);
    for (const x of metrics) expect(x.note).toMatch(/^not compared: /);

    const int8 = runs.find((r) => r.kind === 'local' && r.name.startsWith('int8 sweep · '))!;
    const tagged = JSON.parse(cli(['study', 'compare', int8.id, recorded.id, '--format', 'json']).stdout) as {
      title: string;
    };
    expect(tagged.title).toBe('Comparison: local (int8) vs cloud');

    const bad = cli(['study', 'compare', local.id, 'no-such-run']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/No run "no-such-run"/);
  });

  it('writes an HTML report of a study and of recorded results', () => {
    const studyId = /^(study-\S+)\s+cli sweep/m.exec(cli(['study', 'list']).stdout)![1];
    const file = path.join(dataDir, 'report.html');
    const r = cli(['study', 'report', studyId, '--out', file]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`report written to ${file}`);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<title>cli sweep</title>');
    expect(html).toContain('<h3>Table 1. Execution Time vs Batch Size</h3>');
    expect(html).toMatch(/<th>Batch sizes<\/th><td>4, 8<\/td>/);
    expect(html).toMatch(/<th>Report made on<\/th><td>.+cores/);
    const recorded = cli(['study', 'report', FIXTURE, '--lambda-memory', '2048']);
    expect(recorded.stdout).toContain('<h3>Table 3. Lambda Cost Summary</h3>');
    expect(recorded.stdout).toContain('Recorded results from folder');
  });

  it('estimates a cloud sweep before running it', () => {
    const r = cli([
      'study',
      'estimate',
      '--target',
      'cloud',
      '--partitions',
      '100',
      '--data-sizes',
      'all',
      '--batch-sizes',
      '512',
      '--repeats',
      '3',
    ]);
    expect(r.status).toBe(0);
    // batch-size sweep: 1GB at 25 MB = 41 ranks; data-size: 12.6 GB at 100 MB = 130 ranks; 3 repeats, +2 per execution
    expect(r.stdout).toMatch(/^6 job\(s\): 0 local, 6 cloud\.$/m);
    expect(r.stdout).toMatch(/^This study will invoke about 530 Lambdas, about \$\d+\.\d\d\.$/m);
    expect(r.stdout).toMatch(/Prices as of \d{4}-\d{2}-\d{2}: AWS public price pages/);
  });

  it('shows the price table with its source and date, and takes an edited one', () => {
    const shown = cli(['study', 'prices']);
    expect(shown.stdout).toMatch(/Region us-east-1, as of \d{4}-\d{2}-\d{2}\. Source: AWS public price pages/);
    expect(shown.stdout).toContain('Default prices.');
    const table = JSON.parse(cli(['study', 'prices', '--json']).stdout) as {
      lambda: { usdPerMillionRequests: number };
      asOf: string;
    };
    table.lambda.usdPerMillionRequests = 0.25;
    table.asOf = '2027-02-01';
    const file = path.join(dataDir, 'edited-prices.json');
    writeFileSync(file, JSON.stringify(table));
    expect(cli(['study', 'prices', '--set', file]).stdout).toMatch(/as of 2027-02-01[\s\S]*Your prices, from /);
    writeFileSync(file, '{}');
    const bad = cli(['study', 'prices', '--set', file]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/edited-prices\.json is not valid: currency/);
    expect(cli(['study', 'prices', '--reset']).stdout).toContain('Default prices.');
  });

  it('keeps cloud jobs waiting when no AWS profile is saved', () => {
    const r = cli([
      'study',
      'run',
      '--target',
      'cloud',
      '--batch-sizes',
      '32',
      '--partitions',
      '25',
      '--data-sizes',
      '1',
      '--repeats',
      '1',
    ]);
    expect(r.stderr).toMatch(/cloud jobs wait: no AWS profile is saved/);
    expect(r.stderr).toMatch(/0 done, 0 failed, 2 cloud job\(s\) waiting for the cloud runner/);
    expect(r.stdout).toMatch(/0 done, 0 failed, 2 pending, 0 running of 2/);
    expect(r.status).toBe(0);
  });

  it('rejects bad sweep values by name', () => {
    const r = cli(['study', 'estimate', '--batch-sizes', '32,x']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/batch sizes must be whole numbers ≥ 1 separated by commas, got '32,x'/);
  });
});
