/**
 * Deploy, inspect and delete our own CAI stack (template.ts).
 *
 * Deploy, when the stack creates its own bucket (no ExistingBucketName, no CodeBucket), is two-phase: the Lambda
 * zip has to be in S3 before CloudFormation can create the functions, and the bucket does not exist yet. So:
 *   1. CreateStack with CodeKey "" (the template's HasCode condition is false): only the bucket is created;
 *   2. the zip goes to s3://<bucket>/stack/cosmicai-lambda-<arch>-<sha256 12>.zip and the model to scripts/;
 *   3. UpdateStack with CodeKey set creates the roles, log groups, Lambdas and the state machine.
 * With an existing bucket (or a separate code bucket), the upload comes first and it is one CreateStack/UpdateStack.
 * The zip's key carries its content hash, so an update with new code changes the Lambdas and the same code does not.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import {
  CreateStackCommand,
  DeleteStackCommand,
  UpdateStackCommand,
  type CloudFormationClient,
  type Parameter,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import { CloudError, describeAwsError, scrubSecrets } from '../aws-errors.ts';
import { stageFiles, type StageProgress } from '../staging.ts';
import { outputsMap, type StackOutputs } from './outputs.ts';
import type { LambdaArch } from './package-lambda.ts';
import { describeStack, isInProgress, StackEventCursor, waitForStack, type StackEventLine } from './stack-events.ts';
import { CODE_PREFIX, MAX_STACK_NAME, SCRIPTS_PREFIX, templateBody } from './template.ts';

export interface StackClients {
  cfn: CloudFormationClient;
  s3: S3Client;
}

export type StackProgress =
  | { kind: 'phase'; phase: 'bucket' | 'upload' | 'stack' | 'delete'; message: string }
  | { kind: 'event'; event: StackEventLine }
  | { kind: 'upload'; progress: StageProgress };

export interface StackSettings {
  arch: LambdaArch;
  memoryMb?: number;
  timeoutSeconds?: number;
  maxConcurrency?: number;
  toleratedFailurePercentage?: number;
  logRetentionDays?: number;
  ephemeralStorageMb?: number;
}

export interface DeployOptions extends StackSettings {
  stackName: string;
  /** Use this bucket instead of creating one. */
  existingBucket?: string;
  /** Put the zip in this (existing) bucket rather than the stack's bucket. */
  codeBucket?: string;
  /** The packaged Lambda zip (package-lambda.ts). */
  zipFile: string;
  /** The ONNX model, uploaded to `scripts/<name>` (where `cosmicai cloud stage` also puts it). */
  modelFile?: string;
  pollMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: StackProgress) => void;
}

export interface DeployResult {
  stackId: string;
  stackName: string;
  status: string;
  operation: 'create' | 'update' | 'none';
  bucket: string;
  codeBucket: string;
  codeKey: string;
  modelKey?: string;
  outputs: StackOutputs;
}

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

export function checkStackName(name: string): string {
  if (!STACK_NAME.test(name) || name.length > MAX_STACK_NAME) {
    throw new Error(
      `stack name '${name}' is not usable: use 1–${MAX_STACK_NAME} letters, digits and "-", starting with a letter (the Lambda names are <stack>-inference etc., 64 characters at most)`,
    );
  }
  return name;
}

/** CloudFormation calls, with scrubbed, actionable errors. */
async function cfnCall<T>(operation: string, stackName: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (
      e.name === 'ValidationError' ||
      e.name === 'InsufficientCapabilitiesException' ||
      e.name === 'AlreadyExistsException' ||
      e.name === 'LimitExceededException'
    ) {
      throw new Error(
        `CloudFormation ${operation} on stack '${stackName}' was refused (${e.name}): ${scrubSecrets(e.message ?? '')}`,
        { cause: err },
      );
    }
    const d = describeAwsError(err, { operation: `CloudFormation ${operation}`, bare: true });
    throw new CloudError({ ...d, message: `CloudFormation ${operation} on stack '${stackName}': ${d.message}` });
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function stackParameters(
  s: StackSettings & { existingBucket?: string; codeBucket?: string; codeKey: string },
): Parameter[] {
  const p: Record<string, string | number | undefined> = {
    ExistingBucketName: s.existingBucket ?? '',
    Architecture: s.arch,
    InferenceMemoryMB: s.memoryMb,
    InferenceTimeoutSeconds: s.timeoutSeconds,
    EphemeralStorageMB: s.ephemeralStorageMb,
    MaxConcurrency: s.maxConcurrency,
    ToleratedFailurePercentage: s.toleratedFailurePercentage,
    LogRetentionDays: s.logRetentionDays,
    CodeBucket: s.codeBucket ?? '',
    CodeKey: s.codeKey,
  };
  // Unset numbers keep the template's defaults.
  return Object.entries(p)
    .filter(([, v]) => v !== undefined)
    .map(([ParameterKey, v]) => ({ ParameterKey, ParameterValue: String(v) }));
}

const BUSY = (name: string, status: string) =>
  new Error(
    `stack '${name}' is busy (${status}): wait for the running operation to end (cosmicai stack status --stack-name ${name}), then try again.`,
  );

/** Creates or updates the stack; see the file comment for the phases. */
export async function deployStack(c: StackClients, o: DeployOptions): Promise<DeployResult> {
  const name = checkStackName(o.stackName);
  const emit = (p: StackProgress) => o.onProgress?.(p);
  const wait = (stackId: string, cursor: StackEventCursor) =>
    waitForStack(c.cfn, stackId, name, cursor, {
      pollMs: o.pollMs,
      signal: o.signal,
      onEvent: (event) => emit({ kind: 'event', event }),
    });
  const body = templateBody();

  let stack = await cfnCall('DescribeStacks', name, () => describeStack(c.cfn, name));
  if (stack && isInProgress(stack.StackStatus)) throw BUSY(name, stack.StackStatus!);
  if (stack && (stack.StackStatus === 'ROLLBACK_COMPLETE' || stack.StackStatus === 'ROLLBACK_FAILED')) {
    throw new Error(
      `stack '${name}' failed to create earlier (${stack.StackStatus}) and cannot be updated: delete it (cosmicai stack delete --stack-name ${name}) and deploy again.`,
    );
  }
  const previous = stack ? paramMap(stack) : {};
  // A stack keeps the bucket it was made with unless told otherwise.
  const existingBucket = o.existingBucket ?? (previous.ExistingBucketName || undefined);
  const codeBucketParam = o.codeBucket ?? (previous.CodeBucket || undefined);
  if (stack && o.existingBucket !== undefined && previous.ExistingBucketName === '' && o.existingBucket !== '') {
    throw new Error(
      `stack '${name}' created its own bucket (${outputsMap(stack.Outputs).BucketName ?? '?'}); switching it to '${o.existingBucket}' would drop that bucket from the stack. Deploy a new stack with --bucket instead.`,
    );
  }
  const settings = { ...o, existingBucket, codeBucket: codeBucketParam };

  let bucket = existingBucket ?? outputsMap(stack?.Outputs).BucketName;
  const operation: DeployResult['operation'] = stack ? 'update' : 'create';
  if (!bucket) {
    // Phase one: the bucket alone.
    emit({ kind: 'phase', phase: 'bucket', message: `creating stack '${name}' with its bucket (phase 1 of 2)` });
    const created = await cfnCall('CreateStack', name, () =>
      c.cfn.send(
        new CreateStackCommand({
          StackName: name,
          TemplateBody: body,
          Parameters: stackParameters({ ...settings, codeKey: '' }),
          Capabilities: ['CAPABILITY_IAM'],
          Tags: [{ Key: 'app', Value: 'cosmicai-bench' }],
        }),
      ),
    );
    stack = await wait(created.StackId!, new StackEventCursor(c.cfn, created.StackId!));
    bucket = outputsMap(stack?.Outputs).BucketName;
    if (!stack || !bucket)
      throw new Error(
        `stack '${name}' was created but reports no BucketName output; check it in the CloudFormation console.`,
      );
  }

  const codeBucket = codeBucketParam ?? bucket;
  const sha = await sha256Of(o.zipFile);
  const codeKey = `${CODE_PREFIX}cosmicai-lambda-${o.arch}-${sha.slice(0, 12)}.zip`;
  emit({
    kind: 'phase',
    phase: 'upload',
    message: `uploading the Lambda code to s3://${codeBucket}/${codeKey}${o.modelFile ? ' and the model' : ''}`,
  });
  const onUpload = (progress: StageProgress) => emit({ kind: 'upload', progress });
  const codeReport = await stageFiles(c.s3, codeBucket, [{ localPath: o.zipFile, key: codeKey }], {
    signal: o.signal,
    onProgress: onUpload,
  });
  let modelKey: string | undefined;
  if (o.modelFile) {
    modelKey = `${SCRIPTS_PREFIX}${path.basename(o.modelFile)}`;
    const r = await stageFiles(c.s3, bucket, [{ localPath: o.modelFile, key: modelKey }], {
      signal: o.signal,
      onProgress: onUpload,
    });
    if (r.cancelled) codeReport.cancelled = true;
  }
  if (codeReport.cancelled)
    throw new Error(`deploy of stack '${name}' cancelled while uploading; nothing was changed in the stack since.`);

  const params = stackParameters({ ...settings, codeKey });
  emit({ kind: 'phase', phase: 'stack', message: stack ? `updating stack '${name}'` : `creating stack '${name}'` });
  let stackId: string;
  const cursor = () => new StackEventCursor(c.cfn, stackId);
  if (stack) {
    stackId = stack.StackId!;
    const cur = cursor();
    await cfnCall('DescribeStackEvents', name, () => cur.prime());
    try {
      await c.cfn.send(
        new UpdateStackCommand({
          StackName: stackId,
          TemplateBody: body,
          Parameters: params,
          Capabilities: ['CAPABILITY_IAM'],
          Tags: [{ Key: 'app', Value: 'cosmicai-bench' }],
        }),
      );
    } catch (err) {
      if (/No updates are to be performed/i.test((err as Error).message ?? '')) {
        return result(stack, 'none');
      }
      return cfnCall('UpdateStack', name, () => Promise.reject(err));
    }
    stack = await wait(stackId, cur);
  } else {
    const created = await cfnCall('CreateStack', name, () =>
      c.cfn.send(
        new CreateStackCommand({
          StackName: name,
          TemplateBody: body,
          Parameters: params,
          Capabilities: ['CAPABILITY_IAM'],
          Tags: [{ Key: 'app', Value: 'cosmicai-bench' }],
        }),
      ),
    );
    stackId = created.StackId!;
    stack = await wait(stackId, cursor());
  }
  if (!stack) throw new Error(`stack '${name}' disappeared while deploying`);
  return result(stack, operation);

  function result(s: Stack, op: DeployResult['operation']): DeployResult {
    return {
      stackId: s.StackId!,
      stackName: name,
      status: s.StackStatus!,
      operation: op,
      bucket: bucket!,
      codeBucket,
      codeKey,
      ...(modelKey ? { modelKey } : {}),
      outputs: outputsMap(s.Outputs),
    };
  }
}

function paramMap(s: Stack): Record<string, string> {
  return Object.fromEntries((s.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
}

export interface StackStatusReport {
  stackName: string;
  exists: boolean;
  stackId?: string;
  status?: string;
  reason?: string;
  parameters: Record<string, string>;
  outputs: StackOutputs;
  /** The latest events, oldest first. */
  recentEvents: StackEventLine[];
}

export async function stackStatus(
  c: Pick<StackClients, 'cfn'>,
  stackName: string,
  recent = 10,
): Promise<StackStatusReport> {
  const name = checkStackName(stackName);
  const stack = await cfnCall('DescribeStacks', name, () => describeStack(c.cfn, name));
  if (!stack) return { stackName: name, exists: false, parameters: {}, outputs: {}, recentEvents: [] };
  const cursor = new StackEventCursor(c.cfn, stack.StackId!, 1);
  const events = await cfnCall('DescribeStackEvents', name, () => cursor.poll());
  return {
    stackName: name,
    exists: true,
    stackId: stack.StackId,
    status: stack.StackStatus,
    ...(stack.StackStatusReason ? { reason: scrubSecrets(stack.StackStatusReason) } : {}),
    parameters: paramMap(stack),
    outputs: outputsMap(stack.Outputs),
    recentEvents: events.slice(-recent),
  };
}

export interface DeleteResult {
  stackName: string;
  /** The bucket the stack created, which is kept (results live there). */
  retainedBucket?: string;
}

export async function deleteStack(
  c: Pick<StackClients, 'cfn'>,
  stackName: string,
  opts: { pollMs?: number; signal?: AbortSignal; onProgress?: (p: StackProgress) => void } = {},
): Promise<DeleteResult> {
  const name = checkStackName(stackName);
  const stack = await cfnCall('DescribeStacks', name, () => describeStack(c.cfn, name));
  if (!stack)
    throw new Error(
      `no stack named '${name}' in this region: nothing to delete (check --stack-name and the profile's region).`,
    );
  if (isInProgress(stack.StackStatus) && stack.StackStatus !== 'DELETE_IN_PROGRESS')
    throw BUSY(name, stack.StackStatus!);
  const stackId = stack.StackId!;
  const cursor = new StackEventCursor(c.cfn, stackId);
  await cfnCall('DescribeStackEvents', name, () => cursor.prime());
  opts.onProgress?.({ kind: 'phase', phase: 'delete', message: `deleting stack '${name}'` });
  await cfnCall('DeleteStack', name, () => c.cfn.send(new DeleteStackCommand({ StackName: stackId })));
  await waitForStack(c.cfn, stackId, name, cursor, {
    pollMs: opts.pollMs,
    signal: opts.signal,
    onEvent: (event) => opts.onProgress?.({ kind: 'event', event }),
  });
  const createdBucket = paramMap(stack).ExistingBucketName ? undefined : outputsMap(stack.Outputs).BucketName;
  return { stackName: name, ...(createdBucket ? { retainedBucket: createdBucket } : {}) };
}
