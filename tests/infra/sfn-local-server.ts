/**
 * A local AWS Step Functions endpoint for tests. It speaks the SFN JSON protocol (awsJson1_0,
 * `X-Amz-Target: AWSStepFunctions.<Op>`) to `@aws-sdk/client-sfn` and runs each execution's ASL on
 * aws-local-stepfunctions, with every Task state's Lambda call routed to the in-process Lambda emulator.
 *
 * Operations: CreateStateMachine, DescribeStateMachine, StartExecution, DescribeExecution, StopExecution,
 * ListExecutions (by state machine or by map run), GetExecutionHistory, ListMapRuns, DescribeMapRun. A Distributed
 * Map's child executions (one per item) answer DescribeExecution and GetExecutionHistory too.
 *
 * History: built from the interpreter's own event log, mapped to the AWS event types:
 *   ExecutionStarted; <Type>StateEntered/<Type>StateExited; for Task states TaskScheduled, TaskStarted,
 *   TaskSucceeded / TaskFailed {error, cause} (again per retry); for Map states MapStateStarted {length} and, in
 *   DISTRIBUTED mode, MapRunStarted {mapRunArn} … MapRunSucceeded / MapRunFailed {error, cause};
 *   MapIterationStarted/Succeeded/Failed/Aborted {name, index} with each iteration's own Task events linked to it
 *   by previousEventId (as an inline Map's history shows them: a real Distributed Map keeps those in the child
 *   executions, which ListExecutions {mapRunArn} + DescribeExecution serve here too); MapStateSucceeded/Failed;
 *   ExecutionSucceeded / ExecutionFailed {error, cause} / ExecutionAborted / ExecutionTimedOut.
 * A Lambda error surfaces as Step Functions reports it: error = the function's errorType, cause = the JSON
 * {"errorType","errorMessage","trace"}.
 *
 * Differences from AWS, all from the interpreter: any failed Map item fails the Map at once (tolerance 0: the
 * interpreter ignores ToleratedFailurePercentage/Count, so a definition asking for more is refused), and the
 * execution's error is the failing item's error (AWS reports States.ExceedToleratedFailureThreshold).
 * Lambda invocations that were running when their execution ended keep running to completion, as on AWS;
 * `settled()` waits for them.
 */
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { AwsServiceError, LOCAL_ACCOUNT, LOCAL_REGION, epochSeconds, jsonServiceHandler, listen, type AuthPolicy, type LocalServer } from './aws-http.ts';
import { LambdaFunctionError, LambdaNotFoundError, type LocalLambda } from './local-lambda.ts';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node ≥ 22); Node 20 lacks it.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (v: T | PromiseLike<T>) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
type MapRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

interface StateMachineRecord {
  arn: string;
  name: string;
  definition: string;
  parsed: StateMachineDefinition;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
  /** Task state name → its Resource and enclosing Map state (the interpreter's overrides are keyed by state name). */
  tasks: Map<string, { resource: string; map?: string }>;
  /** Map state name → its definition, for map runs. */
  maps: Map<string, Record<string, unknown>>;
}

export interface HistoryEvent {
  timestamp: number;
  type: string;
  id: number;
  previousEventId: number;
  [details: string]: unknown;
}

interface ChildExecution {
  arn: string;
  name: string;
  index: number;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** The iteration's own events (its Task's), for the child's GetExecutionHistory. */
  events: Array<{ type: string; timestamp: number; details: Record<string, unknown> }>;
}

interface MapRunRecord {
  arn: string;
  executionArn: string;
  stateName: string;
  label: string;
  stateMachineArn: string;
  status: MapRunStatus;
  startDate: number;
  stopDate?: number;
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  total: number | null;
  children: Map<number, ChildExecution>;
}

interface ExecutionRecord {
  arn: string;
  name: string;
  sm: StateMachineRecord;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  mapRuns: MapRunRecord[];
  abort(): void;
  /** Set as soon as the execution is stopped or its result settles: no new Lambda invocation starts after. */
  closing: boolean;
  /** Task invocations started so far inside each Map state. */
  mapStarts: Map<string, number>;
  /** Resolves once the status is final and the history complete. */
  finished: Promise<void>;
}

const NAME_RE = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+(:.+)?$/;

const str = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || v === '') throw new AwsServiceError('ValidationException', `1 validation error detected: '${field}' must not be null`, 400);
  return v;
};

/** `$`, `$.a.b`, `$['a'].b` — enough for InputPath/ItemsPath in our definitions. */
function evalPath(path: string | undefined | null, value: unknown): unknown {
  if (path === undefined) return value;
  if (path === null) return {};
  if (!path.startsWith('$')) return undefined;
  const parts = [...path.slice(1).matchAll(/\.([^.[]+)|\['([^']+)'\]|\[(\d+)\]/g)].map((m) => m[1] ?? m[2] ?? Number(m[3]));
  let cur: unknown = value;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function collectStates(states: Record<string, Record<string, unknown>>, tasks: StateMachineRecord['tasks'], maps: StateMachineRecord['maps'], inMap?: string): void {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') {
      const resource = String(state.Resource);
      const prev = tasks.get(name);
      if (prev && prev.resource !== resource) {
        throw new AwsServiceError('InvalidDefinition', `the local endpoint needs Task state names to be unique; '${name}' is used for two resources`, 400);
      }
      if (!LAMBDA_INVOKE.test(resource) && !LAMBDA_ARN.test(resource)) {
        throw new AwsServiceError('InvalidDefinition', `the local endpoint runs Lambda tasks only; state '${name}' uses ${resource}`, 400);
      }
      tasks.set(name, { resource, map: inMap });
    }
    if (state.Type === 'Map') {
      if ((Number(state.ToleratedFailurePercentage ?? 0) > 0 || Number(state.ToleratedFailureCount ?? 0) > 0)) {
        throw new AwsServiceError('InvalidDefinition', `the local endpoint cannot tolerate Map item failures; state '${name}' asks for a failure tolerance`, 400);
      }
      maps.set(name, state);
      const proc = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
      if (proc) collectStates(proc.States, tasks, maps, name);
    }
    if (state.Type === 'Parallel') {
      for (const b of state.Branches as Array<{ States: Record<string, Record<string, unknown>> }>) collectStates(b.States, tasks, maps, inMap);
    }
  }
}

const isDistributed = (state: Record<string, unknown>) =>
  ((state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig?.Mode ?? 'INLINE') === 'DISTRIBUTED';

export interface SfnLocal extends LocalServer {
  /** Waits for every execution to finish and every Lambda invocation to return. */
  settled(): Promise<void>;
  /** The raw history of an execution (for assertions). */
  history(executionArn: string): HistoryEvent[];
}

export async function startSfnLocal(opts: { auth: AuthPolicy; lambda: LocalLambda }): Promise<SfnLocal> {
  const machines = new Map<string, StateMachineRecord>();
  const executions = new Map<string, ExecutionRecord>();
  const mapRuns = new Map<string, MapRunRecord>();
  const children = new Map<string, { child: ChildExecution; run: MapRunRecord }>();

  const getMachine = (arn: unknown) => {
    const a = str(arn, 'stateMachineArn');
    if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:stateMachine:.+$/.test(a)) throw new AwsServiceError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${a}'`, 400);
    const sm = machines.get(a);
    if (!sm) throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${a}'`, 400);
    return sm;
  };
  const getExecution = (arn: unknown) => {
    const a = str(arn, 'executionArn');
    if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:execution:.+$/.test(a)) throw new AwsServiceError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${a}'`, 400);
    const ex = executions.get(a);
    if (!ex) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${a}'`, 400);
    return ex;
  };

  function createStateMachine(input: Record<string, unknown>) {
    const name = str(input.name, 'name');
    if (!NAME_RE.test(name)) throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`, 400);
    const definition = str(input.definition, 'definition');
    let parsed: StateMachineDefinition;
    try {
      parsed = JSON.parse(definition) as StateMachineDefinition;
      new StateMachine(parsed); // validates with asl-validator, paths and ARNs included
    } catch (err) {
      throw new AwsServiceError('InvalidDefinition', `Invalid State Machine Definition: '${(err as Error).message}'`, 400);
    }
    const tasks: StateMachineRecord['tasks'] = new Map();
    const maps: StateMachineRecord['maps'] = new Map();
    collectStates(parsed.States as unknown as Record<string, Record<string, unknown>>, tasks, maps);
    const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
    const existing = machines.get(arn);
    if (existing) {
      if (existing.definition !== definition) throw new AwsServiceError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`, 400);
      return { stateMachineArn: arn, creationDate: epochSeconds(existing.creationDate) };
    }
    const type = input.type === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
    const roleArn = typeof input.roleArn === 'string' ? input.roleArn : `arn:aws:iam::${LOCAL_ACCOUNT}:role/local-sfn`;
    machines.set(arn, { arn, name, definition, parsed, roleArn, type, creationDate: Date.now(), tasks, maps });
    return { stateMachineArn: arn, creationDate: epochSeconds(machines.get(arn)!.creationDate) };
  }

  /** A Task state's call, as Step Functions makes it: lambda:invoke (Payload in, Payload out) or a function ARN. */
  async function invokeTask(ex: ExecutionRecord, task: { resource: string; map?: string }, input: unknown): Promise<Json> {
    const { resource } = task;
    // The interpreter keeps starting queued Map items (beyond MaxConcurrency, or its own default of 40) when a slot
    // frees, even after the Map failed or the execution stopped; AWS does not. Such a late start waits one macrotask
    // so that a failure already settling sets `closing` first; the items started together at the Map's start run.
    if (task.map) {
      const n = (ex.mapStarts.get(task.map) ?? 0) + 1;
      ex.mapStarts.set(task.map, n);
      if (n > (Number(ex.sm.maps.get(task.map)?.MaxConcurrency ?? 0) || 40)) await new Promise((r) => setImmediate(r));
    }
    if (ex.closing || ex.status !== 'RUNNING') throw new Error(`execution ${ex.name} has ended; no new task is started`);
    const viaInvoke = LAMBDA_INVOKE.test(resource);
    const fn = viaInvoke ? String((input as { FunctionName?: unknown })?.FunctionName ?? '') : resource;
    const payload = viaInvoke ? (input as { Payload?: unknown })?.Payload : input;
    try {
      const out = (await opts.lambda.invoke(fn, payload)) as Json;
      return viaInvoke ? { ExecutedVersion: '$LATEST', Payload: out, StatusCode: 200 } : out;
    } catch (err) {
      if (err instanceof LambdaFunctionError) {
        const e = new Error(err.toCause());
        e.name = err.errorType;
        throw e;
      }
      if (err instanceof LambdaNotFoundError) throw err;
      throw err;
    }
  }

  function startExecution(input: Record<string, unknown>) {
    const sm = getMachine(input.stateMachineArn);
    const name = input.name === undefined ? randomUUID() : str(input.name, 'name');
    if (!NAME_RE.test(name)) throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`, 400);
    const inputText = typeof input.input === 'string' ? input.input : '{}';
    let inputJson: Json;
    try {
      inputJson = JSON.parse(inputText) as Json;
    } catch (err) {
      throw new AwsServiceError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(err as Error).message}'`, 400);
    }
    const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${sm.name}:${name}`;
    const prior = executions.get(arn);
    if (prior) {
      // AWS: the same name and input while still running is idempotent; anything else is a conflict.
      if (prior.status === 'RUNNING' && prior.input === inputText) return { executionArn: arn, startDate: epochSeconds(prior.startDate) };
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`, 400);
    }

    const ex = { arn, name, sm, input: inputText, status: 'RUNNING', startDate: Date.now(), history: [], mapRuns: [], closing: false, mapStarts: new Map() } as unknown as ExecutionRecord;
    executions.set(arn, ex);
    const handlers = Object.fromEntries([...sm.tasks].map(([state, t]) => [state, (i: unknown) => invokeTask(ex, t, i)]));
    const run = new StateMachine(sm.parsed, { validationOptions: { noValidate: true } }).run(inputJson, {
      overrides: { taskResourceLocalHandlers: handlers },
      context: { Execution: { Id: arn, Name: name, RoleArn: sm.roleArn }, StateMachine: { Id: sm.arn, Name: sm.name } },
    });
    ex.abort = run.abort;
    const close = () => {
      ex.closing = true;
    };
    run.result.then(close, close);
    const recorder = new HistoryRecorder(ex, mapRuns, children);
    const logged = (async () => {
      for await (const e of run.eventLogs) recorder.add(e as unknown as LibEvent);
    })();
    ex.finished = (async () => {
      let final: Pick<ExecutionRecord, 'status' | 'output' | 'error' | 'cause'>;
      try {
        final = { status: 'SUCCEEDED', output: JSON.stringify(await run.result) };
      } catch (err) {
        if (err instanceof ExecutionAbortedError) final = { status: 'ABORTED' };
        else if (err instanceof ExecutionTimeoutError) final = { status: 'TIMED_OUT', error: 'States.Timeout' };
        else {
          const inner = (err as Error).cause as Error | undefined;
          final = { status: 'FAILED', error: inner?.name ?? 'States.Runtime', cause: String((inner?.cause as string | undefined) ?? inner?.message ?? (err as Error).message) };
        }
      }
      await logged;
      if (ex.status === 'RUNNING') {
        Object.assign(ex, final, { stopDate: Date.now() });
        recorder.finish(ex.status);
      }
    })();
    return { executionArn: arn, startDate: epochSeconds(ex.startDate) };
  }

  function describeExecution(input: Record<string, unknown>) {
    const arn = str(input.executionArn, 'executionArn');
    const child = children.get(arn);
    if (child) {
      const c = child.child;
      return {
        executionArn: c.arn,
        stateMachineArn: child.run.stateMachineArn,
        name: c.name,
        status: c.status,
        startDate: epochSeconds(c.startDate),
        ...(c.stopDate !== undefined ? { stopDate: epochSeconds(c.stopDate) } : {}),
        input: c.input,
        inputDetails: { included: true },
        ...(c.output !== undefined ? { output: c.output, outputDetails: { included: true } } : {}),
        ...(c.error !== undefined ? { error: c.error, cause: c.cause } : {}),
        mapRunArn: child.run.arn,
      };
    }
    const ex = getExecution(arn);
    return {
      executionArn: ex.arn,
      stateMachineArn: ex.sm.arn,
      name: ex.name,
      status: ex.status,
      startDate: epochSeconds(ex.startDate),
      ...(ex.stopDate !== undefined ? { stopDate: epochSeconds(ex.stopDate) } : {}),
      input: ex.input,
      inputDetails: { included: true },
      ...(ex.output !== undefined ? { output: ex.output, outputDetails: { included: true } } : {}),
      ...(ex.error !== undefined ? { error: ex.error } : {}),
      ...(ex.cause !== undefined ? { cause: ex.cause } : {}),
    };
  }

  async function stopExecution(input: Record<string, unknown>) {
    const ex = getExecution(input.executionArn);
    if (ex.status === 'RUNNING') {
      ex.error = typeof input.error === 'string' ? input.error : undefined;
      ex.cause = typeof input.cause === 'string' ? input.cause : undefined;
      ex.closing = true;
      ex.abort();
      await ex.finished;
    }
    return { stopDate: epochSeconds(ex.stopDate ?? Date.now()) };
  }

  function page<T>(items: T[], input: Record<string, unknown>, dflt: number, max: number) {
    let offset = 0;
    if (typeof input.nextToken === 'string') {
      offset = Number(Buffer.from(input.nextToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(offset) || offset < 0) throw new AwsServiceError('InvalidToken', `Invalid Token: '${input.nextToken}'`, 400);
    }
    const n = typeof input.maxResults === 'number' && input.maxResults > 0 ? Math.min(input.maxResults, max) : dflt;
    const slice = items.slice(offset, offset + n);
    const next = offset + slice.length;
    return { slice, nextToken: next < items.length ? Buffer.from(String(next)).toString('base64url') : undefined };
  }

  function getExecutionHistory(input: Record<string, unknown>) {
    const withData = input.includeExecutionData !== false;
    const child = typeof input.executionArn === 'string' ? children.get(input.executionArn) : undefined;
    const history = child ? childHistory(child.child, child.run) : getExecution(input.executionArn).history;
    let events = history.map((e) => (withData ? e : stripData(e)));
    if (input.reverseOrder === true) events = [...events].reverse();
    const { slice, nextToken } = page(events, input, 100, 1000);
    return { events: slice.map((e) => ({ ...e, timestamp: epochSeconds(e.timestamp) })), ...(nextToken ? { nextToken } : {}) };
  }

  function listExecutions(input: Record<string, unknown>) {
    const filter = typeof input.statusFilter === 'string' ? input.statusFilter : null;
    type Row = { executionArn: string; stateMachineArn: string; name: string; status: ExecutionStatus; startDate: number; stopDate?: number; mapRunArn?: string; itemCount?: number };
    let rows: Row[];
    if (typeof input.mapRunArn === 'string') {
      const run = mapRuns.get(input.mapRunArn);
      if (!run) throw new AwsServiceError('ResourceNotFound', `Map Run Does Not Exist: '${input.mapRunArn}'`, 400);
      rows = [...run.children.values()].map((c) => ({ executionArn: c.arn, stateMachineArn: run.stateMachineArn, name: c.name, status: c.status, startDate: c.startDate, stopDate: c.stopDate, mapRunArn: run.arn, itemCount: 1 }));
    } else {
      const sm = getMachine(input.stateMachineArn);
      rows = [...executions.values()].filter((e) => e.sm === sm).map((e) => ({ executionArn: e.arn, stateMachineArn: sm.arn, name: e.name, status: e.status, startDate: e.startDate, stopDate: e.stopDate }));
    }
    rows = rows.filter((r) => !filter || r.status === filter).sort((a, b) => b.startDate - a.startDate);
    const { slice, nextToken } = page(rows, input, 100, 1000);
    return {
      executions: slice.map((r) => ({ ...r, startDate: epochSeconds(r.startDate), ...(r.stopDate !== undefined ? { stopDate: epochSeconds(r.stopDate) } : {}) })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  function listMapRuns(input: Record<string, unknown>) {
    const ex = getExecution(input.executionArn);
    const { slice, nextToken } = page(ex.mapRuns, input, 100, 1000);
    return {
      mapRuns: slice.map((r) => ({
        executionArn: r.executionArn,
        mapRunArn: r.arn,
        stateMachineArn: r.stateMachineArn,
        startDate: epochSeconds(r.startDate),
        ...(r.stopDate !== undefined ? { stopDate: epochSeconds(r.stopDate) } : {}),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  function describeMapRun(input: Record<string, unknown>) {
    const arn = str(input.mapRunArn, 'mapRunArn');
    const run = mapRuns.get(arn);
    if (!run) throw new AwsServiceError('ResourceNotFound', `Map Run Does Not Exist: '${arn}'`, 400);
    const counts = mapRunCounts(run);
    return {
      mapRunArn: run.arn,
      executionArn: run.executionArn,
      status: run.status,
      startDate: epochSeconds(run.startDate),
      ...(run.stopDate !== undefined ? { stopDate: epochSeconds(run.stopDate) } : {}),
      maxConcurrency: run.maxConcurrency,
      toleratedFailurePercentage: run.toleratedFailurePercentage,
      toleratedFailureCount: run.toleratedFailureCount,
      itemCounts: counts,
      executionCounts: counts,
      redriveCount: 0,
    };
  }

  const server = await listen(
    jsonServiceHandler({
      service: 'sfn',
      targetPrefix: 'AWSStepFunctions',
      iamPrefix: 'states',
      contentType: 'application/x-amz-json-1.0',
      auth: opts.auth,
      operations: {
        CreateStateMachine: createStateMachine,
        DescribeStateMachine: (input) => {
          const sm = getMachine(input.stateMachineArn);
          return {
            stateMachineArn: sm.arn,
            name: sm.name,
            status: 'ACTIVE',
            definition: sm.definition,
            roleArn: sm.roleArn,
            type: sm.type,
            creationDate: epochSeconds(sm.creationDate),
            loggingConfiguration: { level: 'OFF', includeExecutionData: false },
          };
        },
        StartExecution: startExecution,
        DescribeExecution: describeExecution,
        StopExecution: stopExecution,
        GetExecutionHistory: getExecutionHistory,
        ListExecutions: listExecutions,
        ListMapRuns: listMapRuns,
        DescribeMapRun: describeMapRun,
      },
    }),
  );

  return {
    ...server,
    async settled() {
      await Promise.all([...executions.values()].map((e) => e.finished));
      await opts.lambda.idle();
    },
    history: (arn) => getExecution(arn).history,
    async close() {
      for (const e of executions.values()) if (e.status === 'RUNNING') e.abort();
      await Promise.all([...executions.values()].map((e) => e.finished));
      await server.close();
    },
  };
}

/** A Distributed Map child execution's history: started with its item, its Task's events, its end. */
function childHistory(c: ChildExecution, run: MapRunRecord): HistoryEvent[] {
  const raw: ChildExecution['events'] = [
    { type: 'ExecutionStarted', timestamp: c.startDate, details: { executionStartedEventDetails: { input: c.input, inputDetails: { truncated: false }, roleArn: run.stateMachineArn } } },
    ...c.events,
  ];
  const end = c.stopDate ?? Date.now();
  if (c.status === 'SUCCEEDED') raw.push({ type: 'ExecutionSucceeded', timestamp: end, details: { executionSucceededEventDetails: { output: c.output, outputDetails: { truncated: false } } } });
  if (c.status === 'FAILED') raw.push({ type: 'ExecutionFailed', timestamp: end, details: { executionFailedEventDetails: { error: c.error, cause: c.cause } } });
  if (c.status === 'ABORTED') raw.push({ type: 'ExecutionAborted', timestamp: end, details: { executionAbortedEventDetails: {} } });
  return raw.map((e, i) => ({ timestamp: e.timestamp, type: e.type, id: i + 1, previousEventId: i, ...e.details }));
}

function mapRunCounts(run: MapRunRecord) {
  let running = 0, succeeded = 0, failed = 0, aborted = 0, timedOut = 0;
  for (const c of run.children.values()) {
    if (c.status === 'RUNNING') running++;
    else if (c.status === 'SUCCEEDED') succeeded++;
    else if (c.status === 'FAILED') failed++;
    else if (c.status === 'ABORTED') aborted++;
    else timedOut++;
  }
  const total = run.total ?? run.children.size;
  const pending = Math.max(0, total - run.children.size);
  return { pending, running, succeeded, failed, timedOut, aborted, total, resultsWritten: 0, failuresNotRedrivable: 0, pendingRedrive: 0 };
}

const DATA_FIELDS = new Set(['input', 'output', 'parameters']);
function stripData(e: HistoryEvent): HistoryEvent {
  const out: HistoryEvent = { ...e };
  for (const [k, v] of Object.entries(e)) {
    if (k.endsWith('EventDetails') && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v).filter(([f]) => !DATA_FIELDS.has(f)));
    }
  }
  return out;
}

/** The interpreter's event log entries (see aws-local-stepfunctions' EventLog type). */
interface LibEvent {
  type: string;
  timestamp: number;
  index?: number;
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  parentState?: { name: string; type: string; input: unknown };
}

const json = (v: unknown) => JSON.stringify(v ?? null);
const causeText = (c: unknown) => (typeof c === 'string' ? c : c instanceof Error ? c.message : json(c));

/** Turns the interpreter's event log into AWS history events and keeps the map runs' item states. */
class HistoryRecorder {
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
    return LAMBDA_INVOKE.test(resource) ? { resourceType: 'lambda', resource: 'invoke' } : { resourceType: 'lambda', resource: resource.split(':').slice(-1)[0] };
  }

  add(e: LibEvent): void {
    const t = e.timestamp;
    const idx = e.index;
    switch (e.type) {
      case 'ExecutionStarted':
        this.push('ExecutionStarted', t, { executionStartedEventDetails: { input: json(e.input), inputDetails: { truncated: false }, roleArn: this.ex.sm.roleArn } });
        return;
      case 'StateEntered': {
        const s = e.state!;
        this.push(`${s.type}StateEntered`, t, { stateEnteredEventDetails: { name: s.name, input: json(s.input), inputDetails: { truncated: false } } }, idx);
        if (s.type === 'Task') this.taskStarted(s.name, s.input, t, idx);
        if (s.type === 'Map') this.mapStarted(s.name, s.input, t, idx);
        return;
      }
      case 'StateRetried':
        if (e.state!.type === 'Task') this.taskStarted(e.state!.name, e.state!.input, t, idx);
        return;
      case 'StateExited': {
        const s = e.state!;
        if (s.type === 'Task') this.push('TaskSucceeded', t, { taskSucceededEventDetails: { ...this.taskResource(s.name), output: json(s.output), outputDetails: { truncated: false } } }, idx);
        if (s.type === 'Map') this.mapEnded(s.name, t, idx, null);
        this.push(`${s.type}StateExited`, t, { stateExitedEventDetails: { name: s.name, output: json(s.output), outputDetails: { truncated: false } } }, idx);
        return;
      }
      case 'StateFailed': {
        const s = e.state!;
        const err = { error: e.Error ?? 'States.Runtime', cause: causeText(e.Cause) };
        if (s.type === 'Task') this.push('TaskFailed', t, { taskFailedEventDetails: { ...this.taskResource(s.name), ...err } }, idx);
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
    this.push('TaskScheduled', t, { taskScheduledEventDetails: { ...res, region: LOCAL_REGION, parameters: json(input) } }, idx);
    this.push('TaskStarted', t, { taskStartedEventDetails: res }, idx);
  }

  private mapStarted(name: string, rawInput: unknown, t: number, idx?: number) {
    const state = this.ex.sm.maps.get(name)!;
    const items = evalPath(state.ItemsPath as string | undefined, evalPath(state.InputPath as string | undefined | null, rawInput));
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
        this.push('MapIterationAborted', t, { mapIterationAbortedEventDetails: { name: run.stateName, index: c.index } }, c.index);
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
        const child: ChildExecution = { arn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${this.ex.sm.name}/${run.label}:${name}`, name, index, status: 'RUNNING', startDate: t, input: json(e.input), events: [] };
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
      if (child) Object.assign(child, { status: 'FAILED', stopDate: t, error: e.Error ?? 'States.Runtime', cause: causeText(e.Cause) });
    }
  }

  /** Closes open map runs and writes the execution's terminal event. */
  finish(status: ExecutionStatus): void {
    const t = this.ex.stopDate ?? Date.now();
    for (const run of this.activeRuns.values()) this.closeRun(run, status === 'ABORTED' ? 'ABORTED' : 'FAILED', t);
    this.activeRuns.clear();
    switch (status) {
      case 'SUCCEEDED':
        this.push('ExecutionSucceeded', t, { executionSucceededEventDetails: { output: this.ex.output, outputDetails: { truncated: false } } });
        break;
      case 'FAILED':
        this.push('ExecutionFailed', t, { executionFailedEventDetails: { error: this.ex.error, cause: this.ex.cause } });
        break;
      case 'ABORTED':
        this.push('ExecutionAborted', t, { executionAbortedEventDetails: { ...(this.ex.error ? { error: this.ex.error } : {}), ...(this.ex.cause ? { cause: this.ex.cause } : {}) } });
        break;
      case 'TIMED_OUT':
        this.push('ExecutionTimedOut', t, { executionTimedOutEventDetails: { error: 'States.Timeout' } });
        break;
    }
  }
}
