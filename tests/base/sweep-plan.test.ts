import { describe, expect, it } from 'vitest';
import { expandSweep, parseSweepParams } from '../../base/sweep-plan.ts';

describe('sweep plan', () => {
  it('has the study defaults', () => {
    const p = parseSweepParams({});
    expect(p.batchSizes).toEqual([32, 64, 128, 256, 512]);
    expect(p.partitionSizesMb).toEqual([25, 50, 75, 100]);
    expect(p.dataSizesGb).toEqual([1, 2, 4, 6, 8, 10, 'all']);
    expect(p.repeats).toBe(3);
    expect(p.target).toBe('local');
  });

  it('expands a local sweep into batch-size jobs, repeats back to back', () => {
    const jobs = expandSweep({ target: 'local', batchSizes: [32, 64], repeats: 2 });
    expect(jobs.map((j) => j.id)).toEqual([
      'local/batch-size/bs32/r1',
      'local/batch-size/bs32/r2',
      'local/batch-size/bs64/r1',
      'local/batch-size/bs64/r2',
    ]);
    expect(jobs[0]).toMatchObject({
      target: 'local',
      sweep: 'batch-size',
      partitionMb: null,
      dataLabel: null,
      worldSize: null,
      repeat: 1,
    });
  });

  it('expands cloud sweeps over batch sizes, partitions × data sizes and world sizes', () => {
    const jobs = expandSweep({ target: 'both', repeats: 3, worldSizes: [null, 4] });
    const local = jobs.filter((j) => j.target === 'local');
    const cloud = jobs.filter((j) => j.target === 'cloud');
    expect(local).toHaveLength(5 * 3);
    // batch-size: 5 × 2 worlds × 3; data-size: 4 × 7 × 2 worlds × 3
    expect(cloud).toHaveLength(5 * 2 * 3 + 4 * 7 * 2 * 3);
    expect(cloud[0].id).toBe('cloud/batch-size/bs32/p25MB/1GB/r1');
    expect(cloud.some((j) => j.id === 'cloud/data-size/bs512/p100MB/total/w4/r3')).toBe(true);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
  });

  it('gives the same ids for the same parameters', () => {
    expect(expandSweep({ target: 'cloud' }).map((j) => j.id)).toEqual(
      expandSweep({ target: 'cloud' }).map((j) => j.id),
    );
  });

  it('rejects bad parameters by name', () => {
    expect(() => expandSweep({ batchSizes: [32, 32] })).toThrow(/batchSizes: batch sizes has duplicates/);
    expect(() => expandSweep({ batchSizes: [0] })).toThrow(/batchSizes\.0: batch sizes must be whole positive numbers/);
    expect(() => expandSweep({ repeats: 0 })).toThrow(/repeats/);
  });
});
