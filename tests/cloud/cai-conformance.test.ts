/**
 * Conformance with the study's own CAI pipeline: the emulator (emulator/) runs the study's REAL initializer.py and
 * summarizer.py (../shared/cai/lambda, or CAI_REFERENCE_DIR) and an executor stand-in running the study's REAL
 * inference script from a code folder built here (Inference/inference.py, astromae_ref.py at its root, the
 * `cai-checkpoint` model where the script loads it), on partitions made by `astromae_ref.py make-pt --mag-dtype
 * float64`. The CLI drives it as a user would. Skips, saying why, without ../shared/cai or python3 torch/boto3.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateRanks } from '../../cloud/aggregate.ts';
import { CloudRunRecordSchema, type CloudRunRecord } from '../../base/cloud-run-record.ts';
import { HistoryStore } from '../../app/node/history-store.ts';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { CAI_HANDLERS, buildCaiCodeFolder, caiSkipReason, writeCaiPartitions } from '../support/cai-code-folder.ts';
import { s3rverClientConfig } from '../../emulator/s3rver.ts';
import { CLI } from '../support/cli.ts';

const CODE_NAME = 'Anomaly Detection';
const SKIP = caiSkipReason();
if (SKIP) console.log(`cloud-cai-conformance: skipped: ${SKIP}`);

let emu: Emulator;
let work: string;
let dataDir: string;
let codeDir: string;
let partsDir: string;
let s3: S3Client;

interface Cli {
  status: number | null;
  stdout: string;
  stderr: string;
}
function cli(args: string[], stdin?: string): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, COSMICAI_DATA_DIR: dataDir, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 400_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

const RUN = [
  'cloud',
  'run',
  '--data',
  '',
  '--partition-mb',
  '0.35',
  '--code',
  '',
  '--entry',
  'Inference/inference.py',
  '--batch-size',
  '8',
  '--interval',
  '0.3',
  '--no-logs',
  '--json',
];
const runArgs = (...more: string[]) => RUN.map((a, i) => (i === 3 ? partsDir : i === 7 ? codeDir : a)).concat(more);

async function s3Json(key: string): Promise<unknown> {
  const o = await s3.send(new GetObjectCommand({ Bucket: 'cosmicai-data', Key: key }));
  return JSON.parse(await o.Body!.transformToString('utf8'));
}

function recordOf(r: Cli): CloudRunRecord & { id: string } {
  expect(r.stdout, r.stderr).toMatch(/^\{/);
  const rec = JSON.parse(r.stdout) as CloudRunRecord;
  if (rec.failed_ranks?.length) console.log('failed ranks:', JSON.stringify(rec.failed_ranks).slice(0, 3000));
  return CloudRunRecordSchema.extend({}).parse(JSON.parse(r.stdout)) as CloudRunRecord & { id: string };
}

describe.skipIf(SKIP !== null)("the study's CAI pipeline, real handlers, through the CLI", () => {
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cai-conf-'));
    dataDir = path.join(work, 'data');
    codeDir = path.join(work, CODE_NAME);
    partsDir = path.join(work, 'parts');
    await buildCaiCodeFolder(codeDir);
    await writeCaiPartitions(partsDir);
    emu = await startEmulator({ stack: 'cai', handlersDir: CAI_HANDLERS });
    s3 = new S3Client(s3rverClientConfig(emu.profile.endpoints.s3));
  }, 180_000);

  afterAll(async () => {
    s3?.destroy();
    await emu?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('imports the profile the emulator prints and recognises the CAI pipeline', async () => {
    const ready = JSON.stringify({ ready: true, profile: emu.profile, isolation: emu.isolation });
    const imp = await cli(['profile', 'import', '-'], `${ready}\n`);
    expect(imp.status, imp.stderr).toBe(0);
    const test = await cli(['profile', 'test', 'emulator-cai', '--json']);
    expect(test.status, test.stdout + test.stderr).toBe(0);
    const sm = (JSON.parse(test.stdout) as Array<{ name: string; detail: string }>).find(
      (c) => c.name === 'state-machine',
    )!;
    expect(sm.detail).toMatch(/study's CAI pipeline/);
  }, 120_000);

  it('--dry-run shows the payload and the rank plan (more ranks than files warned), and starts nothing', async () => {
    const r = await cli(runArgs('--world-size', '4', '--dry-run'));
    expect(r.status, r.stderr).toBe(0);
    const dry = JSON.parse(r.stdout) as {
      payload: Record<string, unknown>;
      rankPlan: { ranks: Array<{ rank: number; dataPath: unknown }>; warnings: string[] };
    };
    expect(dry.payload).toMatchObject({
      S3_object_name: CODE_NAME,
      script: `/tmp/${CODE_NAME}/Inference/inference.py`,
      file_limit: 3,
      data_prefix: 'data/0.35MB/',
    });
    expect(dry.rankPlan.ranks).toEqual([
      { rank: 0, dataPath: 'data/0.35MB/1.pt' },
      { rank: 1, dataPath: 'data/0.35MB/2.pt' },
      { rank: 2, dataPath: 'data/0.35MB/3.pt' },
      { rank: 3, dataPath: null },
    ]);
    expect(dry.rankPlan.warnings.join(' ')).toMatch(/ranks 3–3 get no data/);
    const sfn = new SFNClient({
      region: 'us-east-1',
      endpoint: emu.profile.endpoints.sfn,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    expect(
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn: emu.profile.stateMachineArn }))).executions,
    ).toEqual([]);
    sfn.destroy();
    const refused = await cli(runArgs('--world-size', '4'));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/Not started: the rank plan has 1 warning/);
  }, 200_000);

  let first: CloudRunRecord & { id: string };

  it("fewer ranks than files: finishes; rank JSONs are the script's own, raw; aggregate by the study's rules; REPORT per rank", async () => {
    const r = await cli(runArgs('--world-size', '2'));
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    first = recordOf(r);
    expect(first.status).toBe('completed');
    expect(first.target).toBe('cai');
    expect(first.rank_plan).toEqual([
      { rank: 0, dataPath: ['data/0.35MB/1.pt', 'data/0.35MB/2.pt'] },
      { rank: 1, dataPath: 'data/0.35MB/3.pt' },
    ]);
    // The per-rank JSONs, exactly as the real script wrote them to data_bucket/result_path.
    const raw = [await s3Json(`${first.result_path}/0.json`), await s3Json(`${first.result_path}/1.json`)];
    expect(first.rank_results).toEqual(raw);
    expect((raw[0] as { data_path: unknown }).data_path).toEqual(['data/0.35MB/1.pt', 'data/0.35MB/2.pt']);
    expect(first.combined).toEqual(raw);
    const agg = aggregateRanks(raw as Parameters<typeof aggregateRanks>[0], first.map_duration_seconds);
    expect(first.throughput_bps).toBeCloseTo(agg.throughput_bps, 6);
    expect(first['total_cpu_time (seconds)']).toBeCloseTo(agg['total_cpu_time (seconds)'], 9);
    expect(first.total_bits).toBeCloseTo(agg.total_bits, 0);
    expect(first.ranks_without_data).toEqual([]);
    expect(first.lambda_per_rank!.map((u) => u.rank)).toEqual([0, 1]);
    for (const u of first.lambda_per_rank!) {
      expect(u.memorySizeMb).toBe(10240);
      expect(u.durationMs).toBeGreaterThan(0);
      expect(u.billedDurationMs).toBeGreaterThanOrEqual(Math.floor(u.durationMs));
      expect(u.maxMemoryUsedMb).toBeGreaterThan(50);
    }
    expect(first.lambda!.invocations).toBe(2);
    // Kept raw in the run record in History.
    const { entry } = await new HistoryStore(dataDir).get(first.id);
    expect((entry.record as { rank_results: unknown }).rank_results).toEqual(raw);
  }, 420_000);

  it("more ranks than files, back to back: ranks without data are not failures, and the earlier run's REPORT lines never count", async () => {
    const r = await cli(runArgs('--world-size', '4', '--accept-warnings'));
    const rec = recordOf(r);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(rec.status).toBe('completed');
    expect(rec.ranks_without_data).toEqual([3]);
    expect(rec.ranks_missing_results).toEqual([]);
    expect(rec.failed_ranks).toEqual([]);
    expect(rec.rank_results).toHaveLength(3);
    expect(rec.lambda!.invocations).toBe(4);
    expect(rec.lambda_per_rank!.map((u) => u.rank)).toEqual([0, 1, 2, 3]);
    const earlier = new Set(first.lambda_per_rank!.map((u) => u.requestId));
    expect(rec.lambda_per_rank!.some((u) => earlier.has(u.requestId))).toBe(false);
    // The rank timeline of the study's pipeline: one bar per rank (the one without data too); its rank JSON has no
    // load or wall inference time, so those phases are absent, not invented.
    const tl = rec.rank_timeline!;
    expect(tl.ranks.map((x) => [x.rank, x.status])).toEqual([0, 1, 2, 3].map((k) => [k, 'succeeded']));
    for (const x of tl.ranks) {
      expect(x.absent.map((a) => a.phase)).toEqual(['load', 'inference']);
      expect(x.phases.map((p) => p.phase)).toEqual(['init', 'other']);
    }
    // Measured concurrency counts invocations: here all four are invoked at once and wait for the emulator's
    // /tmp/Anomaly Detection lock, so their scripts end one after another (seconds apart), each bar mostly "other".
    const iv = tl.ranks.map((x) => ({ start: x.started!, end: x.ended! }));
    const overlap = Math.max(...iv.map((a) => iv.filter((b) => b.start <= a.start && a.start < b.end).length));
    expect(rec.measured_peak_concurrency).toBe(overlap);
    expect(tl.peak).toBe(overlap);
    const ends = iv.map((x) => x.end).sort((a, b) => a - b);
    for (let k = 1; k < ends.length; k++) expect(ends[k] - ends[k - 1]).toBeGreaterThan(1);
  }, 420_000);

  it("a rank whose script raises is named; the other ranks' results are kept", async () => {
    // Two good partitions and one the script cannot load, staged by hand under another prefix.
    for (const i of [1, 2]) {
      const o = await s3.send(new GetObjectCommand({ Bucket: 'cosmicai-data', Key: `data/0.35MB/${i}.pt` }));
      await s3.send(
        new PutObjectCommand({
          Bucket: 'cosmicai-data',
          Key: `bad/${i}.pt`,
          Body: Buffer.from(await o.Body!.transformToByteArray()),
        }),
      );
    }
    await s3.send(new PutObjectCommand({ Bucket: 'cosmicai-data', Key: 'bad/3.pt', Body: 'not a torch file' }));
    const payload = { ...first.payload, data_prefix: 'bad/', file_limit: 3, world_size: 3 };
    const file = path.join(work, 'bad-payload.json');
    await writeFile(file, JSON.stringify(payload));
    const r = await cli(['cloud', 'run', '--payload', file, '--interval', '0.3', '--no-logs', '--json']);
    expect(r.status).toBe(1);
    const rec = recordOf(r);
    expect(rec.status).toBe('failed');
    expect(rec.failed_ranks.map((f) => f.rank)).toEqual(['2']);
    expect(rec.failed_ranks[0].error).toBe('ScriptError');
    expect(rec.failed_ranks[0].cause).toMatch(/^rank 2: .*inference.py exited with status 1: .*UnpicklingError/);
    expect(rec.rank_results.map((x) => x.data_path)).toEqual(['bad/1.pt', 'bad/2.pt']);
  }, 420_000);

  it('refuses a second start while an execution of the state machine is RUNNING', async () => {
    const started = await cli(runArgs('--world-size', '1', '--file-limit', '1', '--accept-warnings', '--no-wait'));
    expect(started.status, started.stderr).toBe(0);
    const second = await cli(runArgs('--world-size', '1', '--file-limit', '1', '--accept-warnings'));
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/Another execution of this state machine is RUNNING/);
    expect(second.stderr).toMatch(/--allow-concurrent/);
    await emu.settled();
  }, 420_000);
});
