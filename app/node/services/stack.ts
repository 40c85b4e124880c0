import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { makeClients, type AwsClients } from '../../../cloud/aws-clients.ts';
import { CloudError } from '../../../cloud/aws-errors.ts';
import type { ProfileStore } from '../../../cloud/profiles.ts';
import type { ProfileInput, StoredProfile } from '../../../base/profile-schema.ts';
import { decryptKeys, type SecretCipher } from '../../../cloud/secret-cipher.ts';
import { packageAndDeploy, type DeployFlowProgress } from '../../../cloud/stack/deploy-flow.ts';
import { saveStackProfile } from './stack-profile.ts';
import {
  packageLambda,
  UNZIPPED_LIMIT_BYTES,
  type LambdaArch,
  type PackageResult,
} from '../../../cloud/stack/package-lambda.ts';
import { checkStackName, deleteStack, stackStatus } from '../../../cloud/stack/stack-deploy.ts';
import { StackOperationError, type StackEventLine } from '../../../cloud/stack/stack-events.ts';
import {
  ApiError,
  toApiErrorData,
  type PackageReport,
  type StackDeployOptions,
  type StackFinished,
  type StackProgressView,
  type StackStatusView,
} from '../../common/contract/index.ts';
import type { EventHub } from '../../common/dispatcher.ts';

interface Op {
  opId: string;
  operation: 'deploy' | 'delete';
  stackName: string;
  profile: string;
  startedAt: string;
  events: StackEventLine[];
  controller: AbortController;
  clients: AwsClients;
  done: Promise<void>;
  lastUploadEmit: number;
}

const UPLOAD_EMIT_MS = 250;
const MAX_KEPT_EVENTS = 500;

export function packageReport(r: PackageResult): PackageReport {
  return {
    file: r.file,
    arch: r.arch,
    unzippedBytes: r.unzippedBytes,
    zippedBytes: r.zippedBytes,
    limitBytes: UNZIPPED_LIMIT_BYTES,
    files: r.entries.length,
    onnxruntimeVersion: r.onnxruntimeVersion,
    sha256: r.sha256,
  };
}

/** Deploy, status and delete of our own CAI stack for the app; deploy/delete run in the background with events. */
export class StackService {
  private ops = new Map<string, Op>();

  constructor(
    private readonly deps: { dataDir: string; hub: EventHub; profiles: ProfileStore; cipher?: SecretCipher },
  ) {}

  list() {
    return [...this.ops.values()].map((o) => ({
      opId: o.opId,
      operation: o.operation,
      stackName: o.stackName,
      profile: o.profile,
      startedAt: o.startedAt,
      events: o.events,
    }));
  }

  async package(arch: LambdaArch): Promise<PackageReport> {
    const r = await packageLambda({
      arch,
      outFile: path.join(this.deps.dataDir, 'stack', `cosmicai-lambda-${arch}.zip`),
    });
    return packageReport(r);
  }

  async status(profile: string, stackName: string, events = 10): Promise<StackStatusView> {
    const clients = await this.clientsFor(profile);
    try {
      return await stackStatus(clients, stackName, events);
    } catch (err) {
      throw asApiError(err);
    } finally {
      clients.destroy();
    }
  }

  async deploy(o: StackDeployOptions): Promise<{ opId: string }> {
    validName(o.stackName);
    const base = await this.deps.profiles.getStored(o.profile);
    const saveAs = o.saveAs ?? o.stackName;
    // Checked before anything is created: the new profile needs credentials it can store.
    const credentials = this.credentialsFor(base);
    const op = await this.track('deploy', o.stackName, base);
    op.done = this.runDeploy(op, o, base, saveAs, credentials).finally(() => this.untrack(op));
    return { opId: op.opId };
  }

  async delete(profile: string, stackName: string, pollSeconds?: number): Promise<{ opId: string }> {
    validName(stackName);
    const base = await this.deps.profiles.getStored(profile);
    const op = await this.track('delete', stackName, base);
    op.done = (async () => {
      try {
        const res = await deleteStack(op.clients, stackName, {
          pollMs: (pollSeconds ?? 5) * 1000,
          signal: op.controller.signal,
          onProgress: (p) => this.progress(op, p),
        });
        this.finish(op, { status: 'completed', ...(res.retainedBucket ? { retainedBucket: res.retainedBucket } : {}) });
      } catch (err) {
        this.fail(op, err);
      }
    })().finally(() => this.untrack(op));
    return { opId: op.opId };
  }

  cancel(opId: string): void {
    const op = this.ops.get(opId);
    if (!op)
      throw new ApiError({
        code: 'NOT_FOUND',
        message: `No stack operation "${opId}" is being followed.`,
        hint: 'It may have ended; use Status to see the stack.',
      });
    op.controller.abort();
  }

  async shutdown(): Promise<void> {
    for (const o of this.ops.values()) o.controller.abort();
    await Promise.all([...this.ops.values()].map((o) => o.done.catch(() => undefined)));
  }

  private async clientsFor(profile: string): Promise<AwsClients> {
    return makeClients(await this.deps.profiles.getStored(profile), { cipher: this.deps.cipher });
  }

  /** The credentials the stack's profile gets: the base profile's source; pasted keys decrypted to be stored again. */
  private credentialsFor(base: StoredProfile): ProfileInput['credentials'] | undefined {
    if (base.credentials.source !== 'static') return undefined;
    return { source: 'static', ...decryptKeys(base.credentials.encrypted, this.deps.cipher) };
  }

  private async track(operation: Op['operation'], stackName: string, base: StoredProfile): Promise<Op> {
    if ([...this.ops.values()].some((o) => o.stackName === stackName && o.profile === base.name)) {
      throw new ApiError({
        code: 'BUSY',
        message: `An operation on stack '${stackName}' is already being followed.`,
        hint: 'Wait for it to end, or cancel following it first.',
      });
    }
    const op: Op = {
      opId: randomUUID(),
      operation,
      stackName,
      profile: base.name,
      startedAt: new Date().toISOString(),
      events: [],
      controller: new AbortController(),
      clients: makeClients(base, { cipher: this.deps.cipher }),
      done: Promise.resolve(),
      lastUploadEmit: 0,
    };
    this.ops.set(op.opId, op);
    return op;
  }

  private untrack(op: Op): void {
    this.ops.delete(op.opId);
    op.clients.destroy();
  }

  private async runDeploy(
    op: Op,
    o: StackDeployOptions,
    base: StoredProfile,
    saveAs: string,
    credentials: ProfileInput['credentials'] | undefined,
  ): Promise<void> {
    let packaged: PackageReport | undefined;
    try {
      const res = await packageAndDeploy(op.clients, {
        dataDir: this.deps.dataDir,
        stackName: o.stackName,
        arch: o.arch ?? 'x86_64',
        memoryMb: o.memoryMb,
        timeoutSeconds: o.timeoutSeconds,
        maxConcurrency: o.maxConcurrency,
        toleratedFailurePercentage: o.toleratedFailurePercentage,
        logRetentionDays: o.logRetentionDays,
        existingBucket: o.existingBucket,
        zipFile: o.zipFile,
        modelFile: o.modelFile,
        pollMs: (o.pollSeconds ?? 5) * 1000,
        signal: op.controller.signal,
        onProgress: (p) => {
          if (p.kind === 'packaged') packaged = packageReport(p.result);
          this.progress(op, p);
        },
      });
      const { profile, action } = await saveStackProfile(this.deps.profiles, res, base, saveAs, credentials);
      this.finish(op, {
        status: 'completed',
        stackStatus: res.status,
        stackOperation: res.operation,
        outputs: res.outputs as Record<string, string>,
        profile,
        profileAction: action,
        ...(packaged ? { packaged } : {}),
      });
    } catch (err) {
      this.fail(op, err, packaged);
    }
  }

  private progress(op: Op, p: DeployFlowProgress): void {
    const common = {
      opId: op.opId,
      operation: op.operation,
      stackName: op.stackName,
      elapsedSeconds: (Date.now() - Date.parse(op.startedAt)) / 1000,
    };
    let view: StackProgressView;
    if (p.kind === 'event') {
      op.events.push(p.event);
      if (op.events.length > MAX_KEPT_EVENTS) op.events.shift();
      view = { ...common, kind: 'event', event: p.event };
    } else if (p.kind === 'phase') view = { ...common, kind: 'phase', message: p.message };
    else if (p.kind === 'package')
      view = { ...common, kind: 'package', message: `packaging the Lambda code: ${p.step}` };
    else if (p.kind === 'packaged') view = { ...common, kind: 'packaged', packaged: packageReport(p.result) };
    else {
      const done = p.progress.phase === 'uploaded' || p.progress.phase === 'skipped';
      const now = Date.now();
      if (!done && now - op.lastUploadEmit < UPLOAD_EMIT_MS) return;
      op.lastUploadEmit = now;
      view = {
        ...common,
        kind: 'upload',
        upload: {
          key: p.progress.key,
          phase: p.progress.phase,
          bytesDone: p.progress.bytesDone,
          bytesTotal: p.progress.bytesTotal,
        },
      };
    }
    this.deps.hub.emit('stack.progress', view);
  }

  private finish(op: Op, f: Omit<StackFinished, 'opId' | 'operation' | 'stackName'>): void {
    // Not listed as active once its end is announced.
    this.ops.delete(op.opId);
    this.deps.hub.emit('stack.finished', { opId: op.opId, operation: op.operation, stackName: op.stackName, ...f });
  }

  private fail(op: Op, err: unknown, packaged?: PackageReport): void {
    const cancelled = op.controller.signal.aborted;
    const error = toApiErrorData(asApiError(err), 'STACK_ERROR');
    if (cancelled) error.hint ??= `The CloudFormation operation continues; use Status to follow '${op.stackName}'.`;
    this.finish(op, {
      status: cancelled ? 'cancelled' : 'failed',
      error,
      ...(err instanceof StackOperationError
        ? { stackStatus: err.status, ...(err.failedResource ? { failedResource: err.failedResource } : {}) }
        : {}),
      ...(packaged ? { packaged } : {}),
    });
  }
}

/** Refused before packaging or any AWS call. */
function validName(name: string): void {
  try {
    checkStackName(name);
  } catch (err) {
    throw new ApiError({ code: 'INVALID_INPUT', message: (err as Error).message, hint: 'Choose another stack name.' });
  }
}

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof CloudError) return new ApiError({ code: err.code, message: err.detail, hint: err.hint });
  if (err instanceof StackOperationError) return new ApiError({ code: 'STACK_ROLLBACK', message: err.message });
  return new ApiError(toApiErrorData(err, 'STACK_ERROR'));
}
