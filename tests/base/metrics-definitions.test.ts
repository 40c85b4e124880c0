import { describe, expect, it } from 'vitest';
import { recordDefinitions } from '../../base/record-definitions.ts';
import type { RunEntry } from '../../app/common/contract/index.ts';
import { compareTable } from '../../app/common/run-tables.ts';

/** Every number shown with its definition; a row never sets two definitions side by side without saying so. */

const entry = (name: string, record: Record<string, unknown>) =>
  ({ id: name, name, kind: record.kind, record }) as unknown as RunEntry;

describe('record definitions', () => {
  it("reads a record's own map, else infers from its kind and pipeline", () => {
    expect(recordDefinitions({ kind: 'local', definitions: { 'total_cpu_time (seconds)': 'cpu.process' } })).toEqual({
      'total_cpu_time (seconds)': 'cpu.process',
    });
    expect(recordDefinitions({ kind: 'local' })['throughput_bps']).toBe('throughput.f32-bits-wall');
    expect(recordDefinitions({ kind: 'recorded' })['total_cpu_memory (MB)']).toBe('memory.profiler-alloc-sum');
    expect(
      recordDefinitions({ kind: 'cloud', payload: { script: '/tmp/Anomaly Detection/Inference/inference.py' } })[
        'total_cpu_time (seconds)'
      ],
    ).toBe('cpu.profiler');
    expect(recordDefinitions({ kind: 'cloud', payload: { script: 'model.onnx' } })['total_cpu_time (seconds)']).toBe(
      'cpu.process',
    );
  });
});

describe('the all-metrics comparison table', () => {
  const local = {
    kind: 'local',
    samples: 100,
    'total_cpu_time (seconds)': 10,
    'total_cpu_memory (MB)': 900,
    batch_size: 512,
  };
  const recorded = {
    kind: 'recorded',
    samples: 100,
    'total_cpu_time (seconds)': 5,
    'total_cpu_memory (MB)': 53_583,
    batch_size: 512,
  };

  it("names each row's definition, and leaves out B ÷ A where they differ", () => {
    const t = compareTable(entry('A', local), entry('B', recorded));
    const cpu = t.rows.find((r) => r.metric === 'CPU time')!;
    expect(cpu.ratio).toBeUndefined();
    expect(cpu.definition).toBe('differs — A: process user+system CPU; B: torch profiler operator CPU sum');
    expect(t.rows.find((r) => r.metric === 'Batch size')!.ratio).toBe(1);
    expect(t.note).toMatch(/different definitions/);
  });

  it('keeps the ratio when both sides share the definition', () => {
    const t = compareTable(entry('A', local), entry('B', { ...local, 'total_cpu_time (seconds)': 20 }));
    const cpu = t.rows.find((r) => r.metric === 'CPU time')!;
    expect(cpu.ratio).toBe(2);
    expect(cpu.definition).toBe('process user+system CPU');
    expect(t.note).toBeUndefined();
  });
});

describe("study tables state their columns' definitions", () => {
  it("warns when one column mixes local peak RSS and the study's profiler allocation sum", async () => {
    const { table1 } = await import('../../study/tables.ts');
    const { PHYSICAL_DEFINITIONS, PROFILER_DEFINITIONS } = await import('../../base/metric-catalogue.ts');
    const m = {
      id: 'x',
      sweep: 'batch-size' as const,
      batchSize: 32,
      partitionMb: 25,
      dataLabel: '1GB',
      repeat: 1,
      ranks: 1,
      secondsPerBatch: 1,
      throughputBps: 1e6,
      memoryMb: 900,
      cpuTimeSeconds: 1,
      samplesPerSec: 1,
      totalBits: 1,
      rankSecondsTotal: 1,
      rankSecondsSource: 'cpu-time' as const,
    };
    const local = { ...m, target: 'local' as const, engine: 'onnxruntime' as const, definitions: PHYSICAL_DEFINITIONS };
    const cloud = { ...m, target: 'cloud' as const, engine: 'pytorch' as const, definitions: PROFILER_DEFINITIONS };
    const same = table1([local, { ...local, batchSize: 64 }]);
    expect(same.note).toContain('Memory: peak RSS (MB = 2^20 bytes).');
    const mixed = table1([local, cloud]);
    expect(mixed.note).toContain(
      'Warning: the Memory column mixes definitions (local onnxruntime rows: peak RSS (MB = 2^20 bytes); cloud pytorch rows: profiler allocation sum (MB = 1e6 bytes)); do not compare its rows as like with like.',
    );
  });
});
