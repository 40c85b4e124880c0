import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/**
 * The one cross-process lock of the app (profiles, History entries, imports, the study store, the renderer
 * build), on proper-lockfile: an atomic mkdir of `<target>.lock`, kept fresh by touching its mtime while held, so
 * a lock whose holder was killed goes stale after `staleMs` and is taken over by exactly one waiter. In-process
 * callers are serialised by the same lock (each attempt is a separate mkdir).
 */

export class LockTimeoutError extends Error {
  readonly code = 'BUSY';
  readonly file: string;

  constructor(file: string, waitedMs: number) {
    super(
      `${file} is locked by another CosmicAI process (waited ${Math.round(waitedMs / 1000)} s); try again when it has finished`,
    );
    this.name = 'LockTimeoutError';
    this.file = file;
  }
}

export interface FileLockOptions {
  /** The lock folder; default `<target>.lock`. */
  lockfilePath?: string;
  /** Give up after this long (ms); default 30 s. */
  waitMs?: number;
  /** A held lock not refreshed for this long is stale (ms, at least 2000); default 10 s. */
  staleMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` while holding the cross-process lock on `target` (which need not exist). */
export async function withFileLock<T>(target: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const lockfilePath = opts.lockfilePath ?? `${target}.lock`;
  const waitMs = opts.waitMs ?? 30_000;
  const stale = Math.max(2000, opts.staleMs ?? 10_000);
  await mkdir(path.dirname(lockfilePath), { recursive: true });
  const started = Date.now();
  let compromised: Error | null = null;
  let release: (() => Promise<void>) | undefined;
  for (let attempt = 0; !release; attempt++) {
    try {
      release = await lockfile.lock(target, {
        lockfilePath,
        realpath: false,
        stale,
        retries: 0,
        onCompromised: (err) => {
          // The lock folder was removed or taken over (the event loop stalled past `stale`): fail the operation
          // instead of crashing the process, which is proper-lockfile's default.
          compromised = err;
        },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (Date.now() - started > waitMs) throw new LockTimeoutError(target, Date.now() - started);
      // Jittered back-off, short at first: most critical sections are a read and an atomic write.
      await sleep(Math.min(250, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
    }
  }
  try {
    const out = await fn();
    if (compromised) throw compromised;
    return out;
  } finally {
    await release().catch(() => undefined);
  }
}
