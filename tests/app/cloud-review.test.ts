/**
 * cloud.review (the UI's "Review" step) through the real dispatcher and Node services, against the CAI emulator
 * running the study's real initializer: it returns the payload and the rank plan the initializer will make, with
 * its warnings, and the RUNNING executions, without starting anything. Skips, saying why, without the study's
 * handlers (../shared/cai) or python3 boto3.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudReview } from '../../app/common/contract/index.ts';
import type { NodeServices } from '../../app/node/services/index.ts';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { defaultHandlersDir } from '../../emulator/reference-dir.ts';
import { s3rverClientConfig } from '../../emulator/s3rver.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { startAppApi, type AppApi } from '../support/app-services.ts';

const HANDLERS = defaultHandlersDir();
const PY = process.env.COSMICAI_PYTHON || '/usr/bin/python3';

function skipReason(): string | null {
  if (!existsSync(path.join(HANDLERS, 'initializer.py')))
    return `no study handlers at ${HANDLERS} (set CAI_REFERENCE_DIR)`;
  const py = spawnSync(PY, ['-c', 'import boto3'], { encoding: 'utf8' });
  if (py.status !== 0) return `${PY} cannot import boto3 (apt-get install python3-boto3)`;
  return null;
}
const SKIP = skipReason();
if (SKIP) console.log(`cloud-review: skipped: ${SKIP}`);

let emu: Emulator;
let work: string;
let services: NodeServices;
let call: AppApi['call'];

beforeAll(async () => {
  if (SKIP) return;
  emu = await startEmulator({ stack: 'cai', handlersDir: HANDLERS });
  work = await mkdtemp(path.join(os.tmpdir(), 'app-review-'));
  ({ services, call } = startAppApi({ dataDir: path.join(work, 'data'), mode: 'browser', cipher: new TestCipher() }));
  await call('cloud.addProfile', emu.profile);
  // Three partitions as staging would leave them (the review lists them; their content is not read).
  const s3 = new S3Client(s3rverClientConfig(emu.profile.endpoints.s3));
  for (const k of ['1.pt', '10.pt', '2.pt'])
    await s3.send(
      new PutObjectCommand({
        Bucket: emu.profile.dataBucket,
        Key: `${emu.profile.dataPrefix}1MB/${k}`,
        Body: 'x',
      }),
    );
  s3.destroy();
}, 120_000);
afterAll(async () => {
  await services?.shutdown();
  await emu?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe.skipIf(!!SKIP)('cloud.review on the CAI pipeline', () => {
  const base = () => ({ profile: emu.profile.name, partitionMb: 1, stage: false, batchSize: 8 });

  it('returns the payload and the rank plan in S3 listing order, without warnings when every rank has data', async () => {
    const r = (await call('cloud.review', base())) as CloudReview;
    expect(r.target).toBe('cai');
    expect(r.payload).toMatchObject({ file_limit: 3, batch_size: 8 });
    expect(JSON.parse(r.text)).toEqual(r.payload);
    expect(r.rankPlan?.ranks.map((x) => x.dataPath)).toEqual(
      ['1.pt', '10.pt', '2.pt'].map((k) => `${emu.profile.dataPrefix}1MB/${k}`),
    );
    expect(r.rankPlan?.warnings).toEqual([]);
    expect(r.running).toEqual([]);
  });

  it('warns when ranks would get no data, and starts nothing', async () => {
    const r = (await call('cloud.review', { ...base(), fileLimit: 2, worldSize: 4 })) as CloudReview;
    expect(r.rankPlan?.ranks.filter((x) => x.dataPath === null).map((x) => x.rank)).toEqual([2, 3]);
    expect(r.rankPlan?.warnings.join(' ')).toMatch(/ranks 2–3 get no data/);
    const sfn = new SFNClient({
      region: emu.profile.region,
      endpoint: emu.profile.endpoints.sfn,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const ex = await sfn.send(new ListExecutionsCommand({ stateMachineArn: emu.profile.stateMachineArn }));
    sfn.destroy();
    expect(ex.executions ?? []).toEqual([]);
  });

  it('the payload preview names the entry script inside the code folder, as staging will', async () => {
    const codeDir = path.join(work, 'Anomaly Detection');
    const { payload } = await call('cloud.previewPayload', {
      ...base(),
      fileLimit: 3,
      codeDir,
      entry: 'Inference/inference.py',
    });
    expect(payload).toMatchObject({
      object_type: 'folder',
      S3_object_name: `${emu.profile.scriptsPrefix}Anomaly Detection`,
      script: `/tmp/${emu.profile.scriptsPrefix}Anomaly Detection/Inference/inference.py`,
    });
  });
});
