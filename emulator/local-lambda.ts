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
  memoryMb: number;
  timeoutMs: number;
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
      containers: [],
    });
    this.logs.createGroup(`/aws/lambda/${name}`);
    return lambdaArn(name);
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
    const started = performance.now();
    const context: LambdaContext = {
      awsRequestId: requestId,
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: lambdaArn(fn.name),
      memoryLimitInMB: String(fn.memoryMb),
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
        `Memory Size: ${fn.memoryMb} MB\tMax Memory Used: ${maxMemoryMb} MB\t` +
        (typeof init === 'number' ? `Init Duration: ${init.toFixed(2)} ms\t` : '') +
        '\n',
    );
    this.invocations.push({ functionName: fn.name, requestId, event: payload, durationMs, ok: !error, error });
    if (error) throw error;
    return result;
  }
}
