/** DescribeExecution, GetExecutionHistory, ListExecutions, ListMapRuns, DescribeMapRun (child executions included). */
import { AwsServiceError, epochSeconds } from '../aws-http.ts';
import { str } from './definition.ts';
import type { ExecutionStatus } from './records.ts';
import type { SfnState } from './state.ts';
import { childHistory, mapRunCounts, page, stripData } from './views.ts';

export function describeExecution(st: SfnState, input: Record<string, unknown>) {
  const arn = str(input.executionArn, 'executionArn');
  const child = st.children.get(arn);
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
  const ex = st.getExecution(arn);
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

export function getExecutionHistory(st: SfnState, input: Record<string, unknown>) {
  const withData = input.includeExecutionData !== false;
  const child = typeof input.executionArn === 'string' ? st.children.get(input.executionArn) : undefined;
  const history = child ? childHistory(child.child, child.run) : st.getExecution(input.executionArn).history;
  let events = history.map((e) => (withData ? e : stripData(e)));
  if (input.reverseOrder === true) events = [...events].reverse();
  const { slice, nextToken } = page(events, input, 100, 1000);
  return {
    events: slice.map((e) => ({ ...e, timestamp: epochSeconds(e.timestamp) })),
    ...(nextToken ? { nextToken } : {}),
  };
}

export function listExecutions(st: SfnState, input: Record<string, unknown>) {
  const filter = typeof input.statusFilter === 'string' ? input.statusFilter : null;
  type Row = {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    startDate: number;
    stopDate?: number;
    mapRunArn?: string;
    itemCount?: number;
  };
  let rows: Row[];
  if (typeof input.mapRunArn === 'string') {
    const run = st.mapRuns.get(input.mapRunArn);
    if (!run) throw new AwsServiceError('ResourceNotFound', `Map Run Does Not Exist: '${input.mapRunArn}'`, 400);
    rows = [...run.children.values()].map((c) => ({
      executionArn: c.arn,
      stateMachineArn: run.stateMachineArn,
      name: c.name,
      status: c.status,
      startDate: c.startDate,
      stopDate: c.stopDate,
      mapRunArn: run.arn,
      itemCount: 1,
    }));
  } else {
    const sm = st.getMachine(input.stateMachineArn);
    rows = [...st.executions.values()]
      .filter((e) => e.sm === sm)
      .map((e) => ({
        executionArn: e.arn,
        stateMachineArn: sm.arn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        stopDate: e.stopDate,
      }));
  }
  rows = rows.filter((r) => !filter || r.status === filter).sort((a, b) => b.startDate - a.startDate);
  const { slice, nextToken } = page(rows, input, 100, 1000);
  return {
    executions: slice.map((r) => ({
      ...r,
      startDate: epochSeconds(r.startDate),
      ...(r.stopDate !== undefined ? { stopDate: epochSeconds(r.stopDate) } : {}),
    })),
    ...(nextToken ? { nextToken } : {}),
  };
}

export function listMapRuns(st: SfnState, input: Record<string, unknown>) {
  const ex = st.getExecution(input.executionArn);
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

export function describeMapRun(st: SfnState, input: Record<string, unknown>) {
  const arn = str(input.mapRunArn, 'mapRunArn');
  const run = st.mapRuns.get(arn);
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
