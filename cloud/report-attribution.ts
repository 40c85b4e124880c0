import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { fetchLogLines, parseReportLine, type LogLine, type ReportLine } from './logs.ts';

/**
 * Lambda usage per rank of ONE execution. Every invocation's lines are in one log stream, in order:
 * `START RequestId: X`, then the executor's `received: {…rank payload…}` (the study's executor logs it as a Python
 * dict, our worker as JSON), …, `REPORT RequestId: X …`. A REPORT line counts for this execution only when its
 * request logged this execution's `RESULT_PATH` and one of its ranks; every other line is another execution's.
 */

export interface RankUsage extends ReportLine {
  rank: number;
}

export interface RankAttribution {
  /** One entry per rank whose REPORT line was found (the last invocation of that rank, if retried). */
  perRank: RankUsage[];
  /** Ranks of this execution without a REPORT line (yet). */
  missing: number[];
  /** REPORT lines in the window that belonged to other executions (ignored). */
  ignored: number;
}

const rankOf = (text: string): number | null => {
  const m = /['"](?:RANK|rank)['"]\s*:\s*['"]?(\d+)/.exec(text);
  return m ? Number(m[1]) : null;
};
const resultPathOf = (text: string): string | null => {
  const m = /['"](?:RESULT_PATH|result_path)['"]\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/.exec(text);
  return m ? (m[1] ?? m[2]) : null;
};

/**
 * Which REPORT lines can be this execution's, by their timestamp (ms): none before it started (`from`), and per rank
 * none from `until(rank)` on (a later execution re-ran that rank into the same result_path). Every run into one
 * result_path writes the same RESULT_PATH and ranks, so time is what tells a failed attempt from its re-run.
 */
export interface ReportWindow {
  from?: number;
  until?: (rank: number) => number;
}

/** Pure: attribute lines (any order, several streams) to the ranks of the execution writing `resultPath`. */
export function attributeReports(
  lines: LogLine[],
  resultPath: string,
  ranks: number[],
  window: ReportWindow = {},
): RankAttribution {
  const byStream = new Map<string, LogLine[]>();
  for (const l of lines) {
    const s = byStream.get(l.logStream) ?? [];
    s.push(l);
    byStream.set(l.logStream, s);
  }
  const requestRank = new Map<string, number>();
  const reports: Array<{ report: ReportLine; at: number }> = [];
  for (const stream of byStream.values()) {
    stream.sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId));
    let current: string | null = null;
    for (const l of stream) {
      const start = /START RequestId:\s*([0-9A-Za-z-]+)/.exec(l.message);
      if (start) {
        current = start[1];
        continue;
      }
      const report = l.report ?? parseReportLine(l.message);
      if (report) {
        reports.push({ report, at: l.timestamp });
        if (report.requestId === current) current = null;
        continue;
      }
      // The study's executor: "received:  {...}"; a Node runtime line: "<ts>\t<requestId>\tINFO\treceived: {...}".
      const at = l.message.indexOf('received:');
      if (at < 0) continue;
      const tabbed = /^\S+\t([0-9a-f-]{36})\t/.exec(l.message);
      const requestId = tabbed?.[1] ?? current;
      const payload = l.message.slice(at);
      const rank = rankOf(payload);
      if (requestId && rank !== null && resultPathOf(payload) === resultPath) requestRank.set(requestId, rank);
    }
  }
  const wanted = new Set(ranks);
  const perRankMap = new Map<number, RankUsage>();
  const lastAt = new Map<number, number>();
  let ignored = 0;
  for (const { report: r, at } of reports) {
    const rank = requestRank.get(r.requestId);
    const outside = rank !== undefined && (at < (window.from ?? -Infinity) || at >= (window.until?.(rank) ?? Infinity));
    if (rank === undefined || !wanted.has(rank) || outside) {
      ignored++;
      continue;
    }
    // The last invocation of a rank (by time) is the one whose result the rank kept.
    if ((lastAt.get(rank) ?? -Infinity) > at) continue;
    lastAt.set(rank, at);
    perRankMap.set(rank, { rank, ...r });
  }
  const perRank = [...perRankMap.values()].sort((a, b) => a.rank - b.rank);
  return { perRank, missing: ranks.filter((r) => !perRankMap.has(r)), ignored };
}

export async function readRankAttribution(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  window: { start: number; end: number },
  resultPath: string,
  ranks: number[],
  signal?: AbortSignal,
  reportWindow?: ReportWindow,
): Promise<RankAttribution> {
  const lines = await fetchLogLines(logs, { logGroupName, startTime: window.start, endTime: window.end, signal });
  return attributeReports(lines, resultPath, ranks, reportWindow);
}
