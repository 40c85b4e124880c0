/**
 * The environment the emulator runs the study's Python with: /usr/bin/python3 (or COSMICAI_PYTHON), boto3 pointed
 * at the local servers by python/sitecustomize.py (boto3 1.26 ignores AWS_ENDPOINT_URL), the emulator's key pair,
 * and nothing from the user's own AWS configuration (no profile, no config files, no instance metadata).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'python');

export interface PythonEnv {
  python: string;
  env: NodeJS.ProcessEnv;
}

export function defaultPython(): string {
  return process.env.COSMICAI_PYTHON || '/usr/bin/python3';
}

export function pythonEnv(opts: {
  python?: string;
  endpoints: Record<string, string>;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
}): PythonEnv {
  const env: NodeJS.ProcessEnv = {};
  // Only what a Lambda environment has; the user's AWS_* variables must not leak into the emulated functions.
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k];
  Object.assign(env, {
    PYTHONPATH: PYTHON_DIR,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    COSMICAI_EMULATOR_ENDPOINTS: JSON.stringify(opts.endpoints),
    AWS_ACCESS_KEY_ID: opts.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: opts.credentials.secretAccessKey,
    AWS_DEFAULT_REGION: opts.region,
    AWS_REGION: opts.region,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1',
  });
  return { python: opts.python ?? defaultPython(), env };
}

export interface PythonRun {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs python with args; every line of stdout and stderr goes to `onLine` as it comes (as a Lambda function's
 * output reaches its log stream). `stdin` is written then closed.
 */
export function runPython(
  pe: PythonEnv,
  args: string[],
  opts: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string; onLine: (line: string) => void; signal?: AbortSignal },
): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(pe.python, args, {
      env: { ...pe.env, ...opts.env },
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: opts.signal,
    });
    const pump = (stream: NodeJS.ReadableStream) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          opts.onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
      stream.on('end', () => {
        if (buf) opts.onLine(buf);
      });
    };
    pump(child.stdout);
    pump(child.stderr);
    child.once('error', (err) =>
      reject(
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error(
              `${pe.python} not found: the emulator runs the study's Python handlers with it (set COSMICAI_PYTHON to another interpreter).`,
            )
          : err,
      ),
    );
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.stdin.end(opts.stdin ?? '');
  });
}
