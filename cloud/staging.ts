import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { awsCall, CloudError, describeAwsError } from './aws-errors.ts';
import { digestFile } from './file-hash.ts';
import { uploadResumable } from './resumable-upload.ts';

/**
 * Uploads to S3 with progress, integrity and resume:
 * - every object carries `x-amz-meta-sha256` (the file's sha256);
 * - an object already there with the same size, sha256 and a matching ETag is skipped (so a re-run after a
 *   cancel or a crash only sends what is missing, and a damaged object is replaced);
 * - after each upload HeadObject must report the same size and sha256, and an ETag matching the content's MD5
 *   (single or multipart form; not checkable for KMS-encrypted objects), or staging fails naming the key;
 * - files ≥ one part go multipart (parts of `partSize` ≥ 5 MiB, 4 in flight), resumable: the UploadId and finished
 *   parts are kept in a state file under `resumeDir`, so after a dropped connection, a cancel or a crash the next
 *   attempt sends only the missing parts (cloud/resumable-upload.ts);
 * - the AbortSignal stops between and within files; finished objects stay, the report says what was done.
 */

export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

export interface StageFile {
  localPath: string;
  key: string;
}

export interface StageProgress {
  phase: 'hashing' | 'uploading' | 'skipped' | 'uploaded';
  key: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface StageOptions {
  signal?: AbortSignal;
  onProgress?: (p: StageProgress) => void;
  partSize?: number;
  queueSize?: number;
  /** Where multipart uploads keep their resume state (default: <tmp>/cosmicai-uploads). */
  resumeDir?: string;
}

export const DEFAULT_RESUME_DIR = path.join(os.tmpdir(), 'cosmicai-uploads');

export interface StagedObject {
  key: string;
  bytes: number;
  sha256: string;
  skipped: boolean;
}

export interface StageReport {
  bucket: string;
  objects: StagedObject[];
  uploadedFiles: number;
  skippedFiles: number;
  uploadedBytes: number;
  skippedBytes: number;
  /** True when the signal stopped it; `objects` lists what finished. */
  cancelled: boolean;
}

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const e = err as { name?: string; kind?: string };
  return e?.name === 'AbortError' || e?.kind === 'aborted';
}

/** The existing object's size and sha256 metadata, or null when there is none. */
interface HeadInfo {
  size: number;
  sha256?: string;
  etag?: string;
  /** KMS / customer-key encryption: the ETag is then not an MD5 of the content. */
  opaqueEtag: boolean;
}

async function headObject(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<HeadInfo | null> {
  try {
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    const sse = h.ServerSideEncryption ?? '';
    return {
      size: h.ContentLength ?? -1,
      sha256: h.Metadata?.sha256,
      etag: h.ETag?.replace(/"/g, ''),
      opaqueEtag: sse.startsWith('aws:kms') || !!h.SSECustomerAlgorithm,
    };
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) {
      // A 404 on HEAD is also what a missing bucket looks like; tell them apart by asking once more cheaply.
      return null;
    }
    throw new CloudError(describeAwsError(err, { service: 'S3', operation: 'HeadObject', bucket, key }));
  }
}

/**
 * S3 computes the ETag from the bytes it stored, so for unencrypted and SSE-S3 objects it must be the content's MD5
 * (either form); the sha256 metadata alone is only what the uploader claimed.
 */
function etagMatches(h: HeadInfo, etags: string[]): boolean {
  if (h.opaqueEtag || !h.etag || !/^[0-9a-f]{32}(-\d+)?$/.test(h.etag)) return true;
  return etags.includes(h.etag);
}

export async function stageFiles(
  s3: S3Client,
  bucket: string,
  files: StageFile[],
  opts: StageOptions = {},
): Promise<StageReport> {
  const { signal, onProgress } = opts;
  const partSize = Math.max(MIN_PART_SIZE, opts.partSize ?? DEFAULT_PART_SIZE);
  const sizes = await Promise.all(files.map(async (f) => (await stat(f.localPath)).size));
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  const report: StageReport = {
    bucket,
    objects: [],
    uploadedFiles: 0,
    skippedFiles: 0,
    uploadedBytes: 0,
    skippedBytes: 0,
    cancelled: false,
  };
  let bytesDone = 0;
  const emit = (phase: StageProgress['phase'], key: string, extra = 0) =>
    onProgress?.({
      phase,
      key,
      filesDone: report.objects.length,
      filesTotal: files.length,
      bytesDone: bytesDone + extra,
      bytesTotal,
    });

  for (let i = 0; i < files.length; i++) {
    const { localPath, key } = files[i];
    const size = sizes[i];
    try {
      if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      emit('hashing', key);
      const { sha256, etags, partMd5s } = await digestFile(localPath, partSize, signal);
      const existing = await headObject(s3, bucket, key, signal);
      if (existing && existing.size === size && existing.sha256 === sha256 && etagMatches(existing, etags)) {
        bytesDone += size;
        report.objects.push({ key, bytes: size, sha256, skipped: true });
        report.skippedFiles++;
        report.skippedBytes += size;
        emit('skipped', key);
        continue;
      }
      const onLoaded = (loaded: number) => emit('uploading', key, loaded);
      if (size >= partSize) {
        await uploadResumable(s3, {
          bucket,
          key,
          file: localPath,
          size,
          sha256,
          partSize,
          partMd5s,
          stateDir: opts.resumeDir ?? DEFAULT_RESUME_DIR,
          queueSize: opts.queueSize ?? 4,
          signal,
          onLoaded,
        });
      } else {
        await uploadOne(s3, bucket, key, localPath, sha256, partSize, opts.queueSize ?? 4, signal, onLoaded);
      }
      const after = await headObject(s3, bucket, key, signal);
      if (
        !after ||
        after.size !== size ||
        (after.sha256 !== undefined && after.sha256 !== sha256) ||
        !etagMatches(after, etags)
      ) {
        throw new Error(
          `Integrity check failed for s3://${bucket}/${key}: uploaded ${size} bytes (sha256 ${sha256.slice(0, 12)}…) but S3 reports ${after ? `${after.size} bytes, sha256 ${after.sha256 ?? 'missing'}, ETag ${after.etag ?? 'missing'}` : 'no object'}. Stage again to retry this file.`,
        );
      }
      bytesDone += size;
      report.objects.push({ key, bytes: size, sha256, skipped: false });
      report.uploadedFiles++;
      report.uploadedBytes += size;
      emit('uploaded', key);
    } catch (err) {
      if (isAbort(err, signal)) {
        report.cancelled = true;
        return report;
      }
      if (err instanceof CloudError || (err as Error).message?.startsWith('Integrity')) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(`Cannot read ${localPath}: the file disappeared while staging.`, { cause: err });
      throw new CloudError(describeAwsError(err, { service: 'S3', operation: 'Upload', bucket, key }));
    }
  }
  return report;
}

async function uploadOne(
  s3: S3Client,
  bucket: string,
  key: string,
  file: string,
  sha256: string,
  partSize: number,
  queueSize: number,
  signal: AbortSignal | undefined,
  onLoaded: (bytes: number) => void,
): Promise<void> {
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: createReadStream(file), Metadata: { sha256 } },
    partSize,
    queueSize,
    leavePartsOnError: false,
  });
  upload.on('httpUploadProgress', (p) => onLoaded(p.loaded ?? 0));
  const onAbort = () => void upload.abort().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await upload.done();
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Every file under `dir`, as (localPath, `<keyPrefix><relative/posix/path>`), sorted. Hidden files are skipped. */
export async function listFolder(dir: string, keyPrefix: string): Promise<StageFile[]> {
  const out: StageFile[] = [];
  const walk = async (sub: string): Promise<void> => {
    const entries = await readdir(path.join(dir, sub), { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(rel);
      else if (e.isFile()) out.push({ localPath: path.join(dir, rel), key: `${keyPrefix}${rel}` });
    }
  };
  try {
    await walk('');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`Folder not found: ${dir}`, { cause: err });
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw new Error(`${dir} is not a folder`, { cause: err });
    throw err;
  }
  return out;
}

/** The study's empty "folder" objects (`results/`, `scripts/`), created if missing. */
export async function ensureFolderMarkers(s3: S3Client, bucket: string, prefixes: string[]): Promise<void> {
  for (const prefix of prefixes) {
    if (!prefix) continue;
    const key = prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (await headObject(s3, bucket, key)) continue;
    await awsCall({ service: 'S3', operation: 'PutObject', bucket, key }, () =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '', ContentLength: 0 })),
    );
  }
}

/** Uploads the code + model folder to `<scriptsPrefix><folder name>/`. Returns the S3_object_name and the report. */
export async function stageCodeFolder(
  s3: S3Client,
  bucket: string,
  scriptsPrefix: string,
  localDir: string,
  opts: StageOptions & { folderName?: string } = {},
): Promise<{ s3ObjectName: string; modelKey?: string; report: StageReport }> {
  const name = opts.folderName ?? path.basename(path.resolve(localDir));
  const s3ObjectName = `${scriptsPrefix}${name}`;
  const files = await listFolder(localDir, `${s3ObjectName}/`);
  if (files.length === 0) throw new Error(`${localDir} is empty: nothing to upload as the code + model folder.`);
  const report = await stageFiles(s3, bucket, files, opts);
  const onnx = files.filter((f) => f.key.endsWith('.onnx'));
  return { s3ObjectName, modelKey: onnx.length === 1 ? onnx[0].key : undefined, report };
}

/** Uploads the `.pt` partitions of `partitionDir` under `dataPrefix` (flat, numeric names kept). */
export async function stagePartitionFolder(
  s3: S3Client,
  bucket: string,
  dataPrefix: string,
  partitionDir: string,
  opts: StageOptions = {},
): Promise<StageReport> {
  const files = (await listFolder(partitionDir, dataPrefix)).filter(
    (f) => f.key.endsWith('.pt') && !f.key.slice(dataPrefix.length).includes('/'),
  );
  if (files.length === 0) throw new Error(`${partitionDir} holds no .pt partitions to upload.`);
  return stageFiles(s3, bucket, files, opts);
}
