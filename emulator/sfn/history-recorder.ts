import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../aws-http.ts';
import { evalPath, isDistributed, LAMBDA_INVOKE } from './definition.ts';
import {
  causeText,
  json,
  type ChildExecution,
  type ExecutionRecord,
  type ExecutionStatus,
  type LibEvent,
  type MapRunRecord,
  type MapRunStatus,
} from './records.ts';

/** Turns the interpreter's event log into AWS history events and keeps the map runs' item states. */
export class HistoryRecorder {
  private lastTop = 0;
  private lastByIndex = new Map<number, number>();
  /** The map run (if any) that owns iteration events, by Map state name. */
  private activeRuns = new Map<string, MapRunRecord>();
  /** The child execution an iteration index currently feeds. */
  private childByIndex = new Map<number, ChildExecution>();

  constructor(
    private readonly ex: ExecutionRecord,
    private readonly mapRuns: Map<string, MapRunRecord>,
    private readonly children: Map<string, { child: ChildExecution; run: MapRunRecord }>,
  ) {}

  private push(type: string, timestamp: number, details: Record<string, unknown> = {}, index?: number): number {
    const id = this.ex.history.length + 1;
    const previousEventId = index === undefined ? this.lastTop : (this.lastByIndex.get(index) ?? this.lastTop);
    this.ex.history.push({ timestamp, type, id, previousEventId, ...details });
    if (index === undefined) this.lastTop = id;
    else {
      this.lastByIndex.set(index, id);
      if (!type.startsWith('MapIteration')) this.childByIndex.get(index)?.events.push({ type, timestamp, details });
    }
    return id;
  }

  private taskResource(stateName: string) {
    const resource = this.ex.sm.tasks.get(stateName)?.resource ?? '';
    return LAMBDA_INVOKE.test(resource)
      ? { resourceType: 'lambda', resource: 'invoke' }
      : { resourceType: 'lambda', resource: resource.split(':').slice(-1)[0] };
  }

  add(e: LibEvent): void {
    const t = e.timestamp;
    const idx = e.index;
    switch (e.type) {
      case 'ExecutionStarted':
        this.push('ExecutionStarted', t, {
          executionStartedEventDetails: {
            input: json(e.input),
            inputDetails: { truncated: false },
            roleArn: this.ex.sm.roleArn,
          },
        });
        return;
      case 'StateEntered': {
        const s = e.state!;
        this.push(
          `${s.type}StateEntered`,
          t,
          { stateEnteredEventDetails: { name: s.name, input: json(s.input), inputDetails: { truncated: false } } },
          idx,
        );
        if (s.type === 'Task') this.taskStarted(s.name, s.input, t, idx);
        if (s.type === 'Map') this.mapStarted(s.name, s.input, t, idx);
        return;
      }
      case 'StateRetried':
        if (e.state!.type === 'Task') this.taskStarted(e.state!.name, e.state!.input, t, idx);
        return;
      case 'StateExited': {
        const s = e.state!;
        if (s.type === 'Task')
          this.push(
            'TaskSucceeded',
            t,
            {
              taskSucceededEventDetails: {
                ...this.taskResource(s.name),
                output: json(s.output),
                outputDetails: { truncated: false },
              },
            },
            idx,
          );
        if (s.type === 'Map') this.mapEnded(s.name, t, idx, null);
        this.push(
          `${s.type}StateExited`,
          t,
          { stateExitedEventDetails: { name: s.name, output: json(s.output), outputDetails: { truncated: false } } },
          idx,
        );
        return;
      }
      case 'StateFailed': {
        const s = e.state!;
        const err = { error: e.Error ?? 'States.Runtime', cause: causeText(e.Cause) };
        if (s.type === 'Task')
          this.push('TaskFailed', t, { taskFailedEventDetails: { ...this.taskResource(s.name), ...err } }, idx);
        if (s.type === 'Map') this.mapEnded(s.name, t, idx, err);
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.iteration(e);
        return;
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimeout':
        // Written by finish(), once the final status is known.
        return;
    }
  }

  private taskStarted(name: string, input: unknown, t: number, idx?: number) {
    const res = this.taskResource(name);
    this.push(
      'TaskScheduled',
      t,
      { taskScheduledEventDetails: { ...res, region: LOCAL_REGION, parameters: json(input) } },
      idx,
    );
    this.push('TaskStarted', t, { taskStartedEventDetails: res }, idx);
  }

  private mapStarted(name: string, rawInput: unknown, t: number, idx?: number) {
    const state = this.ex.sm.maps.get(name)!;
    const items = evalPath(
      state.ItemsPath as string | undefined,
      evalPath(state.InputPath as string | undefined | null, rawInput),
    );
    const total = Array.isArray(items) ? items.length : null;
    this.push('MapStateStarted', t, { mapStateStartedEventDetails: { length: total ?? 0 } }, idx);
    if (!isDistributed(state)) return;
    const label = typeof state.Label === 'string' ? state.Label : name;
    const run: MapRunRecord = {
      arn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:mapRun:${this.ex.sm.name}/${label}:${randomUUID()}`,
      executionArn: this.ex.arn,
      stateName: name,
      label,
      stateMachineArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${this.ex.sm.name}/${label}`,
      status: 'RUNNING',
      startDate: t,
      maxConcurrency: Number(state.MaxConcurrency ?? 0),
      toleratedFailurePercentage: Number(state.ToleratedFailurePercentage ?? 0),
      toleratedFailureCount: Number(state.ToleratedFailureCount ?? 0),
      total,
      children: new Map(),
    };
    this.ex.mapRuns.push(run);
    this.mapRuns.set(run.arn, run);
    this.activeRuns.set(name, run);
    this.push('MapRunStarted', t, { mapRunStartedEventDetails: { mapRunArn: run.arn } }, idx);
  }

  private mapEnded(name: string, t: number, idx: number | undefined, err: { error: string; cause: string } | null) {
    const run = this.activeRuns.get(name);
    if (run) {
      this.activeRuns.delete(name);
      this.closeRun(run, err ? 'FAILED' : 'SUCCEEDED', t);
      if (err) this.push('MapRunFailed', t, { mapRunFailedEventDetails: err }, idx);
      else this.push('MapRunSucceeded', t, {}, idx);
    }
    this.push(err ? 'MapStateFailed' : 'MapStateSucceeded', t, {}, idx);
  }

  /** Items still running when their map run ends were stopped (the interpreter aborts them). */
  private closeRun(run: MapRunRecord, status: MapRunStatus, t: number) {
    run.status = status;
    run.stopDate = t;
    for (const c of run.children.values()) {
      if (c.status === 'RUNNING') {
        c.status = 'ABORTED';
        c.stopDate = t;
        this.push(
          'MapIterationAborted',
          t,
          { mapIterationAbortedEventDetails: { name: run.stateName, index: c.index } },
          c.index,
        );
      }
    }
  }

  private iteration(e: LibEvent) {
    const t = e.timestamp;
    const index = e.index!;
    const mapName = e.parentState!.name;
    const details = { name: mapName, index };
    const run = this.activeRuns.get(mapName);
    if (e.type === 'MapIterationStarted') {
      this.lastByIndex.set(index, this.lastTop);
      this.push('MapIterationStarted', t, { mapIterationStartedEventDetails: details }, index);
      if (run) {
        const name = randomUUID();
        const child: ChildExecution = {
          arn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${this.ex.sm.name}/${run.label}:${name}`,
          name,
          index,
          status: 'RUNNING',
          startDate: t,
          input: json(e.input),
          events: [],
        };
        run.children.set(index, child);
        this.childByIndex.set(index, child);
        this.children.set(child.arn, { child, run });
      }
      return;
    }
    const child = run?.children.get(index);
    if (e.type === 'MapIterationSucceeded') {
      this.push('MapIterationSucceeded', t, { mapIterationSucceededEventDetails: details }, index);
      if (child) Object.assign(child, { status: 'SUCCEEDED', stopDate: t, output: json(e.output) });
    } else {
      this.push('MapIterationFailed', t, { mapIterationFailedEventDetails: details }, index);
      if (child)
        Object.assign(child, {
          status: 'FAILED',
          stopDate: t,
          error: e.Error ?? 'States.Runtime',
          cause: causeText(e.Cause),
        });
    }
  }

  /** Closes open map runs and writes the execution's terminal event. */
  finish(status: ExecutionStatus): void {
    const t = this.ex.stopDate ?? Date.now();
    for (const run of this.activeRuns.values()) this.closeRun(run, status === 'ABORTED' ? 'ABORTED' : 'FAILED', t);
    this.activeRuns.clear();
    switch (status) {
      case 'SUCCEEDED':
        this.push('ExecutionSucceeded', t, {
          executionSucceededEventDetails: { output: this.ex.output, outputDetails: { truncated: false } },
        });
        break;
      case 'FAILED':
        this.push('ExecutionFailed', t, {
          executionFailedEventDetails: { error: this.ex.error, cause: this.ex.cause },
        });
        break;
      case 'ABORTED':
        this.push('ExecutionAborted', t, {
          executionAbortedEventDetails: {
            ...(this.ex.error ? { error: this.ex.error } : {}),
            ...(this.ex.cause ? { cause: this.ex.cause } : {}),
          },
        });
        break;
      case 'TIMED_OUT':
        this.push('ExecutionTimedOut', t, { executionTimedOutEventDetails: { error: 'States.Timeout' } });
        break;
    }
  }
}
