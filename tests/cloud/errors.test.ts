/**
 * AWS faults → clear, actionable, scrubbed messages, against the local servers (their credential faults and
 * throttling are injected; NoSuchBucket, unknown keys, missing state machines and closed ports are real).
 */
import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { awsCall, CloudError, describeAwsError, scrubSecrets } from '../../cloud/aws-errors.ts';
import { testConnection } from '../../cloud/connection-test.ts';
import { startExecution } from '../../cloud/execution.ts';
import type { StoredProfile } from '../../base/profile-schema.ts';
import { localProfile, TestCipher } from '../support/cloud-helpers.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { localAwsEndpoints, localAwsStoredProfile } from '../support/local-aws-profile.ts';

let aws: LocalAws;
let work: string;
const cipher = new TestCipher();
const open: AwsClients[] = [];

function clientsFor(
  over: Partial<StoredProfile> & { keys?: { accessKeyId: string; secretAccessKey: string } } = {},
  maxAttempts = 3,
): AwsClients {
  const p = localAwsStoredProfile(cipher, aws, over);
  const c = makeClients(p, { cipher, maxAttempts });
  open.push(c);
  return c;
}

beforeAll(async () => {
  aws = await startLocalAws();
  work = await mkdtemp(path.join(os.tmpdir(), 'cloud-errors-'));
});
afterEach(() => {
  aws.faults.setCredentialFault(null);
});
afterAll(async () => {
  for (const c of open) c.destroy();
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const byName = (checks: Awaited<ReturnType<typeof testConnection>>) =>
  Object.fromEntries(checks.map((c) => [c.name, c]));

describe('connection test messages', () => {
  it('expired credentials: each AWS service says so and how to refresh', async () => {
    aws.faults.setCredentialFault('expired');
    const c = byName(await testConnection(clientsFor()));
    for (const name of ['identity', 'state-machine', 'log-group'] as const) {
      expect(c[name]).toMatchObject({ ok: false, errorKind: 'expired-credentials' });
      expect(c[name].detail).toMatch(/expired/);
      expect(c[name].hint).toMatch(/Refresh|sso login/);
    }
  });

  it('AccessDenied: names the missing permission and what to do', async () => {
    aws.faults.setCredentialFault('access-denied');
    const c = byName(await testConnection(clientsFor()));
    expect(c['state-machine']).toMatchObject({ ok: false, errorKind: 'access-denied' });
    expect(c['state-machine'].detail).toMatch(/states:DescribeStateMachine/);
    expect(c['state-machine'].hint).toMatch(/IAM/);
    expect(c.identity).toMatchObject({ ok: false, errorKind: 'access-denied' });
  });

  it('NoSuchBucket and a missing state machine', async () => {
    const c = byName(
      await testConnection(
        clientsFor({
          bucket: 'no-such-bucket-x',
          stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:missing',
        }),
      ),
    );
    expect(c.bucket).toMatchObject({ ok: false, errorKind: 'no-such-bucket' });
    expect(c.bucket.detail).toMatch(/bucket 'no-such-bucket-x' does not exist/);
    expect(c['state-machine']).toMatchObject({ ok: false, errorKind: 'state-machine-missing' });
    expect(c['state-machine'].hint).toMatch(/state machine ARN/);
    expect(c.identity.ok).toBe(true);
  });

  it('wrong keys are rejected as invalid credentials, and the secret never appears in a message', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const checks = await testConnection(
      clientsFor({ keys: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: secret } }),
    );
    const c = byName(checks);
    expect(c.identity.errorKind).toBe('invalid-credentials');
    expect(c['state-machine'].errorKind).toBe('invalid-credentials');
    expect(c.bucket.errorKind).toBe('invalid-credentials'); // s3rver: InvalidAccessKeyId
    const text = JSON.stringify(checks);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('missing credentials: a named ~/.aws profile that does not exist', async () => {
    const creds = path.join(work, 'credentials');
    await writeFile(creds, '[someone-else]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n');
    const saved = { file: process.env.AWS_SHARED_CREDENTIALS_FILE, config: process.env.AWS_CONFIG_FILE };
    process.env.AWS_SHARED_CREDENTIALS_FILE = creds;
    process.env.AWS_CONFIG_FILE = path.join(work, 'no-config');
    try {
      const c = byName(
        await testConnection(clientsFor({ name: 'lab', credentials: { source: 'profile', profile: 'astro-lab' } })),
      );
      for (const check of Object.values(c)) {
        expect(check).toMatchObject({ ok: false, errorKind: 'missing-credentials' });
        expect(check.detail).toMatch(/no AWS credentials could be loaded for profile 'lab'/);
        expect(check.hint).toMatch(/~\/\.aws\/credentials/);
      }
      // The same file with the right profile name works.
      const ok = byName(
        await testConnection(clientsFor({ credentials: { source: 'profile', profile: 'someone-else' } })),
      );
      expect(ok.identity.ok).toBe(true);
      expect(ok.bucket.ok).toBe(true);
    } finally {
      if (saved.file === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
      else process.env.AWS_SHARED_CREDENTIALS_FILE = saved.file;
      if (saved.config === undefined) delete process.env.AWS_CONFIG_FILE;
      else process.env.AWS_CONFIG_FILE = saved.config;
    }
  });

  it('pasted keys without a cipher (CLI, browser host) are refused with the reason, not sent', async () => {
    const p = localProfile(cipher, localAwsEndpoints(aws), { keys: aws.credentials });
    const c = makeClients(p); // no cipher given
    open.push(c);
    const checks = byName(await testConnection(c));
    expect(checks.identity).toMatchObject({ ok: false, errorKind: 'missing-credentials' });
    expect(checks.identity.detail).toMatch(/safeStorage/);
  });

  it('an unreachable endpoint fails fast with the endpoint named', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const dead = `http://127.0.0.1:${port}`;
    const c = byName(
      await testConnection(clientsFor({ endpoints: { s3: dead, sfn: dead, sts: dead, logs: dead } }, 2)),
    );
    expect(c['state-machine']).toMatchObject({ ok: false, errorKind: 'unreachable' });
    expect(c['state-machine'].detail).toContain(dead);
  });
});

describe('throttling is retried with backoff', () => {
  it('SFN ThrottlingException on the first tries: the call still succeeds', async () => {
    const before = aws.faults.throttled('sfn');
    aws.faults.throttleNext(2, 'sfn');
    const c = clientsFor({}, 4);
    const sm = await c.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: aws.stateMachineArn }));
    expect(sm.stateMachineArn).toBe(aws.stateMachineArn);
    expect(aws.faults.throttled('sfn') - before).toBe(2);
  });

  it('throttling that outlasts maxAttempts ends in a clear "throttled" error after exactly maxAttempts tries', async () => {
    const before = aws.faults.throttled('sfn');
    aws.faults.throttleNext(10, 'sfn');
    const c = clientsFor({}, 3);
    const err = await startExecution(c.sfn, aws.stateMachineArn, {
      bucket: aws.bucket,
      file_limit: 1,
      batch_size: 1,
      object_type: 'folder',
      S3_object_name: 'scripts/x',
      script: '/tmp/scripts/x/model.onnx',
      result_path: 'results/never',
      data_bucket: aws.bucket,
      data_prefix: 'data/',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect((err as CloudError).kind).toBe('throttled');
    expect((err as CloudError).message).toMatch(/throttling/);
    expect(aws.faults.throttled('sfn') - before).toBe(3);
    aws.faults.throttleNext(-7, 'sfn'); // drop the unused ones
  });
});

describe('message scrubbing', () => {
  it('removes key ids, secrets, session tokens and signatures', () => {
    const text =
      'failed: Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/s3/aws4_request, Signature=0123abcdef aws_secret_access_key = wJalrXUtnFEMI/K7MDENG ' +
      'X-Amz-Security-Token=IQoJb3JpZ2luX2VjEOr sessionToken: "FwoGZXIvYXdzEBcaD"';
    const s = scrubSecrets(text);
    expect(s).not.toMatch(/AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI|IQoJb3JpZ2lu|FwoGZXIvYXdzEBcaD|0123abcdef/);
    expect(s).toContain('[redacted]');
    expect(scrubSecrets('key ASIAEXAMPLE1234567890 used')).not.toContain('EXAMPLE1234567890');
  });

  it('describeAwsError scrubs the SDK message and keeps the classification', () => {
    const err = Object.assign(
      new Error('The AWS Access Key Id AKIAIOSFODNN7EXAMPLE you provided does not exist in our records.'),
      { name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } },
    );
    const d = describeAwsError(err, { service: 'S3', operation: 'PutObject', bucket: 'b' });
    expect(d.kind).toBe('invalid-credentials');
    expect(d.message + d.hint).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('awsCall wraps S3 AccessDenied with the bucket and a permissions hint', async () => {
    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    const err = await awsCall(
      { service: 'S3', operation: 'PutObject', bucket: 'astro', key: 'scripts/x' },
      async () => {
        throw denied;
      },
    ).catch((e: unknown) => e as CloudError);
    expect(err.kind).toBe('access-denied');
    expect(err.message).toMatch(/S3 PutObject on bucket 'astro' \(key 'scripts\/x'\): access denied/);
    expect(err.hint).toMatch(/permission/);
  });
});
