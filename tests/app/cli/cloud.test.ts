/**
 * The cloud CLI end to end against the local servers (which live in this test process, so the CLI is spawned
 * asynchronously): profile add/list/test, cloud run (stage → execute → results into History), status, results,
 * stop, and the errors a user sees.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudRunRecordSchema } from '../../../base/cloud-run-record.ts';
import { HistoryStore } from '../../../app/node/history-store.ts';
import { writeTinyCodeDir } from '../../support/cloud-tiny-model.ts';
import { FIXTURES_DIR } from '../../infra/stage-fixtures.ts';
import { startLocalAws, type LocalAws } from '../../infra/local-aws.ts';
import { CLI, cliAwsEnv, profileAddArgs, runCli } from '../../support/cli.ts';

let aws: LocalAws;
let work: string;
let dataDir: string;
let codeDir: string;

const cli = (args: string[]) => runCli(args, cliAwsEnv(dataDir, aws.credentials));

beforeAll(async () => {
  aws = await startLocalAws();
  work = await mkdtemp(path.join(os.tmpdir(), 'cli-cloud-'));
  dataDir = path.join(work, 'data');
  codeDir = await writeTinyCodeDir(work);
});
afterAll(async () => {
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('cosmicai profile / cloud', () => {
  it('adds, lists and tests a profile', async () => {
    const add = await cli([...profileAddArgs('local', aws, aws.functions.inference), '--memory', '3008']);
    expect(add.stderr).toBe('');
    expect(add.status).toBe(0);
    expect(add.stdout).toMatch(/credentials\s+environment/);

    const list = await cli(['profile', 'list', '--json']);
    const profiles = JSON.parse(list.stdout) as Array<{ name: string; lambdaMemoryMb: number }>;
    expect(profiles).toEqual([expect.objectContaining({ name: 'local', lambdaMemoryMb: 3008 })]);

    const test = await cli(['profile', 'test', 'local']);
    expect(test.stdout).toMatch(
      /^PASS\s+STS GetCallerIdentity: signed in as arn:aws:iam::123456789012:user\/local-test/m,
    );
    expect(test.stdout).toMatch(/^PASS\s+S3 bucket/m);
    expect(test.stdout).toMatch(/^PASS\s+Step Functions state machine/m);
    expect(test.stdout).toMatch(/^PASS\s+CloudWatch log group \/aws\/lambda\/cosmicai-inference: log group exists/m);
    expect(test.stdout).toMatch(/^PASS\s+Lambda memory sweep .*cosmicai-inference .* has \d+ MB/m);
    expect(test.status).toBe(0);

    // A mistyped Lambda name: the log group check fails and says what to check; the rest still pass.
    await cli(profileAddArgs('typo', aws, 'cosmic-typo', '--endpoint'));
    const typo = await cli(['profile', 'test', 'typo']);
    expect(typo.stdout).toMatch(
      /^FAIL\s+CloudWatch log group \/aws\/lambda\/cosmic-typo: log group \/aws\/lambda\/cosmic-typo does not exist/m,
    );
    expect(typo.stdout).toMatch(/Check the inference Lambda name \('cosmic-typo'\)/);
    expect(typo.stdout.match(/^PASS/gm)).toHaveLength(3);
    expect(typo.status).toBe(1);
    expect((await cli(['profile', 'remove', 'typo'])).stdout).toMatch(/removed profile 'typo'/);

    // A role without lambda:GetFunctionConfiguration can do everything but a memory sweep: WARN, not FAIL, exit 0.
    aws.faults.denyAction('lambda:GetFunctionConfiguration');
    try {
      const denied = await cli(['profile', 'test', 'local']);
      expect(denied.stdout).toMatch(/^WARN\s+Lambda memory sweep \(lambda:GetFunctionConfiguration\): /m);
      expect(denied.stdout.match(/^PASS/gm)).toHaveLength(4);
      expect(denied.stdout).not.toMatch(/^FAIL/m);
      expect(denied.status).toBe(0);
    } finally {
      aws.faults.allowAction('lambda:GetFunctionConfiguration');
    }
  });

  it('refuses pasted keys in the CLI with the reason', async () => {
    const r = await cli([
      'profile',
      'add',
      'keys',
      '--region',
      'us-east-1',
      '--bucket',
      aws.bucket,
      '--state-machine',
      aws.stateMachineArn,
      '--lambda',
      'x',
      '--credentials',
      'static',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Pasted access keys can only be saved from the desktop app/);
  });

  it('cloud run: stages, runs, prints the study aggregate and saves the run in History; status and results re-read it', async () => {
    const run = await cli([
      'cloud',
      'run',
      '--data',
      path.join(FIXTURES_DIR, 'small-64.pt'),
      '--partition-mb',
      '0.5',
      '--code',
      codeDir,
      '--batch-size',
      '8',
      '--interval',
      '0.2',
      '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/"result_path": "results\/\d{8}-\d{6}-[0-9a-f]{6}"/);
    expect(run.stderr).toMatch(/SUCCEEDED\s+ranks: 3\/3 succeeded/);
    const record = CloudRunRecordSchema.parse(JSON.parse(run.stdout));
    expect(record).toMatchObject({ kind: 'cloud', status: 'completed', ranks: 3, batch_size: 8 });
    expect(record.payload).toMatchObject({
      bucket: aws.bucket,
      file_limit: 3,
      batch_size: 8,
      object_type: 'folder',
      S3_object_name: 'scripts/cosmicai-bench',
      data_prefix: 'data/0.5MB/',
    });

    const history = new HistoryStore(dataDir);
    const { entry } = await history.get(record.id);
    expect(entry).toMatchObject({ kind: 'cloud', status: 'completed' });

    const status = await cli(['cloud', 'status', record.executionArn]);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/^status\s+SUCCEEDED\s+ranks: 3\/3 succeeded/m);
    expect(status.stdout).toContain(`result_path ${record.result_path}`);

    const results = await cli(['cloud', 'results', '--profile', 'local', record.result_path]);
    expect(results.status).toBe(0);
    expect(results.stdout).toMatch(/results under results\/.* \(3 rank file\(s\); aggregated from rank-files\)/);
    expect(results.stdout).toMatch(/throughput_bps\s+[\d,.]+\s+\(sum over ranks\)/);
    const byArn = JSON.parse((await cli(['cloud', 'results', record.executionArn, '--json'])).stdout);
    expect(byArn.total_bits).toBeCloseTo(record.total_bits!, 3);

    const stop = await cli(['cloud', 'stop', record.executionArn]);
    expect(stop.stdout).toMatch(/not running \(status SUCCEEDED\); nothing to stop/);
  });

  it('kill -9 during a cloud run: History shows it interrupted with its ARN; attach finishes it into one entry', async () => {
    const release = aws.faults.holdInvocations();
    try {
      const child = spawn(
        process.execPath,
        [
          CLI,
          'cloud',
          'run',
          '--no-stage',
          '--file-limit',
          '2',
          '--partition-mb',
          '0.5',
          '--batch-size',
          '8',
          '--interval',
          '0.2',
          '--no-logs',
          '--name',
          'killed run',
        ],
        {
          env: {
            ...process.env,
            COSMICAI_DATA_DIR: dataDir,
            AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
          },
        },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exited = new Promise((r) => child.on('close', r));
      for (let i = 0; i < 600 && !/RUNNING/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
      const arn = /started (arn:\S+)/.exec(stderr)?.[1];
      expect(arn, stderr).toBeTruthy();
      child.kill('SIGKILL');
      await exited;

      const history = new HistoryStore(dataDir);
      const items = (await history.list()).flatMap((i) => (!i.damaged && i.name === 'killed run' ? [i] : []));
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ status: 'interrupted', kind: 'cloud' });
      expect((await history.get(items[0].id)).entry.params.executionArn).toBe(arn);

      release();
      const attach = await cli(['cloud', 'attach', arn!, '--interval', '0.2', '--no-logs', '--name', 'killed run']);
      expect(attach.status, attach.stderr).toBe(0);
      expect(attach.stdout).toMatch(/cloud run .*: completed/);
      const after = (await history.list()).flatMap((i) => (!i.damaged && i.name === 'killed run' ? [i] : []));
      expect(after).toHaveLength(1);
      expect(after[0].status).toBe('completed');
      expect(after[0].id).not.toBe(items[0].id);
      // The re-attached run has its rank timeline: the peak in the run's output, the per-rank table in history show.
      expect(attach.stdout).toMatch(/Measured peak concurrency: \d+ of \d+ rank\(s\) running at once, first at/);
      const shown = await cli(['history', 'show', after[0].id]);
      expect(shown.status, shown.stderr).toBe(0);
      expect(shown.stdout).toMatch(/Rank\s+Status\s+Submitted \(s\)\s+Start \(s\)\s+Init \(s\)\s+Load \(s\)/);
      expect(shown.stdout).toMatch(/\n\s*0\s+succeeded\s+[\d.]+\s+[\d.]+\s+[\d.—]+\s+[\d.]+\s+[\d.]+/);
    } finally {
      release();
      await aws.settled();
    }
  });

  it('--payload FILE: validated, and the result_path is replaced by a fresh one', async () => {
    const file = path.join(work, 'payload.json');
    await writeFile(
      file,
      JSON.stringify({
        bucket: aws.bucket,
        file_limit: '1',
        batch_size: 4,
        object_type: 'folder',
        S3_object_name: 'scripts/cosmicai-bench',
        script: '/tmp/scripts/cosmicai-bench/model.onnx',
        result_path: 'results/old',
        data_bucket: aws.bucket,
        data_prefix: 'data/0.5MB/',
      }),
    );
    const r = await cli(['cloud', 'run', '--payload', file, '--no-wait', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const started = JSON.parse(r.stdout) as { executionArn: string; result_path: string };
    expect(started.result_path).toMatch(/^results\/\d{8}-/);
    await aws.settled();

    await writeFile(file, JSON.stringify({ bucket: aws.bucket, batch_size: -1 }));
    const bad = await cli(['cloud', 'run', '--payload', file]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/payload\.json: .*file_limit: .*batch_size: /);
  });

  it('a bad ARN or an unknown profile gets a clear message', async () => {
    const a = await cli(['cloud', 'status', 'not-an-arn']);
    expect(a.stderr).toMatch(/is not a Step Functions execution ARN/);
    const b = await cli([
      'cloud',
      'status',
      '--profile',
      'nope',
      aws.stateMachineArn.replace(':stateMachine:', ':execution:') + ':x',
    ]);
    expect(b.stderr).toMatch(/No profile named 'nope'. Saved profiles: local/);
    const c = await cli(['cloud', 'status', aws.stateMachineArn.replace(':stateMachine:', ':execution:') + ':missing']);
    expect(c.stderr).toMatch(/execution not found/);
    const profiles = await readFile(path.join(dataDir, 'profiles.json'), 'utf8');
    // "env" credentials are read at call time; nothing of them is written.
    expect(profiles).not.toContain(aws.credentials.secretAccessKey);
  });
});
