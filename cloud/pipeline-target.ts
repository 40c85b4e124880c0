import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import type { AwsClients } from './aws-clients.ts';
import { awsCall } from './aws-errors.ts';

/**
 * Which pipeline a state machine runs, from its definition:
 *  - "cai": the study's own (Initialize returns {statusCode, body: [rank payload…]}, the Map iterates `$.body`, the
 *    executor runs the study's Python script from its code folder);
 *  - "cosmicai": our deployed stack (cloud/state-machine.asl.json: the Map iterates the initializer's `$.items`).
 */
export type PipelineTarget = 'cai' | 'cosmicai';

export interface TargetDetection {
  target: PipelineTarget | null;
  /** Why: which state and path decided it, or why nothing did. */
  reason: string;
}

type States = Record<string, Record<string, unknown>>;

function maps(
  states: States,
  out: Array<[string, Record<string, unknown>]> = [],
): Array<[string, Record<string, unknown>]> {
  for (const [name, s] of Object.entries(states ?? {})) {
    if (s.Type === 'Map') out.push([name, s]);
    const inner = (s.ItemProcessor ?? s.Iterator) as { States?: States } | undefined;
    if (inner?.States) maps(inner.States, out);
    if (s.Type === 'Parallel') for (const b of (s.Branches as Array<{ States: States }>) ?? []) maps(b.States, out);
  }
  return out;
}

export function detectTarget(definition: string): TargetDetection {
  let def: { States?: States };
  try {
    def = JSON.parse(definition) as { States?: States };
  } catch {
    return { target: null, reason: 'the state machine definition is not JSON' };
  }
  const found = maps(def.States ?? {});
  if (found.length === 0)
    return {
      target: null,
      reason: 'the state machine has no Map state, so it is neither the CAI pipeline nor our stack',
    };
  for (const [name, s] of found) {
    const items = String(s.ItemsPath ?? (s.ItemReader ? '' : '$'));
    if (items === '$.body')
      return {
        target: 'cai',
        reason: `Map state '${name}' iterates $.body (the study's initializer output): the study's CAI pipeline`,
      };
    if (items === '$.items')
      return {
        target: 'cosmicai',
        reason: `Map state '${name}' iterates $.items (our initializer's output): the CosmicAI Bench stack`,
      };
  }
  return {
    target: null,
    reason: `Map state '${found[0][0]}' iterates ${String(found[0][1].ItemsPath ?? '$')}, which neither pipeline uses`,
  };
}

/** The profile's target, or the one its state machine's definition shows. */
export async function resolveTarget(clients: AwsClients): Promise<TargetDetection & { target: PipelineTarget }> {
  const p = clients.profile;
  if (p.target) return { target: p.target, reason: `set in profile '${p.name}'` };
  const sm = await awsCall(
    { service: 'SFN', operation: 'DescribeStateMachine', stateMachineArn: p.stateMachineArn },
    () => clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: p.stateMachineArn })),
  );
  const d = detectTarget(sm.definition ?? '');
  if (!d.target)
    throw new Error(
      `Cannot tell which pipeline ${p.stateMachineArn} runs: ${d.reason}. Set the profile's target ("cai" or "cosmicai").`,
    );
  return d as TargetDetection & { target: PipelineTarget };
}
