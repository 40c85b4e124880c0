/**
 * Serialises the users of one folder, within this process (FIFO) and across processes (an atomic `mkdir` of
 * `<folder>.cosmicai-lock` holding the owner's pid; a lock whose owner died is taken over).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';

const queues = new Map<string, Promise<void>>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquireAcrossProcesses(lockDir: string, signal?: AbortSignal): Promise<void> {
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(`${lockDir}/pid`, String(process.pid));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(await readFile(`${lockDir}/pid`, 'utf8').catch(() => ''));
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (signal?.aborted) throw new Error(`gave up waiting for ${lockDir}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs `fn` while holding the folder's lock. */
export async function withFolderLock<T>(folder: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(folder) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = prev.then(() => mine);
  queues.set(folder, tail);
  await prev;
  const lockDir = `${folder.replace(/\/+$/, '')}.cosmicai-lock`;
  try {
    await acquireAcrossProcesses(lockDir);
    try {
      return await fn();
    } finally {
      await rm(lockDir, { recursive: true, force: true });
    }
  } finally {
    release();
    if (queues.get(folder) === tail) queues.delete(folder);
  }
}
