import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { fromEnv, fromIni, fromSSO } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { rememberCredentials } from './aws-errors.ts';
import type { StoredProfile } from '../base/profile-schema.ts';
import { checkEndpoints } from './endpoint-policy.ts';
import { decryptKeys, type SecretCipher } from './secret-cipher.ts';

/**
 * The one place AWS clients are made. Every client gets:
 *  - credentials from the profile's source (never from whatever happens to be in the environment, unless the
 *    source is "env");
 *  - an explicit retry policy: adaptive mode (exponential backoff with jitter, plus client-side rate limiting
 *    after throttling) for 5xx, throttling and transient network errors, `maxAttempts` tries in all;
 *  - connect/request timeouts, so an unreachable endpoint fails with a message instead of hanging;
 *  - the profile's endpoint override, if any (S3-compatible stores, the local test servers).
 */
export interface AwsClients {
  s3: S3Client;
  sfn: SFNClient;
  sts: STSClient;
  logs: CloudWatchLogsClient;
  /** For deploying our own stack (cloud/stack). */
  cfn: CloudFormationClient;
  /** The inference function's configuration (the memory sweep, cloud/lambda-memory.ts). */
  lambda: LambdaClient;
  profile: StoredProfile;
  destroy(): void;
}

export interface ClientOptions {
  /** Decrypts pasted keys; Electron passes safeStorage. Without it a "static" profile cannot be used. */
  cipher?: SecretCipher;
  /** Total tries per request, first included. Default 5. */
  maxAttempts?: number;
  retryMode?: 'adaptive' | 'standard';
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

// The SDK versions are pinned in package.json; its notice about versions published in 2027 needing Node 22 only
// alarms users of the CLI.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The profile's credential provider; every identity it yields is remembered so error texts can be scrubbed of it. */
export function credentialsFor(profile: StoredProfile, cipher?: SecretCipher): AwsCredentialIdentityProvider {
  const provider = sourceProvider(profile, cipher);
  return async (options) => {
    const identity = await provider(options);
    rememberCredentials(identity);
    return identity;
  };
}

/** s3rver's built-in key pair, which every server of the local emulator (emulator/) accepts. */
export const EMULATOR_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

function isLoopback(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}

function sourceProvider(profile: StoredProfile, cipher?: SecretCipher): AwsCredentialIdentityProvider {
  const c = profile.credentials;
  switch (c.source) {
    case 'profile':
      return fromIni({ profile: c.profile });
    case 'sso':
      return fromSSO({ profile: c.profile });
    case 'env':
      return fromEnv();
    case 'emulator': {
      // The emulator's key pair is public (s3rver's built-in one): never let it reach a non-loopback endpoint.
      const remote = (['s3', 'sfn', 'sts', 'logs'] as const).filter((s) => !isLoopback(profile.endpoints[s]));
      if (remote.length) {
        const err = new Error(
          `Profile '${profile.name}' uses the local emulator's keys, but its ${remote.join(', ')} endpoint(s) are not on this machine (127.0.0.1/localhost). Import the profile the emulator printed, or choose other credentials.`,
        );
        return async () => {
          throw Object.assign(err, { name: 'CredentialsProviderError' });
        };
      }
      return async () => ({ ...EMULATOR_KEYS });
    }
    case 'static': {
      // Decrypted on use only, never cached on the profile object.
      return async (): Promise<AwsCredentialIdentity> => {
        try {
          return decryptKeys(c.encrypted, cipher);
        } catch (err) {
          throw Object.assign(new Error((err as Error).message), { name: 'CredentialsProviderError' });
        }
      };
    }
  }
}

export function makeClients(profile: StoredProfile, options: ClientOptions = {}): AwsClients {
  checkEndpoints(profile); // a profile saved before the check, or edited by hand
  const common = {
    region: profile.region,
    credentials: credentialsFor(profile, options.cipher),
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: options.retryMode ?? 'adaptive',
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5_000,
      requestTimeout: options.requestTimeoutMs ?? 120_000,
    },
  };
  const ep = profile.endpoints ?? {};
  const s3 = new S3Client({
    ...common,
    ...(ep.s3 ? { endpoint: ep.s3, forcePathStyle: true } : {}),
    // S3-compatible stores (and s3rver) do not speak the newer default CRC checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const sfn = new SFNClient({ ...common, ...(ep.sfn ? { endpoint: ep.sfn } : {}) });
  const sts = new STSClient({ ...common, ...(ep.sts ? { endpoint: ep.sts } : {}) });
  const logs = new CloudWatchLogsClient({ ...common, ...(ep.logs ? { endpoint: ep.logs } : {}) });
  const cfn = new CloudFormationClient({ ...common, ...(ep.cloudformation ? { endpoint: ep.cloudformation } : {}) });
  const lambda = new LambdaClient({
    ...common,
    ...(ep.lambda ? { endpoint: ep.lambda } : {}),
    // The emulator's public keys go to loopback only: a profile imported before the emulator served Lambda has
    // no Lambda endpoint, and its calls must not reach AWS.
    ...(profile.credentials.source === 'emulator' && !isLoopback(ep.lambda)
      ? {
          credentials: async () => {
            throw Object.assign(
              new Error(
                `Profile '${profile.name}' uses the local emulator's keys but has no local Lambda endpoint (endpoints.lambda). Import the profile the emulator prints again.`,
              ),
              { name: 'CredentialsProviderError' },
            );
          },
        }
      : {}),
  });
  return {
    s3,
    sfn,
    sts,
    logs,
    cfn,
    lambda,
    profile,
    destroy() {
      s3.destroy();
      sfn.destroy();
      sts.destroy();
      logs.destroy();
      cfn.destroy();
      lambda.destroy();
    },
  };
}

/** The endpoint a service call goes to, for error messages. */
export function endpointLabel(
  profile: StoredProfile,
  service: 's3' | 'sfn' | 'sts' | 'logs' | 'cloudformation' | 'lambda',
): string {
  const override = profile.endpoints?.[service];
  if (override) return override;
  const host = {
    s3: 's3',
    sfn: 'states',
    sts: 'sts',
    logs: 'logs',
    cloudformation: 'cloudformation',
    lambda: 'lambda',
  }[service];
  return `https://${host}.${profile.region}.amazonaws.com`;
}
