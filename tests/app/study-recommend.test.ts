import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../app/common/client.ts';
import { createDispatcher } from '../../app/common/dispatcher.ts';
import type { Api } from '../../app/common/contract/index.ts';
import { hintFor } from '../../app/node/hints.ts';
import { createNodeServices, type NodeServices } from '../../app/node/services/index.ts';
import { measurementFromRunRecord } from '../../study/cloud-measurement.ts';
import { createStudy, saveStudy } from '../../study/study-store.ts';
import { SWEEP_3X3, saveSweepRuns, sweepRecord } from '../support/memory-sweep-runs.ts';

/** `study.recommend` through the contract (validated both ways): History runs, all cloud runs, a study, bad input. */

let dataDir: string;
let services: NodeServices;
let api: Api;
let ids: string[];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cai-recommend-svc-'));
  ids = await saveSweepRuns(dataDir, SWEEP_3X3);
  services = createNodeServices({ dataDir, mode: 'browser' });
  const dispatch = createDispatcher(services.handlers, { hintFor });
  api = createClient({
    invoke: (m, i) => dispatch(m, JSON.parse(JSON.stringify(i ?? {})), undefined),
    subscribe: (channel, cb) => services.hub.listen((c, p) => c === channel && cb(p)),
  });
});
afterAll(async () => {
  await services?.shutdown();
  await rm(dataDir, { recursive: true, force: true });
});

describe('study.recommend', () => {
  it('recommends over every cloud run in History, with the picks, the table and the chart', async () => {
    const v = await api.study.recommend({ selection: { history: 'cloud' } });
    expect(v.runs).toBe(9);
    expect(v.strategy).toBe('balanced');
    expect(v.weight).toBe(0.5);
    expect(v.groups).toHaveLength(1);
    const g = v.groups[0];
    expect(g.memorySizes).toEqual([1024, 2048, 4096]);
    expect([g.picks.cost.memoryMb, g.picks.speed.memoryMb, g.picks.balanced.memoryMb]).toEqual([2048, 4096, 2048]);
    expect(g.recommended.memoryMb).toBe(2048);
    expect(g.chart.points.map((p) => p.memoryMb)).toEqual([1024, 2048, 4096]);
    expect(v.table!.rows.map((r) => r.pick)).toEqual(['', 'cheapest, balanced', 'fastest']);
    // At the saved (default) prices: 40 GB-s × $0.0000166667 + 4 requests × $0.0000002.
    expect(v.table!.rows[1].cost_usd).toBeCloseTo(40 * 0.0000166667 + 4 * 0.0000002, 15);
    expect(v.table!.rows[1].execution_s).toBe(10);
  });

  it('takes chosen runs, a strategy and a weight', async () => {
    const v = await api.study.recommend({ selection: { runs: ids }, strategy: 'speed', weight: 0 });
    expect(v.groups[0].recommended.memoryMb).toBe(4096);
    expect(v.groups[0].picks.balanced.memoryMb).toBe(4096);
    const two = await api.study.recommend({ selection: { runs: ids.slice(0, 3) } });
    expect(two.groups[0].memorySizes).toEqual([1024]);
    expect(two.groups[0].notes[0]).toMatch(/^Only one memory size \(1024 MB\)/);
  });

  it("recommends from a study's jobs, keeping each execution's wall time", async () => {
    const state = await createStudy(dataDir, { target: 'cloud', sweeps: ['data-size'], partitionSizesMb: [25] });
    const ms = SWEEP_3X3.map((r) => measurementFromRunRecord(sweepRecord(r)));
    state.jobs = state.jobs
      .slice(0, 1)
      .flatMap((j) =>
        ms.map((m, i) => ({ ...j, id: `${j.id}/m${i}`, status: 'done' as const, result: m, runId: m.id })),
      );
    await saveStudy(dataDir, state);
    const v = await api.study.recommend({ selection: { study: state.id } });
    expect(v.groups[0].picks.cost.memoryMb).toBe(2048);
    expect(v.groups[0].picks.speed.executionS).toBe(8);
  });

  it('refuses a weight outside [0, 1] and an unknown strategy before anything runs', async () => {
    await expect(api.study.recommend({ selection: { history: 'cloud' }, weight: 2 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(
      api.study.recommend({ selection: { history: 'cloud' }, strategy: 'fast' as never }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('with no cloud runs, says so instead of picking', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'cai-recommend-empty-'));
    const s = createNodeServices({ dataDir: empty, mode: 'browser' });
    try {
      const v = await s.study.recommend({ selection: { history: 'cloud' } });
      expect(v).toMatchObject({ runs: 0, groups: [], table: null });
    } finally {
      await s.shutdown();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
