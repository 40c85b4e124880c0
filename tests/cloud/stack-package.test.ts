import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RANK_RESULT_KEYS, RankResultSchema } from '../../cloud/rank-result.ts';
import {
  describePackage,
  packageLambda,
  UNZIPPED_LIMIT_BYTES,
  type LambdaArch,
  type PackageResult,
} from '../../cloud/stack/package-lambda.ts';
import { HANDLERS } from '../../cloud/stack/template.ts';
import { StudyFieldsSchema } from '../../base/local-run-record.ts';
import { referenceModel } from '../support/engine-run-helpers.ts';
import { S3RVER_CREDENTIALS, s3rverClientConfig, startS3rver, type S3rverHandle } from '../infra/s3rver.ts';
import { stageCaiFixtures } from '../infra/stage-fixtures.ts';
import { extractZip, type ExtractedEntry } from '../infra/unzip.ts';

const hostArch: LambdaArch | null =
  process.platform === 'linux' ? (process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'arm64' : null) : null;
const otherArch = (a: LambdaArch): LambdaArch => (a === 'x86_64' ? 'arm64' : 'x86_64');
const nodeArch = (a: LambdaArch) => (a === 'x86_64' ? 'x64' : 'arm64');

let tmp: string;
let pkg: PackageResult;
let entries: ExtractedEntry[];
let extracted: string;
const arch: LambdaArch = hostArch ?? 'x86_64';

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-pkg-'));
  pkg = await packageLambda({ arch, outFile: path.join(tmp, 'lambda.zip') });
  console.log(`Lambda package: ${describePackage(pkg)}`);
  extracted = path.join(tmp, 'task');
  entries = await extractZip(pkg.file, extracted);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('Lambda package', () => {
  it('holds the three handler bundles and onnxruntime-node with only the Linux binary of its architecture, under 250 MB unzipped', () => {
    const names = entries.map((e) => e.name).sort();
    expect(names).toEqual(pkg.entries.map((e) => e.name).sort());
    for (const h of Object.values(HANDLERS)) expect(names).toContain(`${h.split('.')[0]}.mjs`);
    const native = names.filter((n) => n.includes('/bin/'));
    expect(native.length).toBeGreaterThan(0);
    for (const n of native)
      expect(n).toMatch(new RegExp(`^node_modules/onnxruntime-node/bin/napi-v\\d+/linux/${nodeArch(arch)}/`));
    expect(names).toContain(
      `node_modules/onnxruntime-node/bin/napi-v6/linux/${nodeArch(arch)}/onnxruntime_binding.node`,
    );
    // No TypeScript sources, maps, declarations, nor the model, nor other packages' sources.
    for (const n of names) expect(n).not.toMatch(/\.(ts|map|onnx|pt)$/);
    expect(
      names.filter((n) => n.startsWith('node_modules/') && !/^node_modules\/onnxruntime-(node|common)\//.test(n)),
    ).toEqual([]);
    expect(pkg.unzippedBytes).toBe(entries.reduce((n, e) => n + e.bytes, 0));
    expect(pkg.unzippedBytes).toBeLessThan(UNZIPPED_LIMIT_BYTES);
    expect(pkg.zippedBytes).toBeLessThan(pkg.unzippedBytes);
    expect(entries.find((e) => e.name === 'inference.mjs')!.mode).toBe(0o644);
    expect(describePackage(pkg)).toMatch(/MB unzipped \(limit 250 MB\), [\d.]+ MB zipped/);
  });

  it('is reproducible, and the other architecture gets only its own binary', async () => {
    const again = await packageLambda({ arch, outFile: path.join(tmp, 'again.zip') });
    expect(again.sha256).toBe(pkg.sha256);
    const other = await packageLambda({ arch: otherArch(arch), outFile: path.join(tmp, 'other.zip') });
    const native = other.entries.map((e) => e.name).filter((n) => n.includes('/bin/'));
    expect(native.length).toBeGreaterThan(0);
    for (const n of native) expect(n).toContain(`/linux/${nodeArch(otherArch(arch))}/`);
    expect(other.sha256).not.toBe(pkg.sha256);
  });

  it('fails with an actionable message over the size limit and when the binary for the architecture is not shipped', async () => {
    await expect(
      packageLambda({ arch, outFile: path.join(tmp, 'small.zip'), limitBytes: 10 * 2 ** 20 }),
    ).rejects.toThrow(/MB unzipped, over the limit of 10\.0 MB .*libonnxruntime/);
    // A project whose onnxruntime-node has only a linux/x64 binary.
    const fake = path.join(tmp, 'fake-root');
    const ort = path.join(fake, 'node_modules', 'onnxruntime-node');
    await mkdir(path.join(ort, 'bin', 'napi-v6', 'linux', 'x64'), { recursive: true });
    await mkdir(path.join(ort, 'dist'), { recursive: true });
    await mkdir(path.join(fake, 'node_modules', 'onnxruntime-common', 'dist', 'cjs'), { recursive: true });
    await writeFile(path.join(fake, 'package.json'), '{"name":"fake","type":"module"}');
    await writeFile(
      path.join(ort, 'package.json'),
      '{"name":"onnxruntime-node","version":"9.9.9","main":"dist/index.js"}',
    );
    await writeFile(
      path.join(ort, 'dist', 'binding.js'),
      'require(`../bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`)',
    );
    await writeFile(path.join(ort, 'bin', 'napi-v6', 'linux', 'x64', 'onnxruntime_binding.node'), 'x');
    await writeFile(
      path.join(fake, 'node_modules', 'onnxruntime-common', 'package.json'),
      '{"name":"onnxruntime-common","version":"9.9.9","main":"dist/cjs/index.js"}',
    );
    await writeFile(path.join(fake, 'node_modules', 'onnxruntime-common', 'dist', 'cjs', 'index.js'), '');
    await expect(packageLambda({ arch: 'arm64', rootDir: fake, outFile: path.join(tmp, 'x.zip') })).rejects.toThrow(
      /onnxruntime-node 9\.9\.9 ships no Linux arm64 binary .*the package has: napi-v6\/linux\/\{x64\}\)\. Choose --arch x86_64/,
    );
    await expect(packageLambda({ arch: 'ppc64' as LambdaArch })).rejects.toThrow(/use x86_64 or arm64/);
  });
});

describe.skipIf(hostArch === null)('the packaged handlers, run from the extracted zip against s3rver', () => {
  // s3rver alone: the in-process workers of startLocalAws would load a second onnxruntime into this process.
  let server: S3rverHandle;
  const aws = { bucket: 'cosmicai-pkg', s3: undefined as unknown as S3Client };
  const saved = { ...process.env };

  beforeAll(async () => {
    server = await startS3rver({ buckets: [aws.bucket] });
    aws.s3 = new S3Client(s3rverClientConfig(server.endpoint));
    // What Lambda gives the function: region and the role's credentials in the environment; here s3rver's.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: server.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
  });

  afterAll(async () => {
    for (const k of ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL_S3']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    aws.s3?.destroy();
    await server?.close();
  });

  it('initializes, infers each rank (model loaded once per container, init reported apart) and summarizes, writing the study schema', async () => {
    const payload = await stageCaiFixtures(aws.s3, {
      bucket: aws.bucket,
      modelPath: await referenceModel(),
      partitions: { '1.pt': 'tiny-8.pt', '2.pt': 'tiny-8.pt' },
      batchSize: 4,
      resultPath: 'results/packaged-run',
    });
    const load = async (file: string) =>
      (await import(pathToFileURL(path.join(extracted, file)).href)) as { handler: (e: unknown) => Promise<any> };
    const initializer = await load('initializer.mjs');
    const inference = await load('inference.mjs');
    const summarizer = await load('summarizer.mjs');

    const init = await initializer.handler(payload);
    expect(init.items.map((i: { files: string[] }) => i.files)).toEqual([['data/1.pt'], ['data/2.pt']]);

    const first = await inference.handler(init.items[0]);
    const second = await inference.handler(init.items[1]);
    // Cold start: the first invocation of the container loads the model and says how long it took; the next reuses it.
    expect(first.cold_start).toBe(true);
    expect(first.init_duration_ms).toBeGreaterThan(0);
    expect(second.cold_start).toBe(false);
    expect(second.init_duration_ms).toBeNull();
    expect((inference as unknown as { cachedSessionCount(): number }).cachedSessionCount()).toBe(1);

    const engineKeys = [...Object.keys(StudyFieldsSchema.shape), 'result_path'].sort();
    for (const rank of [0, 1]) {
      const obj = await aws.s3.send(
        new GetObjectCommand({ Bucket: aws.bucket, Key: `results/packaged-run/${rank}.json` }),
      );
      const json = JSON.parse(await obj.Body!.transformToString());
      // The study's keys in the study's order, and the same set the engine's record carries.
      expect(Object.keys(json)).toEqual([...RANK_RESULT_KEYS]);
      expect(Object.keys(json).sort()).toEqual(engineKeys);
      expect(RankResultSchema.parse(json)).toMatchObject({
        num_batches: 2,
        batch_size: 4,
        device: 'cpu',
        result_path: 'results/packaged-run',
        data_path: `data/${rank + 1}.pt`,
      });
      expect(json['throughput_bps']).toBeGreaterThan(0);
      // Init duration stays out of the rank's study fields.
      expect(Object.keys(json).some((k) => /init|cold/i.test(k))).toBe(false);
    }

    const summary = await summarizer.handler(init);
    expect(summary).toMatchObject({ statusCode: 200, ranks: [0, 1], missing: [], malformed: [] });
    const combined = await aws.s3.send(
      new GetObjectCommand({ Bucket: aws.bucket, Key: 'results/packaged-run/combined_data.json' }),
    );
    expect(JSON.parse(await combined.Body!.transformToString())).toHaveLength(2);
  });
});
