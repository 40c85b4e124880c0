import { z } from 'zod';
import { RunExecutionSchema, type RunExecution } from './cloud-run-record.ts';

/**
 * What a cloud run's executions were, in words, for the run's details and the CLI: "2 executions (original + re-run
 * of rank 1)". A run with one execution (no `executions` list) gives null: there is nothing to say.
 */
export function executionsSummary(record: { executions?: unknown }): string | null {
  const parsed = z.array(RunExecutionSchema).safeParse(record.executions);
  if (!parsed.success || parsed.data.length < 2) return null;
  return `${parsed.data.length} executions (${parsed.data.map(executionPhrase).join(' + ')})`;
}

function executionPhrase(e: RunExecution): string {
  if (e.role === 'original') return 'original';
  const ranks = [...e.ranks].sort((a, b) => a - b);
  return ranks.length === 0 ? 're-run' : `re-run of rank${ranks.length > 1 ? 's' : ''} ${ranks.join(', ')}`;
}

/** The label of the i-th execution on a timeline lane: "original", "re-run 1", "re-run 2", … */
export function executionLabel(executions: Array<Pick<RunExecution, 'role'>>, i: number): string {
  if (executions[i]?.role !== 'rerun') return 'original';
  return `re-run ${executions.slice(0, i + 1).filter((e) => e.role === 'rerun').length}`;
}

export const RERUN_METRIC_DEFINITIONS: Record<string, string> = {
  executions:
    'The Step Functions executions of this run, in order: the original, then each re-run of failed ranks into the ' +
    'same result_path, each with its ranks, times, Map items and REPORT-line totals.',
  lambda:
    "Summed over ALL the run's executions (original and re-runs): every inference Lambda REPORT line attributed by " +
    'request id to their ranks, failed attempts included (AWS bills them): invocations, billed and actual duration, ' +
    'cold starts; Max Memory Used is the largest. The cost derived from it covers all executions. Null when any ' +
    "execution's logs were unreadable.",
  lambda_per_rank:
    'Per rank, the REPORT line of the execution whose result the run keeps: the original for ranks that succeeded ' +
    'there, the re-run for re-run ranks (`execution` indexes `executions`); failed attempts are in `lambda` only.',
  items: "The Map items of all the run's executions, summed (a failed attempt and its re-run are two items).",
  map_duration_seconds:
    "The Distributed Map states' durations summed over the run's executions; wall_throughput_bps is total_bits ÷ it.",
  rank_timeline:
    "The lanes of all the run's executions on one axis, in s from the original execution's start; each lane's " +
    "`execution` says which. Measured peak concurrency is over all lanes (the larger of the executions' peaks " +
    'unless they overlapped).',
};
