import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { describeAwsError, type AwsErrorContext } from '../../cloud/aws-errors.ts';
import { localPathFor } from '../../cloud/s3-key-path.ts';
import { readRegularFile } from '../../engine/regular-file.ts';

/**
 * Where recorded results are read from: a local folder or an S3 prefix, behind one interface so the same parser
 * reads both. Keys are relative to the root and always use "/".
 */
export interface ObjectSource {
  /** "folder /data/results" or "s3://bucket/prefix/". */
  label: string;
  listObjects(): Promise<string[]>;
  getObject(key: string): Promise<string>;
}

export function folderSource(dir: string): ObjectSource {
  const root = path.resolve(dir);
  return {
    label: `folder ${root}`,
    async listObjects() {
      let entries: string[];
      try {
        entries = (await readdir(root, { recursive: true, withFileTypes: true }))
          .filter((e) => e.isFile())
          .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT')
          throw new Error(`${root} does not exist; pass the folder that holds the result-partition-<P>MB folders`, {
            cause: err,
          });
        if (code === 'ENOTDIR')
          throw new Error(`${root} is a file; pass the folder that holds the result-partition-<P>MB folders`, {
            cause: err,
          });
        throw err;
      }
      return entries.map((p) => p.split(path.sep).join('/')).sort();
    },
    getObject: async (key) => readRegularFile(localPathFor(root, key), 'utf8'),
  };
}

/** An S3 prefix, listed with ListObjectsV2 (all pages) and read with GetObject. */
export function s3Source(s3: S3Client, bucket: string, prefix = ''): ObjectSource {
  const base = prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix;
  const where = `s3://${bucket}/${base}`;
  return {
    label: where,
    async listObjects() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        try {
          const page = await s3.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: base, ContinuationToken: token }),
          );
          for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) keys.push(o.Key.slice(base.length));
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } catch (err) {
          throw awsError(err, { service: 'S3', operation: 'ListObjectsV2', bucket });
        }
      } while (token);
      return keys.sort();
    },
    async getObject(key) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: base + key }));
        return await out.Body!.transformToString('utf8');
      } catch (err) {
        throw awsError(err, { service: 'S3', operation: 'GetObject', bucket, key: base + key });
      }
    },
  };
}

function awsError(err: unknown, ctx: AwsErrorContext): Error {
  const d = describeAwsError(err, ctx);
  return new Error(`${d.message} ${d.hint}`);
}
