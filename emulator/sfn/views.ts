/** Read-only views over the records: a child execution's history, map run counts, data-stripped events, pages. */
import { AwsServiceError } from '../aws-http.ts';
import type { ChildExecution, HistoryEvent, MapRunRecord } from './records.ts';

/** A Distributed Map child execution's history: started with its item, its Task's events, its end. */
export function childHistory(c: ChildExecution, run: MapRunRecord): HistoryEvent[] {
  const raw: ChildExecution['events'] = [
    {
      type: 'ExecutionStarted',
      timestamp: c.startDate,
      details: {
        executionStartedEventDetails: {
          input: c.input,
          inputDetails: { truncated: false },
          roleArn: run.stateMachineArn,
        },
      },
    },
    ...c.events,
  ];
  const end = c.stopDate ?? Date.now();
  if (c.status === 'SUCCEEDED')
    raw.push({
      type: 'ExecutionSucceeded',
      timestamp: end,
      details: { executionSucceededEventDetails: { output: c.output, outputDetails: { truncated: false } } },
    });
  if (c.status === 'FAILED')
    raw.push({
      type: 'ExecutionFailed',
      timestamp: end,
      details: { executionFailedEventDetails: { error: c.error, cause: c.cause } },
    });
  if (c.status === 'ABORTED')
    raw.push({ type: 'ExecutionAborted', timestamp: end, details: { executionAbortedEventDetails: {} } });
  return raw.map((e, i) => ({ timestamp: e.timestamp, type: e.type, id: i + 1, previousEventId: i, ...e.details }));
}

export function mapRunCounts(run: MapRunRecord) {
  let running = 0,
    succeeded = 0,
    failed = 0,
    aborted = 0,
    timedOut = 0;
  for (const c of run.children.values()) {
    if (c.status === 'RUNNING') running++;
    else if (c.status === 'SUCCEEDED') succeeded++;
    else if (c.status === 'FAILED') failed++;
    else if (c.status === 'ABORTED') aborted++;
    else timedOut++;
  }
  const total = run.total ?? run.children.size;
  const pending = Math.max(0, total - run.children.size);
  return {
    pending,
    running,
    succeeded,
    failed,
    timedOut,
    aborted,
    total,
    resultsWritten: 0,
    failuresNotRedrivable: 0,
    pendingRedrive: 0,
  };
}

export const DATA_FIELDS = new Set(['input', 'output', 'parameters']);
export function stripData(e: HistoryEvent): HistoryEvent {
  const out: HistoryEvent = { ...e };
  for (const [k, v] of Object.entries(e)) {
    if (k.endsWith('EventDetails') && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v).filter(([f]) => !DATA_FIELDS.has(f)));
    }
  }
  return out;
}

/** One page of a list, with SFN's opaque nextToken. */
export function page<T>(items: T[], input: Record<string, unknown>, dflt: number, max: number) {
  let offset = 0;
  if (typeof input.nextToken === 'string') {
    offset = Number(Buffer.from(input.nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0)
      throw new AwsServiceError('InvalidToken', `Invalid Token: '${input.nextToken}'`, 400);
  }
  const n = typeof input.maxResults === 'number' && input.maxResults > 0 ? Math.min(input.maxResults, max) : dflt;
  const slice = items.slice(offset, offset + n);
  const next = offset + slice.length;
  return { slice, nextToken: next < items.length ? Buffer.from(String(next)).toString('base64url') : undefined };
}
