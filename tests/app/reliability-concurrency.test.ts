/**
 * Issue #18 case 4: concurrent writers in separate processes (the CLI and the app at once) lose nothing and
 * duplicate nothing: 8 `profile add` at once save all 8; 4 `import` of the same recorded results at once add
 * each recorded run to History exactly once. Plus the lock itself: mutual exclusion and stale takeover.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../app/node/history-store.ts';
import { LockTimeoutError, withFileLock } from '../../engine/file-lock.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'cosmicai.mjs');
const FIXTURE = path.join(ROOT, 'tests', 'fixtures', 'recorded-results');
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const tmp = async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'cai-concurrent-'));
  dirs.push(d);
  return d;
};

function cli(args: string[], dataDir: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, COSMICAI_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => c.kill('SIGKILL'), 150_000);
    c.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

describe('concurrent writers in separate processes', () => {
  it('8 concurrent `profile add`: all 8 saved', async () => {
    const dataDir = await tmp();
    const names = Array.from({ length: 8 }, (_, i) => `p${i + 1}`);
    const runs = await Promise.all(
      names.map((n) =>
        cli(
          [
            'profile',
            'add',
            n,
            '--region',
            'us-east-1',
            '--bucket',
            `b-${n}`,
            '--state-machine',
            `arn:aws:states:us-east-1:123456789012:stateMachine:${n}`,
            '--lambda',
            'f',
            '--credentials',
            'env',
          ],
          dataDir,
        ),
      ),
    );
    for (const r of runs) expect(r.code, r.out).toBe(0);
    const file = JSON.parse(await readFile(path.join(dataDir, 'profiles.json'), 'utf8')) as {
      profiles: Array<{ name: string }>;
    };
    expect(file.profiles.map((p) => p.name).sort()).toEqual(names.sort());
  }, 180_000);

  it('4 concurrent imports of the same 8 recorded runs: exactly 8 History entries', async () => {
    const dataDir = await tmp();
    const runs = await Promise.all(Array.from({ length: 4 }, () => cli(['import', FIXTURE], dataDir)));
    for (const r of runs) expect(r.code, r.out).toBe(0);
    const items = await new HistoryStore(dataDir).list();
    expect(items.filter((i) => !i.damaged && i.kind === 'recorded')).toHaveLength(8);
  }, 180_000);
});

describe('withFileLock', () => {
  it('excludes 8 writers doing read-modify-write on one file', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'counter.json');
    await writeFile(file, '0');
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(file, async () => {
          const n = Number(await readFile(file, 'utf8'));
          await new Promise((r) => setTimeout(r, 5));
          await writeFile(file, String(n + 1));
        }),
      ),
    );
    expect(await readFile(file, 'utf8')).toBe('8');
  });

  it('a lock left by a killed process goes stale and is taken over; a held one times out with BUSY', async () => {
    const dir = await tmp();
    const target = path.join(dir, 'profiles.json');
    // What a holder killed with -9 leaves: the lock folder, no longer refreshed.
    await mkdir(`${target}.lock`);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${target}.lock`, old, old);
    expect(await withFileLock(target, async () => 'taken over', { staleMs: 2000 })).toBe('taken over');
    // Held (fresh mtime): a short wait gives a typed BUSY error naming the file.
    await mkdir(`${target}.lock`);
    const err = await withFileLock(target, async () => 'x', { waitMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect(err).toMatchObject({ code: 'BUSY', file: target });
  });
});
