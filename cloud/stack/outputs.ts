/** The stack's outputs, read into a profile (cloud/profile-schema.ts) that drives our own state machine. */
import type { Output } from '@aws-sdk/client-cloudformation';
import { formatZodIssues, ProfileInputSchema, type ProfileInput } from '../../base/profile-schema.ts';
import { DATA_PREFIX, RESULTS_PREFIX, SCRIPTS_PREFIX } from './template.ts';

export const OUTPUT_KEYS = [
  'BucketName',
  'StateMachineArn',
  'InferenceFunctionName',
  'Region',
  'LambdaMemoryMB',
  'Architecture',
] as const;
export type StackOutputs = Partial<Record<(typeof OUTPUT_KEYS)[number], string>>;

/** DescribeStacks' Outputs list as a map. */
export function outputsMap(outputs: Output[] | undefined): StackOutputs {
  const out: Record<string, string> = {};
  for (const o of outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) out[o.OutputKey] = o.OutputValue;
  return out as StackOutputs;
}

/** What the new profile takes from elsewhere: its name and credentials, and optionally endpoints. */
export type ProfileBase = Pick<ProfileInput, 'name' | 'credentials'> & Partial<Pick<ProfileInput, 'endpoints'>>;

/**
 * A new profile for the deployed stack. Throws naming the missing or invalid outputs (e.g. a stack still in its
 * bucket-only first phase has no StateMachineArn).
 */
export function outputsToProfile(outputs: StackOutputs | Output[], base: ProfileBase): ProfileInput {
  const o = Array.isArray(outputs) ? outputsMap(outputs) : outputs;
  const missing = OUTPUT_KEYS.filter((k) => !o[k]);
  if (missing.length)
    throw new Error(
      `the stack's outputs lack ${missing.join(', ')}: is the deploy finished (CREATE_COMPLETE/UPDATE_COMPLETE with the Lambda code)?`,
    );
  const input: ProfileInput = {
    name: base.name,
    credentials: base.credentials,
    region: o.Region!,
    bucket: o.BucketName!,
    scriptsPrefix: SCRIPTS_PREFIX,
    resultsPrefix: RESULTS_PREFIX,
    dataPrefix: DATA_PREFIX,
    stateMachineArn: o.StateMachineArn!,
    inferenceLambdaName: o.InferenceFunctionName!,
    lambdaMemoryMb: Number(o.LambdaMemoryMB),
    architecture: o.Architecture as 'x86_64' | 'arm64',
    ...(base.endpoints ? { endpoints: base.endpoints } : {}),
  };
  const parsed = ProfileInputSchema.safeParse(input);
  if (!parsed.success)
    throw new Error(`the stack's outputs do not make a valid profile: ${formatZodIssues(parsed.error)}`);
  return input;
}
