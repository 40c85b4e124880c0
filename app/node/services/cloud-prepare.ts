import type { AwsClients } from '../../../cloud/aws-clients.ts';
import { countStagedPartitions, planCaiRun, type CaiRankPlan } from '../../../cloud/cai-rank-plan.ts';
import { stageForRun, type StageEvent, type StageResult } from '../../../cloud/cloud-stage.ts';
import { buildPayload, newResultPath, parsePayloadText, type CaiPayload } from '../../../cloud/payload.ts';
import { resolveTarget, type PipelineTarget } from '../../../cloud/pipeline-target.ts';
import { DEFAULT_BATCH_SIZE } from '../../../base/options.ts';
import { ApiError, type CloudRunOptions } from '../../common/contract/index.ts';

/**
 * What a cloud run sends, made once for every door: the app's start and Review (CloudRunService) and the CLI's
 * `cloud run` (with or without --dry-run) and `cloud stage`. Stages (unless `stage` is off), builds the payload, and
 * on the CAI pipeline makes the rank plan its initializer will make.
 */

export type { PipelineTarget, StageEvent, StageResult };

export const DEFAULT_PARTITION_MB = 25;

export interface PreparedRun {
  target: PipelineTarget;
  payload: CaiPayload;
  /** The CAI pipeline's rank plan (null on our own stack, whose workers take one partition each). */
  rankPlan: CaiRankPlan | null;
  stageWarnings: string[];
}

/** The run's options as the contract has them, plus what only a caller in this process sets. */
export type PrepareOptions = Omit<CloudRunOptions, 'profile'> & {
  /** With payloadText: keep its result_path (earlier results there may be overwritten); else a fresh one. */
  keepResultPath?: boolean;
};

export interface PrepareContext {
  dataDir: string;
  signal: AbortSignal;
  /** Called before staging with the target; throws to refuse what the caller's options cannot do there. */
  checkStage?: (target: PipelineTarget) => void;
  /** Staging progress, as stageForRun reports it. */
  onStage?: (e: StageEvent) => void;
  /** Staging has ended (also when cancelled), before the payload is built. */
  onStaged?: (staged: StageResult) => void;
  /** The payload is built, before the rank plan is made. */
  onPayload?: (payload: CaiPayload) => void;
  /** Names where payloadText came from (a file) in its errors. */
  payloadSource?: string;
  /** What to do when no partitions are staged and no file limit was given (default: the app's words). */
  nothingStagedHint?: string;
}

/** Which pipeline the profile's state machine runs (from its definition). */
export const pipelineTarget = async (clients: AwsClients): Promise<PipelineTarget> =>
  (await resolveTarget(clients)).target;

/** Stages for a run: folder markers, the code or model under scripts/, the data partitioned and uploaded (resumable). */
export function stageRun(
  clients: AwsClients,
  target: PipelineTarget,
  opts: Pick<PrepareOptions, 'codeDir' | 'modelFile' | 'entry' | 'data' | 'partitionMb'>,
  ctx: Pick<PrepareContext, 'dataDir' | 'signal' | 'onStage' | 'checkStage'>,
): Promise<StageResult> {
  ctx.checkStage?.(target);
  return stageForRun(clients, {
    dataDir: ctx.dataDir,
    target,
    entry: opts.entry,
    code: opts.codeDir ? { dir: opts.codeDir } : opts.modelFile ? { modelFile: opts.modelFile } : undefined,
    dataset: opts.data?.length ? opts.data : undefined,
    partitionMb: opts.partitionMb ?? DEFAULT_PARTITION_MB,
    signal: ctx.signal,
    onProgress: ctx.onStage,
  });
}

/** The target, payload and rank plan of a run with these options; null when staging was cancelled. */
export async function prepareCloudRun(
  clients: AwsClients,
  opts: PrepareOptions,
  ctx: PrepareContext,
): Promise<PreparedRun | null> {
  const p = clients.profile;
  const target = await pipelineTarget(clients);
  const stageWarnings: string[] = [];
  const partitionMb = opts.partitionMb ?? DEFAULT_PARTITION_MB;
  let payload: CaiPayload;
  let stagedKeys: string[] | undefined;
  if (opts.payloadText) {
    const parsed = parsePayloadText(opts.payloadText);
    if (!parsed.ok) {
      const issues = parsed.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
      const message = ctx.payloadSource ? `${ctx.payloadSource}: ${issues}` : issues;
      throw new ApiError({ code: 'INVALID_PAYLOAD', message });
    }
    payload = opts.keepResultPath ? parsed.payload : { ...parsed.payload, result_path: newResultPath(p.resultsPrefix) };
  } else {
    let staged: StageResult | null = null;
    if (opts.stage !== false) {
      staged = await stageRun(clients, target, opts, ctx);
      ctx.onStaged?.(staged);
      if (staged.cancelled) return null;
      stagedKeys = staged.dataKeys;
      stageWarnings.push(...staged.warnings);
    }
    const prefix = `${p.dataPrefix}${partitionMb}MB/`;
    if (!staged && opts.fileLimit === undefined) {
      // file_limit is never a sentinel: the partitions actually staged under the prefix.
      stagedKeys = await countStagedPartitions(clients.s3, p.dataBucket ?? p.bucket, prefix);
      if (stagedKeys.length === 0)
        throw new ApiError({
          code: 'NOTHING_STAGED',
          message: `No .pt partitions under s3://${p.dataBucket ?? p.bucket}/${prefix}.`,
          hint: ctx.nothingStagedHint ?? 'Stage the data first (keep "Upload first" on), or set the file limit.',
        });
    }
    payload = buildPayload(p, {
      batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
      fileLimit: opts.fileLimit ?? staged?.partitions ?? stagedKeys!.length,
      worldSize: opts.worldSize,
      partitionMb,
      ...(staged ? { s3ObjectName: staged.s3ObjectName, objectType: staged.objectType, script: staged.script } : {}),
    });
  }
  ctx.onPayload?.(payload);
  if (ctx.signal.aborted) return null;
  const rankPlan = target === 'cai' ? await planCaiRun(clients.s3, payload, stagedKeys) : null;
  return { target, payload, rankPlan, stageWarnings };
}
