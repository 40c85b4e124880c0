import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createSummarizer } from '../../cloud/lambda/summarizer.ts';
import { s3rverClientConfig, startS3rver, type S3rverHandle } from '../infra/s3rver.ts';

const rank = (r: number, resultPath: string) => ({
  'total_cpu_time (seconds)': 10 + r,
  'total_cpu_memory (MB)': 500,
  'execution_time (seconds/batch)': 1.5,
  num_batches: 4,
  batch_size: 512,
  device: 'cpu',
  throughput_bps: 1e8,
  sample_persec: 300,
  result_path: resultPath,
  data_path: `data/${r + 1}.pt`,
});

describe('summarizer handler against s3rver', () => {
  let s3rver: S3rverHandle;
  let s3: S3Client;
  const bucket = 'cosmicai-test';
  const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const get = async (key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();

  beforeAll(async () => {
    s3rver = await startS3rver({ buckets: [bucket] });
    s3 = new S3Client(s3rverClientConfig(s3rver.endpoint));
  });
  afterAll(async () => {
    s3?.destroy();
    await s3rver?.close();
  });

  it('combines the good ranks in rank order and reports the malformed and missing ones', async () => {
    const rp = 'results/sum-1';
    await put(`${rp}/0.json`, JSON.stringify(rank(0, rp)));
    await put(`${rp}/1.json`, '{"total_cpu_time (seconds)": 3,'); // truncated
    await put(`${rp}/2.json`, JSON.stringify({ ...rank(2, rp), extra: 1 })); // not the study's keys
    await put(`${rp}/4.json`, JSON.stringify(rank(4, rp)));
    // rank 3 never wrote its file
    const items = [0, 1, 2, 3, 4].map((r) => ({ rank: r }));
    const out = await createSummarizer({ s3 })({ bucket, result_path: rp, world_size: 5, items });
    expect(out).toMatchObject({
      statusCode: 200,
      combined_key: `${rp}/combined_data.json`,
      ranks: [0, 4],
      missing: [3],
    });
    expect(out.malformed.map((m) => m.key)).toEqual([`${rp}/1.json`, `${rp}/2.json`]);
    expect(out.malformed[0].problem).toMatch(/not valid JSON/);
    expect(out.malformed[1].problem).toMatch(/extra/);
    expect(JSON.parse(await get(`${rp}/combined_data.json`))).toEqual([rank(0, rp), rank(4, rp)]);
  });

  it('without a rank plan, takes every <n>.json under result_path (numerically) and ignores an earlier combined file', async () => {
    const rp = 'results/sum-2';
    for (const r of [10, 2, 1]) await put(`${rp}/${r}.json`, JSON.stringify(rank(r, rp)));
    await put(`${rp}/combined_data.json`, '[]');
    const out = await createSummarizer({ s3 })({ bucket, result_path: rp });
    expect(out.ranks).toEqual([1, 2, 10]);
    expect(JSON.parse(await get(`${rp}/combined_data.json`))).toEqual([rank(1, rp), rank(2, rp), rank(10, rp)]);
  });

  it('fails only when no rank left a usable result', async () => {
    await expect(
      createSummarizer({ s3 })({ bucket, result_path: 'results/empty', world_size: 2 }),
    ).rejects.toMatchObject({
      name: 'NoRankResults',
      message: expect.stringContaining('missing ranks 0, 1'),
    });
    await expect(createSummarizer({ s3 })({ result_path: 'x' })).rejects.toMatchObject({ name: 'InvalidPayload' });
  });
});
