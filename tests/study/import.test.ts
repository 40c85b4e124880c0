import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderSource, type ObjectSource } from '../../study/import/object-source.ts';
import {
  importRecordedRuns,
  measurementFromRecorded,
  parseRecordedPath,
  recordedRunJson,
} from '../../study/import/recorded-runs.ts';
import { table2, table3 } from '../../study/tables.ts';

const FIXTURE = path.resolve('tests/fixtures/recorded-results');

describe('recorded-results paths', () => {
  it('reads partition, data label, batch size and repeat from the layout', () => {
    expect(parseRecordedPath('result-partition-25MB/1GB/2/combined_data.json')).toEqual({
      partition_mb: 25,
      data_label: '1GB',
      sweep: 'data-size',
      batch_size: null,
      repeat: 2,
    });
    expect(parseRecordedPath('team1/result-partition-100MB/total100GB/run 3/combined_data.json')).toMatchObject({
      partition_mb: 100,
      data_label: 'total100GB',
      repeat: 3,
    });
    expect(parseRecordedPath('result-partition-25MB/1GB/Batches/128/run 1/combined_data.json')).toEqual({
      partition_mb: 25,
      data_label: '1GB',
      sweep: 'batch-size',
      batch_size: 128,
      repeat: 1,
    });
    expect(parseRecordedPath('result-partition-100MB/total/timing/1/combined_data.json')).toBeNull();
    expect(parseRecordedPath('result-partition-25MB/1GB/1/combined_data_1.json')).toBeNull();
    expect(parseRecordedPath('result-partition-25MB/1GB/final/combined_data.json')).toBeNull();
  });
});

describe('import of the recorded-results fixture', async () => {
  const imported = await importRecordedRuns(folderSource(FIXTURE));
  const find = (source: string) => imported.runs.find((r) => r.source === source)!;

  it('finds every run in study order, reports malformed files and ignores files outside the layout', () => {
    expect(
      imported.runs.map((r) => `${r.partition_mb}/${r.data_label}/${r.sweep}/${r.batch_size}/${r.repeat}`),
    ).toEqual([
      '25/1GB/batch-size/32/1',
      '25/1GB/batch-size/32/2',
      '25/1GB/batch-size/64/1',
      '25/1GB/data-size/512/1',
      '25/1GB/data-size/512/2',
      '50/1GB/data-size/512/1',
      '50/total/data-size/512/1',
      '100/total/data-size/512/1',
    ]);
    expect(imported.problems).toEqual([
      {
        source: 'result-partition-25MB/2GB/1/combined_data.json',
        problem: expect.stringMatching(/^rank 2 of 2: throughput_bps: /),
      },
      { source: 'result-partition-50MB/1GB/2/combined_data.json', problem: expect.stringMatching(/^not valid JSON/) },
    ]);
    expect(imported.ignored).toEqual(['result-partition-100MB/total/timing/1/combined_data.json']);
  });

  it('aggregates as the study did (hand-computed)', () => {
    // CPU [6, 7, 6.5]: Q1 6.25, Q3 6.75, nothing dropped → 6.5; sums of memory and throughput;
    // bits = 35e6·6 + 30e6·7 + 32e6·6.5
    const a = find('result-partition-25MB/1GB/1/combined_data.json');
    expect(a.ranks).toBe(3);
    expect(a['total_cpu_time (seconds)']).toBeCloseTo(6.5, 12);
    expect(a['total_cpu_memory (MB)']).toBeCloseTo(8400, 9);
    expect(a.throughput_bps).toBeCloseTo(97e6, 3);
    expect(a.total_bits).toBeCloseTo(628e6, 3);
    expect(a['execution_time (seconds/batch)']).toBeCloseTo(6.4 / 3, 12);

    // CPU [12, 13, 12.5, 13.5, 40]: Q1 12.5, Q3 13.5, bounds [11, 15], 40 dropped → 12.75.
    // total_bits keeps every rank: 360e6 + 377e6 + 387.5e6 + 378e6 + 400e6
    const t = find('result-partition-50MB/total/run 1/combined_data.json');
    expect(t.ranks).toBe(5);
    expect(t.repeat).toBe(1);
    expect(t['total_cpu_time (seconds)']).toBeCloseTo(12.75, 12);
    expect(t.cpu_time_outliers_dropped).toBe(1);
    expect(t['total_cpu_memory (MB)']).toBeCloseTo(28000, 9);
    expect(t.throughput_bps).toBeCloseTo(128e6, 3);
    expect(t.total_bits).toBeCloseTo(1902.5e6, 3);

    // Batch size from the path for Batches runs.
    const b = find('result-partition-25MB/1GB/Batches/32/run 2/combined_data.json');
    expect(b.batch_size).toBe(32);
    expect(b['total_cpu_time (seconds)']).toBeCloseTo(10, 12);
    expect(b.total_bits).toBeCloseTo(9.5 * 19e6 + 10.5 * 17e6, 3);
    expect(b.warnings).toEqual([]);
  });

  it('gives the --json objects the study names', () => {
    const json = recordedRunJson(find('result-partition-100MB/total/1/combined_data.json'));
    expect(json).toMatchObject({
      partition_mb: 100,
      data_label: 'total',
      batch_size: 512,
      repeat: 1,
      ranks: 2,
      'total_cpu_time (seconds)': 25,
      'total_cpu_memory (MB)': 14000,
      throughput_bps: 67e6,
      total_bits: 24 * 35e6 + 26 * 32e6,
    });
  });

  it('produces Tables 2 and 3 from the data-size runs', () => {
    const runs = imported.runs.map((r) => measurementFromRecorded(r, 2048));
    const t2 = table2(runs);
    expect(t2.rows.map((r) => `${r.data_label}/${r.partition_mb}`)).toEqual([
      '1GB/25',
      '1GB/50',
      'total/50',
      'total/100',
    ]);
    const r25 = t2.rows[0];
    // s/batch per run: 6.4/3 and 6.2/3 → mean 2.1; throughput 97e6 and 101e6 bit/s → 0.099 Gbps, sd 0.004/√2
    expect(r25.seconds_per_batch).toBeCloseTo(2.1, 12);
    expect(r25.throughput_gbps).toBeCloseTo(0.099, 12);
    expect(r25.throughput_gbps_sd).toBeCloseTo(0.004 / Math.SQRT2, 12);
    expect(r25.memory_gb).toBeCloseTo(8400 / 1024, 12);
    expect(r25.memory_gb_sd).toBeCloseTo(0, 9);
    expect(r25.ranks).toBe(3);
    expect(r25.concurrent_jobs).toBeNull(); // imported results have no rank timeline
    expect(r25.repeats).toBe(2);

    const t3 = table3(runs);
    const c25 = t3.rows[0];
    // Σ CPU seconds 19.5 and 18 at 2 GB, plus 3 requests each
    const cost1 = 19.5 * 2 * 0.0000166667 + 3 * 0.2e-6;
    const cost2 = 18 * 2 * 0.0000166667 + 3 * 0.2e-6;
    expect(c25).toMatchObject({ data_label: '1GB', partition_mb: 25, invocations: 3, memory_gb: 2, repeats: 2 });
    expect(c25.total_duration_s).toBeCloseTo(18.75, 12);
    expect(c25.cost_usd).toBeCloseTo((cost1 + cost2) / 2, 14);
    expect(t3.rows.at(-1)).toMatchObject({ data_label: 'total', partition_mb: 100, invocations: 2 });
    expect(t3.rows.at(-1)!.total_duration_s).toBeCloseTo(50, 12);
  });
});

describe('import sources', () => {
  it('reads the same tree through the object-store interface', async () => {
    const local = folderSource(FIXTURE);
    const keys = await local.listObjects();
    const store: ObjectSource = {
      label: 'memory',
      listObjects: async () => keys.map((k) => `runs/${k}`),
      getObject: (k) => local.getObject(k.slice(5)),
    };
    const viaStore = await importRecordedRuns(store);
    // The same eight runs and two problems as the folder import above, with the hand-computed aggregate of 25MB/1GB/1.
    expect(viaStore.runs).toHaveLength(8);
    expect(viaStore.problems).toHaveLength(2);
    const a = viaStore.runs.find((r) => r.source.endsWith('result-partition-25MB/1GB/1/combined_data.json'));
    expect(a?.ranks).toBe(3);
    expect(a?.['total_cpu_time (seconds)']).toBeCloseTo(6.5, 12);
    expect(a?.total_bits).toBeCloseTo(35e6 * 6 + 30e6 * 7 + 32e6 * 6.5, 3);
  });

  it('says what is wrong with the folder', async () => {
    await expect(importRecordedRuns(folderSource(path.join(FIXTURE, 'nope')))).rejects.toThrow(/nope does not exist/);
    await expect(
      importRecordedRuns(
        folderSource(path.resolve('tests/fixtures/recorded-results/result-partition-100MB/total/1/1.json')),
      ),
    ).rejects.toThrow(/is a file/);
    await expect(importRecordedRuns(folderSource(path.resolve('study')))).rejects.toThrow(
      /no combined_data\.json files in folder/,
    );
  });
});

describe('recorded runs in History', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const { HistoryStore } = await import('../../app/node/history-store.ts');
  const { saveRecordedRuns } = await import('../../app/node/recorded-import.ts');
  const { measurementFromRunRecord } = await import('../../study/cloud-measurement.ts');

  it('adds each run once, with its ranks, and reads back as a measurement', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recorded-history-'));
    try {
      const history = new HistoryStore(dir);
      const imported = await importRecordedRuns(folderSource(FIXTURE));
      const first = await saveRecordedRuns(history, imported);
      expect(first.saved).toHaveLength(8);
      expect(first.existing).toHaveLength(0);
      const again = await saveRecordedRuns(history, imported);
      expect(again.saved).toHaveLength(0);
      expect(again.existing.map((e) => e.runId).sort()).toEqual(first.saved.map((e) => e.runId).sort());

      const id = first.saved.find((s) => s.source === 'result-partition-50MB/total/run 1/combined_data.json')!.runId;
      const { entry, partitions } = await history.get(id);
      expect(entry).toMatchObject({ kind: 'recorded', status: 'completed', name: 'Recorded 50 MB / total / run 1' });
      expect(partitions).toHaveLength(5);
      const m = measurementFromRunRecord(entry.record);
      expect(m).toMatchObject({
        id,
        target: 'cloud',
        partitionMb: 50,
        dataLabel: 'total',
        repeat: 1,
        ranks: 5,
        cpuTimeSeconds: 12.75,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
