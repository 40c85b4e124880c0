/** The Lambda memory axis of a sweep: ids, order, validation, and the estimate per memory size. */
import { describe, expect, it } from 'vitest';
import { expandSweep } from '../../base/sweep-plan.ts';
import { memorySweepEstimate } from '../../study/cost/memory-estimate.ts';
import { estimateSweepCost } from '../../study/cost/sweep-estimate.ts';

const small = { sweeps: ['batch-size' as const], batchSizes: [16, 32], repeats: 2 };

describe('Lambda memory as a sweep axis', () => {
  it('keeps the ids of a sweep without the axis, and adds m<MB> to cloud jobs with it', () => {
    const plain = expandSweep({ target: 'both', ...small });
    expect(plain.every((j) => j.lambdaMemoryMb === null && !/\/m\d+\//.test(j.id))).toBe(true);
    expect(plain.find((j) => j.target === 'cloud')!.id).toBe('cloud/batch-size/bs16/p25MB/1GB/r1');

    const jobs = expandSweep({ target: 'both', ...small, lambdaMemoriesMb: [1024, 2048, 3008] });
    const local = jobs.filter((j) => j.target === 'local');
    const cloud = jobs.filter((j) => j.target === 'cloud');
    expect(local.map((j) => j.id)).toEqual(plain.filter((j) => j.target === 'local').map((j) => j.id));
    expect(local.every((j) => j.lambdaMemoryMb === null)).toBe(true);
    expect(cloud).toHaveLength(3 * 2 * 2);
    expect(cloud[0]).toMatchObject({ id: 'cloud/batch-size/bs16/p25MB/1GB/m1024/r1', lambdaMemoryMb: 1024 });
    // All jobs at one size run before the function is changed again: memory changes twice in the whole sweep.
    const changes = cloud.filter((j, i) => i > 0 && j.lambdaMemoryMb !== cloud[i - 1].lambdaMemoryMb);
    expect(changes.map((j) => j.lambdaMemoryMb)).toEqual([2048, 3008]);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
  });

  it('rejects memory sizes Lambda does not allow, duplicates, and memory for a local-only sweep', () => {
    expect(() => expandSweep({ target: 'cloud', lambdaMemoriesMb: [100] })).toThrow(
      /lambdaMemoriesMb\.0: Lambda memory must be at least 128 MB/,
    );
    expect(() => expandSweep({ target: 'cloud', lambdaMemoriesMb: [10241] })).toThrow(/at most 10240 MB/);
    expect(() => expandSweep({ target: 'cloud', lambdaMemoriesMb: [1024, 1024] })).toThrow(/duplicates/);
    expect(() => expandSweep({ target: 'cloud', lambdaMemoriesMb: [1536.5] })).toThrow(/whole number/);
    expect(() => expandSweep({ target: 'local', lambdaMemoriesMb: [1024] })).toThrow(
      /Lambda memory is a cloud setting/,
    );
  });

  it('estimates each memory size at its own memory, and the total is their sum', () => {
    const jobs = expandSweep({ target: 'cloud', ...small, lambdaMemoriesMb: [1024, 2048] });
    const est = memorySweepEstimate(jobs, { arch: 'x86_64' })!;
    expect(est.sizes.map((s) => [s.memoryMb, s.jobs, s.lambdas])).toEqual([
      [1024, 4, 4 * 41],
      [2048, 4, 4 * 41],
    ]);
    const at = (mb: number) =>
      estimateSweepCost(
        jobs.filter((j) => j.lambdaMemoryMb === mb),
        { lambda: { memoryMb: mb, arch: 'x86_64' } },
      )!.totalUsd;
    expect(est.sizes[0].usd).toBeCloseTo(at(1024), 12);
    expect(est.sizes[1].usd).toBeCloseTo(at(2048), 12);
    expect(est.sizes[1].usd).toBeGreaterThan(est.sizes[0].usd);
    expect(est.totalUsd).toBeCloseTo(at(1024) + at(2048), 12);
    expect(est.sentence).toMatch(/8 cloud job\(s\) at 2 memory size\(s\) \(1024, 2048 MB\)/);
    expect(est.notes.join(' ')).toMatch(/same duration per rank/);
    expect(memorySweepEstimate(expandSweep({ target: 'cloud', ...small }), { arch: 'x86_64' })).toBeNull();
  });
});
