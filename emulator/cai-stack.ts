/**
 * The study's CAI pipeline on loopback: s3rver (with bucket `cosmicai-data`, which the study's inference script and
 * summarizer hard-code), the reconstructed state machine on the local Step Functions endpoint, CloudWatch Logs and
 * STS; Initialize and Summarize run the study's real `initializer.py` / `summarizer.py` with Python, each Map item
 * runs the executor stand-in (cai-executor.ts).
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { LOCAL_REGION, type AuthPolicy } from './aws-http.ts';
import { caiExecutor } from './cai-executor.ts';
import { CAI_FUNCTIONS, CAI_STATE_MACHINE_NAME, caiStateMachineDefinition } from './cai-state-machine.ts';
import { LocalFaults } from './local-faults.ts';
import { startLambdaApi } from './lambda-api.ts';
import { LocalLambda } from './local-lambda.ts';
import { LogStore, startLogsLocal } from './logs-local.ts';
import { pythonEnv } from './python-env.ts';
import { pythonHandler } from './python-handler.ts';
import { S3RVER_CREDENTIALS, s3rverClientConfig, startS3rver } from './s3rver.ts';
import { startSfnLocal, type SfnLocal } from './sfn/server.ts';
import { startStsLocal } from './sts-local.ts';

/** The bucket the study's inference script and summarizer hard-code. */
export const CAI_BUCKET = 'cosmicai-data';

export interface CaiStackOptions {
  /** Folder holding the study's initializer.py and summarizer.py. */
  handlersDir: string;
  python?: string;
  /** Memory Size in the executor's REPORT lines (the study configured 10240 MB). */
  memoryMb?: number;
  extraBuckets?: string[];
}

export interface CaiStack {
  region: string;
  endpoints: { s3: string; sfn: string; sts: string; logs: string; lambda: string };
  credentials: { accessKeyId: string; secretAccessKey: string };
  stateMachineArn: string;
  bucket: string;
  functions: typeof CAI_FUNCTIONS;
  memoryMb: number;
  logs: LogStore;
  lambda: LocalLambda;
  sfn: SfnLocal;
  faults: LocalFaults;
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startCaiStack(opts: CaiStackOptions): Promise<CaiStack> {
  const initializer = path.resolve(opts.handlersDir, 'initializer.py');
  const summarizer = path.resolve(opts.handlersDir, 'summarizer.py');
  for (const f of [initializer, summarizer]) {
    await access(f).catch(() => {
      throw new Error(
        `${f} is missing: --handlers must name the folder with the study's initializer.py and summarizer.py (e.g. ../shared/cai/lambda).`,
      );
    });
  }
  const memoryMb = opts.memoryMb ?? 10240;
  const s3rver = await startS3rver({ buckets: [...new Set([CAI_BUCKET, ...(opts.extraBuckets ?? [])])] });
  const closers: Array<() => Promise<void>> = [() => s3rver.close()];
  try {
    const s3 = new S3Client(s3rverClientConfig(s3rver.endpoint));
    closers.unshift(async () => s3.destroy());
    const faults = new LocalFaults();
    const auth: AuthPolicy = { accessKeyId: S3RVER_CREDENTIALS.accessKeyId, faults };
    const logs = new LogStore();
    const lambda = new LocalLambda(logs);
    const credentials = { ...S3RVER_CREDENTIALS };
    const python = pythonEnv({
      python: opts.python,
      endpoints: { s3: s3rver.endpoint },
      credentials,
      region: LOCAL_REGION,
    });
    lambda.register(CAI_FUNCTIONS.initializer, pythonHandler(initializer, python), { memoryMb: 128 });
    lambda.register(CAI_FUNCTIONS.executor, caiExecutor({ s3, python }), { memoryMb });
    lambda.register(CAI_FUNCTIONS.summarizer, pythonHandler(summarizer, python), { memoryMb: 128 });

    const sfn = await startSfnLocal({ auth, lambda });
    closers.unshift(async () => {
      await sfn.close();
      await Promise.race([lambda.idle(), new Promise((r) => setTimeout(r, 30_000).unref())]);
    });
    const sts = await startStsLocal(auth);
    closers.push(() => sts.close());
    const logsServer = await startLogsLocal(logs, auth);
    closers.push(() => logsServer.close());
    const lambdaApi = await startLambdaApi({ auth, lambda });
    closers.push(() => lambdaApi.close());

    const client = new SFNClient({ region: LOCAL_REGION, endpoint: sfn.endpoint, credentials });
    const created = await client.send(
      new CreateStateMachineCommand({
        name: CAI_STATE_MACHINE_NAME,
        definition: JSON.stringify(caiStateMachineDefinition()),
        roleArn: 'arn:aws:iam::123456789012:role/cosmicai-emulator-sfn',
      }),
    );
    client.destroy();

    let closing: Promise<void> | null = null;
    return {
      region: LOCAL_REGION,
      endpoints: {
        s3: s3rver.endpoint,
        sfn: sfn.endpoint,
        sts: sts.endpoint,
        logs: logsServer.endpoint,
        lambda: lambdaApi.endpoint,
      },
      credentials,
      stateMachineArn: created.stateMachineArn!,
      bucket: CAI_BUCKET,
      functions: CAI_FUNCTIONS,
      memoryMb,
      logs,
      lambda,
      sfn,
      faults,
      settled: () => sfn.settled(),
      close() {
        closing ??= (async () => {
          faults.releaseAll();
          for (const c of closers) await c().catch(() => undefined);
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const c of closers) await c().catch(() => undefined);
    throw err;
  }
}
