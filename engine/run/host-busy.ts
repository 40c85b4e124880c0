import { readFile } from 'node:fs/promises';

/**
 * How busy the rest of the host was over an interval: the CPU time all processes used (Linux `/proc/stat`, the
 * aggregate `cpu` line) minus this process's own, as an average number of cores. Host tuning uses it to refuse to
 * cache a calibration measured while other work held the CPU: such a choice (e.g. 1 thread of 2 because another
 * job had the second core) is right for that moment and wrong once the host is idle again.
 */

/** Jiffies of the aggregate `cpu` line: busy (user, nice, system, irq, softirq, steal) and all (busy + idle, iowait). */
export interface CpuJiffies {
  busy: number;
  total: number;
}

/** Parses `/proc/stat`'s first line; null when it is not there or not in the expected form. */
export function parseProcStat(text: string): CpuJiffies | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  if (v.length < 4 || v.some((x) => !Number.isFinite(x) || x < 0)) return null;
  // user nice system idle iowait irq softirq steal [guest guest_nice: already counted in user and nice]
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

export async function readCpuJiffies(): Promise<CpuJiffies | null> {
  try {
    return parseProcStat(await readFile('/proc/stat', 'utf8'));
  } catch {
    return null; // not Linux, or /proc not mounted: unknown
  }
}

/**
 * Average cores the other processes kept busy: (busy share of all CPU time × logical cores) − own CPU seconds ÷
 * wall seconds, never below 0. Ratios of jiffies, so the kernel's tick rate does not matter. Null when unknown.
 */
export function otherBusyCores(args: {
  before: CpuJiffies | null;
  after: CpuJiffies | null;
  logicalCores: number;
  ownCpuSeconds: number;
  wallSeconds: number;
}): number | null {
  const { before, after } = args;
  if (!before || !after || !(args.wallSeconds > 0)) return null;
  const total = after.total - before.total;
  const busy = after.busy - before.busy;
  if (!(total > 0) || busy < 0) return null;
  const allBusyCores = (busy / total) * args.logicalCores;
  return Math.max(0, allBusyCores - args.ownCpuSeconds / args.wallSeconds);
}

/** Above this many cores of other work on average, a calibration is used for its run but not cached. */
export const BUSY_HOST_CORES = 0.3;

/** Why a calibration with `others` cores of other work must not be cached, or null when it may be. */
export function busyHostReason(others: number | null, logicalCores: number): string | null {
  if (others === null || others <= BUSY_HOST_CORES) return null;
  return (
    `other processes kept ${others.toFixed(2)} of ${logicalCores} cores busy during the calibration ` +
    `(> ${BUSY_HOST_CORES}): its choice fits that load, so the next run calibrates again`
  );
}
