/** CreateStateMachine and DescribeStateMachine. */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { AwsServiceError, LOCAL_ACCOUNT, LOCAL_REGION, epochSeconds } from '../aws-http.ts';
import { collectStates, NAME_RE, str, withAwsTaskTimeouts } from './definition.ts';
import type { StateMachineRecord } from './records.ts';
import type { SfnState } from './state.ts';

export function createStateMachine(st: SfnState, input: Record<string, unknown>) {
  const name = str(input.name, 'name');
  if (!NAME_RE.test(name)) throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`, 400);
  const definition = str(input.definition, 'definition');
  let parsed: StateMachineDefinition;
  try {
    parsed = JSON.parse(definition) as StateMachineDefinition;
    new StateMachine(parsed); // validates with asl-validator, paths and ARNs included
  } catch (err) {
    throw new AwsServiceError(
      'InvalidDefinition',
      `Invalid State Machine Definition: '${(err as Error).message}'`,
      400,
    );
  }
  const tasks: StateMachineRecord['tasks'] = new Map();
  const maps: StateMachineRecord['maps'] = new Map();
  collectStates(parsed.States as unknown as Record<string, Record<string, unknown>>, tasks, maps);
  const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
  const existing = st.machines.get(arn);
  if (existing) {
    if (existing.definition !== definition)
      throw new AwsServiceError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`, 400);
    return { stateMachineArn: arn, creationDate: epochSeconds(existing.creationDate) };
  }
  const type = input.type === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
  const roleArn = typeof input.roleArn === 'string' ? input.roleArn : `arn:aws:iam::${LOCAL_ACCOUNT}:role/local-sfn`;
  st.machines.set(arn, {
    arn,
    name,
    definition,
    parsed: withAwsTaskTimeouts(parsed),
    roleArn,
    type,
    creationDate: Date.now(),
    tasks,
    maps,
  });
  return { stateMachineArn: arn, creationDate: epochSeconds(st.machines.get(arn)!.creationDate) };
}

export function describeStateMachine(st: SfnState, input: Record<string, unknown>) {
  const sm = st.getMachine(input.stateMachineArn);
  return {
    stateMachineArn: sm.arn,
    name: sm.name,
    status: 'ACTIVE',
    definition: sm.definition,
    roleArn: sm.roleArn,
    type: sm.type,
    creationDate: epochSeconds(sm.creationDate),
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
  };
}
