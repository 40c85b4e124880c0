/**
 * A Lambda memory sweep from the CLI against the emulator (our stack: s3rver, Step Functions, Logs and the Lambda
 * control plane): three sizes leave the function as they found it and each measurement carries its REPORT lines'
 * memory; Ctrl-C in the middle restores; a journal left by a SIGKILLed CLI is restored on the next start; a refused
 * or conflicting update gives a clear error and restores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ProfileStore } from '../../../cloud/profiles.ts';
import { readFunctionMemory, setFunctionMemory } from '../../../cloud/lambda-memory.ts';
import { journalDir } from '../../../cloud/lambda-memory-journal.ts';
import type { StudyState } from '../../../study/study-store.ts';
import { FIXTURES_DIR } from '../../infra/stage-fixtures.ts';
import { startLocalAws, type LocalAws } from '../../infra/local-aws.ts';
import { CLI, cliAwsEnv, runCli } from '../../support/cli.ts';
import { localAwsEndpoints } from '../../support/local-aws-profile.ts';

const ORIGINAL = 3008;
let aws: LocalAws;
let lambda: LambdaClient;
let work: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;
const fn = () => aws.functions.inference;
const memoryNow = async () => (await readFunctionMemory(lambda, fn())).memoryMb;
const journals = async () => (existsSync(journalDir(dataDir)) ? readdir(journalDir(dataDir)) : []);

const sweep = (sizes: string) => [
  'study',
  'run',
  '--target',
  'cloud',
  '--sweeps',
  'batch-size',
  '--batch-sizes',
  '8',
  '--repeats',
  '1',
  '--data',
  path.join(FIXTURES_DIR, 'tiny-8.pt'),
  '--memory',
  sizes,
  '--format',
  'json',
];

async function studyOf(stderr: string): Promise<StudyState> {
  const id = /study (study-\S+) created/.exec(stderr)?.[1];
  if (!id) throw new Error(`no study id in: ${stderr}`);
  return JSON.parse(await readFile(path.join(dataDir, 'studies', id, 'study.json'), 'utf8')) as StudyState;
}

/** Starts the CLI and resolves once its stderr matches `until`. */
function startCli(args: string[], until: RegExp): { child: ChildProcess; seen: Promise<void>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
  let err = '';
  const seen = new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (until.test(err)) resolve();
    });
    child.once('exit', () => reject(new Error(`the CLI ended before ${until}: ${err}`)));
  });
  seen.catch(() => undefined);
  return { child, seen, stderr: () => err };
}
const exited = (c: ChildProcess) => new Promise<number | null>((r) => c.once('exit', (code) => r(code)));

beforeAll(async () => {
  aws = await startLocalAws({ memoryMb: ORIGINAL });
  aws.lambda.updateDelayMs = 200;
  lambda = new LambdaClient({ region: aws.region, endpoint: aws.lambdaEndpoint, credentials: aws.credentials });
  work = await mkdtemp(path.join(os.tmpdir(), 'cli-memory-'));
  dataDir = path.join(work, 'data');
  await new ProfileStore(dataDir).add({
    name: 'local',
    credentials: { source: 'env' },
    region: aws.region,
    bucket: aws.bucket,
    stateMachineArn: aws.stateMachineArn,
    inferenceLambdaName: aws.functions.inference,
    endpoints: localAwsEndpoints(aws),
  });
  env = cliAwsEnv(dataDir, aws.credentials);
}, 120_000);

afterAll(async () => {
  lambda?.destroy();
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

beforeEach(async () => {
  aws.faults.releaseAll();
  await aws.settled();
  if ((await memoryNow()) !== ORIGINAL) await setFunctionMemory(lambda, fn(), ORIGINAL, { pollMs: 50 });
});

describe('cosmicai study run --memory', () => {
  it('runs three sizes, records each REPORT memory with its job, and leaves the function as it found it', async () => {
    const r = await runCli(sweep('1024,2048,1536'), env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/This memory sweep runs 3 cloud job\(s\) at 3 memory size\(s\) \(1024, 2048, 1536 MB\)/);
    expect(r.stderr).toMatch(/setting cosmicai-inference to 1024 MB \(was 3008 MB\)/);
    expect(r.stderr).toMatch(/cosmicai-inference is back at its original 3008 MB/);
    const state = await studyOf(r.stderr);
    expect(state.jobs.map((j) => [j.id, j.status])).toEqual([
      ['cloud/batch-size/bs8/p25MB/1GB/m1024/r1', 'done'],
      ['cloud/batch-size/bs8/p25MB/1GB/m2048/r1', 'done'],
      ['cloud/batch-size/bs8/p25MB/1GB/m1536/r1', 'done'],
    ]);
    // The configured memory, from the REPORT lines of each job's own execution.
    expect(state.jobs.map((j) => [j.result?.lambdaMemoryMb, j.result?.lambdaMemorySource])).toEqual([
      [1024, 'report'],
      [2048, 'report'],
      [1536, 'report'],
    ]);
    expect(state.jobs.every((j) => !j.result?.lambdaMemoryNote)).toBe(true);
    const reported = aws.logs
      .messages(aws.inferenceLogGroup)
      .filter((m) => m.startsWith('REPORT'))
      .map((m) => Number(/Memory Size: (\d+) MB/.exec(m)?.[1]));
    expect(reported).toEqual([1024, 2048, 1536]);
    expect(await memoryNow()).toBe(ORIGINAL);
    expect(await journals()).toEqual([]);
  }, 600_000);

  it('Ctrl-C in the middle restores the memory before reporting cancelled', async () => {
    const release = aws.faults.holdInvocations();
    const run = startCli(sweep('1024,2048'), /execution arn:/);
    await run.seen;
    expect(await memoryNow()).toBe(1024);
    run.child.kill('SIGINT');
    const code = await exited(run.child);
    release();
    const err = run.stderr();
    expect(code, err).toBe(0);
    const restored = err.indexOf('is back at its original 3008 MB');
    expect(restored).toBeGreaterThan(-1);
    expect(err.indexOf('study cancelled')).toBeGreaterThan(restored);
    expect(await memoryNow()).toBe(ORIGINAL);
    expect(await journals()).toEqual([]);
  }, 300_000);

  it('a journal left by a killed CLI is restored on the next start, which says so', async () => {
    const release = aws.faults.holdInvocations();
    const run = startCli(sweep('1024,2048'), /cosmicai-inference now has 1024 MB/);
    await run.seen;
    run.child.kill('SIGKILL');
    await exited(run.child);
    release();
    expect(await memoryNow()).toBe(1024);
    expect(await journals()).toHaveLength(1);
    // Any next study start restores it first: here a local one, with no cloud jobs at all.
    const next = await runCli(
      [
        'study',
        'run',
        '--sweeps',
        'batch-size',
        '--batch-sizes',
        '8',
        '--repeats',
        '1',
        '--data',
        path.join(FIXTURES_DIR, 'tiny-8.pt'),
      ],
      env,
    );
    expect(next.status, next.stderr).toBe(0);
    expect(next.stderr).toMatch(
      /cosmicai-inference \(us-east-1\) was left at 1024 MB by a memory sweep that stopped \(process \d+\); restored to its original 3008 MB/,
    );
    expect(await memoryNow()).toBe(ORIGINAL);
    expect(await journals()).toEqual([]);
  }, 300_000);

  it('a refused update (AccessDenied) fails before any job runs, with the permission named', async () => {
    aws.faults.denyAction('lambda:UpdateFunctionConfiguration');
    try {
      const r = await runCli(sweep('1024,2048'), env);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /failed cloud\/batch-size\/bs8\/p25MB\/1GB\/m1024\/r1: could not set the Lambda memory to 1024 MB: .*not authorized to perform: lambda:UpdateFunctionConfiguration/,
      );
      expect(r.stderr).toMatch(/Allow lambda:UpdateFunctionConfiguration/);
      expect(r.stderr).not.toMatch(/execution arn:/);
      const state = await studyOf(r.stderr);
      expect(state.jobs.map((j) => j.status)).toEqual(['failed', 'pending']);
    } finally {
      aws.faults.allowAction('lambda:UpdateFunctionConfiguration');
    }
    expect(await memoryNow()).toBe(ORIGINAL);
    expect(await journals()).toEqual([]);
  }, 300_000);

  it('a conflicting update in the middle fails that size clearly and restores the original', async () => {
    const release = aws.faults.holdInvocations();
    const run = startCli(sweep('1024,2048'), /execution arn:/);
    await run.seen;
    aws.faults.conflictNextLambdaUpdates(1);
    release();
    const code = await exited(run.child);
    const err = run.stderr();
    expect(code, err).toBe(1);
    expect(err).toMatch(/could not set the Lambda memory to 2048 MB: .*another update of the function is in progress/);
    expect(err).toMatch(/is back at its original 3008 MB/);
    expect(await memoryNow()).toBe(ORIGINAL);
    expect(await journals()).toEqual([]);
  }, 300_000);
});
