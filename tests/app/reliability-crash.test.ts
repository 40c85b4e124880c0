/**
 * kill -9 of the browser host (a separate process) in the middle of a local run and of a cloud run (local AWS
 * servers): after a restart History is intact and the run is listed as interrupted — a local run with the
 * partitions that finished before the kill, a cloud run with its ARN, which a new host re-attaches to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../app/node/history-store.ts';
import { generateSampleData } from '../../engine/data/sample-data.ts';
import { samplesPer100Mb } from '../../engine/data/partitioner.ts';
import { writeTinyModel } from '../support/cloud-tiny-model.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';
import { startLocalAws } from '../infra/local-aws.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
let work: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-crash-'));
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (work) await rm(work, { recursive: true, force: true });
});

function post(port: number, token: string, method: string, body: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/call/${method}`,
        headers: { 'content-type': 'application/json', 'x-cosmicai-token': token, host: `127.0.0.1:${port}` },
      },
      (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (d: string) => (text += d))
          .on('end', () => resolve(JSON.parse(text)));
      },
    );
    req.on('error', reject).end(JSON.stringify(body));
  });
}

async function startHost(
  dataDir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ port: number; token: string; proc: ChildProcess }> {
  const proc = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin/run-ts.mjs'),
      path.join(ROOT, 'tests/support/browser-host-child.ts'),
      dataDir,
      path.join(work, 'no-ui'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let out = '';
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const line = await new Promise<string>((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    proc.on('exit', (code) => reject(new Error(`host exited with ${code}: ${err}`)));
  });
  return { ...JSON.parse(line), proc };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crash safety', () => {
  it('kill -9 of the browser host during a local run: History intact, the run interrupted with its finished partitions', async () => {
    const dataDir = path.join(work, 'data');
    const parts = path.join(work, 'parts');
    // 12 partitions of 48 galaxies (the study's split: floor(galaxies per 100 MB × MB / 100)) through the reference model: long enough to be killed in the middle.
    await generateSampleData({ samples: 12 * 48, outDir: parts, partitionMb: (48.5 * 100) / samplesPer100Mb() });
    const host = await startHost(dataDir);
    child = host.proc;
    const started = await post(host.port, host.token, 'runs.startLocal', {
      data: [parts],
      batchSize: 16,
      threads: 1,
      name: 'killed local run',
    });
    expect(started.ok, JSON.stringify(started)).toBe(true);
    const runId: string = started.value.runId;
    const pdir = path.join(dataDir, 'runs', runId, 'partitions');
    let written: string[] = [];
    for (let i = 0; i < 2400 && written.length < 2; i++) {
      await sleep(50);
      written = (await readdir(pdir).catch(() => [] as string[])).filter((n) => /^partition-\d+\.json$/.test(n)); // not temp files
    }
    expect(written.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(await readFile(path.join(dataDir, 'runs', runId, 'run.json'), 'utf8')).status).toBe('running');
    const exited = new Promise((r) => host.proc.on('exit', r));
    host.proc.kill('SIGKILL');
    await exited;

    const history = new HistoryStore(dataDir);
    const items = await history.list();
    expect(items.every((i) => !i.damaged)).toBe(true);
    expect(items.find((i) => !i.damaged && i.id === runId)).toMatchObject({
      status: 'interrupted',
      name: 'killed local run',
    });
    const { entry, partitions } = await history.get(runId);
    expect(entry.status).toBe('interrupted');
    expect(partitions.length).toBeGreaterThanOrEqual(2);
    expect(partitions.length).toBeLessThan(12);
    for (const p of partitions) expect(p).toMatchObject({ status: 'completed', samples: 48, batch_size: 16 });
  }, 300_000);

  it('kill -9 of the browser host during a cloud run: the run is interrupted with its ARN, and re-attaching finishes it', async () => {
    const aws = await startLocalAws();
    const release = aws.faults.holdInvocations();
    try {
      const dataDir = path.join(work, 'cloud-data');
      const codeDir = path.join(work, 'cosmicai-bench');
      await mkdir(codeDir, { recursive: true });
      await writeTinyModel(path.join(codeDir, 'model.onnx'));
      const env = {
        AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      };
      const profile = {
        name: 'local',
        credentials: { source: 'env' },
        region: 'us-east-1',
        bucket: aws.bucket,
        stateMachineArn: aws.stateMachineArn,
        inferenceLambdaName: aws.functions.inference,
        endpoints: { s3: aws.s3Endpoint, sfn: aws.sfnEndpoint, sts: aws.stsEndpoint, logs: aws.logsEndpoint },
      };
      const host = await startHost(dataDir, env);
      child = host.proc;
      expect((await post(host.port, host.token, 'cloud.addProfile', profile)).ok).toBe(true);
      const started = await post(host.port, host.token, 'cloud.start', {
        profile: 'local',
        data: [path.join(FIXTURES_DIR, 'small-64.pt')],
        partitionMb: 0.5,
        codeDir,
        batchSize: 16,
        name: 'killed cloud run',
      });
      expect(started.ok, JSON.stringify(started)).toBe(true);
      const runId: string = started.value.runId;
      let arn: string | undefined;
      for (let i = 0; i < 1200 && !arn; i++) {
        await sleep(50);
        const run = JSON.parse(await readFile(path.join(dataDir, 'runs', runId, 'run.json'), 'utf8').catch(() => '{}'));
        arn = run.params?.executionArn;
      }
      expect(arn).toMatch(/^arn:aws:states:/);
      const exited = new Promise((r) => host.proc.on('exit', r));
      host.proc.kill('SIGKILL');
      await exited;

      const history = new HistoryStore(dataDir);
      expect((await history.list()).every((i) => !i.damaged)).toBe(true);
      const { entry } = await history.get(runId);
      expect(entry).toMatchObject({ status: 'interrupted', kind: 'cloud', name: 'killed cloud run' });
      expect(entry.params.executionArn).toBe(arn);

      // Restart: a new host on the same data folder re-attaches; the execution finishes and is recorded once.
      release();
      const again = await startHost(dataDir, env);
      child = again.proc;
      const attached = await post(again.port, again.token, 'cloud.attach', { profile: 'local', executionArn: arn });
      expect(attached.ok, JSON.stringify(attached)).toBe(true);
      let status = '';
      for (let i = 0; i < 2400 && status !== 'completed'; i++) {
        await sleep(50);
        const got = await post(again.port, again.token, 'history.get', { id: attached.value.runId }).catch(() => null);
        status = got?.ok ? got.value.entry.status : '';
      }
      expect(status).toBe('completed');
      const list = await post(again.port, again.token, 'history.list', {});
      expect(list.value.items.some((i: { id?: string }) => i.id === runId)).toBe(false); // the interrupted entry was replaced
      again.proc.kill('SIGKILL');
    } finally {
      release();
      await aws.settled();
      await aws.close();
    }
  }, 300_000);
});
