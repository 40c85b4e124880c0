/**
 * The stack operations a caller in this process runs in the foreground (`cosmicai stack …`): the template, the
 * Lambda package, deploy (package, upload, CloudFormation, events), status and delete, and the stack's profile. The
 * app's StackService (stack.ts) runs the same operations in the background with events.
 */

export { templateBody } from '../../../cloud/stack/template.ts';
export { describePackage, packageLambda, type LambdaArch } from '../../../cloud/stack/package-lambda.ts';
export { packageAndDeploy, type DeployFlowProgress } from '../../../cloud/stack/deploy-flow.ts';
export { deleteStack, stackStatus, type DeployResult } from '../../../cloud/stack/stack-deploy.ts';
export type { StackEventLine } from '../../../cloud/stack/stack-events.ts';
export { saveStackProfile } from './stack-profile.ts';
