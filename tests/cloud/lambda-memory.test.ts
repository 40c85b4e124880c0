/**
 * The Lambda control plane of the emulator (GetFunctionConfiguration / UpdateFunctionConfiguration through the real
 * @aws-sdk/client-lambda) and cloud/lambda-memory*.ts against it: InProgress → Successful, conflicts, validation,
 * the REPORT lines' Memory Size following the configuration, typed errors, and the restore journal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { testConnection } from '../../cloud/connection-test.ts';
import { startEmulator } from '../../emulator/index.ts';
import {
  LambdaMemoryError,
  mapFunctionName,
  memoryFunctionFor,
  readFunctionMemory,
  setFunctionMemory,
} from '../../cloud/lambda-memory.ts';
import {
  journalDir,
  journalFile,
  LambdaMemorySession,
  restoreLeftoverMemory,
} from '../../cloud/lambda-memory-journal.ts';
import { caiStateMachineDefinition } from '../../emulator/cai-state-machine.ts';
import { lambdaArn } from '../../emulator/local-lambda.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { localAwsStoredProfile } from '../support/local-aws-profile.ts';

let aws: LocalAws;
let lambda: LambdaClient;
let clients: AwsClients;
let work: string;
const cipher = new TestCipher();
const fn = () => aws.functions.inference;

beforeAll(async () => {
  aws = await startLocalAws({ memoryMb: 3008 });
  aws.lambda.updateDelayMs = 150;
  lambda = new LambdaClient({
    region: aws.region,
    endpoint: aws.lambdaEndpoint,
    credentials: aws.credentials,
    maxAttempts: 1,
  });
  clients = makeClients(localAwsStoredProfile(cipher, aws), { maxAttempts: 1, cipher });
  work = await mkdtemp(path.join(os.tmpdir(), 'lambda-memory-'));
}, 60_000);

afterAll(async () => {
  lambda?.destroy();
  clients?.destroy();
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const settle = () => new Promise((r) => setTimeout(r, 400));

describe('the emulated Lambda control plane', () => {
  it('answers GetFunctionConfiguration and goes InProgress → Successful on an update', async () => {
    const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn() }));
    expect(c).toMatchObject({ FunctionName: fn(), FunctionArn: lambdaArn(fn()), MemorySize: 3008 });
    expect(c.LastUpdateStatus).toBe('Successful');
    const u = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn(), MemorySize: 1024 }));
    expect(u.LastUpdateStatus).toBe('InProgress');
    // A second update while the first is in progress is refused, as on AWS.
    await expect(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn(), MemorySize: 2048 })),
    ).rejects.toMatchObject({ name: 'ResourceConflictException', $metadata: { httpStatusCode: 409 } });
    await settle();
    const after = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: lambdaArn(fn()) }));
    expect(after).toMatchObject({ MemorySize: 1024, LastUpdateStatus: 'Successful' });
    await setFunctionMemory(lambda, fn(), 3008, { pollMs: 50 });
  });

  it('refuses memory outside 128–10240 MB and unknown functions', async () => {
    await expect(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn(), MemorySize: 100 })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn(), MemorySize: 10241 })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(readFunctionMemory(lambda, 'nope')).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('writes the current Memory Size in the REPORT lines of invocations after an update', async () => {
    aws.lambda.register('memory-probe', async () => ({ ok: true }), { memoryMb: 512 });
    await aws.lambda.invoke('memory-probe', {});
    await setFunctionMemory(lambda, 'memory-probe', 1536, { pollMs: 50 });
    await aws.lambda.invoke('memory-probe', {});
    const reports = aws.logs.messages('/aws/lambda/memory-probe').filter((m) => m.startsWith('REPORT'));
    expect(reports.map((r) => /Memory Size: (\d+) MB/.exec(r)?.[1])).toEqual(['512', '1536']);
  });
});

describe('setFunctionMemory: typed errors', () => {
  it('AccessDenied, ResourceConflict and a Failed update each say what happened and what to do', async () => {
    aws.faults.denyAction('lambda:UpdateFunctionConfiguration');
    const denied = await setFunctionMemory(lambda, fn(), 2048, { pollMs: 50 }).catch((e: unknown) => e);
    aws.faults.allowAction('lambda:UpdateFunctionConfiguration');
    expect(denied).toBeInstanceOf(LambdaMemoryError);
    expect(denied).toMatchObject({ kind: 'access-denied' });
    expect((denied as Error).message).toMatch(/lambda:UpdateFunctionConfiguration/);

    aws.faults.conflictNextLambdaUpdates(1);
    await expect(setFunctionMemory(lambda, fn(), 2048, { pollMs: 50 })).rejects.toMatchObject({ kind: 'conflict' });

    aws.faults.failNextLambdaUpdate('EniLimitExceeded', 'injected');
    const failed = await setFunctionMemory(lambda, fn(), 2048, { pollMs: 50 }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ kind: 'update-failed' });
    expect((failed as Error).message).toMatch(
      /ended Failed \(EniLimitExceeded: injected\); the function still has 3008 MB/,
    );
    expect((await readFunctionMemory(lambda, fn())).memoryMb).toBe(3008);

    await expect(setFunctionMemory(lambda, fn(), 64)).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('a bounded wait ends with a timeout error', async () => {
    aws.lambda.updateDelayMs = 5_000;
    try {
      await expect(setFunctionMemory(lambda, fn(), 2048, { pollMs: 50, timeoutMs: 300 })).rejects.toMatchObject({
        kind: 'timeout',
      });
    } finally {
      aws.lambda.updateDelayMs = 150;
    }
    await new Promise((r) => setTimeout(r, 5_200));
    await setFunctionMemory(lambda, fn(), 3008, { pollMs: 50 });
  }, 20_000);
});

describe('the restore journal', () => {
  it('is written before the first change and removed after the restore', async () => {
    const dataDir = path.join(work, 'session');
    const s = new LambdaMemorySession(clients, dataDir, fn(), { pollMs: 50 });
    await s.ensure(3008); // no change: no journal
    expect(existsSync(journalDir(dataDir))).toBe(false);
    await s.ensure(1024);
    const file = journalFile(dataDir, 'us-east-1', lambdaArn(fn()));
    expect(existsSync(file)).toBe(true);
    await s.ensure(2048);
    expect((await readFunctionMemory(lambda, fn())).memoryMb).toBe(2048);
    expect(await s.restore()).toEqual({ restored: true, memoryMb: 3008 });
    expect((await readFunctionMemory(lambda, fn())).memoryMb).toBe(3008);
    expect(await readdir(journalDir(dataDir))).toEqual([]);
  });

  it("a journal left by a dead process is restored on the next start; a live one's is left alone", async () => {
    const dataDir = path.join(work, 'leftover');
    await setFunctionMemory(lambda, fn(), 1024, { pollMs: 50 });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const file = journalFile(dataDir, 'us-east-1', lambdaArn(fn()));
    await mkdir(path.dirname(file), { recursive: true });
    const journal = (pid: number) =>
      JSON.stringify({
        version: 1,
        functionName: fn(),
        functionArn: lambdaArn(fn()),
        region: 'us-east-1',
        profile: 'local',
        originalMemoryMb: 3008,
        owner: { pid },
        createdAt: new Date().toISOString(),
      });
    await writeFile(file, journal(process.ppid));
    const alive = await restoreLeftoverMemory(dataDir, async () => clients, { pollMs: 50 });
    expect(alive.map((r) => r.outcome)).toEqual(['owner-alive']);
    expect((await readFunctionMemory(lambda, fn())).memoryMb).toBe(1024);

    await writeFile(file, journal(Number(dead.stdout.toString())));
    const r = await restoreLeftoverMemory(
      dataDir,
      async () => makeClients(localAwsStoredProfile(cipher, aws), { maxAttempts: 1, cipher }),
      { pollMs: 50 },
    );
    expect(r.map((x) => x.outcome)).toEqual(['restored']);
    expect(r[0].message).toMatch(/left at 1024 MB by a memory sweep that stopped .*restored to its original 3008 MB/);
    expect((await readFunctionMemory(lambda, fn())).memoryMb).toBe(3008);
    expect(existsSync(file)).toBe(false);
  });
});

describe('which function a sweep sizes', () => {
  it("reads the Map's Lambda from a CAI definition and from ours", () => {
    expect(mapFunctionName(JSON.stringify(caiStateMachineDefinition()))).toBe('cosmic-executor');
    expect(
      mapFunctionName(
        JSON.stringify({
          States: {
            M: {
              Type: 'Map',
              ItemProcessor: { States: { T: { Type: 'Task', Resource: lambdaArn('inf'), End: true } } },
            },
          },
        }),
      ),
    ).toBe(lambdaArn('inf'));
    expect(mapFunctionName('{"States":{}}')).toBeNull();
  });
});

describe('Test connection: the memory sweep check', () => {
  it('reads the function for real and says how the update permission is checked', async () => {
    const ok = (await testConnection(clients)).find((c) => c.name === 'lambda-memory')!;
    expect(ok.ok, ok.detail).toBe(true);
    expect(ok.detail).toMatch(/cosmicai-inference .* has 3008 MB/);
    expect(ok.detail).toMatch(/lambda:UpdateFunctionConfiguration .* first change before any job runs/);
    aws.faults.denyAction('lambda:GetFunctionConfiguration');
    try {
      const bad = (await testConnection(clients)).find((c) => c.name === 'lambda-memory')!;
      expect(bad.ok).toBe(false);
      expect(bad.detail).toMatch(/not authorized to perform: lambda:GetFunctionConfiguration/);
      expect(bad.hint).toMatch(/Allow lambda:GetFunctionConfiguration/);
    } finally {
      aws.faults.allowAction('lambda:GetFunctionConfiguration');
    }
  });
});

describe('the CAI pipeline on the emulator (needs ../shared/cai)', () => {
  it("sizes the executor the Map invokes, read from the state machine's definition", async () => {
    const emu = await startEmulator({ stack: 'cai' });
    const p = emu.profile;
    const cai = makeClients(
      { ...p, scriptsPrefix: '', createdAt: '', updatedAt: '', credentials: { source: 'emulator' } },
      { maxAttempts: 1 },
    );
    try {
      expect(p.endpoints.lambda).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const target = await memoryFunctionFor(cai);
      expect(target).toMatchObject({ functionName: 'cosmic-executor' });
      expect(target.how).toMatch(/the Lambda the Map state invokes/);
      expect((await readFunctionMemory(cai.lambda, 'cosmic-executor')).memoryMb).toBe(10240);
      const over = await memoryFunctionFor({ ...cai, profile: { ...cai.profile, memoryFunctionName: 'other-fn' } });
      expect(over).toEqual({ functionName: 'other-fn', how: "memoryFunctionName in profile 'emulator-cai'" });
    } finally {
      cai.destroy();
      await emu.stop();
    }
  }, 60_000);
});
