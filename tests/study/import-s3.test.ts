import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { folderSource, s3Source } from '../../study/import/object-source.ts';
import { importRecordedRuns } from '../../study/import/recorded-runs.ts';
import { localProfile, TestCipher } from '../support/cloud-helpers.ts';
import { startS3rver, type S3rverHandle } from '../infra/s3rver.ts';

const BUCKET = 'cosmicai-results';
const FIXTURE = path.resolve('tests/fixtures/recorded-results');
let server: S3rverHandle;
let clients: AwsClients;

beforeAll(async () => {
  server = await startS3rver({ buckets: [BUCKET] });
  const cipher = new TestCipher();
  clients = makeClients(localProfile(cipher, { s3: server.endpoint }), { cipher, maxAttempts: 2 });
  const keys = await folderSource(FIXTURE).listObjects();
  for (const key of keys)
    await clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `team1/${key}`, Body: await readFile(path.join(FIXTURE, key)) }),
    );
});
afterAll(async () => {
  clients?.destroy();
  await server?.close();
});

describe('import from an S3 prefix', () => {
  it('gives the same runs, problems and ignored files as the folder', async () => {
    const fromS3 = await importRecordedRuns(s3Source(clients.s3, BUCKET, 'team1'));
    const fromFolder = await importRecordedRuns(folderSource(FIXTURE));
    expect(fromS3.from).toBe(`s3://${BUCKET}/team1/`);
    expect(fromS3.runs).toEqual(fromFolder.runs);
    expect(fromS3.problems).toEqual(fromFolder.problems);
    expect(fromS3.ignored).toEqual(fromFolder.ignored);
  });

  it('explains a missing bucket and an empty prefix', async () => {
    await expect(importRecordedRuns(s3Source(clients.s3, 'no-such-bucket', 'x'))).rejects.toThrow(
      /bucket 'no-such-bucket' does not exist/,
    );
    await expect(importRecordedRuns(s3Source(clients.s3, BUCKET, 'nothing-here/'))).rejects.toThrow(
      /no combined_data\.json files in s3:\/\/cosmicai-results\/nothing-here\//,
    );
  });
});
