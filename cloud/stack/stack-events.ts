/**
 * Following a CloudFormation stack operation: DescribeStackEvents polled and deduplicated by EventId (new events
 * reported oldest first), DescribeStacks for the status, until the stack leaves *_IN_PROGRESS. A failed or
 * rolled-back operation becomes a StackOperationError naming the first resource that failed and why.
 */
import {
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type CloudFormationClient,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { scrubSecrets } from '../aws-errors.ts';
import { sleep } from '../sleep.ts';

export interface StackEventLine {
  eventId: string;
  timestamp: string;
  logicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
}

/** Statuses a finished operation leaves when it failed (the stack may still exist, rolled back). */
export const FAILURE_STATUSES = new Set([
  'CREATE_FAILED',
  'ROLLBACK_COMPLETE',
  'ROLLBACK_FAILED',
  'DELETE_FAILED',
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
  'IMPORT_ROLLBACK_FAILED',
]);

export const isInProgress = (status: string | undefined) => !!status && status.endsWith('_IN_PROGRESS');

export class StackOperationError extends Error {
  override name = 'StackOperationError';
  constructor(
    message: string,
    readonly status: string,
    readonly failedResource?: StackEventLine,
  ) {
    super(message);
  }
}

function toLine(e: StackEvent): StackEventLine {
  return {
    eventId: e.EventId ?? '',
    timestamp: (e.Timestamp ?? new Date(0)).toISOString(),
    logicalId: e.LogicalResourceId ?? '',
    resourceType: e.ResourceType ?? '',
    status: e.ResourceStatus ?? '',
    ...(e.ResourceStatusReason ? { reason: scrubSecrets(e.ResourceStatusReason) } : {}),
  };
}

/** Remembers which events were reported; `poll` returns only new ones, oldest first. */
export class StackEventCursor {
  private readonly seen = new Set<string>();
  /** Every event this cursor reported, oldest first. */
  readonly reported: StackEventLine[] = [];

  constructor(
    private readonly cfn: CloudFormationClient,
    /** The stack's id (ARN) is safest: a name may belong to a deleted stack's successor. */
    private readonly stack: string,
    private readonly maxPages = 20,
  ) {}

  /** Marks the current events as already seen (before an update or delete of an existing stack). */
  async prime(): Promise<void> {
    const page = await this.cfn.send(new DescribeStackEventsCommand({ StackName: this.stack }));
    for (const e of page.StackEvents ?? []) if (e.EventId) this.seen.add(e.EventId);
  }

  async poll(): Promise<StackEventLine[]> {
    const fresh: StackEvent[] = [];
    let token: string | undefined;
    let pages = 0;
    // Pages come newest first: stop at the first event already seen.
    outer: do {
      const page = await this.cfn.send(new DescribeStackEventsCommand({ StackName: this.stack, NextToken: token }));
      for (const e of page.StackEvents ?? []) {
        if (!e.EventId || this.seen.has(e.EventId)) break outer;
        fresh.push(e);
      }
      token = page.NextToken;
    } while (token && ++pages < this.maxPages);
    const lines = fresh.reverse().map(toLine);
    for (const l of lines) {
      this.seen.add(l.eventId);
      this.reported.push(l);
    }
    return lines;
  }
}

export interface WaitOptions {
  pollMs?: number;
  signal?: AbortSignal;
  onEvent?: (e: StackEventLine) => void;
}

export async function describeStack(cfn: CloudFormationClient, stack: string): Promise<Stack | null> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    return out.Stacks?.[0] ?? null;
  } catch (err) {
    if (/does not exist/i.test((err as Error).message ?? '')) return null;
    throw err;
  }
}

/** The first resource that failed in this operation (the cause; later failures are usually "cancelled"). */
export function firstFailure(events: StackEventLine[], stackName: string): StackEventLine | undefined {
  const failed = events.filter((e) => e.status.endsWith('_FAILED') && e.logicalId !== stackName);
  return failed.find((e) => !/cancelled|canceled/i.test(e.reason ?? '')) ?? failed[0];
}

export function failureMessage(stackName: string, status: string, events: StackEventLine[]): string {
  const first = firstFailure(events, stackName);
  const cause = first
    ? `${first.logicalId} (${first.resourceType}) ${first.status}: ${first.reason ?? 'no reason given'}`
    : 'no failed resource was reported';
  const what: Record<string, string> = {
    ROLLBACK_COMPLETE: 'could not be created and was rolled back',
    ROLLBACK_FAILED: 'could not be created, and its rollback failed too',
    CREATE_FAILED: 'could not be created',
    UPDATE_ROLLBACK_COMPLETE:
      'could not be updated; it was rolled back to its previous state and still works as before',
    UPDATE_ROLLBACK_FAILED: 'could not be updated, and its rollback failed',
    UPDATE_FAILED: 'could not be updated',
    DELETE_FAILED: 'could not be deleted',
  };
  const next: Record<string, string> = {
    ROLLBACK_COMPLETE: `Fix the cause, delete the stack (cosmicai stack delete --stack-name ${stackName}) and deploy again.`,
    ROLLBACK_FAILED: `Fix the cause, then delete the stack (cosmicai stack delete --stack-name ${stackName}); resources left over are listed in the CloudFormation console.`,
    UPDATE_ROLLBACK_COMPLETE: 'Fix the cause and deploy again.',
    UPDATE_ROLLBACK_FAILED:
      'Fix the cause, then "Continue update rollback" in the CloudFormation console before deploying again.',
    DELETE_FAILED: 'Fix the cause (e.g. remove what holds the resource) and delete again.',
  };
  return `Stack '${stackName}' ${what[status] ?? `ended in ${status}`} (${status}). First failure: ${cause}. ${next[status] ?? 'See the stack events in the CloudFormation console.'}`;
}

/**
 * Polls until the stack's operation ends; reports every new event. Resolves with the final stack (null when a
 * delete has removed it), rejects with StackOperationError when the operation failed or rolled back.
 */
export async function waitForStack(
  cfn: CloudFormationClient,
  stackId: string,
  stackName: string,
  cursor: StackEventCursor,
  opts: WaitOptions = {},
): Promise<Stack | null> {
  const pollMs = opts.pollMs ?? 5_000;
  for (;;) {
    if (opts.signal?.aborted)
      throw new Error(
        `Stopped following stack '${stackName}'; the operation continues in CloudFormation (see: cosmicai stack status).`,
      );
    const stack = await describeStack(cfn, stackId);
    for (const e of await cursor.poll()) opts.onEvent?.(e);
    const status = stack?.StackStatus;
    if (!stack || status === 'DELETE_COMPLETE') return null;
    if (!isInProgress(status)) {
      if (FAILURE_STATUSES.has(status!))
        throw new StackOperationError(
          failureMessage(stackName, status!, cursor.reported),
          status!,
          firstFailure(cursor.reported, stackName),
        );
      return stack;
    }
    await sleep(pollMs, opts.signal);
  }
}
