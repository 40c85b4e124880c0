/**
 * Issue #18 case 5: run ownership is pid + process start time + boot id, so a pid handed to another process after
 * a crash (or a reboot) does not keep a run "running" forever.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../app/node/history-store.ts';
import { bootId, currentProcessIdentity, ownerAlive, processStartTime } from '../../engine/pid-alive.ts';
import { lockStudy } from '../../study/study-store.ts';

const linux = process.platform === 'linux';
const children: number[] = [];
afterAll(() => {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** An unrelated live process: the pid a crashed owner's pid could have been reused for. */
function liveStranger(): number {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(c.pid!);
  return c.pid!;
}

describe.runIf(linux)('process identity on Linux', () => {
  it('records pid, start time from /proc/<pid>/stat and the boot id', async () => {
    const me = await currentProcessIdentity();
    expect(me.pid).toBe(process.pid);
    expect(me.startTime).toMatch(/^\d+$/);
    expect(me.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await ownerAlive(me)).toBe(true);
  });

  it('a reused pid (same pid, other start time) is not alive; another boot is not alive; a dead pid is not', async () => {
    const pid = liveStranger();
    const start = await processStartTime(pid);
    expect(start).toMatch(/^\d+$/);
    const boot = await bootId();
    expect(await ownerAlive({ pid, startTime: start, bootId: boot, hostname: os.hostname() })).toBe(true);
    expect(await ownerAlive({ pid, startTime: String(Number(start) - 1), bootId: boot })).toBe(false);
    expect(await ownerAlive({ pid, startTime: start, bootId: '00000000-0000-0000-0000-000000000000' })).toBe(false);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    expect(await ownerAlive({ pid: dead, startTime: start, bootId: boot })).toBe(false);
  });

  it('parses a comm with spaces and parentheses', async () => {
    const proc = await mkdtemp(path.join(os.tmpdir(), 'fake-proc-'));
    await mkdir(path.join(proc, '42'));
    const fields = ['S', ...Array.from({ length: 18 }, (_, i) => String(i + 4)), '987654', '23', '24'];
    await writeFile(path.join(proc, '42', 'stat'), `42 (a (b) c) ${fields.join(' ')}\n`);
    expect(await processStartTime(42, proc)).toBe('987654');
    await rm(proc, { recursive: true, force: true });
  });
});

describe('fallback without /proc (macOS, Windows)', () => {
  it('checks the pid alone', async () => {
    const noProc = path.join(os.tmpdir(), 'no-such-proc');
    expect(await processStartTime(process.pid, noProc)).toBeUndefined();
    const me = await currentProcessIdentity(noProc);
    expect(me).toEqual({ pid: process.pid, hostname: os.hostname() });
    expect(await ownerAlive(me, noProc)).toBe(true);
    expect(await ownerAlive({ pid: spawnSync(process.execPath, ['-e', '0']).pid! }, noProc)).toBe(false);
  });
});

describe.runIf(linux)('History and the study lock use the identity', () => {
  it('a running entry whose pid now belongs to another process is listed as interrupted', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cai-owner-'));
    const store = new HistoryStore(dir);
    const e = await store.create({ kind: 'local', name: 'crashed', params: {} });
    const owner = JSON.parse(await readFile(path.join(dir, 'runs', e.id, 'owner.json'), 'utf8'));
    expect(owner).toMatchObject({
      pid: process.pid,
      startTime: expect.stringMatching(/^\d+$/),
      bootId: expect.any(String),
    });
    const pid = liveStranger();
    const stranger = await processStartTime(pid);
    // The crashed owner had this pid but started at another time.
    await writeFile(
      path.join(dir, 'runs', e.id, 'owner.json'),
      JSON.stringify({ ...owner, pid, startTime: String(Number(stranger) - 5) }),
    );
    expect((await new HistoryStore(dir).get(e.id)).entry.status).toBe('interrupted');
    // Same pid and start time: still that process, still running.
    await writeFile(path.join(dir, 'runs', e.id, 'owner.json'), JSON.stringify({ ...owner, pid, startTime: stranger }));
    expect((await new HistoryStore(dir).get(e.id)).entry.status).toBe('running');
    await rm(dir, { recursive: true, force: true });
  });

  it('a study lock held by a reused pid is taken over; one held by a live owner is refused', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cai-lock-'));
    await mkdir(path.join(dir, 'studies', 's1'), { recursive: true });
    const lockFile = path.join(dir, 'studies', 's1', 'lock.json');
    const pid = liveStranger();
    const start = await processStartTime(pid);
    const boot = await bootId();
    await writeFile(lockFile, JSON.stringify({ pid, startTime: start, bootId: boot, hostname: os.hostname() }));
    await expect(lockStudy(dir, 's1')).rejects.toThrow(new RegExp(`already running in process ${pid}`));
    await writeFile(lockFile, JSON.stringify({ pid, startTime: String(Number(start) - 5), bootId: boot }));
    const release = await lockStudy(dir, 's1');
    expect(JSON.parse(await readFile(lockFile, 'utf8')).pid).toBe(process.pid);
    await release();
    await rm(dir, { recursive: true, force: true });
  });
});
