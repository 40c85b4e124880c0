/**
 * Everything a cloud test needs, on loopback ports: s3rver, a Step Functions endpoint running our state machine
 * (cloud/state-machine.asl.json) with our three Lambda handlers, an STS endpoint and a CloudWatch Logs endpoint
 * fed by the handlers' invocations. One set of credentials (s3rver's S3RVER/S3RVER) works for all of them.
 *
 *   const aws = await startLocalAws();
 *   // profile endpoints: { s3: aws.s3Endpoint, sfn: aws.sfnEndpoint, sts: aws.stsEndpoint, logs: aws.logsEndpoint }
 *   // aws.faults.throttleNext(2); aws.faults.failRank(1); aws.faults.setCredentialFault('expired'); …
 *   await aws.close();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { createInference } from '../cloud/lambda/inference.ts';
import { createInitializer } from '../cloud/lambda/initializer.ts';
import { createSummarizer } from '../cloud/lambda/summarizer.ts';
import { renderStateMachine, type RenderOptions } from '../cloud/state-machine.ts';
import { LOCAL_REGION, type AuthPolicy } from './aws-http.ts';
import { LocalFaults } from './local-faults.ts';
import { startLambdaApi } from './lambda-api.ts';
import { LocalLambda } from './local-lambda.ts';
import { LogStore, startLogsLocal } from './logs-local.ts';
import { S3RVER_CREDENTIALS, s3rverClientConfig, startS3rver } from './s3rver.ts';
import { startSfnLocal, type SfnLocal } from './sfn/server.ts';
import { startStsLocal } from './sts-local.ts';

export interface LocalAwsOptions {
  /** The results/scripts bucket (created). Default "cosmicai-test". */
  bucket?: string;
  /** Where the partitions live, if not `bucket` (created). */
  dataBucket?: string;
  /** More buckets to create. */
  extraBuckets?: string[];
  stateMachineName?: string;
  /** Memory Size the Lambda emulator reports in REPORT lines. Default 3008. */
  memoryMb?: number;
  /** Map options for the deployed definition. */
  map?: RenderOptions;
  /** Where the inference worker downloads models and partitions (default: a fresh temp folder of this instance, like a
   *  Lambda container's private /tmp, so test files running at the same time never share downloaded models). */
  tmpDir?: string;
}

export const LOCAL_FUNCTIONS = {
  initializer: 'cosmicai-initializer',
  inference: 'cosmicai-inference',
  summarizer: 'cosmicai-summarizer',
} as const;

export interface LocalAws {
  region: string;
  s3Endpoint: string;
  sfnEndpoint: string;
  stsEndpoint: string;
  logsEndpoint: string;
  /** The Lambda control plane (GetFunctionConfiguration / UpdateFunctionConfiguration), emulator/lambda-api.ts. */
  lambdaEndpoint: string;
  stateMachineArn: string;
  bucket: string;
  dataBucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  functions: typeof LOCAL_FUNCTIONS;
  /** `/aws/lambda/<inference function>`. */
  inferenceLogGroup: string;
  faults: LocalFaults;
  logs: LogStore;
  lambda: LocalLambda;
  sfn: SfnLocal;
  /** Settings for an S3Client talking to s3rver. */
  s3Config: S3ClientConfig;
  s3: S3Client;
  /** Waits until every execution has ended and every Lambda invocation has returned. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalAws(opts: LocalAwsOptions = {}): Promise<LocalAws> {
  const bucket = opts.bucket ?? 'cosmicai-test';
  const dataBucket = opts.dataBucket ?? bucket;
  const buckets = [...new Set([bucket, dataBucket, ...(opts.extraBuckets ?? [])])];
  const s3rver = await startS3rver({ buckets });
  const s3Config = s3rverClientConfig(s3rver.endpoint);
  const s3 = new S3Client(s3Config);

  const faults = new LocalFaults();
  const auth: AuthPolicy = { accessKeyId: S3RVER_CREDENTIALS.accessKeyId, faults };
  const logs = new LogStore();
  const lambda = new LocalLambda(logs);
  const memoryMb = opts.memoryMb ?? 3008;

  const initialize = createInitializer({ s3 });
  const ownTmp = opts.tmpDir ? null : await mkdtemp(path.join(os.tmpdir(), 'cosmicai-lambda-'));
  const infer = createInference({ s3, tmpDir: opts.tmpDir ?? ownTmp! });
  const summarize = createSummarizer({ s3 });
  const initializerArn = lambda.register(LOCAL_FUNCTIONS.initializer, (e) => initialize(e), { memoryMb });
  const inferenceArn = lambda.register(
    LOCAL_FUNCTIONS.inference,
    async (e, ctx) => {
      await faults.waitWhileHeld();
      const rank = (e as { rank?: unknown } | null)?.rank;
      const failure = typeof rank === 'number' ? faults.rankFailure(rank) : undefined;
      if (failure) {
        // A rank fails inside the worker, which has logged its payload first (as every invocation does, so the failed
        // attempt's REPORT line is attributed to its rank and billed like any other).
        const ev = e as Record<string, unknown>;
        const seen = { rank, world_size: ev.world_size, result_path: ev.result_path, files: ev.files };
        ctx.log?.(`received: ${JSON.stringify(seen)}`);
        const err = new Error(failure.message);
        err.name = failure.name;
        throw err;
      }
      return infer(e, (line) => ctx.log?.(line));
    },
    { memoryMb },
  );
  const summarizerArn = lambda.register(LOCAL_FUNCTIONS.summarizer, (e) => summarize(e), { memoryMb });

  const sfn = await startSfnLocal({ auth, lambda });
  const sts = await startStsLocal(auth);
  const logsServer = await startLogsLocal(logs, auth);
  const lambdaApi = await startLambdaApi({ auth, lambda });
  const credentials = { ...S3RVER_CREDENTIALS };

  const client = new SFNClient({ region: LOCAL_REGION, endpoint: sfn.endpoint, credentials });
  const created = await client.send(
    new CreateStateMachineCommand({
      name: opts.stateMachineName ?? 'cosmicai-local',
      definition: renderStateMachine({ initializerArn, inferenceArn, summarizerArn }, opts.map),
      roleArn: 'arn:aws:iam::123456789012:role/cosmicai-local-sfn',
    }),
  );
  client.destroy();

  let closing: Promise<void> | null = null;
  return {
    region: LOCAL_REGION,
    s3Endpoint: s3rver.endpoint,
    sfnEndpoint: sfn.endpoint,
    stsEndpoint: sts.endpoint,
    logsEndpoint: logsServer.endpoint,
    lambdaEndpoint: lambdaApi.endpoint,
    stateMachineArn: created.stateMachineArn!,
    bucket,
    dataBucket,
    credentials,
    functions: LOCAL_FUNCTIONS,
    inferenceLogGroup: `/aws/lambda/${LOCAL_FUNCTIONS.inference}`,
    faults,
    logs,
    lambda,
    sfn,
    s3Config,
    s3,
    settled: () => sfn.settled(),
    close() {
      closing ??= (async () => {
        faults.releaseAll();
        await sfn.close();
        // A handler stuck for good must not hang the test's teardown.
        await Promise.race([lambda.idle(), new Promise((r) => setTimeout(r, 30_000).unref())]);
        await Promise.all([sts.close(), logsServer.close(), lambdaApi.close()]);
        s3.destroy();
        await s3rver.close();
        if (ownTmp) await rm(ownTmp, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
