/**
 * s3rver (a real S3-compatible HTTP server keeping objects on disk) for tests, on a random loopback port with a
 * temporary directory. It runs in a child process started with --openssl-legacy-provider (see s3rver-child.cjs),
 * so paginated ListObjectsV2 works whatever NODE_OPTIONS the test process has.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

/** s3rver's one built-in key pair. Any other access key id gets InvalidAccessKeyId. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3rverHandle {
  endpoint: string;
  /** Where s3rver keeps the buckets (removed by close()). */
  directory: string;
  close(): Promise<void>;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 's3rver-child.cjs');
const START_TIMEOUT_MS = 20_000;

export async function startS3rver(opts: { buckets?: string[] } = {}): Promise<S3rverHandle> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', CHILD, JSON.stringify({ directory, buckets: opts.buckets ?? [] })],
    // NODE_OPTIONS of the test runner (tsx loaders, inspector) has no business in the child.
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`s3rver did not start within ${START_TIMEOUT_MS} ms: ${stderr}`)),
      START_TIMEOUT_MS,
    );
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch {
        reject(new Error(`s3rver printed an unexpected line: ${line}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with code ${code} before listening: ${stderr}`));
    });
  });

  let closed: Promise<void> | null = null;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    close() {
      closed ??= (async () => {
        if (child.exitCode === null) {
          const exited = new Promise<void>((r) => child.once('exit', () => r()));
          child.stdin.end();
          const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(killer);
        }
        await rm(directory, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

/**
 * S3 client settings for s3rver: path-style addressing (s3rver has no DNS for vhost buckets), and checksums only
 * when an operation requires them (s3rver predates the SDK's default CRC32 checksums and rejects their trailers).
 */
export function s3rverClientConfig(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { ...S3RVER_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}
