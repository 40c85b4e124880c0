/**
 * The CloudFormation template of our own CAI stack: bucket (or an existing one), one least-privilege role per
 * Lambda, the three Lambdas from one zip, their log groups, and the state machine built from
 * cloud/state-machine.asl.json. `cai-stack.template.json` is this function's output, committed (a test keeps them
 * equal), so it can also be deployed by hand with the AWS console or CLI.
 *
 * Two phases when the stack creates the bucket: the Lambda zip must be in S3 before CloudFormation can create the
 * functions, so a first deploy with CodeKey "" creates only the bucket; the zip and model are uploaded to it; the
 * update with CodeKey set creates everything else. With ExistingBucketName (or a CodeBucket) it is one phase.
 */
import aslTemplate from '../state-machine.asl.json' with { type: 'json' };
import { MAP_STATE } from '../state-machine.ts';

export const SCRIPTS_PREFIX = 'scripts/';
export const RESULTS_PREFIX = 'results/';
export const DATA_PREFIX = 'data/';
/** Where the deployer puts the Lambda zips (read by the Lambda service with the deployer's credentials). */
export const CODE_PREFIX = 'stack/';

export const FUNCTION_KEYS = ['initializer', 'inference', 'summarizer'] as const;
export type FunctionKey = (typeof FUNCTION_KEYS)[number];

/** Handler names inside the zip: `<file>.handler` for `<file>.mjs` at its root. */
export const HANDLERS: Record<FunctionKey, string> = {
  initializer: 'initializer.handler',
  inference: 'inference.handler',
  summarizer: 'summarizer.handler',
};

const LOGICAL: Record<FunctionKey, string> = {
  initializer: 'Initializer',
  inference: 'Inference',
  summarizer: 'Summarizer',
};

/** Function names are `<stack>-<key>`; Lambda allows 64 characters, so stack names are limited to this. */
export const MAX_STACK_NAME = 50;
export const STATE_MACHINE_SUFFIX = 'cai';

export const functionName = (stackName: string, key: FunctionKey) => `${stackName}-${key}`;

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const ref = (name: string): Obj => ({ Ref: name });
const getAtt = (resource: string, attr: string): Obj => ({ 'Fn::GetAtt': [resource, attr] });
const sub = (text: string, vars?: Obj): Obj => ({ 'Fn::Sub': vars ? [text, vars] : text });

/** The bucket's name and ARN, whichever way it came. */
const BUCKET_NAME: Obj = { 'Fn::If': ['CreateBucket', ref('Bucket'), ref('ExistingBucketName')] };
const BUCKET_ARN: Obj = {
  'Fn::If': ['CreateBucket', getAtt('Bucket', 'Arn'), sub('arn:${AWS::Partition}:s3:::${ExistingBucketName}')],
};
const objects = (prefix: string): Obj => sub(`\${BucketArn}/${prefix}*`, { BucketArn: BUCKET_ARN });
const fnName = (key: FunctionKey) => sub(`\${AWS::StackName}-${key}`);
const logGroupArn = (key: FunctionKey) =>
  sub(
    `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/\${AWS::StackName}-${key}:*`,
  );

/** S3 access per function: object prefixes it reads and writes, and the prefixes it may list. */
const S3_ACCESS: Record<FunctionKey, { get: string[]; put: string[]; list: string[] }> = {
  // Lists the partitions under data_prefix.
  initializer: { get: [], put: [], list: [DATA_PREFIX] },
  // Reads the model (listing its folder when `script` does not name it) and the partitions; writes <rank>.json.
  inference: { get: [SCRIPTS_PREFIX, DATA_PREFIX], put: [RESULTS_PREFIX], list: [SCRIPTS_PREFIX] },
  // Reads the rank files (listing them when no plan is given) and writes combined_data.json.
  summarizer: { get: [RESULTS_PREFIX], put: [RESULTS_PREFIX], list: [RESULTS_PREFIX] },
};

function lambdaRole(key: FunctionKey): Obj {
  const a = S3_ACCESS[key];
  const statements: Obj[] = [
    {
      Sid: 'OwnLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [logGroupArn(key)],
    },
    {
      Sid: 'ListOwnPrefixes',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [BUCKET_ARN],
      Condition: { StringLike: { 's3:prefix': a.list.flatMap((p) => [p, `${p}*`]) } },
    },
  ];
  if (a.get.length)
    statements.push({ Sid: 'ReadObjects', Effect: 'Allow', Action: ['s3:GetObject'], Resource: a.get.map(objects) });
  if (a.put.length)
    statements.push({ Sid: 'WriteResults', Effect: 'Allow', Action: ['s3:PutObject'], Resource: a.put.map(objects) });
  return {
    Type: 'AWS::IAM::Role',
    Condition: 'HasCode',
    Properties: {
      Description: sub(`CosmicAI \${AWS::StackName} ${key} Lambda`),
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [{ PolicyName: `${key}-access`, PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

function lambdaFunction(key: FunctionKey): Obj {
  const inference = key === 'inference';
  return {
    Type: 'AWS::Lambda::Function',
    Condition: 'HasCode',
    // The log group (with its retention) must exist first: the roles may not create log groups.
    DependsOn: [`${LOGICAL[key]}LogGroup`],
    Properties: {
      FunctionName: fnName(key),
      Description: `CosmicAI Bench ${key} (our engine, onnxruntime-node)`,
      Runtime: 'nodejs22.x',
      Architectures: [ref('Architecture')],
      Handler: HANDLERS[key],
      Code: { S3Bucket: { 'Fn::If': ['HasCodeBucket', ref('CodeBucket'), BUCKET_NAME] }, S3Key: ref('CodeKey') },
      Role: getAtt(`${LOGICAL[key]}Role`, 'Arn'),
      MemorySize: inference ? ref('InferenceMemoryMB') : 512,
      Timeout: inference ? ref('InferenceTimeoutSeconds') : 300,
      ...(inference ? { EphemeralStorage: { Size: ref('EphemeralStorageMB') } } : {}),
    },
  };
}

function logGroup(key: FunctionKey): Obj {
  return {
    Type: 'AWS::Logs::LogGroup',
    Condition: 'HasCode',
    DeletionPolicy: 'Delete',
    Properties: {
      LogGroupName: sub(`/aws/lambda/\${AWS::StackName}-${key}`),
      RetentionInDays: ref('LogRetentionDays'),
    },
  };
}

/**
 * The ASL as a Fn::Sub string: the function placeholders of state-machine.asl.json become GetAtt variables and
 * the Map's MaxConcurrency / ToleratedFailurePercentage numbers become the parameters (unquoted, so they stay
 * numbers after substitution).
 */
export function definitionSub(): Obj {
  const def = structuredClone(aslTemplate) as { States: Record<string, Record<string, unknown>> };
  const map = def.States[MAP_STATE];
  if (!map) throw new Error(`cloud/state-machine.asl.json has no "${MAP_STATE}" state`);
  map.MaxConcurrency = '@@MaxConcurrency@@';
  map.ToleratedFailurePercentage = '@@ToleratedFailurePercentage@@';
  const text = JSON.stringify(def, null, 2).replace(/"@@(\w+)@@"/g, (_m, name: string) => `\${${name}}`);
  return sub(text, {
    InitializerFunctionArn: getAtt('InitializerFunction', 'Arn'),
    InferenceFunctionArn: getAtt('InferenceFunction', 'Arn'),
    SummarizerFunctionArn: getAtt('SummarizerFunction', 'Arn'),
  });
}

function stateMachineRole(): Obj {
  const smArn = sub(
    `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:\${AWS::StackName}-${STATE_MACHINE_SUFFIX}`,
  );
  // Distributed Map child executions are named execution:<state machine>/<map run>:<id>.
  const childExecutions = sub(
    `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:\${AWS::StackName}-${STATE_MACHINE_SUFFIX}/*`,
  );
  return {
    Type: 'AWS::IAM::Role',
    Condition: 'HasCode',
    Properties: {
      Description: sub('CosmicAI ${AWS::StackName} state machine'),
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [
        {
          PolicyName: 'state-machine-access',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'InvokeOurFunctions',
                Effect: 'Allow',
                Action: ['lambda:InvokeFunction'],
                Resource: FUNCTION_KEYS.map((k) => getAtt(`${LOGICAL[k]}Function`, 'Arn')),
              },
              { Sid: 'StartMapRuns', Effect: 'Allow', Action: ['states:StartExecution'], Resource: [smArn] },
              {
                Sid: 'ManageMapChildren',
                Effect: 'Allow',
                Action: ['states:DescribeExecution', 'states:StopExecution'],
                Resource: [childExecutions],
              },
            ],
          },
        },
      ],
    },
  };
}

function parameters(): Obj {
  return {
    ExistingBucketName: {
      Type: 'String',
      Default: '',
      AllowedPattern: '^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      Description:
        'Use this bucket instead of creating one (empty: the stack creates a private, encrypted bucket, kept when the stack is deleted).',
    },
    Architecture: {
      Type: 'String',
      Default: 'x86_64',
      AllowedValues: ['arm64', 'x86_64'],
      Description: 'Lambda architecture; the zip must hold the onnxruntime binary for it.',
    },
    InferenceMemoryMB: {
      Type: 'Number',
      Default: 3008,
      MinValue: 128,
      MaxValue: 10240,
      Description: 'Inference Lambda memory (MB); CPU share grows with it.',
    },
    InferenceTimeoutSeconds: {
      Type: 'Number',
      Default: 900,
      MinValue: 30,
      MaxValue: 900,
      Description: 'Inference Lambda timeout (s).',
    },
    EphemeralStorageMB: {
      Type: 'Number',
      Default: 2048,
      MinValue: 512,
      MaxValue: 10240,
      Description: 'Inference Lambda /tmp size (MB): the model plus one partition at a time.',
    },
    MaxConcurrency: {
      Type: 'Number',
      Default: 1000,
      MinValue: 0,
      MaxValue: 10000,
      Description: 'Ranks running at once in the Distributed Map (0: no limit).',
    },
    ToleratedFailurePercentage: {
      Type: 'Number',
      Default: 0,
      MinValue: 0,
      MaxValue: 100,
      Description: 'Share of failed ranks the Map tolerates.',
    },
    LogRetentionDays: {
      Type: 'Number',
      Default: 14,
      AllowedValues: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365],
      Description: 'Days the Lambda logs are kept.',
    },
    CodeBucket: {
      Type: 'String',
      Default: '',
      Description: 'Bucket holding the Lambda zip (empty: the stack bucket).',
    },
    CodeKey: {
      Type: 'String',
      Default: '',
      Description: 'Key of the Lambda zip (empty: create only the bucket, phase one of a two-phase deploy).',
    },
  };
}

/** The template as a plain JSON object. */
export function buildTemplate(): Obj {
  const resources: Obj = {
    Bucket: {
      Type: 'AWS::S3::Bucket',
      Condition: 'CreateBucket',
      // Results and staged data outlive the stack; deleting them is the user's call.
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'abort-incomplete-uploads',
              Status: 'Enabled',
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            },
          ],
        },
      },
    },
  };
  for (const key of FUNCTION_KEYS) {
    resources[`${LOGICAL[key]}LogGroup`] = logGroup(key);
    resources[`${LOGICAL[key]}Role`] = lambdaRole(key);
    resources[`${LOGICAL[key]}Function`] = lambdaFunction(key);
  }
  resources.StateMachineRole = stateMachineRole();
  resources.StateMachine = {
    Type: 'AWS::StepFunctions::StateMachine',
    Condition: 'HasCode',
    Properties: {
      StateMachineName: sub(`\${AWS::StackName}-${STATE_MACHINE_SUFFIX}`),
      StateMachineType: 'STANDARD',
      RoleArn: getAtt('StateMachineRole', 'Arn'),
      DefinitionString: definitionSub(),
    },
  };
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'CosmicAI Bench: our own CAI stack (Initialize -> Distributed Map of inference Lambdas -> Summarize), generated by cloud/stack/template.ts',
    Parameters: parameters(),
    Conditions: {
      CreateBucket: { 'Fn::Equals': [ref('ExistingBucketName'), ''] },
      HasCode: { 'Fn::Not': [{ 'Fn::Equals': [ref('CodeKey'), ''] }] },
      HasCodeBucket: { 'Fn::Not': [{ 'Fn::Equals': [ref('CodeBucket'), ''] }] },
    },
    Resources: resources,
    Outputs: {
      BucketName: { Value: BUCKET_NAME, Description: 'Bucket for scripts/, results/ and data/' },
      StateMachineArn: { Condition: 'HasCode', Value: ref('StateMachine') },
      InferenceFunctionName: { Condition: 'HasCode', Value: ref('InferenceFunction') },
      Region: { Value: ref('AWS::Region') },
      LambdaMemoryMB: { Value: ref('InferenceMemoryMB') },
      Architecture: { Value: ref('Architecture') },
    },
  };
}

/** The template as CreateStack's TemplateBody (and the committed file's text). */
export function templateBody(): string {
  return `${JSON.stringify(buildTemplate(), null, 2)}\n`;
}
