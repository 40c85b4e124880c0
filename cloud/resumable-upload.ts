import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../engine/atomic-file.ts';

/**
 * A multipart upload that survives a dropped connection, a crash or a cancel: the UploadId and every finished
 * part's ETag go to a small state file as they finish, so the next attempt (in this process or after a restart)
 * asks S3 which parts it has (ListParts; the state file where a store lacks ListParts), uploads only the missing
 * ones and completes. lib-storage's Upload cannot do this: it starts over in a new process.
 */

export interface ResumableUploadOptions {
  bucket: string;
  key: string;
  file: string;
  size: number;
  sha256: string;
  partSize: number;
  /** md5 (hex) of each part of the local file, to check the parts S3 already has. */
  partMd5s: string[];
  /** Where the state files live (one per bucket/key). */
  stateDir: string;
  queueSize?: number;
  signal?: AbortSignal;
  onLoaded?: (bytes: number) => void;
}

export interface ResumableUploadResult {
  uploadId: string;
  /** Parts sent by this call and parts S3 already had from an earlier attempt. */
  sentParts: number;
  reusedParts: number;
}

interface UploadState {
  bucket: string;
  key: string;
  uploadId: string;
  sha256: string;
  size: number;
  partSize: number;
  parts: Record<string, string>; // part number -> ETag
}

export function uploadStateFile(stateDir: string, bucket: string, key: string): string {
  return path.join(stateDir, `${createHash('sha256').update(`${bucket}\0${key}`).digest('hex').slice(0, 32)}.json`);
}

async function readState(file: string): Promise<UploadState | null> {
  try {
    const s = JSON.parse(await readFile(file, 'utf8')) as UploadState;
    return typeof s.uploadId === 'string' && s.parts && typeof s.parts === 'object' ? s : null;
  } catch {
    return null;
  }
}

const errName = (err: unknown) => (err as { name?: string; Code?: string })?.name ?? '';
const status = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

/** The parts S3 holds for the upload: ListParts (all pages); null when the upload is gone; `fallback` where unsupported. */
async function listedParts(
  s3: S3Client,
  st: UploadState,
  fallback: Map<number, string>,
  signal?: AbortSignal,
): Promise<Map<number, string> | null> {
  const out = new Map<number, string>();
  let marker: string | undefined;
  try {
    do {
      const page = await s3.send(
        new ListPartsCommand({ Bucket: st.bucket, Key: st.key, UploadId: st.uploadId, PartNumberMarker: marker }),
        { abortSignal: signal },
      );
      for (const p of page.Parts ?? []) if (p.PartNumber && p.ETag) out.set(p.PartNumber, p.ETag.replace(/"/g, ''));
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return out;
  } catch (err) {
    if (errName(err) === 'NoSuchUpload' || status(err) === 404) return null;
    // Stores without ListParts (s3rver: 405 / NotImplemented) — the ETags UploadPart returned are the record.
    if (
      status(err) === 405 ||
      status(err) === 501 ||
      errName(err) === 'NotImplemented' ||
      errName(err) === 'MethodNotAllowed'
    )
      return fallback;
    throw err;
  }
}

export async function uploadResumable(s3: S3Client, o: ResumableUploadOptions): Promise<ResumableUploadResult> {
  const stateFile = uploadStateFile(o.stateDir, o.bucket, o.key);
  const count = Math.max(1, Math.ceil(o.size / o.partSize));
  let state = await readState(stateFile);
  let have = new Map<number, string>();
  if (
    state &&
    state.bucket === o.bucket &&
    state.key === o.key &&
    state.sha256 === o.sha256 &&
    state.size === o.size &&
    state.partSize === o.partSize
  ) {
    const recorded = new Map(Object.entries(state.parts).map(([n, e]) => [Number(n), e]));
    const listed = await listedParts(s3, state, recorded, o.signal);
    if (listed) have = listed;
    else state = null; // aborted or expired upload: start again
  } else if (state) {
    // Another file (or part size) was being uploaded to this key: that upload is useless now.
    await s3
      .send(new AbortMultipartUploadCommand({ Bucket: state.bucket, Key: state.key, UploadId: state.uploadId }))
      .catch(() => undefined);
    state = null;
  }
  if (!state) {
    const created = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: o.bucket, Key: o.key, Metadata: { sha256: o.sha256 } }),
      { abortSignal: o.signal },
    );
    state = {
      bucket: o.bucket,
      key: o.key,
      uploadId: created.UploadId!,
      sha256: o.sha256,
      size: o.size,
      partSize: o.partSize,
      parts: {},
    };
    have = new Map();
  }
  // Keep only parts whose ETag is the md5 of our bytes for that part.
  const done = new Map<number, string>();
  for (const [n, etag] of have) if (n >= 1 && n <= count && etag === o.partMd5s[n - 1]) done.set(n, etag);
  const st = state;
  st.parts = Object.fromEntries([...done].map(([n, e]) => [String(n), e]));
  await writeFileAtomic(stateFile, JSON.stringify(st), { mode: 0o600, mkdir: true });

  let loaded = [...done.keys()].reduce((a, n) => a + partLength(n, o), 0);
  o.onLoaded?.(loaded);
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !done.has(n));
  const reusedParts = done.size;
  let persist = Promise.resolve();
  const fh = await open(o.file, 'r');
  try {
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
        const n = missing[next++];
        const len = partLength(n, o);
        const body = Buffer.alloc(len);
        await fh.read(body, 0, len, (n - 1) * o.partSize);
        const r = await s3.send(
          new UploadPartCommand({
            Bucket: st.bucket,
            Key: st.key,
            UploadId: st.uploadId,
            PartNumber: n,
            Body: body,
            ContentLength: len,
          }),
          { abortSignal: o.signal },
        );
        const etag = (r.ETag ?? '').replace(/"/g, '');
        done.set(n, etag);
        st.parts[String(n)] = etag;
        loaded += len;
        o.onLoaded?.(loaded);
        persist = persist.then(() => writeFileAtomic(stateFile, JSON.stringify(st), { mode: 0o600, mkdir: true }));
        await persist;
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.queueSize ?? 4, Math.max(1, missing.length)) }, worker));
  } finally {
    await fh.close();
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: st.bucket,
      Key: st.key,
      UploadId: st.uploadId,
      MultipartUpload: {
        Parts: [...done].sort((a, b) => a[0] - b[0]).map(([PartNumber, ETag]) => ({ PartNumber, ETag: `"${ETag}"` })),
      },
    }),
    { abortSignal: o.signal },
  );
  await rm(stateFile, { force: true });
  return { uploadId: st.uploadId, sentParts: missing.length, reusedParts };
}

function partLength(n: number, o: { size: number; partSize: number }): number {
  return Math.min(o.partSize, o.size - (n - 1) * o.partSize);
}
