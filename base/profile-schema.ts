import { z } from 'zod';
import { LambdaArchSchema } from './price-table.ts';

/** A saved AWS profile: where the CAI state machine lives and how to reach it. Secrets never appear in plain text. */

const url = z.string().url('must be a URL such as http://127.0.0.1:4569');

export const EndpointsSchema = z
  .object({
    s3: url.optional(),
    sfn: url.optional(),
    sts: url.optional(),
    logs: url.optional(),
    cloudformation: url.optional(),
    lambda: url.optional(),
  })
  .strict();
export type Endpoints = z.infer<typeof EndpointsSchema>;

/** Prefixes are stored as "name/" (no leading slash); "" means the bucket root. */
const prefix = z
  .string()
  .max(512)
  .transform((p) => p.trim().replace(/^\/+/, ''))
  .transform((p) => (p === '' || p.endsWith('/') ? p : `${p}/`));

/** How credentials are stored in profiles.json. */
export const StoredCredentialsSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('profile'), profile: z.string().min(1, 'name the ~/.aws profile') }),
  z.object({ source: z.literal('sso'), profile: z.string().min(1, 'name the SSO profile from ~/.aws/config') }),
  z.object({ source: z.literal('env') }),
  /** The local emulator's one public key pair (emulator/); only ever sent to loopback endpoints. */
  z.object({ source: z.literal('emulator') }),
  z.object({
    source: z.literal('static'),
    /** Last 4 characters of the access key id, for display. */
    accessKeyIdHint: z.string().max(8),
    /** base64 of the cipher's output (Electron safeStorage). */
    encrypted: z.string().min(1),
  }),
]);
export type StoredCredentials = z.infer<typeof StoredCredentialsSchema>;

/** What a caller may send: static keys come in plain once, and are encrypted before anything is written. */
export const CredentialsInputSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('profile'), profile: z.string().min(1, 'name the ~/.aws profile') }),
  z.object({ source: z.literal('sso'), profile: z.string().min(1, 'name the SSO profile from ~/.aws/config') }),
  z.object({ source: z.literal('env') }),
  z.object({ source: z.literal('emulator') }),
  z.object({
    source: z.literal('static'),
    accessKeyId: z.string().trim().min(1, 'paste the access key id'),
    secretAccessKey: z.string().min(1, 'paste the secret access key'),
    sessionToken: z.string().optional(),
  }),
]);
export type CredentialsInput = z.infer<typeof CredentialsInputSchema>;

export const RedactedCredentialsSchema = z.object({
  source: z.enum(['profile', 'sso', 'env', 'static', 'emulator']),
  profile: z.string().optional(),
  accessKeyIdHint: z.string().optional(),
});
export type RedactedCredentials = z.infer<typeof RedactedCredentialsSchema>;

/** The fields as given; defaults are applied only when a profile is created (a patch must not reset them). */
const baseFields = {
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/,
      'use 1–64 letters, digits, ".", "_", "-" or spaces, starting with a letter or digit',
    ),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1'),
  bucket: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'must be an S3 bucket name (3–63 lowercase letters, digits, "." or "-")',
    ),
  /** Where the partitions live; defaults to `bucket` (the study used a separate data bucket). */
  dataBucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
    .optional(),
  scriptsPrefix: prefix,
  resultsPrefix: prefix,
  dataPrefix: prefix,
  stateMachineArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:.+$/,
      'must be a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)',
    ),
  inferenceLambdaName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a Lambda function name (not its ARN)'),
  lambdaMemoryMb: z.number().int().min(128).max(10240),
  architecture: LambdaArchSchema,
  endpoints: EndpointsSchema,
  /** Accept http:// endpoints on non-loopback hosts (requests travel in clear); see cloud/endpoint-policy.ts. */
  allowInsecureEndpoints: z.boolean().optional(),
  /**
   * Which pipeline the state machine runs: "cai" = the study's own (Python executor running the study's code
   * folder, see docs/cloud-cai-pipeline.md), "cosmicai" = our deployed stack. Unset: detected from the state
   * machine's definition when needed (Test connection says which).
   */
  target: z.enum(['cai', 'cosmicai']),
  /**
   * The function whose memory a Lambda memory sweep sets (cloud/lambda-memory.ts). Unset: our stack's inference
   * function (`inferenceLambdaName`), or for the CAI pipeline the Map's Lambda in the state machine definition.
   */
  memoryFunctionName: z
    .string()
    .regex(/^[A-Za-z0-9_:-]{1,140}$/, 'must be a Lambda function name or ARN')
    .optional(),
};

const profileFields = {
  ...baseFields,
  scriptsPrefix: prefix.default('scripts/'),
  resultsPrefix: prefix.default('results/'),
  dataPrefix: prefix.default('data/'),
  lambdaMemoryMb: baseFields.lambdaMemoryMb.default(10240), // as the study configured its executor
  architecture: baseFields.architecture.default('x86_64'),
  endpoints: EndpointsSchema.default({}),
  target: baseFields.target.optional(),
};

export const StoredProfileSchema = z
  .object({ ...profileFields, credentials: StoredCredentialsSchema, createdAt: z.string(), updatedAt: z.string() })
  .strict();
export type StoredProfile = z.infer<typeof StoredProfileSchema>;

export const ProfileInputSchema = z.object({ ...profileFields, credentials: CredentialsInputSchema }).strict();
export type ProfileInput = z.input<typeof ProfileInputSchema>;

/** A patch: any field; credentials replaced only when given. */
export const ProfilePatchSchema = z
  .object({ ...baseFields, credentials: CredentialsInputSchema })
  .partial()
  .strict();
export type ProfilePatch = z.input<typeof ProfilePatchSchema>;

export const RedactedProfileSchema = z.object({
  ...profileFields,
  credentials: RedactedCredentialsSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type RedactedProfile = z.infer<typeof RedactedProfileSchema>;

export const ProfilesFileSchema = z.object({ version: z.literal(1), profiles: z.array(StoredProfileSchema) });
export type ProfilesFile = z.infer<typeof ProfilesFileSchema>;

export function redactProfile(p: StoredProfile): RedactedProfile {
  const c = p.credentials;
  const credentials: RedactedCredentials =
    c.source === 'static'
      ? { source: 'static', accessKeyIdHint: c.accessKeyIdHint }
      : c.source === 'env' || c.source === 'emulator'
        ? { source: c.source }
        : { source: c.source, profile: c.profile };
  const { credentials: _secret, ...rest } = p;
  return { ...rest, credentials };
}

/** "field.path: message" lines from a zod error. */
export function formatZodIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
