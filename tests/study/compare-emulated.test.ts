/** An emulated cloud run set against an AWS one is not like with like, and says how it measured. */
import { describe, expect, it } from 'vitest';
import { compareRuns, defaultMeasuredHow } from '../../study/compare.ts';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { PHYSICAL_DEFINITIONS } from '../../base/metric-catalogue.ts';

const aws: StudyMeasurement = {
  id: 'aws',
  target: 'cloud',
  batchSize: 512,
  partitionMb: 25,
  dataLabel: '1GB',
  repeat: 1,
  ranks: 2,
  secondsPerBatch: 1,
  throughputBps: 1e6,
  memoryMb: 1000,
  cpuTimeSeconds: 10,
  samplesPerSec: 100,
  totalBits: 1e7,
  rankSecondsTotal: 10,
  rankSecondsSource: 'billed',
  engine: 'onnxruntime',
  model: 'astromae.onnx',
  definitions: PHYSICAL_DEFINITIONS,
};
const emulated: StudyMeasurement = { ...aws, id: 'emu', emulated: true, secondsPerBatch: 2 };

describe('emulated vs AWS in the study comparison', () => {
  it('warns, and concludes no "% faster"', () => {
    const c = compareRuns({ label: 'A', run: emulated }, { label: 'B', run: aws });
    expect(c.comparable).toBe(false);
    expect(c.warnings).toContain('A ran on the emulator on this computer, B on AWS');
    const rows = c.table.rows as Array<Record<string, unknown>>;
    expect(rows.some((r) => /faster/.test(String(r.note)))).toBe(false);
  });

  it('two AWS runs alike stay comparable; two emulated runs too', () => {
    expect(compareRuns({ label: 'A', run: aws }, { label: 'B', run: { ...aws, id: 'y' } }).comparable).toBe(true);
    expect(compareRuns({ label: 'A', run: emulated }, { label: 'B', run: { ...emulated, id: 'y' } }).comparable).toBe(
      true,
    );
  });

  it('describes the emulated side as this computer, not AWS Lambda', () => {
    expect(defaultMeasuredHow(emulated)).toMatch(/^Cloud pipeline emulated on this computer/);
    expect(defaultMeasuredHow(emulated)).not.toContain('AWS Lambda');
    expect(defaultMeasuredHow(aws)).toMatch(/^Cloud \(AWS Lambda/);
  });
});
