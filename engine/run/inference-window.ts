/** CPU seconds (user + system) the process has used so far. */
export function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The window's clocks: wall milliseconds and process CPU seconds. Tests pass controlled clocks. */
export interface WindowClocks {
  nowMs: () => number;
  cpuSeconds: () => number;
}

const realClocks: WindowClocks = { nowMs: () => performance.now(), cpuSeconds: processCpuSeconds };

/**
 * The timing window of one partition's inference, shared by the local worker and the Lambda worker so both measure
 * alike: it opens before the first batch read and closes at the last finished batch, and the batch reads inside it
 * count as load, not as inference wall time or CPU time.
 */
export class InferenceWindow {
  private readonly start: number;
  private readonly cpuStart: number;
  private end: number;
  /** Wall seconds of the batch reads that completed. */
  readSeconds = 0;
  private readCpuSeconds = 0;

  constructor(private readonly clocks: WindowClocks = realClocks) {
    this.start = clocks.nowMs();
    this.cpuStart = clocks.cpuSeconds();
    this.end = this.start;
  }

  /** Runs one batch read (and what goes with it), timed as load; a read that throws adds nothing. */
  read<T>(read: () => T): T {
    const t0 = this.clocks.nowMs();
    const c0 = this.clocks.cpuSeconds();
    const value = read();
    this.readSeconds += (this.clocks.nowMs() - t0) / 1000;
    this.readCpuSeconds += this.clocks.cpuSeconds() - c0;
    return value;
  }

  /** Marks a finished batch: the window now ends here. Returns the time, for per-batch latency. */
  batchDone(): number {
    this.end = this.clocks.nowMs();
    return this.end;
  }

  /** Wall seconds from the window's start to the last finished batch, batch reads excluded. */
  get inferenceSeconds(): number {
    return Math.max(0, (this.end - this.start) / 1000 - this.readSeconds);
  }

  /** Process CPU seconds since the window opened, batch reads excluded. */
  cpuSeconds(): number {
    return Math.max(0, this.clocks.cpuSeconds() - this.cpuStart - this.readCpuSeconds);
  }
}
