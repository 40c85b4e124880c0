/**
 * Turns AWS SDK errors into one-line messages a user can act on, with every credential scrubbed out.
 * The SDK's own messages are terse ("The security token included in the request is invalid.") and sometimes echo
 * key ids or signatures; nothing from here may carry a secret to the UI, a log or an export.
 */

export type AwsErrorKind =
  | 'access-denied'
  | 'no-such-bucket'
  | 'no-such-key'
  | 'expired-credentials'
  | 'missing-credentials'
  | 'invalid-credentials'
  | 'state-machine-missing'
  | 'execution-missing'
  | 'log-group-missing'
  | 'throttled'
  | 'unreachable'
  | 'aborted'
  | 'server-error'
  | 'unknown';

export interface DescribedAwsError {
  kind: AwsErrorKind;
  /** The AWS error name/code as reported, e.g. "AccessDenied". */
  code: string;
  /** What happened, in words, already scrubbed. */
  message: string;
  /** What to do about it. */
  hint: string;
}

/** What the operation was doing, so the message can name it ("S3 HeadBucket on bucket 'x'"). */
export interface AwsErrorContext {
  service?: 'S3' | 'STS' | 'SFN' | 'Logs';
  operation?: string;
  bucket?: string;
  key?: string;
  stateMachineArn?: string;
  executionArn?: string;
  logGroup?: string;
  endpoint?: string;
  profileName?: string;
  /** Leave the "Service Operation on …:" prefix out (the caller already labels the line). */
  bare?: boolean;
}

// AKIA/ASIA key ids, 40-char secrets after a key word, session tokens, Authorization headers and signatures.
const SCRUBBERS: Array<[RegExp, string]> = [
  [/\b(AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b/g, '$1…[redacted]'],
  [/(aws_secret_access_key|secretAccessKey|SecretAccessKey|secret_access_key)(["'\s:=]+)[^\s"',}]+/g, '$1$2[redacted]'],
  [
    /(aws_session_token|sessionToken|SessionToken|X-Amz-Security-Token|x-amz-security-token)(["'\s:=]+)[^\s"',&}]+/g,
    '$1$2[redacted]',
  ],
  [/(Credential=)[^,\s&]+/g, '$1[redacted]'],
  [/(Signature=|X-Amz-Signature=)[0-9a-f]+/gi, '$1[redacted]'],
  [/(Authorization(["'\s:=]+))[^\n"]+/gi, '$1[redacted]'],
];

/**
 * The credential values this process has signed with (key ids, secrets, session tokens), so they are scrubbed
 * wherever they turn up — also in free text the patterns above cannot recognise (an endpoint echoing a token in
 * its own words). In memory only, like the SDK's own copy; bounded.
 */
const knownSecrets = new Set<string>();
const MAX_KNOWN_SECRETS = 64;

export function rememberCredentials(c: {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}): void {
  for (const v of [c.accessKeyId, c.secretAccessKey, c.sessionToken]) {
    if (!v || v.length < 8 || knownSecrets.has(v)) continue;
    if (knownSecrets.size >= MAX_KNOWN_SECRETS) knownSecrets.delete(knownSecrets.values().next().value!);
    knownSecrets.add(v);
  }
}

/** Removes anything that looks like a credential, and every credential value in use, from a text. */
export function scrubSecrets(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of [...extraSecrets, ...knownSecrets])
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  for (const [re, rep] of SCRUBBERS) out = out.replace(re, rep);
  return out;
}

interface ErrorLike {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
  cause?: unknown;
}

function errorCode(err: ErrorLike): string {
  return String(err.name && err.name !== 'Error' ? err.name : (err.Code ?? err.code ?? err.name ?? 'Error'));
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
]);

function networkCode(err: ErrorLike): string | undefined {
  for (let e: ErrorLike | undefined = err, depth = 0; e && depth < 5; e = e.cause as ErrorLike | undefined, depth++) {
    const c = e.code ?? e.name;
    if (c && NETWORK_CODES.has(c)) return c;
  }
  return undefined;
}

function where(ctx: AwsErrorContext): string {
  const parts = [ctx.service, ctx.operation].filter(Boolean).join(' ');
  const on = ctx.bucket
    ? ` on bucket '${ctx.bucket}'${ctx.key ? ` (key '${ctx.key}')` : ''}`
    : ctx.stateMachineArn
      ? ` on ${ctx.stateMachineArn}`
      : ctx.executionArn
        ? ` on ${ctx.executionArn}`
        : ctx.logGroup
          ? ` on log group ${ctx.logGroup}`
          : '';
  return parts ? `${parts}${on}` : on.trim();
}

/** Classifies an SDK (or network) error and says what to do about it. */
export function describeAwsError(error: unknown, ctx: AwsErrorContext = {}): DescribedAwsError {
  const err = (error && typeof error === 'object' ? error : { message: String(error) }) as ErrorLike;
  const code = errorCode(err);
  const status = err.$metadata?.httpStatusCode;
  const raw = scrubSecrets(err.message ?? String(error));
  const at = where(ctx);
  const prefix = at && !ctx.bare ? `${at}: ` : '';
  const profile = ctx.profileName ? `profile '${ctx.profileName}'` : 'this profile';
  const make = (kind: AwsErrorKind, message: string, hint: string): DescribedAwsError => ({
    kind,
    code,
    message: scrubSecrets(prefix + message),
    hint: scrubSecrets(hint),
  });

  if (code === 'AbortError' || code === 'RequestAbortedError')
    return make('aborted', 'cancelled.', 'Nothing to do: what finished before the cancel is kept.');
  const credentialsUnloadable =
    code === 'CredentialsProviderError' ||
    /Could not load credentials|Unable to find environment variable credentials|Profile \S+ (could not be found|not found)|Could not resolve credentials/i.test(
      raw,
    );
  if (credentialsUnloadable) {
    if (/expired|SSO session/i.test(raw)) {
      return make(
        'expired-credentials',
        `the SSO login for ${profile} has expired (${raw}).`,
        'Run `aws sso login --profile <name>` and try again.',
      );
    }
    return make(
      'missing-credentials',
      `no AWS credentials could be loaded for ${profile} (${raw}).`,
      'Check the credentials source in the profile: for "profile", the name must exist in ~/.aws/credentials or ~/.aws/config; for "env", set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for "sso", run `aws sso login`.',
    );
  }
  if (
    code === 'ExpiredToken' ||
    code === 'ExpiredTokenException' ||
    code === 'RequestExpired' ||
    /security token .* expired|token has expired/i.test(raw)
  ) {
    return make(
      'expired-credentials',
      'the AWS credentials have expired.',
      'Refresh them (e.g. `aws sso login`, or new temporary keys) and test the connection again.',
    );
  }
  if (
    code === 'UnrecognizedClientException' ||
    code === 'InvalidClientTokenId' ||
    code === 'InvalidAccessKeyId' ||
    code === 'SignatureDoesNotMatch' ||
    code === 'IncompleteSignature' ||
    code === 'InvalidSignatureException'
  ) {
    return make(
      'invalid-credentials',
      `the AWS credentials were rejected (${code}).`,
      'The access key id or secret is wrong or deactivated: check the keys in the credentials source, and that the region matches the account.',
    );
  }
  if (code === 'AccessDenied' || code === 'AccessDeniedException' || code === 'AuthorizationError') {
    return make(
      'access-denied',
      `access denied (${raw}).`,
      'The IAM identity lacks a permission for this call. Grant it (see docs/cloud.md, "Permissions") or use a profile that has it.',
    );
  }
  if (status === 403 && !code.startsWith('Throttl')) {
    // HEAD requests get a bare 403: no code says whether the keys or the permissions are wrong.
    return make(
      'access-denied',
      'access denied (HTTP 403 without details).',
      'Either the credentials are wrong or the IAM identity lacks a permission for this call: run "Test connection" on the profile to tell which.',
    );
  }
  if (code === 'NoSuchBucket' || (code === 'NotFound' && ctx.service === 'S3' && !ctx.key)) {
    return make(
      'no-such-bucket',
      `bucket '${ctx.bucket ?? '?'}' does not exist${ctx.endpoint ? ` at ${ctx.endpoint}` : ''}.`,
      'Check the bucket name and region in the profile, or create the bucket.',
    );
  }
  if (code === 'NoSuchKey' || (code === 'NotFound' && ctx.service === 'S3')) {
    return make(
      'no-such-key',
      `object not found.`,
      'Check the prefix / result path: the object may not have been written yet.',
    );
  }
  if (code === 'StateMachineDoesNotExist' || (code === 'InvalidArn' && !!ctx.stateMachineArn)) {
    return make(
      'state-machine-missing',
      `state machine not found (${code}).`,
      'Check the state machine ARN and region in the profile; it must be the CAI state machine deployed in this account.',
    );
  }
  if (code === 'ExecutionDoesNotExist') {
    return make(
      'execution-missing',
      'execution not found.',
      'Check the execution ARN; executions are kept for 90 days.',
    );
  }
  if (code === 'ResourceNotFoundException' && ctx.service === 'Logs') {
    return make(
      'log-group-missing',
      `log group ${ctx.logGroup ?? ''} not found.`,
      'Check the inference Lambda name in the profile. A log group appears after the Lambda has run once.',
    );
  }
  if (/Throttl|TooManyRequests|SlowDown|RequestLimitExceeded|Rate exceeded/i.test(code + ' ' + raw) || status === 429) {
    return make(
      'throttled',
      `AWS is throttling requests (${code}); retries with backoff were exhausted.`,
      'Wait a minute and try again, or lower the concurrency; ask AWS for a higher quota if it persists.',
    );
  }
  const net = networkCode(err);
  if (net || /ECONNREFUSED|ENOTFOUND|getaddrinfo|socket hang up|connect ETIMEDOUT|EAI_AGAIN/i.test(raw)) {
    return make(
      'unreachable',
      `could not reach ${ctx.endpoint ?? 'the AWS endpoint'} (${net ?? raw}).`,
      'Check the network connection, any proxy, the region, and the endpoint override in the profile.',
    );
  }
  if ((status ?? 0) >= 500 || err.$fault === 'server') {
    return make(
      'server-error',
      `AWS returned a server error (${code}${status ? `, HTTP ${status}` : ''}) after retries.`,
      'This is usually temporary: try again in a moment.',
    );
  }
  return make(
    'unknown',
    `${code}: ${raw}`,
    'See the message above; if it persists, check the profile settings and the AWS console.',
  );
}

/** An Error whose message is the described, scrubbed one; keeps the classification for callers. */
export class CloudError extends Error {
  readonly kind: AwsErrorKind;
  readonly code: string;
  readonly hint: string;
  /** The message without the hint. */
  readonly detail: string;
  constructor(described: DescribedAwsError) {
    super(`${described.message} ${described.hint}`);
    this.name = 'CloudError';
    this.detail = described.message;
    this.kind = described.kind;
    this.code = described.code;
    this.hint = described.hint;
  }
}

/** Runs an AWS call and rethrows any failure as a CloudError with context. */
export async function awsCall<T>(ctx: AwsErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CloudError) throw err;
    throw new CloudError(describeAwsError(err, ctx));
  }
}
