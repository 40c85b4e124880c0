import { describe, expect, it } from 'vitest';
import { pendingRerunArn } from '../../base/pending-rerun.ts';

const A = 'arn:aws:states:us-east-1:1:execution:sm:original';
const B = 'arn:aws:states:us-east-1:1:execution:sm:rerun-1';
const C = 'arn:aws:states:us-east-1:1:execution:sm:rerun-2';

describe('a pending re-run of failed ranks', () => {
  it('is the last re-run in params that the record does not cover yet', () => {
    // Started, not recorded: the record is still the original execution's alone.
    expect(pendingRerunArn({ reruns: [{ of: A, executionArn: B }] }, { executionArn: A })).toBe(B);
    // Recorded: the merged record lists it among its executions.
    const merged = { executionArn: A, executions: [{ executionArn: A }, { executionArn: B }] };
    expect(pendingRerunArn({ reruns: [{ of: A, executionArn: B }] }, merged)).toBeNull();
    // A second re-run after the first was recorded.
    expect(
      pendingRerunArn(
        {
          reruns: [
            { of: A, executionArn: B },
            { of: A, executionArn: C },
          ],
        },
        merged,
      ),
    ).toBe(C);
  });

  it('is none for a run without re-runs, or with params or a record of an unexpected shape', () => {
    expect(pendingRerunArn({}, { executionArn: A })).toBeNull();
    expect(pendingRerunArn({ reruns: [] }, { executionArn: A })).toBeNull();
    expect(pendingRerunArn({ reruns: 'x' }, { executionArn: A })).toBeNull();
    expect(pendingRerunArn({ reruns: [null] }, { executionArn: A })).toBeNull();
    expect(pendingRerunArn({ reruns: [{ executionArn: 7 }] }, null)).toBeNull();
    // No record at all (the run failed before one was written): the re-run is pending.
    expect(pendingRerunArn({ reruns: [{ executionArn: B }] }, null)).toBe(B);
    expect(pendingRerunArn({ reruns: [{ executionArn: B }] }, { executions: [null, { executionArn: 1 }] })).toBe(B);
  });
});
