import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { PipelineTarget } from './pipeline-target.ts';

/**
 * The ranks an execution was given, read from its history: the Map state's input (the initializer's output) holds
 * one item per rank — the study's `{RANK, DATA_PATH, RESULT_PATH…}` under `body`, ours `{rank, files…}` under `items`.
 */
export interface ExecutionRank {
  rank: number;
  /** DATA_PATH (study: key, list or null) or our `files` list. */
  dataPath: string | string[] | null;
  hasData: boolean;
}

export function executionRanks(events: HistoryEvent[], target: PipelineTarget): ExecutionRank[] | null {
  const entered = events.find((e) => e.type === 'MapStateEntered');
  const text = entered?.stateEnteredEventDetails?.input;
  if (!text) return null;
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  const items = target === 'cai' ? input.body : input.items;
  if (!Array.isArray(items)) return null;
  return items.map((raw, i) => {
    const it = (raw ?? {}) as Record<string, unknown>;
    if (target === 'cai') {
      const dp = it.DATA_PATH as string | string[] | null | undefined;
      const rank = Number(it.RANK ?? i);
      return {
        rank: Number.isInteger(rank) ? rank : i,
        dataPath: dp ?? null,
        hasData: dp !== null && dp !== undefined && !(Array.isArray(dp) && dp.length === 0),
      };
    }
    const files = Array.isArray(it.files) ? (it.files as string[]) : [];
    return { rank: typeof it.rank === 'number' ? it.rank : i, dataPath: files, hasData: files.length > 0 };
  });
}
