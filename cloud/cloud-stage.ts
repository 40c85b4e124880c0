import path from 'node:path';
import { ensureDefaultSampleData } from '../engine/data/sample-data.ts';
import { ensureReferenceModel } from '../engine/model/model-cache.ts';
import type { AwsClients } from './aws-clients.ts';
import { checkEntry, CodeFolderError, entryPathWarnings } from './cai-code-check.ts';
import type { PipelineTarget } from './pipeline-target.ts';
import { dataPrefixFor } from './payload.ts';
import { preparePartitions } from './staged-partitions.ts';
import {
  ensureFolderMarkers,
  stageCodeFolder,
  stageFiles,
  stagePartitionFolder,
  type StageOptions,
  type StageProgress,
  type StageReport,
} from './staging.ts';

/**
 * "Stage" for a cloud run, in the study's layout:
 *   <scripts/>        the code + model folder (or just the model file), as `S3_object_name`;
 *   <results/>        an empty folder marker (each run writes under a fresh result_path inside it);
 *   <data/><N>MB/     the dataset partitioned into N MB `.pt` files (`data_prefix`), in `dataBucket`.
 */

export interface StageRequest {
  dataDir: string;
  /** A code+model folder, or a single .onnx model file. Default: the bundled reference model. */
  code?: { dir: string } | { modelFile: string };
  /** The pipeline staged for (default "cosmicai"). "cai" needs `code.dir` and `entry`. */
  target?: PipelineTarget;
  /** target "cai": the script inside the code folder the executor runs, e.g. Inference/inference.py. */
  entry?: string;
  /** Dataset files/folders. Default: the bundled synthetic sample data. */
  dataset?: string | string[];
  partitionMb: number;
  signal?: AbortSignal;
  onProgress?: (e: StageEvent) => void;
  partSize?: number;
}

export type StageEvent =
  | { step: 'folders' }
  | { step: 'partition'; written: number; total: number }
  | { step: 'code'; progress: StageProgress }
  | { step: 'data'; progress: StageProgress };

export interface StageResult {
  bucket: string;
  dataBucket: string;
  s3ObjectName: string;
  objectType: 'folder' | 'file';
  /** The payload's `script` for this code (the model inside /tmp/<S3_object_name>). */
  script: string;
  dataPrefix: string;
  partitionMb: number;
  partitions: number;
  samples: number;
  partitionsReused: boolean;
  code: StageReport;
  data: StageReport | null;
  cancelled: boolean;
  /** The partition keys staged in dataBucket (in upload order). */
  dataKeys: string[];
  /** Things the user should know before starting (e.g. the script expects its folder elsewhere). */
  warnings: string[];
}

export async function stageForRun(clients: AwsClients, req: StageRequest): Promise<StageResult> {
  const p = clients.profile;
  const dataBucket = p.dataBucket ?? p.bucket;
  // Multipart resume state lives in the app's data folder, so an upload cut by a crash resumes after a restart.
  const resumeDir = path.join(req.dataDir, 'uploads');
  const opts = (step: 'code' | 'data'): StageOptions => ({
    signal: req.signal,
    partSize: req.partSize,
    resumeDir,
    onProgress: (progress) => req.onProgress?.({ step, progress }),
  });

  req.onProgress?.({ step: 'folders' });
  await ensureFolderMarkers(clients.s3, p.bucket, [p.scriptsPrefix, p.resultsPrefix]);

  const warnings: string[] = [];
  if (req.target === 'cai' && !(req.code && 'dir' in req.code && req.entry)) {
    throw new CodeFolderError(
      "The study's CAI pipeline runs a Python script from a code folder: give the folder and its entry script (CLI: --code DIR --entry Inference/inference.py).",
    );
  }
  const code = req.code ?? { modelFile: await ensureReferenceModel(req.dataDir) };
  let s3ObjectName: string;
  let objectType: 'folder' | 'file';
  let script: string;
  let codeReport: StageReport;
  if (req.target === 'cai' && 'dir' in code) {
    // Uploaded as is (any layout, .pt checkpoint inside); the executor runs /tmp/<S3_object_name>/<entry>.
    const entry = await checkEntry(code.dir, req.entry!);
    const staged = await stageCodeFolder(clients.s3, p.bucket, p.scriptsPrefix, code.dir, opts('code'));
    s3ObjectName = staged.s3ObjectName;
    objectType = 'folder';
    script = `/tmp/${s3ObjectName}/${entry}`;
    codeReport = staged.report;
    warnings.push(...(await entryPathWarnings(code.dir, entry, s3ObjectName)));
  } else if ('dir' in code) {
    const staged = await stageCodeFolder(clients.s3, p.bucket, p.scriptsPrefix, code.dir, opts('code'));
    s3ObjectName = staged.s3ObjectName;
    objectType = 'folder';
    if (!staged.modelKey)
      throw new Error(
        `${code.dir} must hold exactly one .onnx model (the inference Lambda loads it); it holds none or several. Pass the model file instead, or edit "script" in the payload.`,
      );
    script = `/tmp/${staged.modelKey}`;
    codeReport = staged.report;
  } else {
    if (!code.modelFile.toLowerCase().endsWith('.onnx'))
      throw new Error(`${code.modelFile} is not an .onnx model file.`);
    s3ObjectName = `${p.scriptsPrefix}${path.basename(code.modelFile)}`;
    objectType = 'file';
    script = `/tmp/${s3ObjectName}`;
    codeReport = await stageFiles(
      clients.s3,
      p.bucket,
      [{ localPath: code.modelFile, key: s3ObjectName }],
      opts('code'),
    );
  }
  const dataPrefix = dataPrefixFor(p, req.partitionMb);
  const base = {
    bucket: p.bucket,
    dataBucket,
    s3ObjectName,
    objectType,
    script,
    dataPrefix,
    partitionMb: req.partitionMb,
    code: codeReport,
    warnings,
    dataKeys: [] as string[],
  };
  if (codeReport.cancelled)
    return { ...base, partitions: 0, samples: 0, partitionsReused: false, data: null, cancelled: true };

  const dataset = req.dataset ?? (await ensureDefaultSampleData(req.dataDir));
  const parts = await preparePartitions(dataset, req.partitionMb, req.dataDir, (written, total) =>
    req.onProgress?.({ step: 'partition', written, total }),
  );
  if (req.signal?.aborted)
    return {
      ...base,
      partitions: parts.files.length,
      samples: parts.samples,
      partitionsReused: parts.reused,
      data: null,
      cancelled: true,
    };
  const data = await stagePartitionFolder(clients.s3, dataBucket, dataPrefix, parts.dir, opts('data'));
  const dataKeys = parts.files.map((f) => `${dataPrefix}${path.basename(f)}`);
  return {
    ...base,
    dataKeys,
    partitions: parts.files.length,
    samples: parts.samples,
    partitionsReused: parts.reused,
    data,
    cancelled: data.cancelled,
  };
}
