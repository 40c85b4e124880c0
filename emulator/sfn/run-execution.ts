/** StartExecution (runs the ASL on aws-local-stepfunctions, each Task routed to the Lambda emulator) and StopExecution. */
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import './promise-polyfill.ts';
import { AwsServiceError, LOCAL_ACCOUNT, LOCAL_REGION, epochSeconds } from '../aws-http.ts';
import { LambdaFunctionError, LambdaNotFoundError, type LocalLambda } from '../local-lambda.ts';
import { LAMBDA_INVOKE, NAME_RE, str } from './definition.ts';
import { HistoryRecorder } from './history-recorder.ts';
import type { ExecutionRecord, Json, LibEvent } from './records.ts';
import type { SfnState } from './state.ts';

/** A Task state's call, as Step Functions makes it: lambda:invoke (Payload in, Payload out) or a function ARN. */
async function invokeTask(
  lambda: LocalLambda,
  ex: ExecutionRecord,
  task: { resource: string; map?: string },
  input: unknown,
): Promise<Json> {
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
    const out = (await lambda.invoke(fn, payload)) as Json;
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

export function startExecution(st: SfnState, lambda: LocalLambda, input: Record<string, unknown>) {
  const sm = st.getMachine(input.stateMachineArn);
  const name = input.name === undefined ? randomUUID() : str(input.name, 'name');
  if (!NAME_RE.test(name)) throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`, 400);
  const inputText = typeof input.input === 'string' ? input.input : '{}';
  let inputJson: Json;
  try {
    inputJson = JSON.parse(inputText) as Json;
  } catch (err) {
    throw new AwsServiceError(
      'InvalidExecutionInput',
      `Invalid State Machine Execution Input: '${(err as Error).message}'`,
      400,
    );
  }
  const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${sm.name}:${name}`;
  const prior = st.executions.get(arn);
  if (prior) {
    // AWS: the same name and input while still running is idempotent; anything else is a conflict.
    if (prior.status === 'RUNNING' && prior.input === inputText)
      return { executionArn: arn, startDate: epochSeconds(prior.startDate) };
    throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`, 400);
  }

  const ex = {
    arn,
    name,
    sm,
    input: inputText,
    status: 'RUNNING',
    startDate: Date.now(),
    history: [],
    mapRuns: [],
    closing: false,
    mapStarts: new Map(),
  } as unknown as ExecutionRecord;
  st.executions.set(arn, ex);
  const handlers = Object.fromEntries(
    [...sm.tasks].map(([state, t]) => [state, (i: unknown) => invokeTask(lambda, ex, t, i)]),
  );
  const run = new StateMachine(sm.parsed, { validationOptions: { noValidate: true } }).run(inputJson, {
    overrides: { taskResourceLocalHandlers: handlers },
    context: { Execution: { Id: arn, Name: name, RoleArn: sm.roleArn }, StateMachine: { Id: sm.arn, Name: sm.name } },
  });
  ex.abort = run.abort;
  const close = () => {
    ex.closing = true;
  };
  run.result.then(close, close);
  const recorder = new HistoryRecorder(ex, st.mapRuns, st.children);
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
        final = {
          status: 'FAILED',
          error: inner?.name ?? 'States.Runtime',
          cause: String((inner?.cause as string | undefined) ?? inner?.message ?? (err as Error).message),
        };
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

export async function stopExecution(st: SfnState, input: Record<string, unknown>) {
  const ex = st.getExecution(input.executionArn);
  if (ex.status === 'RUNNING') {
    ex.error = typeof input.error === 'string' ? input.error : undefined;
    ex.cause = typeof input.cause === 'string' ? input.cause : undefined;
    ex.closing = true;
    ex.abort();
    await ex.finished;
  }
  return { stopDate: epochSeconds(ex.stopDate ?? Date.now()) };
}
