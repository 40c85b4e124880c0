import {
  FilterLogEventsCommand,
  type CloudWatchLogsClient,
  type FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { CloudError, describeAwsError } from './aws-errors.ts';
import { sleep } from './sleep.ts';

/** One Lambda `REPORT` line: what the invocation took and what it was billed. */
export interface ReportLine {
  requestId: string;
  durationMs: number;
  billedDurationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Only on a cold start. */
  initDurationMs?: number;
}

const num = (line: string, label: string, unit: 'ms' | 'MB'): number | undefined => {
  const m = new RegExp(`${label}:\\s*([0-9]+(?:\\.[0-9]+)?)\\s*${unit}`).exec(line);
  return m ? Number(m[1]) : undefined;
};

/**
 * Parses `REPORT RequestId: … Duration: 12.34 ms Billed Duration: 13 ms Memory Size: 2048 MB Max Memory Used: 95 MB
 * [Init Duration: 250.01 ms]` (tab-separated as Lambda writes it; any whitespace accepted). Null for other lines.
 */
export function parseReportLine(line: string): ReportLine | null {
  const start = line.indexOf('REPORT RequestId:');
  if (start < 0) return null;
  const text = line.slice(start);
  const id = /RequestId:\s*([0-9A-Za-z-]+)/.exec(text)?.[1];
  // "Duration:" also appears inside "Billed Duration:" and "Init Duration:"; anchor it on a separator.
  const duration = /(?:^|[\t ])Duration:\s*([0-9]+(?:\.[0-9]+)?)\s*ms/.exec(
    text.replace(/(Billed|Init|Restore) Duration/g, '$1_Duration'),
  );
  const billed = num(text, 'Billed Duration', 'ms');
  const memory = num(text, 'Memory Size', 'MB');
  const maxUsed = num(text, 'Max Memory Used', 'MB');
  if (!id || !duration || billed === undefined || memory === undefined || maxUsed === undefined) return null;
  const out: ReportLine = {
    requestId: id,
    durationMs: Number(duration[1]),
    billedDurationMs: billed,
    memorySizeMb: memory,
    maxMemoryUsedMb: maxUsed,
  };
  const init = num(text, 'Init Duration', 'ms');
  if (init !== undefined) out.initDurationMs = init;
  return out;
}

export interface LogLine {
  eventId: string;
  timestamp: number;
  logStream: string;
  message: string;
  report?: ReportLine;
}

export interface TailOptions {
  logGroupName: string;
  /** Epoch ms; events before are not fetched. */
  startTime: number;
  endTime?: number;
  /** Only events matching this CloudWatch filter pattern (e.g. "REPORT"). */
  filterPattern?: string;
  /** Events per FilterLogEvents page (AWS default and maximum 10,000). */
  pageSize?: number;
  intervalMs?: number;
  signal?: AbortSignal;
  onLines: (lines: LogLine[]) => void;
  /** Called once when the log group does not exist yet (the Lambda has not run); tailing keeps waiting. */
  onNotice?: (message: string) => void;
  /**
   * Asked once the signal stops the tail: true reads the group one last time, so the lines the last ranks wrote
   * between the previous poll and the execution's end (their REPORT lines) are not lost. False on a user's cancel.
   */
  drainOnStop?: () => boolean;
}

function toLine(e: FilteredLogEvent): LogLine | null {
  if (!e.eventId || e.timestamp === undefined) return null;
  const message = (e.message ?? '').replace(/\n$/, '');
  const line: LogLine = { eventId: e.eventId, timestamp: e.timestamp, logStream: e.logStreamName ?? '', message };
  const report = parseReportLine(message);
  if (report) line.report = report;
  return line;
}

/**
 * Fetches every page once from `startTime` (to `endTime`), deduplicated against `seen`. Returns the new lines and
 * the latest timestamp. Events arriving late in CloudWatch are caught by re-reading from the last timestamp.
 */
export async function fetchLogLines(
  logs: CloudWatchLogsClient,
  opts: Omit<TailOptions, 'onLines' | 'intervalMs'>,
  seen: Set<string> = new Set(),
): Promise<LogLine[]> {
  const out: LogLine[] = [];
  let nextToken: string | undefined;
  do {
    let page;
    try {
      page = await logs.send(
        new FilterLogEventsCommand({
          logGroupName: opts.logGroupName,
          startTime: opts.startTime,
          endTime: opts.endTime,
          filterPattern: opts.filterPattern,
          limit: opts.pageSize,
          nextToken,
        }),
        { abortSignal: opts.signal },
      );
    } catch (err) {
      throw new CloudError(
        describeAwsError(err, { service: 'Logs', operation: 'FilterLogEvents', logGroup: opts.logGroupName }),
      );
    }
    for (const e of page.events ?? []) {
      const line = toLine(e);
      if (!line || seen.has(line.eventId)) continue;
      seen.add(line.eventId);
      out.push(line);
    }
    nextToken = page.nextToken;
  } while (nextToken && !opts.signal?.aborted);
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

/** Live tail: polls until the signal aborts. Resolves (never rejects) on abort; other errors reject. */
export async function tailLogs(logs: CloudWatchLogsClient, opts: TailOptions): Promise<void> {
  const seen = new Set<string>();
  let from = opts.startTime;
  let noticed = false;
  while (!opts.signal?.aborted) {
    try {
      const lines = await fetchLogLines(logs, { ...opts, startTime: from }, seen);
      if (lines.length) {
        // Re-read from the last timestamp: several events can share a millisecond; eventId dedupes them.
        from = Math.max(from, lines[lines.length - 1].timestamp);
        opts.onLines(lines);
      }
      if (seen.size > 50_000) trimSeen(seen);
    } catch (err) {
      if (opts.signal?.aborted) return;
      if (err instanceof CloudError && err.kind === 'log-group-missing') {
        if (!noticed) opts.onNotice?.(`Waiting for ${opts.logGroupName}: it appears when the Lambda first runs.`);
        noticed = true;
      } else throw err;
    }
    await sleep(opts.intervalMs ?? 2_000, opts.signal);
  }
  if (opts.drainOnStop?.()) {
    const lines = await fetchLogLines(logs, { ...opts, signal: undefined, startTime: from }, seen).catch(() => []);
    if (lines.length) opts.onLines(lines);
  }
}

function trimSeen(seen: Set<string>): void {
  let drop = seen.size - 25_000;
  for (const id of seen) {
    if (drop-- <= 0) break;
    seen.delete(id);
  }
}

/** All REPORT lines of the inference Lambda between two times (for cost after a run). */
export async function collectReportLines(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  startTime: number,
  endTime: number,
  signal?: AbortSignal,
): Promise<ReportLine[]> {
  const lines = await fetchLogLines(logs, { logGroupName, startTime, endTime, filterPattern: 'REPORT', signal });
  return lines.flatMap((l) => (l.report ? [l.report] : []));
}
