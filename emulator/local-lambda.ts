/**
 * Runs our Lambda handlers in-process the way the Lambda service would call them, and writes what Lambda writes
 * to CloudWatch Logs for every invocation, in its exact format (tab-separated, one event per line):
 *   START RequestId: <id> Version: $LATEST
 *   <ts>\t<id>\tERROR\tInvoke Error \t{"errorType":…,"errorMessage":…,"trace":[…]}     (when the handler throws)
 *   END RequestId: <id>
 *   REPORT RequestId: <id>\tDuration: 1234.56 ms\tBilled Duration: 1235 ms\tMemory Size: 3008 MB\tMax Memory Used: 512 MB\tInit Duration: 345.67 ms\t
 * Duration is the handler's measured wall time; Billed Duration rounds it up to the millisecond; Max Memory Used
 * is this process's peak RSS (getrusage), or the peak a handler reports for the child process it ran. "Init Duration" appears when the handler's result carries a numeric
 * `init_duration_ms` (our inference handler sets it on the invocation that created the model session: the
 * container's cold start), with that measured value. Handlers share this process, so a "container" here is the
 * process: module-level caches (the ONNX session) are shared by all invocations, as in one warm container.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { LogStore } from './logs-local.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './aws-http.ts';

export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  getRemainingTimeInMillis(): number;
  /** Emulator only: writes a line to this invocation's log stream, as a function's stdout reaches CloudWatch. */
  log?(message: string): void;
  /** Emulator only: the peak memory of the work the handler ran in a child process (reported as Max Memory Used). */
  reportMaxMemoryUsedMb?(mb: number): void;
}

export type LambdaHandler = (event: unknown, context: LambdaContext) => Promise<unknown>;

/** What a failed invocation reports (Lambda's function error payload). */
export class LambdaFunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: string[],
  ) {
    super(errorMessage);
    this.name = errorType;
  }

  /** The JSON Step Functions puts in a failed task's `cause`. */
  toCause(): string {
    return JSON.stringify({ errorType: this.errorType, errorMessage: this.errorMessage, trace: this.trace });
  }
}

export class LambdaNotFoundError extends Error {
  constructor(readonly functionRef: string) {
    super(`Function not found: arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionRef}`);
    this.name = 'Lambda.ResourceNotFoundException';
  }
}

interface LocalFunction {
  name: string;
  handler: LambdaHandler;
  /** The configured memory: new invocations run (and report) with it. Changed by UpdateFunctionConfiguration. */
  memoryMb: number;
  timeoutMs: number;
  lastModified: string;
  revisionId: string;
  update: { status: LastUpdateStatus; reason?: string; reasonCode?: string; timer?: NodeJS.Timeout };
  /** One log stream per execution environment ("container"); a busy one is never shared by two invocations. */
  containers: Array<{ logStream: string; busy: boolean }>;
}

export interface InvocationRecord {
  functionName: string;
  requestId: string;
  event: unknown;
  durationMs: number;
  ok: boolean;
  error?: LambdaFunctionError;
}

/** `name`, `name:qualifier`, `123456789012:function:name` or a full function ARN → the function name. */
export function functionNameOf(ref: string): string {
  const arn = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:([^:]+)(?::.+)?$/.exec(ref);
  if (arn) return arn[1];
  const partial = /^\d{12}:function:([^:]+)(?::.+)?$/.exec(ref);
  if (partial) return partial[1];
  return ref.split(':')[0];
}

export type LastUpdateStatus = 'Successful' | 'Failed' | 'InProgress';

/** The fields of Lambda's FunctionConfiguration the emulator keeps (GetFunctionConfiguration's answer). */
export interface LocalFunctionConfiguration {
  FunctionName: string;
  FunctionArn: string;
  Runtime: string;
  Role: string;
  Handler: string;
  MemorySize: number;
  Timeout: number;
  LastModified: string;
  Version: string;
  RevisionId: string;
  State: 'Active';
  LastUpdateStatus: LastUpdateStatus;
  LastUpdateStatusReason?: string;
  LastUpdateStatusReasonCode?: string;
  PackageType: 'Zip';
  Architectures: ['x86_64'];
}

/** Lambda's own limits for MemorySize (MB). */
export const LAMBDA_MEMORY_MIN_MB = 128;
export const LAMBDA_MEMORY_MAX_MB = 10_240;

export class LambdaConfigError extends Error {
  constructor(
    readonly code: 'ResourceNotFoundException' | 'ResourceConflictException' | 'ValidationException',
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

/** `lastModified` as Lambda writes it: 2024-01-01T12:00:00.000+0000. */
const lambdaTimestamp = (d = new Date()) => d.toISOString().replace('Z', '+0000');

export const lambdaArn = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;

export class LocalLambda {
  private functions = new Map<string, LocalFunction>();
  private running = new Set<Promise<unknown>>();
  readonly invocations: InvocationRecord[] = [];

  constructor(private readonly logs: LogStore) {}

  register(name: string, handler: LambdaHandler, opts: { memoryMb?: number; timeoutMs?: number } = {}): string {
    this.functions.set(name, {
      name,
      handler,
      memoryMb: opts.memoryMb ?? 3008,
      timeoutMs: opts.timeoutMs ?? 900_000,
      lastModified: lambdaTimestamp(),
      revisionId: randomUUID(),
      update: { status: 'Successful' },
      containers: [],
    });
    this.logs.createGroup(`/aws/lambda/${name}`);
    return lambdaArn(name);
  }

  /** How long an accepted configuration update stays InProgress before it is Successful (ms). */
  updateDelayMs = 400;

  /** GetFunctionConfiguration. */
  configuration(ref: string): LocalFunctionConfiguration {
    const fn = this.functions.get(functionNameOf(ref));
    if (!fn) throw new LambdaConfigError('ResourceNotFoundException', new LambdaNotFoundError(ref).message, 404);
    return {
      FunctionName: fn.name,
      FunctionArn: lambdaArn(fn.name),
      Runtime: 'nodejs20.x',
      Role: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${fn.name}-role`,
      Handler: 'index.handler',
      MemorySize: fn.memoryMb,
      Timeout: Math.round(fn.timeoutMs / 1000),
      LastModified: fn.lastModified,
      Version: '$LATEST',
      RevisionId: fn.revisionId,
      State: 'Active',
      LastUpdateStatus: fn.update.status,
      ...(fn.update.reason ? { LastUpdateStatusReason: fn.update.reason } : {}),
      ...(fn.update.reasonCode ? { LastUpdateStatusReasonCode: fn.update.reasonCode } : {}),
      PackageType: 'Zip',
      Architectures: ['x86_64'],
    };
  }

  /**
   * UpdateFunctionConfiguration (MemorySize only; other fields are not emulated). As on AWS: refused with
   * ResourceConflictException while an update is InProgress; accepted updates answer at once with
   * LastUpdateStatus "InProgress" and become "Successful" after `updateDelayMs`, when new invocations start using
   * the new memory. `failWith` makes the update end "Failed" with the old memory kept (fault injection).
   */
  updateConfiguration(
    ref: string,
    input: { MemorySize?: unknown; RevisionId?: unknown },
    failWith?: { reasonCode: string; reason: string } | null,
  ): LocalFunctionConfiguration {
    const fn = this.functions.get(functionNameOf(ref));
    if (!fn) throw new LambdaConfigError('ResourceNotFoundException', new LambdaNotFoundError(ref).message, 404);
    const mb = input.MemorySize;
    if (mb !== undefined) {
      if (typeof mb !== 'number' || !Number.isInteger(mb))
        throw new LambdaConfigError(
          'ValidationException',
          `Value '${String(mb)}' at 'memorySize' is not a whole number`,
          400,
        );
      if (mb < LAMBDA_MEMORY_MIN_MB || mb > LAMBDA_MEMORY_MAX_MB)
        throw new LambdaConfigError(
          'ValidationException',
          `1 validation error detected: Value '${mb}' at 'memorySize' failed to satisfy constraint: Member must have ` +
            `value ${mb < LAMBDA_MEMORY_MIN_MB ? `greater than or equal to ${LAMBDA_MEMORY_MIN_MB}` : `less than or equal to ${LAMBDA_MEMORY_MAX_MB}`}`,
          400,
        );
    }
    if (fn.update.status === 'InProgress')
      throw new LambdaConfigError(
        'ResourceConflictException',
        `The operation cannot be performed at this time. An update is in progress for resource: ${lambdaArn(fn.name)}`,
        409,
      );
    if (input.RevisionId !== undefined && input.RevisionId !== fn.revisionId)
      throw new LambdaConfigError(
        'ResourceConflictException',
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
        409,
      );
    const target = typeof mb === 'number' ? mb : fn.memoryMb;
    fn.lastModified = lambdaTimestamp();
    fn.revisionId = randomUUID();
    const answer = { ...this.configuration(fn.name), LastUpdateStatus: 'InProgress' as const, MemorySize: target };
    delete answer.LastUpdateStatusReason;
    delete answer.LastUpdateStatusReasonCode;
    fn.update = {
      status: 'InProgress',
      timer: setTimeout(() => {
        if (failWith) fn.update = { status: 'Failed', reason: failWith.reason, reasonCode: failWith.reasonCode };
        else {
          fn.memoryMb = target;
          fn.update = { status: 'Successful' };
        }
        fn.revisionId = randomUUID();
      }, this.updateDelayMs),
    };
    fn.update.timer?.unref();
    return answer;
  }

  has(ref: string): boolean {
    return this.functions.has(functionNameOf(ref));
  }

  /** Invocations still running (Lambda keeps running a function after the execution that called it stopped). */
  get inFlight(): number {
    return this.running.size;
  }

  /** Resolves once no invocation is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Invokes synchronously (RequestResponse); a handler error rejects with LambdaFunctionError. */
  invoke(ref: string, event: unknown): Promise<unknown> {
    const fn = this.functions.get(functionNameOf(ref));
    if (!fn) return Promise.reject(new LambdaNotFoundError(ref));
    const p = this.run(fn, event);
    this.running.add(p);
    const done = () => this.running.delete(p);
    p.then(done, done);
    return p;
  }

  private async run(fn: LocalFunction, event: unknown): Promise<unknown> {
    // Lambda runs concurrent invocations in separate environments, each writing its own log stream in order.
    let container = fn.containers.find((c) => !c.busy);
    if (!container) {
      const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
      container = { logStream: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`, busy: false };
      fn.containers.push(container);
    }
    container.busy = true;
    try {
      return await this.runIn(fn, container.logStream, event);
    } finally {
      container.busy = false;
    }
  }

  private async runIn(fn: LocalFunction, logStream: string, event: unknown): Promise<unknown> {
    const group = `/aws/lambda/${fn.name}`;
    const requestId = randomUUID();
    const log = (message: string) => this.logs.append(group, logStream, message);
    let childPeakMb: number | undefined;
    // An invocation runs with the configuration it started on, even if an update lands meanwhile.
    const memoryMb = fn.memoryMb;
    const started = performance.now();
    const context: LambdaContext = {
      awsRequestId: requestId,
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: lambdaArn(fn.name),
      memoryLimitInMB: String(memoryMb),
      logGroupName: group,
      logStreamName: logStream,
      getRemainingTimeInMillis: () => Math.max(0, fn.timeoutMs - (performance.now() - started)),
      log: (message) => log(message.endsWith('\n') ? message : `${message}\n`),
      reportMaxMemoryUsedMb: (mb) => {
        childPeakMb = Math.max(childPeakMb ?? 0, Math.round(mb));
      },
    };
    log(`START RequestId: ${requestId} Version: $LATEST\n`);
    // Event shapes are JSON in Lambda: the handler must not share objects with the caller.
    const payload = JSON.parse(JSON.stringify(event ?? null)) as unknown;
    let result: unknown;
    let error: LambdaFunctionError | undefined;
    try {
      result = await fn.handler(payload, context);
      result = result === undefined ? null : JSON.parse(JSON.stringify(result));
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      error = new LambdaFunctionError(
        e.name || 'Error',
        e.message,
        (e.stack ?? '')
          .split('\n')
          .slice(1)
          .map((l) => l.trim()),
      );
      log(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${error.toCause()}\n`);
    }
    const durationMs = performance.now() - started;
    const maxMemoryMb = childPeakMb ?? Math.round(process.resourceUsage().maxRSS / 1024);
    const init =
      result && typeof result === 'object' ? (result as Record<string, unknown>).init_duration_ms : undefined;
    log(`END RequestId: ${requestId}\n`);
    log(
      `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\t` +
        `Memory Size: ${memoryMb} MB\tMax Memory Used: ${maxMemoryMb} MB\t` +
        (typeof init === 'number' ? `Init Duration: ${init.toFixed(2)} ms\t` : '') +
        '\n',
    );
    this.invocations.push({ functionName: fn.name, requestId, event: payload, durationMs, ok: !error, error });
    if (error) throw error;
    return result;
  }
}
