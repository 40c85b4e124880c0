/** What the stack tests deploy against: s3rver, an S3 client on it, and the local CloudFormation endpoint using both. */
import { S3Client } from '@aws-sdk/client-s3';
import type { CredentialsInput } from '../../base/profile-schema.ts';
import { startCfnLocal, type CfnLocal } from '../infra/cfn-local.ts';
import { S3RVER_CREDENTIALS, s3rverClientConfig, startS3rver, type S3rverHandle } from '../infra/s3rver.ts';

export interface LocalCloudFormation {
  s3rver: S3rverHandle;
  s3: S3Client;
  cfn: CfnLocal;
  close(): Promise<void>;
}

export async function startLocalCloudFormation(opts: { buckets?: string[] } = {}): Promise<LocalCloudFormation> {
  const s3rver = await startS3rver(opts);
  const s3 = new S3Client(s3rverClientConfig(s3rver.endpoint));
  const cfn = await startCfnLocal({ s3, accessKeyId: S3RVER_CREDENTIALS.accessKeyId });
  return {
    s3rver,
    s3,
    cfn,
    close: async () => {
      s3.destroy();
      await cfn.close();
      await s3rver.close();
    },
  };
}

/** A profile that only deploys: its CAI fields are placeholders until the stack's outputs replace them. */
export function deployerProfileInput(name: string, credentials: CredentialsInput, local: LocalCloudFormation) {
  return {
    name,
    credentials,
    region: 'us-east-1',
    bucket: 'unused-bucket',
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:none',
    inferenceLambdaName: 'none',
    endpoints: { s3: local.s3rver.endpoint, cloudformation: local.cfn.endpoint },
  };
}
