import { randomBytes } from 'node:crypto';
import {
  DescribeExecutionCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { awsCall } from './aws-errors.ts';
import { payloadToText, type CaiPayload } from './payload.ts';

export interface StartedExecution {
  executionArn: string;
  name: string;
  startDate: string;
}

/** A fresh execution name: `cosmicai-<yyyymmddThhmmss>-<8 hex>` (SFN names: ≤ 80 chars, unique for 90 days). */
export function executionName(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `cosmicai-${stamp}-${randomBytes(4).toString('hex')}`;
}

export async function startExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  payload: CaiPayload,
  name = executionName(),
): Promise<StartedExecution> {
  const out = await awsCall({ service: 'SFN', operation: 'StartExecution', stateMachineArn }, () =>
    sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: payloadToText(payload) })),
  );
  if (!out.executionArn) throw new Error(`StartExecution on ${stateMachineArn} returned no execution ARN.`);
  return { executionArn: out.executionArn, name, startDate: (out.startDate ?? new Date()).toISOString() };
}

/** Stops the execution (the Map's running ranks are aborted by Step Functions). Stopping a finished one is a no-op. */
export async function stopExecution(
  sfn: SFNClient,
  executionArn: string,
  cause = 'Stopped from CosmicAI Bench',
): Promise<{ stopped: boolean; status: string }> {
  const d = await awsCall({ service: 'SFN', operation: 'DescribeExecution', executionArn }, () =>
    sfn.send(new DescribeExecutionCommand({ executionArn })),
  );
  if (d.status !== 'RUNNING') return { stopped: false, status: d.status ?? 'UNKNOWN' };
  await awsCall({ service: 'SFN', operation: 'StopExecution', executionArn }, () =>
    sfn.send(new StopExecutionCommand({ executionArn, cause, error: 'UserStopped' })),
  );
  return { stopped: true, status: 'ABORTED' };
}

/** Reads an ARN back from user input, with a clear message when it is not an execution ARN. */
export function checkExecutionArn(arn: string): string {
  const a = arn.trim();
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(execution|express|mapRun):[^\s]+$/.test(a)) {
    throw new Error(
      `'${arn}' is not a Step Functions execution ARN (arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME).`,
    );
  }
  return a;
}
