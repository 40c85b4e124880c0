/**
 * A local AWS Step Functions endpoint (the emulator's and the tests'). It speaks the SFN JSON protocol (awsJson1_0,
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
import { jsonServiceHandler, listen, type AuthPolicy, type LocalServer } from '../aws-http.ts';
import type { LocalLambda } from '../local-lambda.ts';
import { createStateMachine, describeStateMachine } from './create-state-machine.ts';
import {
  describeExecution,
  describeMapRun,
  getExecutionHistory,
  listExecutions,
  listMapRuns,
} from './read-operations.ts';
import type { HistoryEvent } from './records.ts';
import { startExecution, stopExecution } from './run-execution.ts';
import { SfnState } from './state.ts';

export type { HistoryEvent } from './records.ts';

export interface SfnLocal extends LocalServer {
  /** Waits for every execution to finish and every Lambda invocation to return. */
  settled(): Promise<void>;
  /** The raw history of an execution (for assertions). */
  history(executionArn: string): HistoryEvent[];
}

export async function startSfnLocal(opts: { auth: AuthPolicy; lambda: LocalLambda }): Promise<SfnLocal> {
  const st = new SfnState();
  type Op = (input: Record<string, unknown>) => unknown;
  const bind =
    (fn: (s: SfnState, input: Record<string, unknown>) => unknown): Op =>
    (input) =>
      fn(st, input);
  const server = await listen(
    jsonServiceHandler({
      service: 'sfn',
      targetPrefix: 'AWSStepFunctions',
      iamPrefix: 'states',
      contentType: 'application/x-amz-json-1.0',
      auth: opts.auth,
      operations: {
        CreateStateMachine: bind(createStateMachine),
        DescribeStateMachine: bind(describeStateMachine),
        StartExecution: (input) => startExecution(st, opts.lambda, input),
        DescribeExecution: bind(describeExecution),
        StopExecution: bind(stopExecution),
        GetExecutionHistory: bind(getExecutionHistory),
        ListExecutions: bind(listExecutions),
        ListMapRuns: bind(listMapRuns),
        DescribeMapRun: bind(describeMapRun),
      },
    }),
  );

  return {
    ...server,
    async settled() {
      await Promise.all([...st.executions.values()].map((e) => e.finished));
      await opts.lambda.idle();
    },
    history: (arn) => st.getExecution(arn).history,
    async close() {
      for (const e of st.executions.values()) if (e.status === 'RUNNING') e.abort();
      await Promise.all([...st.executions.values()].map((e) => e.finished));
      await server.close();
    },
  };
}
