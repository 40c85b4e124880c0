/**
 * A stand-in for the study's executor Lambda ("cosmic-executor", a container image whose code is not published),
 * doing what its recorded log (../shared/cai/executor-log-example.txt) shows, step for step:
 *   received:  {<the rank payload, Python repr>}
 *   parsing args / executing script: <S3_OBJECT_NAME>
 *   for every object under S3_BUCKET/S3_OBJECT_NAME/: "s3key: … path: … filename: …", "downloading key: … to /tmp/<key>"
 *   runs SCRIPT with python3, RANK and WORLD_SIZE in its environment; its output goes to the log stream
 *   executed script
 * then Lambda's END/REPORT lines (written by LocalLambda; Max Memory Used = the script's peak RSS).
 *
 * Isolation: the study's script hard-codes `/tmp/<S3_OBJECT_NAME>/` (its sys.path and model path), and on AWS each
 * rank has its own container /tmp. Here all ranks share the machine's /tmp, so ranks that use the same folder are
 * SERIALISED (one at a time, FIFO; across processes too, by a lock folder next to it): each rank gets a fresh copy of
 * the folder, runs, and the folder is removed before the next rank downloads it. Ranks of one execution therefore do
 * not overlap in time here (they do on AWS).
 * A script that exits non-zero fails the invocation: errorType "ScriptError", the message naming the rank and the
 * exit status with the last lines of its stderr.
 */
import { ListObjectsV2Command, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { withFolderLock } from './folder-lock.ts';
import type { LambdaHandler } from './local-lambda.ts';
import { PYTHON_DIR, runPython, type PythonEnv } from './python-env.ts';
import { pythonRepr } from './python-repr.ts';

/** The root the executor downloads into (the container's /tmp: the study's script hard-codes it). */
export const EXECUTOR_TMP = '/tmp';
export const EXECUTOR_ISOLATION =
  'serialised: ranks sharing /tmp/<S3_OBJECT_NAME> run one at a time (the script hard-codes that folder)';

export class ScriptError extends Error {
  override name = 'ScriptError';
}

function field(event: Record<string, unknown>, key: string): string {
  const v = event[key];
  if (typeof v !== 'string' || v === '') throw new Error(`the rank payload has no ${key}`);
  return v;
}

async function download(
  s3: S3Client,
  bucket: string,
  objectName: string,
  type: string,
  log: (m: string) => void,
): Promise<void> {
  const keys: string[] = [];
  if (type === 'file') keys.push(objectName);
  else {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: `${objectName.replace(/\/+$/, '')}/`,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  const made = new Set<string>();
  for (const key of keys) {
    const target = path.join(EXECUTOR_TMP, key);
    if (!target.startsWith(`${EXECUTOR_TMP}/`)) throw new Error(`refusing to download ${key} outside ${EXECUTOR_TMP}`);
    const dir = path.dirname(target);
    log(`s3key: ${key} path: ${dir} filename: ${path.basename(key)}`);
    if (!made.has(dir)) {
      log(`creating os path: ${dir}`);
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    log(`downloading key: ${key} to ${target}`);
    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await pipeline(obj.Body as Readable, createWriteStream(target));
  }
}

export function caiExecutor(deps: { s3: S3Client; python: PythonEnv }): LambdaHandler {
  return async (raw, context) => {
    const log = (m: string) => context.log?.(m);
    const event = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    log(`received:  ${pythonRepr(event)}`);
    log('parsing args');
    const bucket = field(event, 'S3_BUCKET');
    const objectName = field(event, 'S3_OBJECT_NAME').replace(/\/+$/, '');
    const script = field(event, 'SCRIPT');
    const rank = String(event.RANK ?? '');
    const worldSize = String(event.WORLD_SIZE ?? '');
    log(`executing script: ${objectName}`);
    const folder = path.join(EXECUTOR_TMP, objectName.split('/')[0]);
    return withFolderLock(folder, async () => {
      await rm(folder, { recursive: true, force: true });
      const scratch = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-exec-'));
      try {
        await download(deps.s3, bucket, objectName, String(event.S3_OBJECT_TYPE ?? 'folder'), log);
        const stderrTail: string[] = [];
        const peakFile = path.join(scratch, 'peak');
        const run = await runPython(deps.python, [path.join(PYTHON_DIR, 'run_script.py'), peakFile, script], {
          env: { RANK: rank, WORLD_SIZE: worldSize },
          cwd: EXECUTOR_TMP,
          onLine: (line) => {
            log(line);
            stderrTail.push(line);
            if (stderrTail.length > 8) stderrTail.shift();
          },
        });
        const peakKb = Number(await readFile(peakFile, 'utf8').catch(() => ''));
        if (peakKb > 0) context.reportMaxMemoryUsedMb?.(peakKb / 1024);
        if (run.code !== 0) {
          const how = run.signal ? `was killed by ${run.signal}` : `exited with status ${run.code}`;
          const last = stderrTail.filter((l) => l.trim()).pop() ?? '';
          throw new ScriptError(
            `rank ${rank}: ${script} ${how}: ${last.trim()} (output tail: ${stderrTail.join(' | ').slice(-1200)})`,
          );
        }
        log('executed script');
        return { statusCode: 200, body: `rank ${rank} executed ${script}` };
      } finally {
        await rm(folder, { recursive: true, force: true });
        await rm(scratch, { recursive: true, force: true });
      }
    });
  };
}
