import { z } from 'zod';
import { LambdaArchSchema as Arch } from '../../../base/price-table.ts';
import { RedactedProfileSchema } from '../../../base/profile-schema.ts';
import { ApiErrorData } from './errors.ts';
import { channel, domain, Empty, method, Ok } from './define.ts';

/**
 * Our own CAI stack (cloud/stack): package the Lambda zip, deploy/update, status, delete. Deploy and delete run in
 * the background as an "operation"; CloudFormation events arrive on `stack.progress`, the end on `stack.finished`.
 * Cancel stops following; the CloudFormation operation itself goes on.
 */

const ProfileName = z.string().min(1).max(64);
const StackName = z.string().trim().min(1).max(60);
export const StackOpId = z.string().min(1).max(80);

export const StackEventView = z.object({
  eventId: z.string(),
  timestamp: z.string(),
  logicalId: z.string(),
  resourceType: z.string(),
  status: z.string(),
  reason: z.string().optional(),
});
export type StackEventView = z.infer<typeof StackEventView>;

export const PackageReport = z.object({
  file: z.string(),
  arch: Arch,
  unzippedBytes: z.number(),
  zippedBytes: z.number(),
  limitBytes: z.number(),
  files: z.number(),
  onnxruntimeVersion: z.string(),
  sha256: z.string(),
});
export type PackageReport = z.infer<typeof PackageReport>;

export const StackDeployOptions = z
  .object({
    /** The saved profile whose credentials, region and endpoints deploy the stack. */
    profile: ProfileName,
    stackName: StackName,
    arch: Arch.default('x86_64'),
    memoryMb: z.number().int().min(128).max(10_240).optional(),
    timeoutSeconds: z.number().int().min(30).max(900).optional(),
    maxConcurrency: z.number().int().min(0).max(10_000).optional(),
    toleratedFailurePercentage: z.number().int().min(0).max(100).optional(),
    logRetentionDays: z.number().int().min(1).max(365).optional(),
    /** Use this existing bucket; absent: the stack creates its own. */
    existingBucket: z.string().trim().min(3).max(63).optional(),
    /** An ONNX model to upload under scripts/ (default: the reference model). */
    modelFile: z.string().trim().min(1).optional(),
    /** An already packaged zip instead of packaging now. */
    zipFile: z.string().trim().min(1).optional(),
    /** Name of the profile made from the outputs (default: the stack name). */
    saveAs: ProfileName.optional(),
    /** Seconds between CloudFormation polls (default 5). */
    pollSeconds: z.number().min(0.05).max(60).optional(),
  })
  .strict();
export type StackDeployOptions = z.input<typeof StackDeployOptions>;

export const StackProgressView = z.object({
  opId: StackOpId,
  operation: z.enum(['deploy', 'delete']),
  stackName: z.string(),
  kind: z.enum(['package', 'packaged', 'phase', 'upload', 'event']),
  message: z.string().optional(),
  event: StackEventView.optional(),
  packaged: PackageReport.optional(),
  upload: z.object({ key: z.string(), phase: z.string(), bytesDone: z.number(), bytesTotal: z.number() }).optional(),
  elapsedSeconds: z.number(),
});
export type StackProgressView = z.infer<typeof StackProgressView>;

export const StackFinished = z.object({
  opId: StackOpId,
  operation: z.enum(['deploy', 'delete']),
  stackName: z.string(),
  status: z.enum(['completed', 'failed', 'cancelled']),
  /** Deploy: the final stack status ("already up to date" is operation "none"). */
  stackStatus: z.string().optional(),
  stackOperation: z.enum(['create', 'update', 'none']).optional(),
  outputs: z.record(z.string(), z.string()).optional(),
  /** Deploy: the profile made (or refreshed) from the outputs. */
  profile: RedactedProfileSchema.optional(),
  profileAction: z.enum(['created', 'updated']).optional(),
  packaged: PackageReport.optional(),
  /** Delete: the bucket the stack created, which is kept. */
  retainedBucket: z.string().optional(),
  /** A rollback: the first resource that failed and why. */
  failedResource: StackEventView.optional(),
  error: ApiErrorData.optional(),
});
export type StackFinished = z.infer<typeof StackFinished>;

export const StackStatusView = z.object({
  stackName: z.string(),
  exists: z.boolean(),
  stackId: z.string().optional(),
  status: z.string().optional(),
  reason: z.string().optional(),
  parameters: z.record(z.string(), z.string()),
  outputs: z.record(z.string(), z.string()),
  recentEvents: z.array(StackEventView),
});
export type StackStatusView = z.infer<typeof StackStatusView>;

export const StackActiveOp = z.object({
  opId: StackOpId,
  operation: z.enum(['deploy', 'delete']),
  stackName: z.string(),
  profile: z.string(),
  startedAt: z.string(),
  events: z.array(StackEventView),
});

export const stack = domain({
  methods: {
    /** Builds the Lambda zip for one architecture and reports its size against Lambda's 250 MB unzipped limit. */
    package: method(z.object({ arch: Arch }).strict(), PackageReport),
    deploy: method(StackDeployOptions, z.object({ opId: StackOpId })),
    /** The stack's status, parameters, outputs and latest events, reached with `profile`'s credentials. */
    status: method(
      z
        .object({ profile: ProfileName, stackName: StackName, events: z.number().int().min(0).max(100).optional() })
        .strict(),
      StackStatusView,
    ),
    /** Deletes the stack (its bucket is kept). */
    delete: method(
      z
        .object({ profile: ProfileName, stackName: StackName, pollSeconds: z.number().min(0.05).max(60).optional() })
        .strict(),
      z.object({ opId: StackOpId }),
    ),
    /** Stops following an operation; CloudFormation carries on. */
    cancel: method(z.object({ opId: StackOpId }).strict(), Ok),
    active: method(Empty, z.object({ ops: z.array(StackActiveOp) })),
  },
  channels: {
    progress: channel(StackProgressView),
    finished: channel(StackFinished),
  },
});
