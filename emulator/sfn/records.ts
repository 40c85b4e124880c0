/** The local Step Functions endpoint's records: state machines, executions, map runs, history events. */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export type MapRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface StateMachineRecord {
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

export interface ChildExecution {
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

export interface MapRunRecord {
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

export interface ExecutionRecord {
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

/** The interpreter's event log entries (see aws-local-stepfunctions' EventLog type). */
export interface LibEvent {
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

export const json = (v: unknown) => JSON.stringify(v ?? null);
export const causeText = (c: unknown) => (typeof c === 'string' ? c : c instanceof Error ? c.message : json(c));
