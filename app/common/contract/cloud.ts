import { z } from 'zod';
import { ProfileInputSchema, ProfilePatchSchema, RedactedProfileSchema } from '../../../base/profile-schema.ts';
import { ApiErrorData } from './errors.ts';
import { channel, domain, Empty, method, Ok } from './define.ts';
import { RunId } from './runs.ts';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from '../../../base/options.ts';
import { FailedRankSchema, ItemCountsSchema } from '../../../base/cloud-run-record.ts';

/**
 * Cloud: saved AWS profiles (the UI only ever sees them redacted), the connection test, the payload preview and
 * editor, and cloud runs (staging, execution, Map item counts, failed ranks, the Lambda log tail, Stop).
 */

const ProfileName = z.string().min(1).max(64);

export const ConnectionCheck = z.object({
  name: z.enum(['identity', 'bucket', 'state-machine', 'log-group', 'lambda-memory']),
  label: z.string(),
  ok: z.boolean(),
  detail: z.string(),
  hint: z.string().optional(),
  errorKind: z.string().optional(),
  /** Needed only for the Lambda memory sweep: a failure is a warning (WARN), not a failed connection. */
  optional: z.literal(true).optional(),
});
export type ConnectionCheck = z.infer<typeof ConnectionCheck>;

export const PayloadIssue = z.object({ path: z.string(), message: z.string() });

export const CloudRunOptions = z
  .object({
    profile: ProfileName,
    /** .pt files and/or folders; empty means the bundled sample data. */
    data: z.array(z.string().trim().min(1)).max(10_000).optional(),
    partitionMb: z.number().positive().max(10_240).default(25),
    /** A code+model folder to upload under scripts/ (must hold one .onnx). */
    codeDir: z.string().trim().min(1).optional(),
    /** An .onnx model to upload under scripts/ (default: the reference model). */
    modelFile: z.string().trim().min(1).optional(),
    /** The study's CAI pipeline: the script inside codeDir the executor runs (e.g. Inference/inference.py). */
    entry: z.string().trim().min(1).max(1024).optional(),
    /** Start even though the rank plan has warnings (CAI pipeline). */
    acceptWarnings: z.boolean().optional(),
    /** Start even while another execution of the state machine is RUNNING (CAI pipeline). */
    allowConcurrent: z.boolean().optional(),
    batchSize: z.number().int().min(1).max(MAX_BATCH_SIZE).default(DEFAULT_BATCH_SIZE),
    fileLimit: z.number().int().min(1).optional(),
    worldSize: z.number().int().min(1).optional(),
    /** Upload code, model and data first. */
    stage: z.boolean().default(true),
    /** A payload edited by the user; sent as is (validated), with a fresh result_path. */
    payloadText: z.string().max(100_000).optional(),
    name: z.string().trim().max(200).optional(),
  })
  .strict();
export type CloudRunOptions = z.input<typeof CloudRunOptions>;

export const RankAssignmentView = z.object({
  rank: z.number(),
  /** As the initializer writes DATA_PATH: a key, a list of keys, or null (no data). */
  dataPath: z.union([z.string(), z.array(z.string()), z.null()]),
});

export const CaiRankPlanView = z.object({
  dataBucket: z.string(),
  dataPrefix: z.string(),
  listed: z.array(z.string()),
  truncated: z.boolean(),
  fileLimit: z.number(),
  worldSize: z.number(),
  files: z.array(z.string()),
  ranks: z.array(RankAssignmentView),
  warnings: z.array(z.string()),
});

export const CloudReview = z.object({
  target: z.enum(['cai', 'cosmicai']),
  text: z.string(),
  payload: z.record(z.string(), z.unknown()),
  /** The CAI pipeline's rank plan; null on our own stack. */
  rankPlan: CaiRankPlanView.nullable(),
  stageWarnings: z.array(z.string()),
  /** ARNs of executions of the state machine RUNNING now (CAI pipeline only). */
  running: z.array(z.string()),
});
export type CloudReview = z.infer<typeof CloudReview>;

// The record's own schemas (base): the live view shows the same counts, and a failed rank without its event fields.
export const ItemCounts = ItemCountsSchema;
export const FailedRankView = FailedRankSchema.omit({ event: true, timestamp: true });

export const CloudProgress = z.object({
  runId: RunId,
  phase: z.enum(['staging', 'starting', 'running', 'collecting']),
  message: z.string().optional(),
  stage: z
    .object({
      step: z.enum(['folders', 'partition', 'code', 'data']),
      done: z.number(),
      total: z.number(),
      bytesDone: z.number().optional(),
      bytesTotal: z.number().optional(),
      key: z.string().optional(),
    })
    .optional(),
  payload: z.record(z.string(), z.unknown()).optional(),
  executionArn: z.string().optional(),
  status: z.string().optional(),
  items: ItemCounts.nullable().optional(),
  failedRanks: z.array(FailedRankView).optional(),
  elapsedSeconds: z.number(),
});
export type CloudProgress = z.infer<typeof CloudProgress>;

export const CloudLogLine = z.object({
  timestamp: z.number(),
  message: z.string(),
  report: z
    .object({
      durationMs: z.number(),
      billedDurationMs: z.number(),
      memorySizeMb: z.number(),
      maxMemoryUsedMb: z.number(),
      initDurationMs: z.number().optional(),
    })
    .optional(),
});
export const CloudLogs = z.object({ runId: RunId, lines: z.array(CloudLogLine) });

export const CloudFinished = z.object({
  runId: RunId,
  status: z.enum(['completed', 'cancelled', 'failed', 'detached']),
  executionArn: z.string().optional(),
  error: ApiErrorData.optional(),
});
export type CloudFinished = z.infer<typeof CloudFinished>;

export const CloudActiveRun = z.object({
  runId: RunId,
  name: z.string(),
  profile: z.string(),
  startedAt: z.string(),
  progress: CloudProgress.nullable(),
});

export const cloud = domain({
  methods: {
    listProfiles: method(Empty, z.object({ profiles: z.array(RedactedProfileSchema) })),
    addProfile: method(ProfileInputSchema, z.object({ profile: RedactedProfileSchema })),
    updateProfile: method(
      z.object({ name: ProfileName, patch: ProfilePatchSchema }).strict(),
      z.object({ profile: RedactedProfileSchema }),
    ),
    removeProfile: method(z.object({ name: ProfileName }).strict(), Ok),
    /** Whether pasted keys can be saved here (only with the OS keychain, i.e. in the desktop app). */
    canStoreKeys: method(Empty, z.object({ available: z.boolean() })),
    testProfile: method(z.object({ name: ProfileName }).strict(), z.object({ checks: z.array(ConnectionCheck) })),
    /** The payload a run with these options would send (result_path is made fresh again at start). */
    previewPayload: method(CloudRunOptions, z.object({ text: z.string(), payload: z.record(z.string(), z.unknown()) })),
    validatePayload: method(
      z.object({ text: z.string().max(100_000) }).strict(),
      z.object({ ok: z.boolean(), issues: z.array(PayloadIssue) }),
    ),
    /**
     * Review before start: stages like a start would (unless `stage` is off) and returns the payload, the CAI rank
     * plan (which file(s) each rank gets) with its warnings, and the executions already RUNNING. Starts nothing.
     */
    review: method(CloudRunOptions, CloudReview),
    start: method(CloudRunOptions, z.object({ runId: RunId })),
    /** Re-attaches to an execution by ARN (e.g. after the app was closed); it is followed and recorded like a new run. */
    attach: method(
      z.object({ profile: ProfileName, executionArn: z.string().min(20).max(2048) }).strict(),
      z.object({ runId: RunId }),
    ),
    /** Re-runs only the failed ranks of a recorded cloud run (a new execution into the same result_path); the run's entry gets the merged results. */
    rerunFailed: method(z.object({ runId: RunId }).strict(), z.object({ runId: RunId })),
    /** StopExecution (or, while staging, cancel the upload and keep what finished). */
    stop: method(z.object({ runId: RunId }).strict(), Ok),
    active: method(Empty, z.object({ runs: z.array(CloudActiveRun) })),
  },
  channels: {
    progress: channel(CloudProgress),
    logs: channel(CloudLogs),
    finished: channel(CloudFinished),
  },
});
