import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { awsCall } from './aws-errors.ts';

/**
 * One run at a time where the pipeline shares state: the study's script reads `payload.json` from one fixed place
 * (bucket `cosmicai-data`), which the initializer of every execution overwrites, so two executions at once corrupt
 * each other's rank plan.
 */
export class ConcurrentRunError extends Error {
  override name = 'ConcurrentRunError';
  readonly code = 'ALREADY_RUNNING';
  constructor(
    readonly running: string[],
    readonly hint: string,
  ) {
    super(
      `Another execution of this state machine is RUNNING (${running.slice(0, 3).join(', ')}${running.length > 3 ? ', …' : ''}). ` +
        "The study's pipeline keeps one payload.json for all executions (its script reads it from bucket cosmicai-data), so a second execution now would overwrite the first one's rank plan. " +
        hint,
    );
  }
}

export async function runningExecutions(sfn: SFNClient, stateMachineArn: string): Promise<string[]> {
  const out = await awsCall({ service: 'SFN', operation: 'ListExecutions', stateMachineArn }, () =>
    sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100 })),
  );
  return (out.executions ?? []).map((e) => e.executionArn ?? '').filter(Boolean);
}

/** Throws ConcurrentRunError when another execution runs, unless `allow` (then returns the running ones). */
export async function guardSingleRun(
  sfn: SFNClient,
  stateMachineArn: string,
  allow: boolean,
  overrideHint: string,
): Promise<string[]> {
  const running = await runningExecutions(sfn, stateMachineArn);
  if (running.length && !allow)
    throw new ConcurrentRunError(running, `Wait for it to finish (or stop it), or start anyway with ${overrideHint}.`);
  return running;
}
