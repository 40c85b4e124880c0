import { readFile } from 'node:fs/promises';
import os from 'node:os';

/** Whether a process with this id is running (EPERM: it runs, as another user). Used to tell a live owner from a crashed one. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Who owns a run, a study queue or a lock: the pid alone is not enough, because after a crash (or a reboot) the
 * pid is handed to an unrelated process and the owner would look alive forever. On Linux the process's start time
 * (field 22 of /proc/<pid>/stat, clock ticks since boot) and the boot id pin down one process on one boot; elsewhere
 * only the pid and host are known, and a reused pid there still reads as alive (documented limitation).
 */
export interface ProcessIdentity {
  pid: number;
  hostname?: string;
  /** /proc/<pid>/stat starttime, in clock ticks since boot (Linux). */
  startTime?: string;
  /** /proc/sys/kernel/random/boot_id (Linux). */
  bootId?: string;
}

const PROC = '/proc';

/** starttime of a live pid from /proc, or undefined (no procfs, or the process is gone). */
export async function processStartTime(pid: number, proc = PROC): Promise<string | undefined> {
  try {
    const stat = await readFile(`${proc}/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19]; // field 22 overall; fields[0] is field 3 (state)
    return start && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

export async function bootId(proc = PROC): Promise<string | undefined> {
  try {
    return (await readFile(`${proc}/sys/kernel/random/boot_id`, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** This process's identity, to be written into owner.json / lock files. */
export async function currentProcessIdentity(proc = PROC): Promise<ProcessIdentity> {
  const [startTime, boot] = await Promise.all([processStartTime(process.pid, proc), bootId(proc)]);
  return {
    pid: process.pid,
    hostname: os.hostname(),
    ...(startTime ? { startTime } : {}),
    ...(boot ? { bootId: boot } : {}),
  };
}

/**
 * Whether the process recorded in `owner` is still that process: same boot, pid running, same start time. A
 * record from another host cannot be checked and counts as alive (it may be a shared data folder).
 */
export async function ownerAlive(owner: ProcessIdentity, proc = PROC): Promise<boolean> {
  if (owner.hostname && owner.hostname !== os.hostname()) return true;
  if (owner.bootId) {
    const boot = await bootId(proc);
    if (boot && boot !== owner.bootId) return false; // rebooted since: every process of that boot is gone
  }
  if (!pidAlive(owner.pid)) return false;
  if (owner.startTime) {
    const now = await processStartTime(owner.pid, proc);
    if (now && now !== owner.startTime) return false; // the pid now belongs to another process
  }
  return true;
}
