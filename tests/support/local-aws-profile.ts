/** Profiles that reach every server of tests/infra/local-aws.ts with its one key pair. */
import type { SecretCipher } from '../../cloud/secret-cipher.ts';
import type { StoredProfile } from '../../base/profile-schema.ts';
import { localProfile } from './cloud-helpers.ts';
import type { LocalAws } from '../infra/local-aws.ts';

export const localAwsEndpoints = (aws: LocalAws): StoredProfile['endpoints'] => ({
  s3: aws.s3Endpoint,
  sfn: aws.sfnEndpoint,
  sts: aws.stsEndpoint,
  logs: aws.logsEndpoint,
  lambda: aws.lambdaEndpoint,
});

/** The stored profile (keys encrypted with `cipher`) for the local bucket, state machine and inference Lambda; `over` wins. */
export function localAwsStoredProfile(
  cipher: SecretCipher,
  aws: LocalAws,
  over: Partial<StoredProfile> & { keys?: { accessKeyId: string; secretAccessKey: string } } = {},
): StoredProfile {
  return localProfile(cipher, localAwsEndpoints(aws), {
    keys: aws.credentials,
    bucket: aws.bucket,
    stateMachineArn: aws.stateMachineArn,
    inferenceLambdaName: aws.functions.inference,
    ...over,
  });
}
