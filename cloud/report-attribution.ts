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

/** Pure: attribute lines (any order, several streams) to the ranks of the execution writing `resultPath`. */
export function attributeReports(lines: LogLine[], resultPath: string, ranks: number[]): RankAttribution {
  const byStream = new Map<string, LogLine[]>();
  for (const l of lines) {
    const s = byStream.get(l.logStream) ?? [];
    s.push(l);
    byStream.set(l.logStream, s);
  }
  const requestRank = new Map<string, number>();
  const reports: ReportLine[] = [];
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
        reports.push(report);
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
  let ignored = 0;
  for (const r of reports) {
    const rank = requestRank.get(r.requestId);
    if (rank === undefined || !wanted.has(rank)) {
      ignored++;
      continue;
    }
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
): Promise<RankAttribution> {
  const lines = await fetchLogLines(logs, { logGroupName, startTime: window.start, endTime: window.end, signal });
  return attributeReports(lines, resultPath, ranks);
}
