import {
  GetFunctionConfigurationCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import type { AwsClients } from './aws-clients.ts';
import { describeAwsError, scrubSecrets } from './aws-errors.ts';
import { resolveTarget } from './pipeline-target.ts';
import { sleep } from './sleep.ts';

/**
 * A Lambda function's memory, for the memory sweep: read it (GetFunctionConfiguration), set it
 * (UpdateFunctionConfiguration, then poll GetFunctionConfiguration until LastUpdateStatus is "Successful", within a
 * bounded wait), and say which function a profile's pipeline runs. Every failure is a LambdaMemoryError with a kind
 * and a hint. Restoring the original after a sweep, a cancel or a crash is cloud/lambda-memory-journal.ts.
 */

export const LAMBDA_MEMORY_MIN_MB = 128;
export const LAMBDA_MEMORY_MAX_MB = 10_240;

export type LambdaMemoryErrorKind =
  'access-denied' | 'conflict' | 'update-failed' | 'timeout' | 'not-found' | 'invalid' | 'cancelled' | 'other';

export class LambdaMemoryError extends Error {
  constructor(
    readonly kind: LambdaMemoryErrorKind,
    message: string,
    readonly hint: string,
    readonly functionName: string,
  ) {
    super(`${message} ${hint}`);
    this.name = 'LambdaMemoryError';
  }
}

export interface FunctionMemory {
  functionName: string;
  functionArn: string;
  memoryMb: number;
  lastUpdateStatus: string;
}

const ofConfig = (name: string, c: FunctionConfiguration): FunctionMemory => ({
  functionName: c.FunctionName ?? name,
  functionArn: c.FunctionArn ?? name,
  memoryMb: c.MemorySize ?? 0,
  lastUpdateStatus: c.LastUpdateStatus ?? 'Successful',
});

function lambdaError(err: unknown, fn: string, operation: string): LambdaMemoryError {
  if (err instanceof LambdaMemoryError) return err;
  const code = String((err as { name?: string })?.name ?? '');
  const msg = scrubSecrets(err instanceof Error ? err.message : String(err));
  if (code === 'AccessDeniedException' || code === 'AccessDenied')
    return new LambdaMemoryError(
      'access-denied',
      `Lambda ${operation} on ${fn} was refused: ${msg}`,
      `Allow lambda:${operation} on this function for the profile's identity (docs/cloud.md, "Permissions").`,
      fn,
    );
  if (code === 'ResourceConflictException')
    return new LambdaMemoryError(
      'conflict',
      `Lambda ${operation} on ${fn} was refused because another update of the function is in progress: ${msg}`,
      'Something else is changing this function (a deploy, the console, another sweep). Wait for it to finish, then resume the study.',
      fn,
    );
  if (code === 'ResourceNotFoundException')
    return new LambdaMemoryError(
      'not-found',
      `Lambda function ${fn} does not exist in this account and region: ${msg}`,
      "Check the profile's region and its inference function (or memoryFunctionName).",
      fn,
    );
  if (code === 'ValidationException' || code === 'InvalidParameterValueException')
    return new LambdaMemoryError('invalid', `Lambda ${operation} on ${fn}: ${msg}`, 'Use 128–10240 MB.', fn);
  const d = describeAwsError(err, { operation: `Lambda ${operation}`, bare: true });
  return new LambdaMemoryError('other', `Lambda ${operation} on ${fn} failed: ${d.message}`, d.hint, fn);
}

export async function readFunctionMemory(lambda: LambdaClient, functionName: string): Promise<FunctionMemory> {
  try {
    const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    return ofConfig(functionName, c);
  } catch (err) {
    throw lambdaError(err, functionName, 'GetFunctionConfiguration');
  }
}

export interface SetMemoryOptions {
  /** Give up waiting for LastUpdateStatus "Successful" after this long (ms). Default 120 s. */
  timeoutMs?: number;
  /** Poll interval (ms). Default 1 s. */
  pollMs?: number;
  signal?: AbortSignal;
  /** Told when the update is accepted and each time the wait goes on. */
  onWait?: (status: string, waitedMs: number) => void;
}

/** Polls until no update is in progress; a "Failed" last update is an error only when `failedIsError`. */
async function waitForUpdate(
  lambda: LambdaClient,
  functionName: string,
  o: SetMemoryOptions,
  what: string,
): Promise<FunctionMemory> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const started = Date.now();
  for (;;) {
    const now = await readFunctionMemory(lambda, functionName);
    if (now.lastUpdateStatus !== 'InProgress') return now;
    const waited = Date.now() - started;
    if (waited >= timeoutMs)
      throw new LambdaMemoryError(
        'timeout',
        `${functionName}: ${what} was still InProgress after ${Math.round(waited / 1000)} s.`,
        'Look at the function in the Lambda console; the study resumes once the update has finished.',
        functionName,
      );
    o.onWait?.('InProgress', waited);
    await sleep(o.pollMs ?? 1000, o.signal);
  }
}

/**
 * Sets the function's memory and waits until the update is Successful. An update already in progress (someone
 * else's) is waited for first; a refused, failed or timed-out update throws a LambdaMemoryError. The wait is not
 * cut short by `signal` once the update is accepted: a cancelled sweep must still know the function's state before
 * restoring it.
 */
export async function setFunctionMemory(
  lambda: LambdaClient,
  functionName: string,
  memoryMb: number,
  o: SetMemoryOptions = {},
): Promise<FunctionMemory> {
  if (!Number.isInteger(memoryMb) || memoryMb < LAMBDA_MEMORY_MIN_MB || memoryMb > LAMBDA_MEMORY_MAX_MB)
    throw new LambdaMemoryError(
      'invalid',
      `${memoryMb} MB is not a Lambda memory size.`,
      `Use a whole number of MB from ${LAMBDA_MEMORY_MIN_MB} to ${LAMBDA_MEMORY_MAX_MB}.`,
      functionName,
    );
  const before = await waitForUpdate(lambda, functionName, { ...o, signal: undefined }, 'an earlier update');
  if (before.memoryMb === memoryMb) return before;
  try {
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: functionName, MemorySize: memoryMb }));
  } catch (err) {
    throw lambdaError(err, functionName, 'UpdateFunctionConfiguration');
  }
  o.onWait?.('InProgress', 0);
  const after = await waitForUpdate(lambda, functionName, { ...o, signal: undefined }, `the update to ${memoryMb} MB`);
  if (after.lastUpdateStatus === 'Failed') {
    const c = await lambda
      .send(new GetFunctionConfigurationCommand({ FunctionName: functionName }))
      .catch(() => null as FunctionConfiguration | null);
    throw new LambdaMemoryError(
      'update-failed',
      `${functionName}: the update to ${memoryMb} MB ended Failed` +
        (c?.LastUpdateStatusReason
          ? ` (${c.LastUpdateStatusReasonCode ?? 'no code'}: ${c.LastUpdateStatusReason})`
          : '') +
        `; the function still has ${after.memoryMb} MB.`,
      'See the reason above; fix it, then resume the study.',
      functionName,
    );
  }
  if (after.memoryMb !== memoryMb)
    throw new LambdaMemoryError(
      'update-failed',
      `${functionName}: the update to ${memoryMb} MB was accepted but the function reports ${after.memoryMb} MB.`,
      'Something else changed the function at the same time; resume the study when it is left alone.',
      functionName,
    );
  return after;
}

type States = Record<string, Record<string, unknown>>;

/** The Lambda a Task state invokes: Parameters.FunctionName (lambda:invoke integration) or a function ARN Resource. */
function taskFunction(s: Record<string, unknown>): string | null {
  const params = s.Parameters as Record<string, unknown> | undefined;
  const args = s.Arguments as Record<string, unknown> | undefined;
  const name = params?.FunctionName ?? args?.FunctionName;
  if (typeof name === 'string') return name;
  const r = String(s.Resource ?? '');
  return /^arn:aws[a-z-]*:lambda:/.test(r) ? r : null;
}

/** The Lambda the state machine's Map runs for every item (the ranks), or null when there is none. */
export function mapFunctionName(definition: string): string | null {
  let def: { States?: States };
  try {
    def = JSON.parse(definition) as { States?: States };
  } catch {
    return null;
  }
  const visit = (states: States, inMap: boolean): string | null => {
    for (const s of Object.values(states ?? {})) {
      if (inMap && s.Type === 'Task') {
        const fn = taskFunction(s);
        if (fn) return fn;
      }
      const inner = (s.ItemProcessor ?? s.Iterator) as { States?: States } | undefined;
      if (s.Type === 'Map' && inner?.States) {
        const found = visit(inner.States, true);
        if (found) return found;
      }
    }
    return null;
  };
  return visit(def.States ?? {}, false);
}

/**
 * Which function a memory sweep sets: the profile's `memoryFunctionName` if given; for our stack the inference
 * function (`inferenceLambdaName`, which a deploy fills from the stack output InferenceFunctionName); for the CAI
 * pipeline the Lambda the Map invokes, read from the state machine definition.
 */
export async function memoryFunctionFor(clients: AwsClients): Promise<{ functionName: string; how: string }> {
  const p = clients.profile;
  if (p.memoryFunctionName)
    return { functionName: p.memoryFunctionName, how: `memoryFunctionName in profile '${p.name}'` };
  const target = await resolveTarget(clients);
  if (target.target === 'cosmicai')
    return { functionName: p.inferenceLambdaName, how: "the stack's inference function (inferenceLambdaName)" };
  const sm = await clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: p.stateMachineArn }));
  const fn = mapFunctionName(sm.definition ?? '');
  if (!fn)
    throw new LambdaMemoryError(
      'not-found',
      `The state machine ${p.stateMachineArn} has no Map state invoking a Lambda, so the sweep cannot tell which function to size.`,
      "Set memoryFunctionName in the profile to the executor function's name.",
      '(unknown)',
    );
  return { functionName: fn, how: `the Lambda the Map state invokes in ${p.stateMachineArn}` };
}
