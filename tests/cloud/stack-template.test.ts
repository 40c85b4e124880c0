import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ProfileInputSchema } from '../../base/profile-schema.ts';
import { outputsToProfile } from '../../cloud/stack/outputs.ts';
import { buildTemplate, FUNCTION_KEYS, HANDLERS, templateBody } from '../../cloud/stack/template.ts';
import { MAP_STATE } from '../../cloud/state-machine.ts';
import {
  PSEUDO,
  references,
  resolveParameters,
  TemplateEvaluator,
  type CfnTemplate,
  type Json,
  type Obj,
} from '../infra/cfn-template-eval.ts';

type AslValidator = (
  definition: unknown,
  opts?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (sep?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const t = buildTemplate() as unknown as CfnTemplate;
const ctx = (parameters: Record<string, string>, stackName = 'cai-test') => ({
  stackName,
  region: 'eu-west-1',
  accountId: '210987654321',
  parameters: resolveParameters(t, parameters),
});
const withCode = { CodeKey: 'stack/cosmicai-lambda-x86_64-0123abcd.zip' };

const EXPECTED_RESOURCES = [
  'Bucket',
  'InitializerLogGroup',
  'InitializerRole',
  'InitializerFunction',
  'InferenceLogGroup',
  'InferenceRole',
  'InferenceFunction',
  'SummarizerLogGroup',
  'SummarizerRole',
  'SummarizerFunction',
  'StateMachineRole',
  'StateMachine',
];

/** Every IAM statement in the template, with the role it belongs to. */
function statements(
  ev: TemplateEvaluator,
): Array<{ role: string; Action: string[]; Resource: string[]; Condition?: Obj; Effect: string }> {
  const out = [];
  for (const [logical, r] of Object.entries(t.Resources)) {
    if (r.Type !== 'AWS::IAM::Role' || !ev.isCreated(logical)) continue;
    const props = ev.eval(r.Properties as Json) as {
      Policies: Array<{
        PolicyDocument: { Statement: Array<{ Action: string[]; Resource: string[]; Condition?: Obj; Effect: string }> };
      }>;
      ManagedPolicyArns?: unknown;
    };
    expect(props.ManagedPolicyArns, `${logical} must not attach managed policies`).toBeUndefined();
    for (const p of props.Policies) for (const s of p.PolicyDocument.Statement) out.push({ role: logical, ...s });
  }
  return out;
}

describe('CAI stack template', () => {
  it('is committed as cloud/stack/cai-stack.template.json, equal to the generator output', () => {
    const committed = readFileSync(new URL('../../cloud/stack/cai-stack.template.json', import.meta.url), 'utf8');
    expect(committed).toBe(templateBody());
    expect(Buffer.byteLength(templateBody())).toBeLessThan(51_200); // CreateStack's TemplateBody limit
  });

  it('has every resource, and every Ref, GetAtt, Sub variable, Condition and DependsOn points at something that exists', () => {
    expect(Object.keys(t.Resources).sort()).toEqual([...EXPECTED_RESOURCES].sort());
    const known = new Set([...Object.keys(t.Parameters ?? {}), ...Object.keys(t.Resources), ...PSEUDO]);
    const all = references(t as unknown as Json);
    expect(all.length).toBeGreaterThan(20);
    for (const name of all) expect(known.has(name), `reference to unknown ${name}`).toBe(true);
    const conditions = new Set(Object.keys(t.Conditions ?? {}));
    for (const [logical, r] of Object.entries(t.Resources)) {
      if (r.Condition) expect(conditions.has(r.Condition), `${logical} condition`).toBe(true);
      for (const d of [r.DependsOn ?? []].flat()) expect(t.Resources[d], `${logical} DependsOn ${d}`).toBeDefined();
    }
    for (const [k, o] of Object.entries(t.Outputs ?? {}))
      if (o.Condition) expect(conditions.has(o.Condition), `output ${k}`).toBe(true);
    // …and the checker does catch a dangling reference.
    expect(references({ 'Fn::Sub': ['${Missing}-${Known}', { Known: 'x' }] })).toEqual(['Missing']);
    // Resources can be created in some order (no cycles), and each is created after what it refers to.
    const order = new TemplateEvaluator(t, ctx(withCode)).creationOrder();
    expect(order.indexOf('InferenceLogGroup')).toBeLessThan(order.indexOf('InferenceFunction'));
    expect(order.indexOf('InferenceFunction')).toBeLessThan(order.indexOf('StateMachine'));
  });

  it('creates a private, encrypted bucket only without ExistingBucketName, and only the bucket without code', () => {
    const phaseOne = new TemplateEvaluator(t, ctx({}));
    expect(phaseOne.conditions).toEqual({ CreateBucket: true, HasCode: false, HasCodeBucket: false });
    expect(Object.keys(t.Resources).filter((l) => phaseOne.isCreated(l))).toEqual(['Bucket']);
    expect(Object.keys(phaseOne.outputs()).sort()).toEqual(['Architecture', 'BucketName', 'LambdaMemoryMB', 'Region']);
    expect(phaseOne.outputs().BucketName).toBe(phaseOne.physicalIds.Bucket);
    const bucket = phaseOne.eval(t.Resources.Bucket.Properties as Json) as any;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(
      bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm,
    ).toBe('AES256');
    expect(t.Resources.Bucket.DeletionPolicy).toBe('Retain');

    const existing = new TemplateEvaluator(t, ctx({ ExistingBucketName: 'my-astro-bucket', ...withCode }));
    expect(existing.isCreated('Bucket')).toBe(false);
    expect(existing.isCreated('StateMachine')).toBe(true);
    expect(existing.outputs().BucketName).toBe('my-astro-bucket');
    const fn = existing.eval(t.Resources.InferenceFunction.Properties as Json) as any;
    expect(fn.Code).toEqual({ S3Bucket: 'my-astro-bucket', S3Key: withCode.CodeKey });
    // Roles point at the existing bucket.
    for (const s of statements(existing))
      for (const r of s.Resource)
        if (r.startsWith('arn:aws:s3')) expect(r).toMatch(/^arn:aws:s3:::my-astro-bucket(\/|$)/);

    const codeElsewhere = new TemplateEvaluator(t, ctx({ CodeBucket: 'code-bucket', ...withCode }));
    expect((codeElsewhere.eval(t.Resources.SummarizerFunction.Properties as Json) as any).Code.S3Bucket).toBe(
      'code-bucket',
    );
    expect(() => resolveParameters(t, { ExistingBucketName: 'Not_A_Bucket' })).toThrow(/ExistingBucketName/);
    expect(() => resolveParameters(t, { Architecture: 'ppc64' })).toThrow(/Architecture/);
  });

  it('builds the three Lambdas on Node.js 22 with the chosen architecture, memory, timeout and handlers, each with its log group', () => {
    const ev = new TemplateEvaluator(
      t,
      ctx({
        ...withCode,
        Architecture: 'arm64',
        InferenceMemoryMB: '4096',
        InferenceTimeoutSeconds: '600',
        LogRetentionDays: '30',
      }),
    );
    for (const key of FUNCTION_KEYS) {
      const L = key[0].toUpperCase() + key.slice(1);
      const fn = ev.eval(t.Resources[`${L}Function`].Properties as Json) as any;
      expect(fn).toMatchObject({
        FunctionName: `cai-test-${key}`,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: HANDLERS[key],
      });
      expect(fn.Role).toBe(`arn:aws:iam::210987654321:role/${ev.physicalIds[`${L}Role`]}`);
      expect(t.Resources[`${L}Function`].DependsOn).toContain(`${L}LogGroup`);
      expect(ev.eval(t.Resources[`${L}LogGroup`].Properties as Json)).toEqual({
        LogGroupName: `/aws/lambda/cai-test-${key}`,
        RetentionInDays: '30',
      });
    }
    const inf = ev.eval(t.Resources.InferenceFunction.Properties as Json) as any;
    expect([inf.MemorySize, inf.Timeout]).toEqual(['4096', '600']);
    const out = ev.outputs();
    expect(out).toMatchObject({
      InferenceFunctionName: 'cai-test-inference',
      LambdaMemoryMB: '4096',
      Architecture: 'arm64',
      Region: 'eu-west-1',
      StateMachineArn: 'arn:aws:states:eu-west-1:210987654321:stateMachine:cai-test-cai',
    });
  });

  it('gives the roles only allow-listed actions, none with wildcards, on resources scoped to the bucket prefixes, own log groups and the state machine', () => {
    const ev = new TemplateEvaluator(t, ctx(withCode));
    const bucketArn = `arn:aws:s3:::${ev.physicalIds.Bucket}`;
    const allow: Record<string, RegExp> = {
      'logs:CreateLogStream':
        /^arn:aws:logs:eu-west-1:210987654321:log-group:\/aws\/lambda\/cai-test-(initializer|inference|summarizer):\*$/,
      'logs:PutLogEvents':
        /^arn:aws:logs:eu-west-1:210987654321:log-group:\/aws\/lambda\/cai-test-(initializer|inference|summarizer):\*$/,
      's3:ListBucket': new RegExp(`^${bucketArn}$`),
      's3:GetObject': new RegExp(`^${bucketArn}/(scripts|data|results)/\\*$`),
      's3:PutObject': new RegExp(`^${bucketArn}/results/\\*$`),
      'lambda:InvokeFunction':
        /^arn:aws:lambda:eu-west-1:210987654321:function:cai-test-(initializer|inference|summarizer)$/,
      'states:StartExecution': /^arn:aws:states:eu-west-1:210987654321:stateMachine:cai-test-cai$/,
      'states:DescribeExecution': /^arn:aws:states:eu-west-1:210987654321:execution:cai-test-cai\/\*$/,
      'states:StopExecution': /^arn:aws:states:eu-west-1:210987654321:execution:cai-test-cai\/\*$/,
    };
    const all = statements(ev);
    expect(all.length).toBeGreaterThan(8);
    for (const s of all) {
      expect(s.Effect).toBe('Allow');
      for (const action of s.Action) {
        expect(action).not.toContain('*');
        expect(allow[action], `${s.role}: ${action} is not on the allow-list`).toBeDefined();
        for (const r of s.Resource) {
          expect(r).not.toBe('*');
          expect(r, `${s.role}: ${action} on ${r}`).toMatch(allow[action]);
        }
      }
      // Every ListBucket is limited to prefixes.
      if (s.Action.includes('s3:ListBucket')) {
        const prefixes = (s.Condition as any)?.StringLike?.['s3:prefix'] as string[];
        expect(prefixes.length).toBeGreaterThan(0);
        for (const p of prefixes) expect(p).toMatch(/^(scripts|data|results)\/\*?$/);
      }
    }
    // Each Lambda writes only its own log group; only inference reads the model and data, only it and the summarizer write results.
    const own = (role: string, action: string) =>
      all.filter((s) => s.role === role && s.Action.includes(action)).flatMap((s) => s.Resource);
    expect(own('InferenceRole', 'logs:PutLogEvents')).toEqual([
      'arn:aws:logs:eu-west-1:210987654321:log-group:/aws/lambda/cai-test-inference:*',
    ]);
    expect(own('InitializerRole', 's3:GetObject')).toEqual([]);
    expect(own('InitializerRole', 's3:PutObject')).toEqual([]);
    expect(own('InferenceRole', 's3:GetObject').sort()).toEqual([`${bucketArn}/data/*`, `${bucketArn}/scripts/*`]);
    expect(own('SummarizerRole', 's3:GetObject')).toEqual([`${bucketArn}/results/*`]);
    expect(own('StateMachineRole', 'lambda:InvokeFunction')).toHaveLength(3);
    // Roles trust only their service.
    const trust = (role: string) =>
      (t.Resources[role].Properties as any).AssumeRolePolicyDocument.Statement.map((s: any) => s.Principal.Service);
    expect(trust('InferenceRole')).toEqual(['lambda.amazonaws.com']);
    expect(trust('StateMachineRole')).toEqual(['states.amazonaws.com']);
  });

  it('holds our ASL, valid after substitution, with the Map limits from the parameters', () => {
    const ev = new TemplateEvaluator(t, ctx({ ...withCode, MaxConcurrency: '40', ToleratedFailurePercentage: '10' }));
    const sm = ev.eval(t.Resources.StateMachine.Properties as Json) as any;
    expect(sm.StateMachineName).toBe('cai-test-cai');
    const def = JSON.parse(sm.DefinitionString);
    const res = aslValidator(def, { checkPaths: true, checkArn: true });
    expect(res.errorsText('\n')).toBe('');
    expect(res.isValid).toBe(true);
    const map = def.States[MAP_STATE];
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 40,
      ToleratedFailurePercentage: 10,
    });
    expect(map.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
    expect(map.ItemProcessor.States['Model Inference'].Parameters.FunctionName).toBe(
      'arn:aws:lambda:eu-west-1:210987654321:function:cai-test-inference',
    );
    expect(def.States.Initialize.Parameters.FunctionName).toBe(
      'arn:aws:lambda:eu-west-1:210987654321:function:cai-test-initializer',
    );
    expect(def.States.Summarize.Parameters.FunctionName).toBe(
      'arn:aws:lambda:eu-west-1:210987654321:function:cai-test-summarizer',
    );
    expect(sm.DefinitionString).not.toContain('${');
  });

  it('reads its outputs into a valid new profile', () => {
    const ev = new TemplateEvaluator(t, ctx({ ...withCode, Architecture: 'arm64', InferenceMemoryMB: '2048' }));
    const profile = outputsToProfile(ev.outputs(), {
      name: 'my-stack',
      credentials: { source: 'profile', profile: 'default' },
    });
    expect(ProfileInputSchema.parse(profile)).toMatchObject({
      name: 'my-stack',
      region: 'eu-west-1',
      bucket: ev.physicalIds.Bucket,
      stateMachineArn: 'arn:aws:states:eu-west-1:210987654321:stateMachine:cai-test-cai',
      inferenceLambdaName: 'cai-test-inference',
      lambdaMemoryMb: 2048,
      architecture: 'arm64',
      scriptsPrefix: 'scripts/',
      resultsPrefix: 'results/',
      dataPrefix: 'data/',
    });
    // A stack still in its bucket-only phase has no state machine yet.
    const phaseOne = new TemplateEvaluator(t, ctx({}));
    expect(() => outputsToProfile(phaseOne.outputs(), { name: 'x', credentials: { source: 'env' } })).toThrow(
      /StateMachineArn, InferenceFunctionName/,
    );
  });
});
