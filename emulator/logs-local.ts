/**
 * A local CloudWatch Logs endpoint (awsJson1_1, `Logs_20140328.*`): DescribeLogGroups and FilterLogEvents over
 * an in-memory store that the Lambda emulator writes START/END/REPORT lines into.
 */
import {
  AwsServiceError,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  jsonServiceHandler,
  listen,
  type AuthPolicy,
  type LocalServer,
} from './aws-http.ts';

export interface LogEvent {
  logStreamName: string;
  timestamp: number;
  ingestionTime: number;
  message: string;
  eventId: string;
}

interface LogGroup {
  name: string;
  creationTime: number;
  events: LogEvent[];
}

const MAX_LIMIT = 10_000;

export class LogStore {
  private groups = new Map<string, LogGroup>();
  private seq = 0;

  createGroup(name: string): void {
    if (!this.groups.has(name)) this.groups.set(name, { name, creationTime: Date.now(), events: [] });
  }

  append(group: string, stream: string, message: string, timestamp = Date.now()): void {
    this.createGroup(group);
    const g = this.groups.get(group)!;
    const id = String(++this.seq).padStart(20, '0');
    g.events.push({ logStreamName: stream, timestamp, ingestionTime: timestamp, message, eventId: id });
  }

  /** All messages of a group, in order (for test assertions). */
  messages(group: string): string[] {
    return (this.groups.get(group)?.events ?? []).map((e) => e.message);
  }

  describeLogGroups(input: Record<string, unknown>) {
    const prefix = typeof input.logGroupNamePrefix === 'string' ? input.logGroupNamePrefix : '';
    const pattern = typeof input.logGroupNamePattern === 'string' ? input.logGroupNamePattern : '';
    const all = [...this.groups.values()]
      .filter((g) => g.name.startsWith(prefix) && (!pattern || g.name.includes(pattern)))
      .sort((a, b) => a.name.localeCompare(b.name));
    const { page, nextToken } = paginate(all, input, 50);
    return {
      logGroups: page.map((g) => ({
        logGroupName: g.name,
        creationTime: g.creationTime,
        arn: `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${g.name}:*`,
        logGroupArn: `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${g.name}`,
        storedBytes: g.events.reduce((s, e) => s + Buffer.byteLength(e.message), 0),
        metricFilterCount: 0,
        logGroupClass: 'STANDARD',
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  filterLogEvents(input: Record<string, unknown>) {
    const name = String(input.logGroupName ?? input.logGroupIdentifier ?? '');
    const group = this.groups.get(name);
    if (!group) throw new AwsServiceError('ResourceNotFoundException', 'The specified log group does not exist.', 400);
    const streams = Array.isArray(input.logStreamNames) ? new Set(input.logStreamNames as string[]) : null;
    const streamPrefix = typeof input.logStreamNamePrefix === 'string' ? input.logStreamNamePrefix : '';
    const start = typeof input.startTime === 'number' ? input.startTime : -Infinity;
    const end = typeof input.endTime === 'number' ? input.endTime : Infinity;
    const matches = compilePattern(typeof input.filterPattern === 'string' ? input.filterPattern : '');
    const hits = group.events
      .filter((e) => (!streams || streams.has(e.logStreamName)) && e.logStreamName.startsWith(streamPrefix))
      .filter((e) => e.timestamp >= start && e.timestamp <= end && matches(e.message))
      .sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId));
    const { page, nextToken } = paginate(hits, input, MAX_LIMIT);
    const searched = [...new Set(group.events.map((e) => e.logStreamName))];
    return {
      events: page,
      searchedLogStreams: searched.map((logStreamName) => ({ logStreamName, searchedCompletely: true })),
      ...(nextToken ? { nextToken } : {}),
    };
  }
}

function paginate<T>(items: T[], input: Record<string, unknown>, maxLimit: number): { page: T[]; nextToken?: string } {
  let offset = 0;
  if (typeof input.nextToken === 'string') {
    offset = Number(Buffer.from(input.nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0)
      throw new AwsServiceError('InvalidParameterException', 'The specified nextToken is invalid.', 400);
  }
  const limit = typeof input.limit === 'number' ? Math.min(input.limit, maxLimit) : maxLimit;
  const page = items.slice(offset, offset + limit);
  const next = offset + page.length;
  return { page, nextToken: next < items.length ? Buffer.from(String(next)).toString('base64url') : undefined };
}

/**
 * The plain-text subset of CloudWatch filter patterns: space-separated terms that must all appear, "quoted
 * phrases" matched as written, and `?term ?term` for any-of. JSON and space-delimited patterns are refused.
 */
function compilePattern(pattern: string): (message: string) => boolean {
  const p = pattern.trim();
  if (p === '') return () => true;
  if (p.startsWith('{') || p.startsWith('[')) {
    throw new AwsServiceError(
      'InvalidParameterException',
      `the local logs endpoint supports plain-text filter patterns only, not '${p}'`,
      400,
    );
  }
  const terms = [...p.matchAll(/(\?)?(?:"([^"]*)"|(\S+))/g)].map((m) => ({ optional: !!m[1], text: m[2] ?? m[3] }));
  const anyOf = terms.filter((t) => t.optional).map((t) => t.text);
  const allOf = terms.filter((t) => !t.optional).map((t) => t.text);
  return (msg) => allOf.every((t) => msg.includes(t)) && (anyOf.length === 0 || anyOf.some((t) => msg.includes(t)));
}

export function startLogsLocal(store: LogStore, auth: AuthPolicy): Promise<LocalServer> {
  return listen(
    jsonServiceHandler({
      service: 'logs',
      targetPrefix: 'Logs_20140328',
      iamPrefix: 'logs',
      contentType: 'application/x-amz-json-1.1',
      auth,
      operations: {
        DescribeLogGroups: (input) => store.describeLogGroups(input),
        FilterLogEvents: (input) => store.filterLogEvents(input),
      },
    }),
  );
}
