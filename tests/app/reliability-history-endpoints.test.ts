/**
 * Issue #18 case 8: History is private (folders 0700, files 0600); plain http:// endpoints on other machines are
 * refused unless the profile allows them; an interrupted run's headline is recomputed from what it kept.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../app/node/history-store.ts';
import { makeClients } from '../../cloud/aws-clients.ts';
import { InsecureEndpointError, isLoopbackHost } from '../../cloud/endpoint-policy.ts';
import { ProfileStore } from '../../cloud/profiles.ts';
import { SYNTHETIC_MARKER } from '../../engine/data/synthetic-marker.ts';
import { startAppApi } from '../support/app-services.ts';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const tmp = async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'cai-small-'));
  dirs.push(d);
  return d;
};
const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe.runIf(process.platform !== 'win32')('History permissions', () => {
  it('run folders are 0700 and every file 0600, whatever the umask allows', async () => {
    const dir = await tmp();
    const store = new HistoryStore(dir);
    const e = await store.create({ kind: 'local', name: 'private', params: {} });
    await store.recordPartition(e.id, { partition: 1, samples: 8 });
    await store.finish(e.id, {
      status: 'completed',
      partitions: [{ partition: 1, samples: 8 }],
      writePredictions: (f) => writeFile(f, 'index,partition,z_true,z_pred\n0,1,0.1,0.2\n'),
    });
    const run = path.join(dir, 'runs', e.id);
    expect(await mode(path.join(dir, 'runs'))).toBe(0o700);
    expect(await mode(run)).toBe(0o700);
    expect(await mode(path.join(run, 'partitions'))).toBe(0o700);
    for (const f of ['run.json', 'predictions.csv', 'partitions/partition-001.json'])
      expect(await mode(path.join(run, f)), f).toBe(0o600);
  });
});

const profile = (endpoint: string, extra: Record<string, unknown> = {}) => ({
  name: 'emu',
  credentials: { source: 'env' as const },
  region: 'us-east-1',
  bucket: 'my-bucket',
  stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:cai',
  inferenceLambdaName: 'cosmic-executor',
  endpoints: { s3: endpoint, sfn: endpoint },
  ...extra,
});

describe('http:// endpoints', () => {
  it('loopback hosts are recognised', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', 'emu.localhost'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.0.0.5', 'example.com', '128.0.0.1', 'localhost.example.com', '[::2]'])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it('non-loopback http is refused when saving, unless the profile allows it; loopback http and https are fine', async () => {
    const store = new ProfileStore(await tmp());
    await expect(store.add(profile('http://10.0.0.5:4566'))).rejects.toMatchObject({
      code: 'PROFILE_INVALID',
      message: expect.stringMatching(/plain http:\/\/ .*s3=http:\/\/10\.0\.0\.5:4566.*allowInsecureEndpoints/),
    });
    await store.add(profile('http://127.0.0.1:4566'));
    await store.update('emu', { endpoints: { s3: 'https://minio.example.com' } });
    await expect(store.update('emu', { endpoints: { s3: 'http://minio.example.com' } })).rejects.toMatchObject({
      code: 'PROFILE_INVALID',
    });
    const ok = await store.update('emu', {
      endpoints: { s3: 'http://minio.example.com' },
      allowInsecureEndpoints: true,
    });
    expect(ok.allowInsecureEndpoints).toBe(true);
  });

  it('a hand-edited stored profile is refused before any request, with a typed error', async () => {
    const stored = {
      ...profile('http://192.168.1.20:9000'),
      scriptsPrefix: 'scripts/',
      resultsPrefix: 'results/',
      dataPrefix: 'data/',
      lambdaMemoryMb: 2048,
      architecture: 'x86_64' as const,
      createdAt: '',
      updatedAt: '',
    };
    expect(() => makeClients(stored)).toThrow(InsecureEndpointError);
    expect(() => makeClients(stored)).toThrow(/192\.168\.1\.20/);
    makeClients({ ...stored, allowInsecureEndpoints: true }).destroy();
  });

  it('through the app API the refusal is PROFILE_INVALID, not INTERNAL; the CLI has --allow-insecure-endpoints', async () => {
    const dir = await tmp();
    const api = startAppApi({ dataDir: dir, mode: 'browser' });
    try {
      await expect(api.call('cloud.addProfile', profile('http://10.1.2.3:4566'))).rejects.toMatchObject({
        code: 'PROFILE_INVALID',
      });
      const saved = await api.call(
        'cloud.addProfile',
        profile('http://10.1.2.3:4566', { allowInsecureEndpoints: true }),
      );
      expect(saved.profile.allowInsecureEndpoints).toBe(true);
    } finally {
      await api.services.shutdown();
    }
  });
});

describe('interrupted runs', () => {
  it('the headline is recomputed from the partitions kept (samples, throughput, synthetic data)', async () => {
    const dir = await tmp();
    const data = path.join(dir, 'my-data');
    await mkdir(data);
    await writeFile(path.join(data, SYNTHETIC_MARKER), 'synthetic');
    const store = new HistoryStore(dir);
    // At the start the data were given as a folder, so the headline guessed real data.
    const e = await store.create({
      kind: 'local',
      name: 'killed',
      params: {},
      headline: { batchSize: 8, syntheticData: false, data: 'my-data' },
    });
    await store.recordPartition(e.id, {
      partition: 1,
      samples: 100,
      sample_persec: 50,
      data_path: path.join(data, '1.pt'),
    });
    await store.recordPartition(e.id, {
      partition: 2,
      samples: 300,
      sample_persec: 100,
      data_path: path.join(data, '2.pt'),
    });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await writeFile(path.join(dir, 'runs', e.id, 'owner.json'), JSON.stringify({ pid: dead }));
    const { entry } = await new HistoryStore(dir).get(e.id);
    expect(entry.status).toBe('interrupted');
    // 400 samples in 100/50 + 300/100 = 5 s.
    expect(entry.headline).toEqual({
      batchSize: 8,
      data: 'my-data',
      syntheticData: true,
      samples: 400,
      partitions: 2,
      samplesPerSec: 80,
    });
    const [item] = await new HistoryStore(dir).list();
    expect(item).toMatchObject({ status: 'interrupted', headline: { samples: 400, syntheticData: true } });
  });
});
