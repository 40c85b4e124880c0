/** `cosmicai …` in a child process, for the CLI tests. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/cosmicai.mjs');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI asynchronously, so that local servers living in the test process keep answering while it runs;
 * `env` is added to this process's environment. Killed after 120 s.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The environment of a CLI using `dataDir` whose "env" credentials are these keys (no session token). */
export function cliAwsEnv(dataDir: string, keys: { accessKeyId: string; secretAccessKey: string }): NodeJS.ProcessEnv {
  return {
    COSMICAI_DATA_DIR: dataDir,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    AWS_SESSION_TOKEN: '',
  };
}

/** The local servers a CLI profile points at (tests/infra/local-aws.ts). */
export interface LocalAwsEndpoints {
  bucket: string;
  stateMachineArn: string;
  s3Endpoint: string;
  sfnEndpoint: string;
  stsEndpoint: string;
  logsEndpoint: string;
  lambdaEndpoint: string;
}

/**
 * `profile add NAME …` for a profile on the local servers with "env" credentials; the S3 endpoint goes by
 * `--s3-endpoint` or by the catch-all `--endpoint` (which the per-service flags then override).
 */
export function profileAddArgs(
  name: string,
  aws: LocalAwsEndpoints,
  lambda: string,
  s3Flag: '--s3-endpoint' | '--endpoint' = '--s3-endpoint',
): string[] {
  return [
    'profile',
    'add',
    name,
    '--region',
    'us-east-1',
    '--bucket',
    aws.bucket,
    '--state-machine',
    aws.stateMachineArn,
    '--lambda',
    lambda,
    '--credentials',
    'env',
    s3Flag,
    aws.s3Endpoint,
    '--sfn-endpoint',
    aws.sfnEndpoint,
    '--sts-endpoint',
    aws.stsEndpoint,
    '--logs-endpoint',
    aws.logsEndpoint,
    '--lambda-endpoint',
    aws.lambdaEndpoint,
  ];
}
