/**
 * The workers' S3 access, shared by the three handlers. In Lambda the client takes region and credentials from
 * the execution role's environment (AWS_REGION, AWS_ACCESS_KEY_ID, …); AWS_ENDPOINT_URL_S3 points it at an
 * S3-compatible store (path-style addressing and checksums only where required, which such stores need).
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { localPathFor } from '../s3-key-path.ts';

export { localPathFor };

export function workerS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3;
  return new S3Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxAttempts: 5,
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
  });
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
}

/** Every object under a prefix (all pages). */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '' });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

export async function getText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await obj.Body?.transformToString('utf-8')) ?? '';
}

/** Writes JSON; `indent` 4 as the study's per-rank files, 0 (compact) as its combined_data.json. */
export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown, indent = 4): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(value, null, indent || undefined),
      ContentType: 'application/json',
    }),
  );
}

/** Streams an object to a file under `root` (no whole-object buffer); returns the path. */
export async function downloadTo(s3: S3Client, bucket: string, key: string, root: string): Promise<string> {
  const file = localPathFor(root, key);
  await mkdir(path.dirname(file), { recursive: true });
  const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!obj.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  await pipeline(obj.Body as Readable, createWriteStream(file));
  return file;
}
