import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { HeadBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { endpointLabel, type AwsClients } from './aws-clients.ts';
import { describeAwsError, type AwsErrorKind } from './aws-errors.ts';
import { detectTarget } from './pipeline-target.ts';
import { memoryFunctionFor, readFunctionMemory } from './lambda-memory.ts';

export type CheckName = 'identity' | 'bucket' | 'state-machine' | 'log-group' | 'lambda-memory';

export interface ConnectionCheck {
  name: CheckName;
  label: string;
  ok: boolean;
  /** On success: what was found; on failure: what went wrong. Scrubbed. */
  detail: string;
  /** On failure: what to do. */
  hint?: string;
  errorKind?: AwsErrorKind;
  /**
   * Needed only for one feature (the Lambda memory sweep): a failure is a warning, not a failed connection, so a role
   * without lambda:GetFunctionConfiguration can still run everything else.
   */
  optional?: true;
}

export function logGroupName(lambdaName: string): string {
  return `/aws/lambda/${lambdaName}`;
}

/** The profile's five "Test connection" checks. Each runs even if an earlier one failed, so all problems show at once. */
export async function testConnection(clients: AwsClients): Promise<ConnectionCheck[]> {
  const p = clients.profile;
  const group = logGroupName(p.inferenceLambdaName);
  const run = async (
    name: CheckName,
    label: string,
    service: 'sts' | 's3' | 'sfn' | 'logs' | 'lambda',
    fn: () => Promise<string>,
    ctx: Parameters<typeof describeAwsError>[1],
  ): Promise<ConnectionCheck> => {
    const optional = name === 'lambda-memory' ? ({ optional: true } as const) : {};
    try {
      return { name, label, ok: true, detail: await fn(), ...optional };
    } catch (err) {
      if (err instanceof CheckFailure)
        return { name, label, ok: false, detail: err.message, hint: err.hint, ...optional };
      const d = describeAwsError(err, { ...ctx, endpoint: endpointLabel(p, service), profileName: p.name, bare: true });
      return { name, label, ok: false, detail: d.message, hint: d.hint, errorKind: d.kind, ...optional };
    }
  };
  return Promise.all([
    run(
      'identity',
      'STS GetCallerIdentity',
      'sts',
      async () => {
        const id = await clients.sts.send(new GetCallerIdentityCommand({}));
        return `signed in as ${id.Arn ?? id.UserId ?? 'unknown'} (account ${id.Account ?? '?'})`;
      },
      { service: 'STS', operation: 'GetCallerIdentity' },
    ),
    run(
      'bucket',
      `S3 bucket ${p.bucket}`,
      's3',
      async () => {
        // ListObjectsV2 first: its error body names the problem (HEAD responses carry no error code).
        const list = await clients.s3.send(new ListObjectsV2Command({ Bucket: p.bucket, MaxKeys: 1 }));
        await clients.s3.send(new HeadBucketCommand({ Bucket: p.bucket }));
        return `bucket reachable and listable (${(list.KeyCount ?? 0) > 0 ? 'has objects' : 'empty'})`;
      },
      { service: 'S3', operation: 'ListObjectsV2/HeadBucket', bucket: p.bucket },
    ),
    run(
      'state-machine',
      'Step Functions state machine',
      'sfn',
      async () => {
        const sm = await clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: p.stateMachineArn }));
        const d = detectTarget(sm.definition ?? '');
        const kind =
          d.target === 'cai'
            ? "the study's CAI pipeline"
            : d.target === 'cosmicai'
              ? 'the CosmicAI Bench stack'
              : 'an unrecognised pipeline';
        if (p.target && d.target && p.target !== d.target) {
          throw new CheckFailure(
            `'${sm.name}' runs ${kind} (${d.reason}), but the profile says ${p.target === 'cai' ? "the study's CAI pipeline" : 'the CosmicAI Bench stack'}.`,
            `Set the profile's pipeline to "${d.target}", or point it at the other state machine.`,
          );
        }
        return `found '${sm.name}' (${sm.type ?? 'STANDARD'}, ${sm.status ?? 'ACTIVE'}): runs ${kind} — ${d.reason}`;
      },
      { service: 'SFN', operation: 'DescribeStateMachine', stateMachineArn: p.stateMachineArn },
    ),
    run(
      'log-group',
      `CloudWatch log group ${group}`,
      'logs',
      async () => {
        const out = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group, limit: 5 }));
        if (!(out.logGroups ?? []).some((g) => g.logGroupName === group)) {
          throw new CheckFailure(
            `log group ${group} does not exist.`,
            `Check the inference Lambda name ('${p.inferenceLambdaName}') in the profile. The group is created the first time the Lambda runs, so this is expected before any run.`,
          );
        }
        return `log group exists`;
      },
      { service: 'Logs', operation: 'DescribeLogGroups', logGroup: group },
    ),
    run(
      'lambda-memory',
      'Lambda memory sweep (lambda:GetFunctionConfiguration)',
      'lambda',
      async () => {
        const fn = await memoryFunctionFor(clients);
        const m = await readFunctionMemory(clients.lambda, fn.functionName).catch((err: unknown) => {
          const e = err as { message: string; hint?: string };
          throw new CheckFailure(e.message.replace(e.hint ?? '', '').trim(), e.hint ?? '');
        });
        return (
          `${m.functionName} (${fn.how}) has ${m.memoryMb} MB. Changing it needs ` +
          'lambda:UpdateFunctionConfiguration too, which is not tried here (a test must not change the function): ' +
          'a memory sweep makes its first change before any job runs, so a missing permission stops it at once.'
        );
      },
      { operation: 'Lambda GetFunctionConfiguration' },
    ),
  ]);
}

class CheckFailure extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}
