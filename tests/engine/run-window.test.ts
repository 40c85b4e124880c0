import { describe, expect, it } from 'vitest';
import { InferenceWindow, processCpuSeconds, type WindowClocks } from '../../engine/run/inference-window.ts';

/** A controlled clock: wall ms and CPU seconds move only when the test says so. */
function manualClocks(startMs = 1000, startCpu = 5) {
  let ms = startMs;
  let cpu = startCpu;
  const clocks: WindowClocks = { nowMs: () => ms, cpuSeconds: () => cpu };
  const spend = (wallMs: number, cpuS: number) => {
    ms += wallMs;
    cpu += cpuS;
  };
  return { clocks, spend };
}

describe('InferenceWindow with controlled clocks and readers', () => {
  it('takes batch reads out of inference wall time and CPU time and counts them as load', () => {
    const { clocks, spend } = manualClocks();
    const w = new InferenceWindow(clocks);
    // Batch 1: read 250 ms wall / 0.125 s CPU; predict 500 ms / 0.5 s.
    expect(w.read(() => (spend(250, 0.125), 'b1'))).toBe('b1');
    spend(500, 0.5);
    expect(w.batchDone()).toBe(1750);
    // Batch 2: read 125 ms / 0.0625 s; predict 1000 ms / 0.75 s.
    w.read(() => spend(125, 0.0625));
    spend(1000, 0.75);
    expect(w.batchDone()).toBe(2875);
    // Wall: 1875 ms in the window, 375 ms of it reading → load 0.375 s, inference 1.5 s.
    expect(w.readSeconds).toBe(0.375);
    expect(w.inferenceSeconds).toBe(1.5);
    // CPU: 1.4375 s used, 0.1875 s of it reading → 1.25 s.
    expect(w.cpuSeconds()).toBe(1.25);
  });

  it('ends the wall window at the last finished batch; CPU is read when asked', () => {
    const { clocks, spend } = manualClocks(0, 0);
    const w = new InferenceWindow(clocks);
    w.read(() => spend(100, 0.25));
    spend(400, 0.5);
    w.batchDone();
    spend(9000, 2); // e.g. a cancel check after the last batch: not inference wall time
    expect(w.inferenceSeconds).toBe(0.4);
    expect(w.cpuSeconds()).toBe(2.5);
  });

  it('a read that throws adds nothing to load; with no finished batch inference is 0, never negative', () => {
    const { clocks, spend } = manualClocks();
    const w = new InferenceWindow(clocks);
    expect(() =>
      w.read(() => {
        spend(300, 0.25);
        throw new Error('truncated');
      }),
    ).toThrow('truncated');
    expect(w.readSeconds).toBe(0);
    w.read(() => spend(200, 0.5));
    expect(w.readSeconds).toBe(0.2);
    // Nothing finished: the window is empty; the read's 0.2 s must not make it negative.
    expect(w.inferenceSeconds).toBe(0);
    // CPU: 0.75 s used, 0.5 s of it in the counted read → 0.25 s.
    expect(w.cpuSeconds()).toBe(0.25);
    const idle = new InferenceWindow(manualClocks().clocks);
    expect(idle.cpuSeconds()).toBe(0);
  });

  it('clamps CPU at 0 when the reads used all of it', () => {
    const { clocks, spend } = manualClocks();
    const w = new InferenceWindow(clocks);
    w.read(() => spend(10, 1));
    w.batchDone();
    expect(w.cpuSeconds()).toBe(0);
    expect(w.inferenceSeconds).toBe(0);
  });

  it('processCpuSeconds is user + system CPU in seconds, between two readings of process.cpuUsage()', () => {
    const s = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
    const before = process.cpuUsage();
    const got = processCpuSeconds();
    const after = process.cpuUsage();
    expect(before.system).toBeGreaterThan(0); // else user − system could not be told apart from user + system
    expect(got).toBeGreaterThanOrEqual(s(before));
    expect(got).toBeLessThanOrEqual(s(after));
  });

  it('uses the process clocks by default', () => {
    const w = new InferenceWindow();
    let spin = 0;
    w.read(() => {
      for (let i = 0; i < 1e5; i++) spin += i;
    });
    w.batchDone();
    expect(spin).toBeGreaterThan(0);
    expect(w.readSeconds).toBeGreaterThanOrEqual(0);
    expect(w.inferenceSeconds).toBeGreaterThanOrEqual(0);
    expect(w.cpuSeconds()).toBeGreaterThanOrEqual(0);
  });
});
