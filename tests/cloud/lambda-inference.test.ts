import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createInference, cachedSessionCount } from '../../cloud/lambda/inference.ts';
import { createInitializer } from '../../cloud/lambda/initializer.ts';
import { resolveModelKey } from '../../cloud/lambda/model-location.ts';
import { localPathFor } from '../../cloud/lambda/s3.ts';
import { RANK_RESULT_KEYS } from '../../cloud/rank-result.ts';
import { INPUT_BITS_PER_SAMPLE } from '../../base/local-run-record.ts';
import { referenceModel } from '../support/engine-run-helpers.ts';
import { s3rverClientConfig, startS3rver, type S3rverHandle } from '../infra/s3rver.ts';
import { stageCaiFixtures } from '../infra/stage-fixtures.ts';

describe('resolveModelKey (how S3_object_name / object_type / script name the model)', () => {
  const p = {
    bucket: 'b',
    object_type: 'folder' as const,
    S3_object_name: 'scripts/cosmicai-bench',
    script: '/tmp/scripts/cosmicai-bench/model.onnx',
  };
  const none = async () => [];
  it('reads the study-style /tmp/<S3_object_name>/… script path, or a path relative to the folder', async () => {
    expect(await resolveModelKey(p, none)).toBe('scripts/cosmicai-bench/model.onnx');
    expect(await resolveModelKey({ ...p, script: 'onnx/astromae.onnx' }, none)).toBe(
      'scripts/cosmicai-bench/onnx/astromae.onnx',
    );
  });
  it("takes the folder's only .onnx when script names something else (the study's inference.py)", async () => {
    const list = async () => ['scripts/cosmicai-bench/Inference/inference.py', 'scripts/cosmicai-bench/m.onnx'];
    expect(await resolveModelKey({ ...p, script: '/tmp/scripts/cosmicai-bench/Inference/inference.py' }, list)).toBe(
      'scripts/cosmicai-bench/m.onnx',
    );
  });
  it('explains zero or several candidate models, and refuses paths leaving the folder', async () => {
    await expect(resolveModelKey({ ...p, script: 'x.py' }, none)).rejects.toThrow(
      /no \.onnx model under s3:\/\/b\/scripts\/cosmicai-bench\//,
    );
    await expect(
      resolveModelKey({ ...p, script: 'x.py' }, async () => [
        'scripts/cosmicai-bench/a.onnx',
        'scripts/cosmicai-bench/b.onnx',
      ]),
    ).rejects.toThrow(/several \.onnx models.*name one in "script"/);
    await expect(resolveModelKey({ ...p, script: '/opt/model.onnx' }, none)).rejects.toThrow(
      /outside the downloaded folder/,
    );
    await expect(resolveModelKey({ ...p, script: '../other/model.onnx' }, none)).rejects.toThrow(/'\.\.'/);
  });
  it('with object_type "file", S3_object_name is the model itself', async () => {
    expect(await resolveModelKey({ ...p, object_type: 'file', S3_object_name: 'scripts/m.onnx' }, none)).toBe(
      'scripts/m.onnx',
    );
    await expect(
      resolveModelKey({ ...p, object_type: 'file', S3_object_name: 'scripts/code.zip' }, none),
    ).rejects.toThrow(/not an \.onnx model/);
  });
});

describe('localPathFor (S3 keys to /tmp paths)', () => {
  it('keeps keys under the root and refuses ones that would leave it', () => {
    expect(localPathFor('/tmp/x', 'data/50MB/1.pt')).toBe(path.join('/tmp/x', 'data', '50MB', '1.pt'));
    expect(localPathFor('/tmp/x', 'a//./b.pt')).toBe(path.join('/tmp/x', 'a', 'b.pt'));
    for (const bad of ['../etc/passwd', 'a/../../b', '/etc/passwd', 'a\\..\\b', '', 'a/\0b'])
      expect(() => localPathFor('/tmp/x', bad)).toThrow(/refusing S3 key/);
  });
});

describe('inference handler on the fixtures in s3rver', () => {
  let s3rver: S3rverHandle;
  let s3: S3Client;
  let tmp: string;
  const bucket = 'cosmicai-test';

  beforeAll(async () => {
    s3rver = await startS3rver({ buckets: [bucket] });
    s3 = new S3Client(s3rverClientConfig(s3rver.endpoint));
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-lambda-'));
  });
  afterAll(async () => {
    s3?.destroy();
    await s3rver?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('writes <result_path>/<rank>.json with exactly the study keys and consistent values; the session is made once', async () => {
    const payload = await stageCaiFixtures(s3, {
      bucket,
      modelPath: await referenceModel(),
      partitions: { '1.pt': 'tiny-8.pt', '2.pt': 'tiny-8.legacy.pt', '3.pt': 'tiny-8.pt' },
      batchSize: 3,
      worldSize: 2,
      resultPath: 'results/inference-test',
    });
    const plan = await createInitializer({ s3 })(payload);
    expect(plan.items.map((i) => i.files)).toEqual([['data/1.pt', 'data/2.pt'], ['data/3.pt']]);
    const infer = createInference({ s3, tmpDir: tmp });
    const sessionsBefore = cachedSessionCount();

    const first = await infer(plan.items[0]);
    const second = await infer(plan.items[1]);
    expect(first.cold_start).toBe(true);
    expect(first.init_duration_ms).toBeGreaterThan(0);
    expect(second.cold_start).toBe(false);
    expect(second.init_duration_ms).toBeNull();
    expect(cachedSessionCount()).toBe(sessionsBefore + 1);

    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'results/inference-test/0.json' }));
    const stored = JSON.parse(await obj.Body!.transformToString()) as Record<string, unknown>;
    expect(Object.keys(stored)).toEqual([...RANK_RESULT_KEYS]);
    expect(stored).toEqual(first.result);
    // Two files of 8 galaxies in batches of 3: 3 batches each.
    expect(stored).toMatchObject({
      num_batches: 6,
      batch_size: 3,
      device: 'cpu',
      result_path: 'results/inference-test',
      data_path: ['data/1.pt', 'data/2.pt'],
    });
    expect(first.samples).toBe(16);
    const r = first.result!;
    for (const k of [
      'total_cpu_time (seconds)',
      'total_cpu_memory (MB)',
      'execution_time (seconds/batch)',
      'throughput_bps',
      'sample_persec',
    ] as const) {
      expect(Number.isFinite(r[k]) && r[k] > 0, k).toBe(true);
    }
    // The study's definitions tie the fields together: bits per galaxy, and inference time = batches × s/batch.
    expect(r.throughput_bps / r.sample_persec).toBeCloseTo(INPUT_BITS_PER_SAMPLE, 6);
    expect(r.num_batches * r['execution_time (seconds/batch)']).toBeCloseTo(16 / r.sample_persec, 9);
    expect(r['total_cpu_memory (MB)']).toBeGreaterThan(50); // the 63 MB model is resident
    expect(second.result).toMatchObject({ num_batches: 3, data_path: 'data/3.pt' });
    // A rank beyond the files (the initializer gives it none) writes nothing, as the study's ranks with DATA_PATH null.
    const idle = await infer({ ...plan.items[1], rank: 7, files: [], data_path: null });
    expect(idle).toMatchObject({ rank: 7, result_key: null, result: null, samples: 0 });
    expect(
      await s3
        .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'results/inference-test/7' }))
        .then((o) => o.KeyCount ?? 0),
    ).toBe(0);
    // Partitions downloaded to /tmp are removed after use; the model stays for the container.
    expect(readdirSync(path.join(tmp, 'data'))).toEqual([]);
  });

  it("fails the rank with the reader's error when a partition is not a .pt file", async () => {
    const payload = await stageCaiFixtures(s3, {
      bucket,
      modelPath: await referenceModel(),
      partitions: { '1.pt': 'README.md' },
      dataPrefix: 'bad/',
    });
    const plan = await createInitializer({ s3 })(payload);
    await expect(createInference({ s3, tmpDir: tmp })(plan.items[0])).rejects.toMatchObject({
      name: 'PtFormatError',
      message: expect.stringContaining('1.pt'),
    });
  });

  it('rejects an item that is not from the initializer', async () => {
    await expect(createInference({ s3, tmpDir: tmp })({ bucket })).rejects.toMatchObject({
      name: 'InvalidPayload',
      message: expect.stringContaining('rank'),
    });
  });
});
