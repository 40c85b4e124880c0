/** Everything the local Step Functions endpoint holds, and lookups by ARN with AWS's error codes. */
import { AwsServiceError } from '../aws-http.ts';
import { str } from './definition.ts';
import type { ChildExecution, ExecutionRecord, MapRunRecord, StateMachineRecord } from './records.ts';

export class SfnState {
  readonly machines = new Map<string, StateMachineRecord>();
  readonly executions = new Map<string, ExecutionRecord>();
  readonly mapRuns = new Map<string, MapRunRecord>();
  readonly children = new Map<string, { child: ChildExecution; run: MapRunRecord }>();

  getMachine(arn: unknown): StateMachineRecord {
    const a = str(arn, 'stateMachineArn');
    if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:stateMachine:.+$/.test(a))
      throw new AwsServiceError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${a}'`, 400);
    const sm = this.machines.get(a);
    if (!sm) throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${a}'`, 400);
    return sm;
  }
  getExecution(arn: unknown): ExecutionRecord {
    const a = str(arn, 'executionArn');
    if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:execution:.+$/.test(a))
      throw new AwsServiceError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${a}'`, 400);
    const ex = this.executions.get(a);
    if (!ex) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${a}'`, 400);
    return ex;
  }
}
