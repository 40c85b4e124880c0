import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../../cloud/results.ts';
import { s3rverClientConfig, startS3rver, type S3rverHandle } from '../infra/s3rver.ts';

const BUCKET = 'cosmicai-results';
let server: S3rverHandle;
let s3: S3Client;

beforeAll(async () => {
  server = await startS3rver({ buckets: [BUCKET] });
  s3 = new S3Client(s3rverClientConfig(server.endpoint));
});
afterAll(async () => {
  s3?.destroy();
  await server?.close();
});

const rank = (cpu: number, bps: number, dataPath: string) => ({
  'total_cpu_time (seconds)': cpu,
  'total_cpu_memory (MB)': 100,
  'execution_time (seconds/batch)': cpu / 10,
  num_batches: 10,
  batch_size: 512,
  device: 'cpu',
  throughput_bps: bps,
  sample_persec: 200,
  result_path: 'results/r1',
  data_path: dataPath,
});
const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

describe('reading a run’s results from S3', () => {
  it('keeps every readable rank, reports the malformed and the incomplete ones, and aggregates the rest', async () => {
    await put('results/r1/0.json', JSON.stringify(rank(10, 1e6, '100MB/1.pt')));
    await put('results/r1/1.json', JSON.stringify(rank(20, 2e6, '100MB/2.pt')));
    await put('results/r1/2.json', '{"total_cpu_time (seconds)": 3'); // truncated write
    await put('results/r1/3.json', JSON.stringify({ device: 'cpu', data_path: '100MB/4.pt' })); // missing metrics
    await put('results/r1/10.json', JSON.stringify(rank(30, 3e6, '100MB/11.pt')));
    await put('results/r1/notes.txt', 'not a result');
    const r = await readResults(s3, BUCKET, 'results/r1', 12);
    expect(r.source).toBe('rank-files');
    // numeric key order: 0, 1, 10 (2 and 3 are problems)
    expect(r.rankKeys).toEqual(['results/r1/0.json', 'results/r1/1.json', 'results/r1/10.json']);
    expect(r.ranks.map((x) => x.data_path)).toEqual(['100MB/1.pt', '100MB/2.pt', '100MB/11.pt']);
    expect(r.problems.map((p) => p.key)).toEqual(['results/r1/2.json', 'results/r1/3.json']);
    expect(r.problems[0].problem).toMatch(/not valid JSON/);
    expect(r.problems[1].problem).toMatch(/total_cpu_time \(seconds\)/);
    expect(r.combined).toBeNull();
    // cpu 10,20,30 → Q1 15, Q3 25, bounds [0, 40]: mean 20; Σbps 6e6; total_bits 10e6+40e6+90e6 = 140e6
    expect(r.aggregate).toMatchObject({
      ranks: 3,
      'total_cpu_time (seconds)': 20,
      throughput_bps: 6e6,
      'total_cpu_memory (MB)': 300,
      total_bits: 140e6,
      map_duration_seconds: 12,
    });
    expect(r.aggregate!.wall_throughput_bps).toBeCloseTo(140e6 / 12, 6);
  });

  it('falls back to combined_data.json (a recorded run without rank files), as the study aggregated it', async () => {
    await put('results/r2/combined_data.json', JSON.stringify([rank(1, 10, 'a'), rank(3, 30, 'b'), { broken: true }]));
    const r = await readResults(s3, BUCKET, 'results/r2/');
    expect(r.source).toBe('combined');
    expect(r.ranks).toEqual([]);
    expect(r.combined).toHaveLength(3);
    expect(r.problems.map((p) => p.key)).toEqual(['results/r2/combined_data.json[2]']);
    expect(r.aggregate).toMatchObject({
      ranks: 2,
      'total_cpu_time (seconds)': 2,
      throughput_bps: 40,
      total_bits: 100,
      wall_throughput_bps: null,
    });
  });

  it('says so when nothing is under the result path', async () => {
    const r = await readResults(s3, BUCKET, 'results/none');
    expect(r.aggregate).toBeNull();
    expect(r.problems[0].problem).toMatch(/no objects under the result path/);
  });
});
