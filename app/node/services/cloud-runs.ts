import { pendingRerunArn } from '../../../base/pending-rerun.ts';
import { runOfPendingRerun } from '../pending-rerun-run.ts';
import path from 'node:path';
import { makeClients, type AwsClients } from '../../../cloud/aws-clients.ts';
import { CloudError } from '../../../cloud/aws-errors.ts';
import { launch, type CloudRunEvent } from '../../../cloud/cloud-run.ts';
import { checkExecutionArn, stopExecution } from '../../../cloud/execution.ts';
import type { ExecutionSnapshot } from '../../../cloud/monitor.ts';
import { ensureDefaultSampleData } from '../../../engine/data/sample-data.ts';
import { REFERENCE_FILE_NAME } from '../../../engine/model/reference-model.ts';
import { countPartitions } from '../../../cloud/staged-partitions.ts';
import { buildPayload, parsePayloadText, payloadToText, type CaiPayload } from '../../../cloud/payload.ts';
import type { ProfileStore } from '../../../cloud/profiles.ts';
import type { SecretCipher } from '../../../cloud/secret-cipher.ts';
import {
  ApiError,
  EMULATED_LABEL,
  toApiErrorData,
  type CloudProgress,
  type CloudRunOptions,
} from '../../common/contract/index.ts';
import type { EventHub } from '../../common/dispatcher.ts';
import { CloudRunRecordSchema, type CloudRunRecord } from '../../../base/cloud-run-record.ts';
import { rerunPayload } from '../../../cloud/rerun.ts';
import type { CaiRankPlan } from '../../../cloud/cai-rank-plan.ts';
import { prepareCloudRun, type PreparedRun, type StageEvent, type StageResult } from './cloud-prepare.ts';
import { ConcurrentRunError, guardSingleRun, runningExecutions } from '../../../cloud/running-guard.ts';
import { followAndRecord } from '../cloud-follow-record.ts';
import type { HistoryStore } from '../history-store.ts';

interface Active {
  runId: string;
  name: string;
  profile: string;
  startedAt: string;
  progress: CloudProgress | null;
  /** Cancels staging, or stops following (the execution itself is stopped with StopExecution). */
  controller: AbortController;
  clients: AwsClients;
  executionArn?: string;
  done: Promise<void>;
}

const STAGE_EMIT_MS = 150;

/** Cloud runs in the background: each is written to History when it starts and finalised with its record. */
export class CloudRunService {
  private active = new Map<string, Active>();

  constructor(
    private readonly deps: {
      dataDir: string;
      store: HistoryStore;
      hub: EventHub;
      profiles: ProfileStore;
      cipher?: SecretCipher;
      pollMs?: number;
    },
  ) {}

  async clientsFor(profileName: string): Promise<AwsClients> {
    return makeClients(await this.deps.profiles.getStored(profileName), { cipher: this.deps.cipher });
  }

  list() {
    return [...this.active.values()].map((a) => ({
      runId: a.runId,
      name: a.name,
      profile: a.profile,
      startedAt: a.startedAt,
      progress: a.progress,
    }));
  }

  /** The payload a run with these options would send, without staging (S3_object_name/script as staging would set them by default). */
  async preview(opts: CloudRunOptions): Promise<{ text: string; payload: CaiPayload }> {
    const profile = await this.deps.profiles.getStored(opts.profile);
    if (opts.payloadText) {
      const parsed = parsePayloadText(opts.payloadText);
      if (!parsed.ok)
        throw new ApiError({
          code: 'INVALID_PAYLOAD',
          message: parsed.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '),
          hint: 'Fix the fields named above, or reset the payload to the one built from the options.',
        });
      return { text: payloadToText(parsed.payload), payload: parsed.payload };
    }
    const code = opts.codeDir
      ? { s3ObjectName: `${profile.scriptsPrefix}${path.basename(opts.codeDir)}`, objectType: 'folder' as const }
      : opts.modelFile
        ? { s3ObjectName: `${profile.scriptsPrefix}${path.basename(opts.modelFile)}`, objectType: 'file' as const }
        : { s3ObjectName: `${profile.scriptsPrefix}${REFERENCE_FILE_NAME}`, objectType: 'file' as const };
    const partitionMb = opts.partitionMb ?? 25;
    const dataset = opts.data?.length ? opts.data : await ensureDefaultSampleData(this.deps.dataDir);
    const payload = buildPayload(profile, {
      batchSize: opts.batchSize ?? 512,
      fileLimit: opts.fileLimit ?? (await countPartitions(dataset, partitionMb)),
      worldSize: opts.worldSize,
      partitionMb,
      ...code,
      // The CAI pipeline runs the entry script inside the folder (as staging sets it); else the model.
      script:
        code.objectType === 'file'
          ? `/tmp/${code.s3ObjectName}`
          : opts.entry
            ? `/tmp/${code.s3ObjectName}/${opts.entry}`
            : undefined,
    });
    return { text: payloadToText(payload), payload };
  }

  /**
   * Review before start (the UI's "Review" step, the CLI's --dry-run): stages like a start would (unless `stage` is
   * off), then returns the payload, the CAI rank plan with its warnings, and the executions already RUNNING on the
   * state machine (the CAI pipeline refuses to start beside them unless allowConcurrent). Starts nothing.
   */
  async review(opts: CloudRunOptions): Promise<{
    target: 'cai' | 'cosmicai';
    text: string;
    payload: CaiPayload;
    rankPlan: CaiRankPlan | null;
    stageWarnings: string[];
    running: string[];
  }> {
    const clients = await this.clientsFor(opts.profile);
    try {
      const prepared = await this.prepare(clients, opts, new AbortController().signal, () => undefined);
      if (!prepared) throw new ApiError({ code: 'CANCELLED', message: 'Review cancelled while staging.' });
      const running =
        prepared.target === 'cai' ? await runningExecutions(clients.sfn, clients.profile.stateMachineArn) : [];
      return { ...prepared, text: payloadToText(prepared.payload), running };
    } finally {
      clients.destroy();
    }
  }

  async start(opts: CloudRunOptions): Promise<{ runId: string }> {
    const clients = await this.clientsFor(opts.profile);
    const emulated = isEmulated(clients);
    const name = withEmulatedLabel(opts.name || `Cloud · ${opts.profile} · batch ${opts.batchSize ?? 512}`, emulated);
    const { payloadText: _text, ...params } = opts;
    const entry = await this.deps.store.create({
      kind: 'cloud',
      name,
      params: { ...params, ...(emulated ? { emulated } : {}) },
      headline: {
        batchSize: opts.batchSize ?? 512,
        data: opts.data?.length ? opts.data.map((d) => path.basename(d)).join(', ') : 'sample data',
        ...(emulated ? { emulated } : {}),
      },
    });
    const a = this.track(entry.id, name, opts.profile, clients, entry.createdAt);
    a.done = this.runNew(a, opts)
      .catch(() => undefined)
      .finally(() => this.untrack(a));
    return { runId: entry.id };
  }

  async attach(profileName: string, executionArn: string): Promise<{ runId: string }> {
    const arn = checkExecutionArn(executionArn);
    if ([...this.active.values()].some((x) => x.executionArn === arn))
      throw new ApiError({ code: 'BUSY', message: 'This execution is already being followed.' });
    // A re-run of a run's failed ranks that the app stopped following (closed mid-run): it is recorded into that
    // run, merged with the executions before it, not as a run of its own.
    const rerunOf = await runOfPendingRerun(this.deps.store, arn);
    if (rerunOf && this.active.has(rerunOf.runId))
      throw new ApiError({ code: 'BUSY', message: 'This run is still going.' });
    const clients = await this.clientsFor(profileName);
    const target = rerunOf
      ? { id: rerunOf.runId, name: rerunOf.name, startedAt: new Date().toISOString() }
      : await this.attachedEntry(profileName, arn, clients);
    const a = this.track(target.id, target.name, profileName, clients, target.startedAt);
    a.executionArn = arn;
    a.done = this.followAndRecord(a, arn, rerunOf?.record)
      .catch(() => undefined)
      .finally(() => this.untrack(a));
    return { runId: target.id };
  }

  /** A new History entry for an execution attached by its ARN (listed at once, so it can be re-attached again). */
  private async attachedEntry(profileName: string, arn: string, clients: AwsClients) {
    const emulated = isEmulated(clients);
    const name = withEmulatedLabel(`Cloud · ${profileName} · ${arn.split(':').pop()}`, emulated);
    const entry = await this.deps.store.create({
      kind: 'cloud',
      name,
      params: { profile: profileName, executionArn: arn, attached: true, ...(emulated ? { emulated } : {}) },
      ...(emulated ? { headline: { emulated } } : {}),
    });
    return { id: entry.id, name, startedAt: entry.createdAt };
  }

  /**
   * Re-runs the failed ranks of a recorded cloud run as a new execution into the same result_path, then rewrites
   * the run's History entry with the merged record of all its executions (cloud/rerun-merge.ts).
   */
  async rerunFailed(runId: string): Promise<{ runId: string }> {
    if (this.active.has(runId)) throw new ApiError({ code: 'BUSY', message: 'This run is still going.' });
    const { entry } = await this.deps.store.get(runId);
    const parsed = CloudRunRecordSchema.safeParse(entry.record);
    if (entry.kind !== 'cloud' || !parsed.success)
      throw new ApiError({
        code: 'INVALID_INPUT',
        message: `Run "${runId}" is not a recorded cloud run.`,
        hint: 'Re-run failed ranks from a finished cloud run.',
      });
    const record = parsed.data;
    const pending = pendingRerunArn(entry.params, record);
    if (pending)
      throw new ApiError({
        code: 'BUSY',
        message: `A re-run of this run's failed ranks (${pending}) was not followed to its end.`,
        hint: 'Re-attach to it first (the run then gets its results); a second re-run would run the same ranks again.',
      });
    let payload: CaiPayload;
    try {
      payload = rerunPayload(record);
    } catch (err) {
      throw new ApiError({
        code: 'NOTHING_TO_RERUN',
        message: (err as Error).message,
        hint: 'Only ranks that failed (with their partition files known) can be re-run.',
      });
    }
    const clients = await this.clientsFor(record.profile.name);
    const a = this.track(runId, entry.name, record.profile.name, clients, new Date().toISOString());
    a.done = (async () => {
      try {
        this.emit(a, {
          phase: 'starting',
          payload,
          message: `Re-running rank(s) ${payload.ranks!.map((r) => r.rank).join(', ')}…`,
        });
        const started = await launch(a.clients, payload);
        a.executionArn = started.executionArn;
        const previous = Array.isArray(entry.params.reruns) ? (entry.params.reruns as unknown[]) : [];
        await this.deps.store.update(runId, {
          params: {
            ...entry.params,
            reruns: [...previous, { of: record.executionArn, executionArn: started.executionArn }],
          },
        });
        await this.followAndRecord(a, started.executionArn, record);
      } catch (err) {
        await this.fail(a, err);
      }
    })()
      .catch(() => undefined)
      .finally(() => this.untrack(a));
    return { runId };
  }

  async stop(runId: string): Promise<void> {
    const a = this.active.get(runId);
    if (!a)
      throw new ApiError({
        code: 'NOT_FOUND',
        message: `No cloud run "${runId}" is going.`,
        hint: 'It may have finished; see History. To stop an execution started elsewhere, attach to it first.',
      });
    if (!a.executionArn) {
      a.controller.abort();
      return;
    }
    try {
      await stopExecution(a.clients.sfn, a.executionArn);
    } catch (err) {
      if (err instanceof CloudError) throw new ApiError({ code: err.code, message: err.detail, hint: err.hint });
      throw err;
    }
  }

  /** On quit: stop following (executions keep running; their History entries show "interrupted" and can be re-attached). */
  async shutdown(): Promise<void> {
    for (const a of this.active.values()) a.controller.abort();
    await Promise.all([...this.active.values()].map((a) => a.done.catch(() => undefined)));
  }

  private track(runId: string, name: string, profile: string, clients: AwsClients, startedAt: string): Active {
    const a: Active = {
      runId,
      name,
      profile,
      startedAt,
      progress: null,
      controller: new AbortController(),
      clients,
      done: Promise.resolve(),
    };
    this.active.set(runId, a);
    return a;
  }

  private untrack(a: Active): void {
    this.active.delete(a.runId);
    a.clients.destroy();
  }

  private emit(a: Active, p: Omit<CloudProgress, 'runId' | 'elapsedSeconds'>): void {
    const progress: CloudProgress = {
      ...a.progress,
      ...p,
      message: p.message,
      runId: a.runId,
      elapsedSeconds: (Date.now() - Date.parse(a.startedAt)) / 1000,
    };
    if (p.phase !== 'staging') delete progress.stage;
    if (progress.message === undefined) delete progress.message;
    a.progress = progress;
    this.deps.hub.emit('cloud.progress', progress);
  }

  /** Records the end of a run that produced no record. If even that cannot be written, the entry stays "running" and shows as interrupted. */
  private async fail(a: Active, err: unknown, status: 'failed' | 'cancelled' = 'failed'): Promise<void> {
    // A CloudError's message already ends with its hint; the UI shows the hint on its own line.
    const error =
      err instanceof CloudError
        ? { code: err.code, message: err.detail, hint: err.hint }
        : toApiErrorData(err, 'CLOUD_ERROR');
    try {
      await this.deps.store.finish(a.runId, { status, error: status === 'failed' ? error : null });
    } finally {
      this.deps.hub.emit('cloud.finished', {
        runId: a.runId,
        status,
        executionArn: a.executionArn,
        ...(status === 'failed' ? { error } : {}),
      });
    }
  }

  private async runNew(a: Active, opts: CloudRunOptions): Promise<void> {
    try {
      const p = a.clients.profile;
      const prepared = await this.prepare(a.clients, opts, a.controller.signal, (progress) => this.emit(a, progress));
      if (!prepared || a.controller.signal.aborted) {
        await this.fail(a, null, 'cancelled');
        return;
      }
      const { target, payload, rankPlan: plan } = prepared;
      if (target === 'cai' && plan) {
        if (plan.warnings.length && !opts.acceptWarnings) {
          throw new ApiError({
            code: 'RANK_PLAN_WARNINGS',
            message: `Not started: ${plan.warnings.join(' ')}`,
            hint: 'Review the rank plan, then accept the warnings to start anyway, or change the file limit, world size or what is staged.',
          });
        }
        try {
          await guardSingleRun(
            a.clients.sfn,
            p.stateMachineArn,
            !!opts.allowConcurrent,
            'the "start while another runs" option',
          );
        } catch (err) {
          if (err instanceof ConcurrentRunError)
            throw new ApiError({ code: err.code, message: err.message, hint: err.hint });
          throw err;
        }
      }
      this.emit(a, { phase: 'starting', payload, message: 'Starting the execution…' });
      const started = await launch(a.clients, payload);
      a.executionArn = started.executionArn;
      // Kept in History at once, so a run whose app was closed can be re-attached by its ARN.
      await this.deps.store.update(a.runId, {
        params: {
          ...opts,
          ...(isEmulated(a.clients) ? { emulated: true } : {}),
          payloadText: undefined,
          executionArn: started.executionArn,
          result_path: payload.result_path,
        },
      });
      await this.followAndRecord(a, started.executionArn);
    } catch (err) {
      await this.fail(a, err);
    }
  }

  /** What a run with these options would send (cloud-prepare.ts), with staging progress as `cloud.progress`. */
  private prepare(
    clients: AwsClients,
    opts: CloudRunOptions,
    signal: AbortSignal,
    emit: (progress: Omit<CloudProgress, 'runId' | 'elapsedSeconds'>) => void,
  ): Promise<PreparedRun | null> {
    let last = 0;
    const onStage = (e: StageEvent) => {
      const now = Date.now();
      const final =
        e.step === 'folders' ||
        (e.step !== 'partition' && (e.progress.phase === 'uploaded' || e.progress.phase === 'skipped'));
      if (!final && now - last < STAGE_EMIT_MS) return;
      last = now;
      const stage =
        e.step === 'folders'
          ? { step: 'folders' as const, done: 0, total: 0 }
          : e.step === 'partition'
            ? { step: 'partition' as const, done: e.written, total: e.total }
            : {
                step: e.step,
                done: e.progress.filesDone,
                total: e.progress.filesTotal,
                bytesDone: e.progress.bytesDone,
                bytesTotal: e.progress.bytesTotal,
                key: e.progress.key,
              };
      emit({ phase: 'staging', stage, message: e.step === 'folders' ? 'Creating results/ and scripts/…' : undefined });
    };
    const onStaged = (staged: StageResult) => {
      if (staged.cancelled) return;
      for (const w of staged.warnings) emit({ phase: 'staging', message: `Warning: ${w}` });
    };
    return prepareCloudRun(clients, opts, { dataDir: this.deps.dataDir, signal, onStage, onStaged });
  }

  /** `rerunOf`: the run's record before this execution re-ran its failed ranks (the entry gets the merged record). */
  private async followAndRecord(a: Active, executionArn: string, rerunOf?: CloudRunRecord): Promise<void> {
    try {
      const onEvent = (e: CloudRunEvent) => {
        if (e.type === 'status') this.emit(a, { phase: 'running', ...snapshotView(e.snapshot) });
        else if (e.type === 'logs')
          this.deps.hub.emit('cloud.logs', {
            runId: a.runId,
            lines: e.lines.map((l) => ({
              timestamp: l.timestamp,
              message: l.message,
              ...(l.report ? { report: l.report } : {}),
            })),
          });
        else if (e.type === 'notice') this.emit(a, { phase: a.progress?.phase ?? 'running', message: e.message });
      };
      const done = await followAndRecord(a.clients, executionArn, {
        history: this.deps.store,
        runId: a.runId,
        name: a.name,
        intervalMs: this.deps.pollMs ?? 3000,
        logIntervalMs: this.deps.pollMs ?? 2000,
        signal: a.controller.signal,
        onEvent,
        onEnded: () => this.emit(a, { phase: 'collecting', message: 'Reading the results…' }),
        rerunOf,
      });
      if (done.detached) {
        // App closing: leave the entry "running" (shown as interrupted after a restart) with its ARN.
        this.deps.hub.emit('cloud.finished', { runId: a.runId, status: 'detached', executionArn });
        return;
      }
      const record = done.record;
      const status = record.status === 'completed' ? 'completed' : record.status === 'aborted' ? 'cancelled' : 'failed';
      this.deps.hub.emit('cloud.finished', {
        runId: a.runId,
        status,
        executionArn,
        ...(status === 'failed'
          ? {
              error: {
                code: record.error ?? 'FAILED',
                message: `${record.error ?? 'The execution failed'}${record.cause ? `: ${record.cause.slice(0, 500)}` : ''}`,
                hint: 'The failed ranks and their errors are in the run; the finished ranks’ results were kept.',
              },
            }
          : {}),
      });
    } catch (err) {
      await this.fail(a, err);
    }
  }
}

function snapshotView(s: ExecutionSnapshot): Pick<CloudProgress, 'executionArn' | 'status' | 'items' | 'failedRanks'> {
  return {
    executionArn: s.executionArn,
    status: s.status,
    items: s.items,
    failedRanks: s.failedRanks.map((f) => ({
      rank: f.rank,
      index: f.index,
      dataPath: f.dataPath,
      error: f.error,
      cause: f.cause,
    })),
  };
}

/** A run through an emulator profile ran on this computer, not on AWS. */
function isEmulated(clients: AwsClients): boolean {
  return clients.profile.credentials.source === 'emulator';
}

/** Every emulated run says so in its name, the one place every list of runs shows. */
function withEmulatedLabel(name: string, emulated: boolean): string {
  return emulated && !name.includes(EMULATED_LABEL) ? `${name} (${EMULATED_LABEL})` : name;
}
