/**
 * Puts a model and `.pt` fixtures into the local S3 the way a real deployment lays them out, and builds the
 * matching state-machine input:
 *   s3://<bucket>/scripts/cosmicai-bench/model.onnx      (S3_object_name "scripts/cosmicai-bench", object_type "folder")
 *   s3://<dataBucket>/<dataPrefix><n>.pt                  (data_prefix, default "data/")
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CaiPayloadInput } from '../../cloud/payload-schema.ts';

export const FIXTURES_DIR = path.join(import.meta.dirname, '..', 'fixtures');
export const CODE_FOLDER = 'scripts/cosmicai-bench';

export interface StageOptions {
  bucket: string;
  dataBucket?: string;
  /** Local ONNX file to upload as the model. */
  modelPath: string;
  /** Object name → fixture file name (in tests/fixtures) or absolute path, e.g. {'1.pt': 'tiny-8.pt'}. */
  partitions: Record<string, string>;
  dataPrefix?: string;
  resultPath?: string;
  batchSize?: number;
  fileLimit?: number;
  worldSize?: number;
}

export async function stageCaiFixtures(s3: S3Client, o: StageOptions): Promise<CaiPayloadInput> {
  const dataBucket = o.dataBucket ?? o.bucket;
  const dataPrefix = o.dataPrefix ?? 'data/';
  await s3.send(
    new PutObjectCommand({ Bucket: o.bucket, Key: `${CODE_FOLDER}/model.onnx`, Body: await readFile(o.modelPath) }),
  );
  for (const [name, file] of Object.entries(o.partitions)) {
    const src = path.isAbsolute(file) ? file : path.join(FIXTURES_DIR, file);
    await s3.send(new PutObjectCommand({ Bucket: dataBucket, Key: `${dataPrefix}${name}`, Body: await readFile(src) }));
  }
  return {
    bucket: o.bucket,
    file_limit: o.fileLimit ?? Object.keys(o.partitions).length,
    batch_size: o.batchSize ?? 4,
    object_type: 'folder',
    S3_object_name: CODE_FOLDER,
    script: `/tmp/${CODE_FOLDER}/model.onnx`,
    result_path: o.resultPath ?? `results/run-${Date.now()}`,
    data_bucket: dataBucket,
    data_prefix: dataPrefix,
    ...(o.worldSize !== undefined ? { world_size: o.worldSize } : {}),
  };
}
