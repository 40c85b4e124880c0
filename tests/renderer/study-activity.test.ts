import { describe, expect, it } from 'vitest';
import type { StudyProgressEvent } from '../../app/common/contract/study.ts';
import { ACTIVITY_LIMIT, appendActivity, type ActivityLine } from '../../renderer/src/components/study-activity.tsx';

const ev = (event: StudyProgressEvent['event'], message: string, jobId: string | null, jobFraction: number | null) =>
  ({
    studyId: 's',
    event,
    counts: { pending: 0, running: 0, done: 0, failed: 0 },
    total: 1,
    jobId,
    jobFraction,
    message,
  }) satisfies StudyProgressEvent;

const run = (events: StudyProgressEvent[]) =>
  events.reduce<ActivityLine[]>((lines, e) => appendActivity(lines, e), []).map((l) => l.message);

describe('the study activity', () => {
  it('keeps every step and only the newest per-batch line of a job', () => {
    expect(
      run([
        ev('job-start', 'a: started (attempt 1)', 'a', null),
        ev('job-progress', 'a: running 8/64 galaxies', 'a', 0.125),
        ev('job-progress', 'a: running 64/64 galaxies', 'a', 1),
        ev('job-done', 'a: done', 'a', null),
        ev('job-progress', 'b: setting fn to 1024 MB…', 'b', null),
        ev('job-progress', 'fn now has 1024 MB', null, null),
        ev('job-start', 'b: started (attempt 1)', 'b', null),
        ev('job-progress', 'b: running 8/64 galaxies', 'b', 0.125),
        ev('finished', '2 done, 0 failed', null, null),
      ]),
    ).toEqual([
      'a: started (attempt 1)',
      'a: running 64/64 galaxies',
      'a: done',
      'b: setting fn to 1024 MB…',
      'fn now has 1024 MB',
      'b: started (attempt 1)',
      'b: running 8/64 galaxies',
      '2 done, 0 failed',
    ]);
  });

  it('does not fold a step that has no fraction into batch progress, nor two jobs into one line', () => {
    expect(
      run([
        ev('job-progress', 'a: running 8/64 galaxies', 'a', 0.125),
        ev('job-progress', 'b: running 8/64 galaxies', 'b', 0.125),
        ev('job-progress', 'b: execution started', 'b', null),
        ev('job-progress', 'b: execution still running', 'b', null),
      ]),
    ).toEqual([
      'a: running 8/64 galaxies',
      'b: running 8/64 galaxies',
      'b: execution started',
      'b: execution still running',
    ]);
  });

  it(`keeps the newest ${ACTIVITY_LIMIT} lines`, () => {
    const lines = run(
      Array.from({ length: ACTIVITY_LIMIT + 5 }, (_, i) => ev('job-done', `j${i}: done`, `j${i}`, null)),
    );
    expect(lines).toHaveLength(ACTIVITY_LIMIT);
    expect(lines[0]).toBe('j5: done');
    expect(lines.at(-1)).toBe(`j${ACTIVITY_LIMIT + 4}: done`);
  });
});
