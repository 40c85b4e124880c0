import {
  ListExecutionsCommand,
  ListMapRunsCommand,
  type ExecutionListItem,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { RankTimeline } from '../base/rank-timeline.ts';
import { awsCall } from './aws-errors.ts';
import { getFullHistory } from './execution-history.ts';
import type { PipelineTarget } from './pipeline-target.ts';
import type { RankUsage } from './report-attribution.ts';
import { buildRankTimeline, iterationsFromHistory, type IterationTrace } from './rank-timeline.ts';

/**
 * Gathers a rank timeline's inputs from Step Functions. A Distributed Map does not write its iterations into the
 * execution's history (only MapRunStarted / MapRunSucceeded…): each item is a child execution of the map run, found
 * with ListMapRuns + ListExecutions(mapRunArn), whose own GetExecutionHistory holds its ExecutionStarted (the item),
 * TaskScheduled/TaskStarted/TaskSucceeded|TaskFailed and its end. An inline Map writes MapIterationStarted… into the
 * execution's history, read from there. ListExecutions needs `states:ListExecutions` on the map run.
 */

const CHILD_READS_IN_FLIGHT = 4;

async function listChildren(sfn: SFNClient, mapRunArn: string, signal?: AbortSignal): Promise<ExecutionListItem[]> {
  const out: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall({ service: 'SFN', operation: 'ListExecutions' }, () =>
      sfn.send(new ListExecutionsCommand({ mapRunArn, maxResults: 1000, nextToken }), { abortSignal: signal }),
    );
    out.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

async function mapRunArns(sfn: SFNClient, executionArn: string, signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall({ service: 'SFN', operation: 'ListMapRuns', executionArn }, () =>
      sfn.send(new ListMapRunsCommand({ executionArn, maxResults: 1000, nextToken }), { abortSignal: signal }),
    );
    out.push(...(page.mapRuns ?? []).flatMap((r) => (r.mapRunArn ? [r.mapRunArn] : [])));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** Each Map iteration's events, from the map runs' child executions or, for an inline Map, the execution's history. */
export async function readIterations(
  sfn: SFNClient,
  executionArn: string,
  history: HistoryEvent[],
  signal?: AbortSignal,
): Promise<{ source: RankTimeline['source']; iterations: IterationTrace[] }> {
  const runs = await mapRunArns(sfn, executionArn, signal);
  if (runs.length === 0) return { source: 'execution-history', iterations: iterationsFromHistory(history) };
  const children = (await Promise.all(runs.map((arn) => listChildren(sfn, arn, signal)))).flat();
  const iterations: IterationTrace[] = new Array(children.length);
  let next = 0;
  const worker = async () => {
    while (next < children.length) {
      const i = next++;
      const events = await getFullHistory(sfn, children[i].executionArn!, signal);
      iterations[i] = { index: null, events };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHILD_READS_IN_FLIGHT, children.length) }, worker));
  return { source: 'child-executions', iterations };
}

const rankFromKey = (key: string): number | null => {
  const m = /\/(\d+)\.json(?:\[\d+\])?$/.exec(key);
  return m ? Number(m[1]) : null;
};

/** The timeline of one execution: its iterations, the REPORT lines by rank and the rank result files by key. */
export async function readRankTimeline(
  sfn: SFNClient,
  args: {
    executionArn: string;
    history: HistoryEvent[];
    target: PipelineTarget;
    reports: RankUsage[];
    rankResults: Array<Record<string, unknown>>;
    rankKeys: string[];
    /** Why REPORT lines are missing (e.g. logs unreadable), to say so in the notes. */
    reportsNote?: string;
    signal?: AbortSignal;
  },
): Promise<RankTimeline> {
  const startEvent = args.history.find((e) => e.type === 'ExecutionStarted');
  if (!startEvent?.timestamp) throw new Error('the execution history has no ExecutionStarted event');
  const endEvent = args.history.findLast((e) =>
    ['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted'].includes(e.type ?? ''),
  );
  const { source, iterations } = await readIterations(sfn, args.executionArn, args.history, args.signal);
  const results = new Map<number, Record<string, unknown>>();
  args.rankResults.forEach((r, i) => {
    const rank = rankFromKey(args.rankKeys[i] ?? '');
    if (rank !== null) results.set(rank, r);
  });
  const notes = [
    'Phase lengths are measured; their order inside a bar (init, load, inference, other) is assumed.',
    ...(args.reportsNote ? [args.reportsNote] : []),
  ];
  return buildRankTimeline({
    executionStart: startEvent.timestamp,
    executionEnd: endEvent?.timestamp ?? null,
    source,
    iterations,
    target: args.target,
    reports: new Map(args.reports.map((r) => [r.rank, r])),
    results,
    notes,
  });
}
