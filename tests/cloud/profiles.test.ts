import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialsFor } from '../../cloud/aws-clients.ts';
import { buildPayload, newResultPath, parsePayloadText, payloadToText } from '../../cloud/payload.ts';
import { ProfileError, ProfileStore } from '../../cloud/profiles.ts';
import type { ProfileInput } from '../../base/profile-schema.ts';
import { TestCipher } from '../support/cloud-helpers.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cloud-profiles-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = (over: Partial<ProfileInput> = {}): ProfileInput => ({
  name: 'lab',
  credentials: { source: 'profile', profile: 'astro' },
  region: 'us-east-1',
  bucket: 'cosmicai2',
  stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:cai',
  inferenceLambdaName: 'cosmic-executor',
  ...over,
});

describe('profile store', () => {
  it('round-trips several profiles through profiles.json with defaults applied', async () => {
    const store = new ProfileStore(dir);
    await store.add(base());
    await store.add(
      base({
        name: 'arm',
        credentials: { source: 'sso', profile: 'sso-astro' },
        architecture: 'arm64',
        lambdaMemoryMb: 10240,
        dataBucket: 'cosmicai-data',
        dataPrefix: '/partitions',
        endpoints: { s3: 'http://127.0.0.1:4569' },
      }),
    );
    const again = new ProfileStore(dir);
    const list = await again.list();
    expect(list.map((p) => p.name)).toEqual(['lab', 'arm']);
    expect(list[0]).toMatchObject({
      scriptsPrefix: 'scripts/',
      resultsPrefix: 'results/',
      dataPrefix: 'data/',
      lambdaMemoryMb: 10240,
      architecture: 'x86_64',
      endpoints: {},
      credentials: { source: 'profile', profile: 'astro' },
    });
    expect(list[1]).toMatchObject({
      dataPrefix: 'partitions/',
      dataBucket: 'cosmicai-data',
      architecture: 'arm64',
      lambdaMemoryMb: 10240,
      credentials: { source: 'sso', profile: 'sso-astro' },
    });
    expect((await stat(path.join(dir, 'profiles.json'))).mode & 0o777).toBe(0o600);

    await again.update('arm', { region: 'eu-west-1' });
    // A patch changes only what it names: prefixes, memory, architecture and endpoints keep their saved values.
    expect(await again.get('arm')).toMatchObject({
      region: 'eu-west-1',
      dataPrefix: 'partitions/',
      lambdaMemoryMb: 10240,
      architecture: 'arm64',
      endpoints: { s3: 'http://127.0.0.1:4569' },
    });
    await again.update('lab', { bucket: 'other-bucket', name: 'lab2' });
    expect((await again.get('lab2')).bucket).toBe('other-bucket');
    expect((await again.get('lab2')).credentials).toEqual({ source: 'profile', profile: 'astro' });
    await again.remove('arm');
    expect((await again.list()).map((p) => p.name)).toEqual(['lab2']);
    await expect(again.remove('arm')).rejects.toThrow(/No profile named 'arm'/);
    await expect(again.getStored('nope')).rejects.toThrow(/Saved profiles: lab2/);
    await expect(again.add(base({ name: 'lab2' }))).rejects.toThrow(/already exists/);
  });

  it('pasted keys are encrypted in the file, never returned, and decrypted only to sign', async () => {
    const cipher = new TestCipher();
    const store = new ProfileStore(dir, cipher);
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const redacted = await store.add(
      base({ credentials: { source: 'static', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: secret } }),
    );
    expect(redacted.credentials).toEqual({ source: 'static', accessKeyIdHint: 'MPLE' });
    const file = await readFile(path.join(dir, 'profiles.json'), 'utf8');
    expect(file).not.toContain(secret);
    expect(file).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(JSON.stringify(await store.list())).not.toMatch(/wJalr|AKIAIOSFODNN7EXAMPLE|encrypted/);

    const creds = await credentialsFor(await store.getStored('lab'), cipher)();
    expect(creds).toMatchObject({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: secret });
    // Another keychain (another machine) cannot read them, and says what to do.
    await expect(credentialsFor(await store.getStored('lab'), new TestCipher())()).rejects.toThrow(
      /could not be decrypted.*paste the keys again/,
    );
  });

  it('refuses pasted keys where there is no OS keychain (CLI, browser host)', async () => {
    const store = new ProfileStore(dir);
    await expect(
      store.add(
        base({
          credentials: { source: 'static', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'abcdefghijk' },
        }),
      ),
    ).rejects.toThrow(/safeStorage/);
    await expect(readFile(path.join(dir, 'profiles.json'), 'utf8')).rejects.toThrow();
  });

  it('names every invalid field', async () => {
    const store = new ProfileStore(dir);
    const err = await store
      .add(base({ region: 'Mars', bucket: 'Bad_Bucket', stateMachineArn: 'cai', lambdaMemoryMb: 64 }))
      .then(
        () => null,
        (e: unknown) => e as ProfileError,
      );
    expect(err).toBeInstanceOf(ProfileError);
    if (!err) return;
    expect(err.code).toBe('PROFILE_INVALID');
    for (const field of ['region', 'bucket', 'stateMachineArn', 'lambdaMemoryMb'])
      expect(err.message).toContain(`${field}:`);
  });

  it('a damaged profiles.json is reported with its path', async () => {
    await writeFile(path.join(dir, 'profiles.json'), '{"version":1,"profiles":[{"name":1}]}');
    await expect(new ProfileStore(dir).list()).rejects.toThrow(/profiles\.json is damaged: profiles\.0\./);
    await writeFile(path.join(dir, 'profiles.json'), '{oops');
    await expect(new ProfileStore(dir).list()).rejects.toThrow(/profiles\.json is not valid JSON/);
  });
});

describe('payload', () => {
  const profile = {
    bucket: 'cosmicai2',
    dataBucket: 'cosmicai-data',
    scriptsPrefix: 'scripts/',
    resultsPrefix: 'results/',
    dataPrefix: '',
  };

  it('builds the study input exactly, in its field order, with a fresh result_path', () => {
    const now = new Date(Date.UTC(2026, 10, 28, 9, 5, 7));
    const p = buildPayload(profile, { batchSize: 512, fileLimit: 10, partitionMb: 100, now });
    expect(Object.keys(p)).toEqual([
      'bucket',
      'file_limit',
      'batch_size',
      'object_type',
      'S3_object_name',
      'script',
      'result_path',
      'data_bucket',
      'data_prefix',
    ]);
    expect(p).toMatchObject({
      bucket: 'cosmicai2',
      file_limit: 10,
      batch_size: 512,
      object_type: 'folder',
      S3_object_name: 'scripts/cosmicai-bench',
      script: '/tmp/scripts/cosmicai-bench/model.onnx',
      data_bucket: 'cosmicai-data',
      data_prefix: '100MB/',
    });
    expect(p.result_path).toMatch(/^results\/20261128-090507-[0-9a-f]{6}$/);
    const q = buildPayload(profile, { batchSize: 512, fileLimit: 10, partitionMb: 100, now, worldSize: 4 });
    expect(q.result_path).not.toBe(p.result_path);
    expect(Object.keys(q).at(-1)).toBe('world_size');
    expect(newResultPath('results/', now)).not.toBe(newResultPath('results/', now));
  });

  it('validates edited JSON with the field path of each problem', () => {
    const good = payloadToText(buildPayload(profile, { batchSize: 32, fileLimit: 2 }));
    expect(parsePayloadText(good).ok).toBe(true);
    // The study's own demo input writes file_limit as a string; it is accepted and read as a number.
    const studyStyle = parsePayloadText(good.replace('"file_limit": 2', '"file_limit": "10"'));
    expect(studyStyle.ok && studyStyle.payload.file_limit).toBe(10);

    const bad = parsePayloadText(
      JSON.stringify({ ...JSON.parse(good), batch_size: 0, object_type: 'zip', result_path: '/abs', world_size: 'x' }),
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.issues.map((i) => i.path).sort()).toEqual(['batch_size', 'object_type', 'result_path', 'world_size']);
    const syntax = parsePayloadText('{"bucket": ');
    expect(syntax.ok).toBe(false);
    if (!syntax.ok) expect(syntax.issues[0].message).toMatch(/not valid JSON/);
    const missing = parsePayloadText('{}');
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.issues.map((i) => i.path)).toContain('S3_object_name');
  });
});
