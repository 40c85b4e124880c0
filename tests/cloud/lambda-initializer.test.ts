import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createInitializer } from '../../cloud/lambda/initializer.ts';
import { assignFiles, orderPartitionKeys } from '../../cloud/lambda/rank-plan.ts';
import { s3rverClientConfig, startS3rver, type S3rverHandle } from '../infra/s3rver.ts';

describe('orderPartitionKeys', () => {
  it('orders .pt keys numerically by file name and drops everything else', () => {
    expect(orderPartitionKeys(['d/10.pt', 'd/2.pt', 'd/1.pt', 'd/readme.txt', 'd/11.pt', 'd/3.PT'])).toEqual([
      'd/1.pt',
      'd/2.pt',
      'd/3.PT',
      'd/10.pt',
      'd/11.pt',
    ]);
  });
});

describe('assignFiles (the study initializer)', () => {
  const files = ['1.pt', '2.pt', '3.pt', '4.pt', '5.pt'];
  it('gives one file per rank by default', () => {
    expect(assignFiles(files)).toEqual(files.map((f) => [f]));
  });
  it('splits into contiguous blocks of ceil(left / ranks left) when there are fewer ranks than files', () => {
    expect(assignFiles(files, 2)).toEqual([
      ['1.pt', '2.pt', '3.pt'],
      ['4.pt', '5.pt'],
    ]);
    expect(assignFiles(files, 3)).toEqual([['1.pt', '2.pt'], ['3.pt', '4.pt'], ['5.pt']]);
    expect(assignFiles(files, 1)).toEqual([files]);
  });
  it('gives ranks beyond the files no file (no file is processed twice)', () => {
    expect(assignFiles(['1.pt', '2.pt'], 5)).toEqual([['1.pt'], ['2.pt'], [], [], []]);
  });
  it('refuses an empty list or a bad world size', () => {
    expect(() => assignFiles([])).toThrow(/no partition files/);
    expect(() => assignFiles(files, 0)).toThrow(/world_size/);
  });
});

describe('initializer handler against s3rver', () => {
  let s3rver: S3rverHandle;
  let s3: S3Client;
  const base = {
    bucket: 'results-b',
    batch_size: 512,
    object_type: 'folder',
    S3_object_name: 'scripts/cosmicai-bench',
    script: '/tmp/scripts/cosmicai-bench/model.onnx',
    result_path: 'results/r1',
    data_bucket: 'data-b',
    data_prefix: '50MB/',
  };

  beforeAll(async () => {
    s3rver = await startS3rver({ buckets: ['results-b', 'data-b'] });
    s3 = new S3Client(s3rverClientConfig(s3rver.endpoint));
    // 12 partitions, put in a scrambled order, plus things that are not partitions.
    for (const n of [12, 3, 1, 10, 2, 11, 4, 5, 6, 7, 8, 9])
      await s3.send(new PutObjectCommand({ Bucket: 'data-b', Key: `50MB/${n}.pt`, Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: 'data-b', Key: '50MB/notes.txt', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: 'data-b', Key: '25MB/1.pt', Body: 'x' }));
  });
  afterAll(async () => {
    s3?.destroy();
    await s3rver?.close();
  });

  it('takes the first file_limit partitions in numeric order, one rank each, carrying the payload', async () => {
    const out = await createInitializer({ s3 })({ ...base, file_limit: '10' });
    expect(out.files).toEqual(Array.from({ length: 10 }, (_, i) => `50MB/${i + 1}.pt`));
    expect(out.file_limit).toBe(10);
    expect(out.world_size).toBe(10);
    expect(out.items).toHaveLength(10);
    expect(out.items[9]).toMatchObject({
      ...base,
      file_limit: 10,
      rank: 9,
      world_size: 10,
      files: ['50MB/10.pt'],
      data_path: '50MB/10.pt',
    });
  });

  it('caps file_limit at the files present', async () => {
    const out = await createInitializer({ s3 })({ ...base, file_limit: 50 });
    expect(out.file_limit).toBe(12);
    expect(out.items.map((i) => i.rank)).toEqual([...Array(12).keys()]);
    expect(out.items[11].files).toEqual(['50MB/12.pt']);
  });

  it('with world_size, gives ranks contiguous blocks (a list as data_path)', async () => {
    const out = await createInitializer({ s3 })({ ...base, file_limit: 5, world_size: 2 });
    expect(out.items.map((i) => i.files)).toEqual([
      ['50MB/1.pt', '50MB/2.pt', '50MB/3.pt'],
      ['50MB/4.pt', '50MB/5.pt'],
    ]);
    expect(out.items[0].data_path).toEqual(['50MB/1.pt', '50MB/2.pt', '50MB/3.pt']);
    expect(out.items.every((i) => i.world_size === 2)).toBe(true);
  });

  it('fails clearly when the prefix has no partitions', async () => {
    await expect(createInitializer({ s3 })({ ...base, file_limit: 1, data_prefix: '75MB/' })).rejects.toMatchObject({
      name: 'NoPartitionsFound',
      message: expect.stringContaining('s3://data-b/75MB/'),
    });
  });

  it('rejects a payload that is not the study input, naming the fields', async () => {
    await expect(createInitializer({ s3 })({ ...base, file_limit: 0, object_type: 'dir' })).rejects.toMatchObject({
      name: 'InvalidPayload',
      message: expect.stringMatching(/file_limit.*object_type/),
    });
  });
});
