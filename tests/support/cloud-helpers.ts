/** Shared bits for the cloud tests: a real (in-memory keyed) cipher and profiles pointed at local servers. */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { StoredProfile } from '../../base/profile-schema.ts';
import type { SecretCipher } from '../../cloud/secret-cipher.ts';
import { encryptKeys } from '../../cloud/secret-cipher.ts';

/** AES-256-GCM with a per-process random key: what safeStorage does, minus the OS keychain. */
export class TestCipher implements SecretCipher {
  private readonly key = randomBytes(32);
  isEncryptionAvailable(): boolean {
    return true;
  }
  encryptString(plain: string): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  }
  decryptString(buf: Buffer): string {
    const d = createDecipheriv('aes-256-gcm', this.key, buf.subarray(0, 12));
    d.setAuthTag(buf.subarray(12, 28));
    return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8');
  }
}

export const TEST_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:cai-test';

/** A stored profile with static keys (encrypted with `cipher`) and every endpoint overridden. */
export function localProfile(
  cipher: SecretCipher,
  endpoints: StoredProfile['endpoints'],
  over: Partial<StoredProfile> & { keys?: { accessKeyId: string; secretAccessKey: string } } = {},
): StoredProfile {
  const keys = over.keys ?? { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const { keys: _k, ...rest } = over;
  return {
    name: 'local',
    credentials: {
      source: 'static',
      accessKeyIdHint: keys.accessKeyId.slice(-4),
      encrypted: encryptKeys(keys, cipher),
    },
    region: 'us-east-1',
    bucket: 'cosmicai-test',
    scriptsPrefix: 'scripts/',
    resultsPrefix: 'results/',
    dataPrefix: 'data/',
    stateMachineArn: TEST_STATE_MACHINE_ARN,
    inferenceLambdaName: 'cosmic-executor',
    lambdaMemoryMb: 2048,
    architecture: 'x86_64',
    endpoints,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    ...rest,
  };
}

/** The bytes of an S3 object, read back whole (to compare with what was staged). */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}
