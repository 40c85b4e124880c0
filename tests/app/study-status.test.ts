import { describe, expect, it } from 'vitest';
import { firstFailure, studyStatus } from '../../app/common/study-status.ts';

const counts = (done: number, failed: number, pending = 0, running = 0) => ({ done, failed, pending, running });
const at = (c: ReturnType<typeof counts>, running = false, interrupted = false) =>
  studyStatus({ counts: c, running, interrupted });

describe('study status', () => {
  it('is "finished" (green) only when every job succeeded', () => {
    expect(at(counts(3, 0))).toEqual({ state: 'finished', badge: 'completed', summary: '3 of 3 job(s) succeeded' });
  });
  it('is "failed" (red) when every job failed: never "1 of 1 finished" with a green badge', () => {
    expect(at(counts(0, 1))).toEqual({
      state: 'failed',
      badge: 'failed',
      summary: '0 of 1 job(s) succeeded, 1 failed',
    });
  });
  it('is "finished with failures" when some succeeded and some failed', () => {
    expect(at(counts(2, 1))).toMatchObject({
      state: 'finished with failures',
      badge: 'failed',
      summary: '2 of 3 job(s) succeeded, 1 failed',
    });
  });
  it('running, interrupted and paused come before the outcome', () => {
    expect(at(counts(1, 1, 1), true).state).toBe('running');
    expect(at(counts(1, 0, 1), false, true).state).toBe('interrupted');
    expect(at(counts(1, 0, 2))).toMatchObject({
      state: 'paused',
      badge: 'cancelled',
      summary: '1 of 3 job(s) succeeded, 2 to run',
    });
  });
  it('names the first failed job and its error', () => {
    const jobs = [
      { id: 'b32-r1', status: 'done', error: null },
      { id: 'b64-r1', status: 'failed', error: 'Lambda timed out' },
      { id: 'b64-r2', status: 'failed', error: 'other' },
    ];
    expect(firstFailure(jobs)).toEqual({ jobId: 'b64-r1', error: 'Lambda timed out' });
    expect(firstFailure(jobs.slice(0, 1))).toBeNull();
  });
});
