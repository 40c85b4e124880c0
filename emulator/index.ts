/**
 * The local AWS emulator, as a library: `startEmulator({ stack, handlersDir })` starts, on loopback ports only,
 * S3 (s3rver), Step Functions, CloudWatch Logs and STS running either
 *  - stack "cai": the study's own CAI pipeline (its real initializer.py / summarizer.py, an executor stand-in
 *    running the study's script with Python; see cai-stack.ts, cai-executor.ts), or
 *  - stack "cosmicai": our own stack (cloud/lambda workers, cloud/state-machine.asl.json).
 * It returns the profile that reaches it (`cosmicai profile import` saves it; credentials source "emulator") and
 * `stop()`. The command-line front end is emulator/cli.ts (`npm run -s emulate`).
 */
import { CAI_BUCKET, startCaiStack } from './cai-stack.ts';
import { EXECUTOR_ISOLATION } from './cai-executor.ts';
import { startLocalAws } from './local-aws.ts';
import { defaultHandlersDir } from './reference-dir.ts';

export type EmulatorStack = 'cai' | 'cosmicai';

export interface EmulatorOptions {
  stack: EmulatorStack;
  /** stack "cai": the folder with initializer.py and summarizer.py (default: defaultHandlersDir()). */
  handlersDir?: string;
  /** Profile name (default "emulator-<stack>"). */
  name?: string;
  /** stack "cai": the Python that runs the handlers and the script (default /usr/bin/python3 or COSMICAI_PYTHON). */
  python?: string;
  /** Memory Size the inference/executor function reports (default: 10240 for cai, 3008 for cosmicai). */
  memoryMb?: number;
}

/** A profile as `cosmicai profile import` and the app's profile store accept it (ProfileInput). */
export interface EmulatorProfile {
  name: string;
  region: string;
  bucket: string;
  dataBucket: string;
  scriptsPrefix: string;
  resultsPrefix: string;
  dataPrefix: string;
  stateMachineArn: string;
  inferenceLambdaName: string;
  lambdaMemoryMb: number;
  architecture: 'x86_64';
  endpoints: { s3: string; sfn: string; sts: string; logs: string; lambda: string };
  credentials: { source: 'emulator' };
  target: EmulatorStack;
}

export interface Emulator {
  stack: EmulatorStack;
  profile: EmulatorProfile;
  /** How parallel ranks are kept apart (stack "cai"). */
  isolation: string | null;
  /** Waits until every execution has ended and every Lambda invocation has returned. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const name = opts.name ?? `emulator-${opts.stack}`;
  if (opts.stack === 'cai') {
    const stack = await startCaiStack({
      handlersDir: opts.handlersDir ?? defaultHandlersDir(),
      python: opts.python,
      memoryMb: opts.memoryMb,
    });
    return {
      stack: 'cai',
      profile: {
        name,
        region: stack.region,
        bucket: CAI_BUCKET,
        dataBucket: CAI_BUCKET,
        scriptsPrefix: '',
        resultsPrefix: 'results/',
        dataPrefix: 'data/',
        stateMachineArn: stack.stateMachineArn,
        inferenceLambdaName: stack.functions.executor,
        lambdaMemoryMb: stack.memoryMb,
        architecture: 'x86_64',
        endpoints: stack.endpoints,
        credentials: { source: 'emulator' },
        target: 'cai',
      },
      isolation: EXECUTOR_ISOLATION,
      settled: () => stack.settled(),
      stop: () => stack.close(),
    };
  }
  if (opts.stack !== 'cosmicai') throw new Error(`unknown stack '${String(opts.stack)}': use "cai" or "cosmicai"`);
  const memoryMb = opts.memoryMb ?? 3008;
  const aws = await startLocalAws({ bucket: 'cosmicai-emulator', memoryMb });
  return {
    stack: 'cosmicai',
    profile: {
      name,
      region: aws.region,
      bucket: aws.bucket,
      dataBucket: aws.dataBucket,
      scriptsPrefix: 'scripts/',
      resultsPrefix: 'results/',
      dataPrefix: 'data/',
      stateMachineArn: aws.stateMachineArn,
      inferenceLambdaName: aws.functions.inference,
      lambdaMemoryMb: memoryMb,
      architecture: 'x86_64',
      endpoints: {
        s3: aws.s3Endpoint,
        sfn: aws.sfnEndpoint,
        sts: aws.stsEndpoint,
        logs: aws.logsEndpoint,
        lambda: aws.lambdaEndpoint,
      },
      credentials: { source: 'emulator' },
      target: 'cosmicai',
    },
    isolation: null,
    settled: () => aws.settled(),
    stop: () => aws.close(),
  };
}
