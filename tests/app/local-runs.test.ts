import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../app/common/client.ts';
import { createDispatcher } from '../../app/common/dispatcher.ts';
import type { Api, ChannelName } from '../../app/common/contract/index.ts';
import { hintFor } from '../../app/node/hints.ts';
import { hostTable } from '../../app/common/run-tables.ts';
import { createNodeServices, type NodeServices } from '../../app/node/services/index.ts';
import { writeTinyModel } from '../support/cloud-tiny-model.ts';
import { int8DriftBound } from '../support/int8-tolerance.ts';

/** The Node services through the contract, with the real engine on the tiny fixtures (8 and 64 galaxies). */
let dataDir: string;
let services: NodeServices;
let api: Api;
const events: Array<{ channel: string; payload: any; stillActive?: boolean }> = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cai-runs-'));
  services = createNodeServices({ dataDir, mode: 'browser' });
  const dispatch = createDispatcher(services.handlers, { hintFor });
  services.hub.listen((channel, payload) => {
    // Whether the service still listed the run as going at the moment "finished" arrived.
    const stillActive =
      channel === 'runs.finished' && services.runs.list().some((r) => r.runId === (payload as any).runId);
    events.push({ channel, payload, stillActive });
  });
  api = createClient({
    invoke: (m, i) => dispatch(m, JSON.parse(JSON.stringify(i)), undefined),
    subscribe: (channel, cb) => services.hub.listen((c, p) => c === channel && cb(p)),
  });
});
afterAll(async () => {
  await services?.shutdown();
  await rm(dataDir, { recursive: true, force: true });
});

function finished(runId: string): Promise<any> {
  return new Promise((resolve) => {
    const hit = () =>
      events.find((e) => e.channel === ('runs.finished' satisfies ChannelName) && e.payload.runId === runId);
    const t = setInterval(() => {
      const e = hit();
      if (e) {
        clearInterval(t);
        resolve(e.payload);
      }
    }, 50);
  });
}

const fixture = (f: string) => path.resolve('tests/fixtures', f);

describe('local runs through the API', () => {
  it('runs, reports progress, and stores the record, partitions and predictions in History', async () => {
    const { runId } = await api.runs.startLocal({
      data: [fixture('tiny-8.pt')],
      batchSize: 4,
      threads: 1,
      name: 'tiny',
    });
    expect((await api.runs.active()).runs.map((r) => r.runId)).toEqual([runId]);
    await expect(api.runs.startLocal({ data: [fixture('tiny-8.pt')] })).rejects.toMatchObject({
      code: 'BUSY',
      hint: expect.any(String),
    });
    const done = await finished(runId);
    expect(done).toEqual({ runId, status: 'completed' });
    // A window that hears "finished" may start the next run at once: the run no longer counts as going.
    expect(events.filter((e) => e.channel === 'runs.finished').map((e) => e.stillActive)).toEqual([false]);
    const progress = events
      .filter((e) => e.channel === 'runs.progress' && e.payload.runId === runId)
      .map((e) => e.payload);
    expect(progress[0].phase).toBe('preparing');
    expect(progress.at(-1)).toMatchObject({ phase: 'running', samples: { done: 8, total: 8 }, fraction: 1 });

    const { entry, partitions } = await api.history.get({ id: runId });
    expect(entry).toMatchObject({
      name: 'tiny',
      kind: 'local',
      status: 'completed',
      headline: { samples: 8, batchSize: 4, referenceModel: true, syntheticData: false },
    });
    expect(entry.record).toMatchObject({ samples: 8, num_batches: 2, batch_size: 4 });
    expect((entry.record as any).sample_persec).toBeGreaterThan(0);
    expect(partitions).toHaveLength(1);
    const preds = await api.history.predictions({ id: runId });
    expect(preds.total).toBe(8);
    const expected = JSON.parse(await readFile(fixture('tiny-8.expected.json'), 'utf8'));
    const labels: number[] = expected.redshift?.values ?? expected.redshifts?.values;
    expect(preds.rows.map((r) => r.z_true)).toEqual(labels.map((v: number) => Number(Math.fround(v).toPrecision(9))));
    expect((await api.runs.active()).runs).toEqual([]);
  }, 120_000);

  it('reports a bad data file with the engine’s code, the file and a hint, and keeps no History entry', async () => {
    const before = (await api.history.list()).items.length;
    const { runId } = await api.runs.startLocal({ data: [fixture('README.md')] });
    const done = await finished(runId);
    expect(done.status).toBe('failed');
    expect(done.error.message).toContain('README.md');
    expect(done.error.hint).toMatch(/\.pt/);
    expect((await api.history.list()).items.length).toBe(before);
  }, 60_000);

  it('cancels a run and keeps what was computed', async () => {
    const { runId } = await api.runs.startLocal({ data: [fixture('small-64.pt')], batchSize: 1, threads: 1 });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (
          events.some((e) => e.channel === 'runs.progress' && e.payload.runId === runId && e.payload.samples?.done > 0)
        ) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    await api.runs.cancel({ runId });
    expect((await finished(runId)).status).toBe('cancelled');
    const { entry } = await api.history.get({ id: runId });
    expect(entry.status).toBe('cancelled');
    const n = (entry.record as any).samples;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(64);
    await expect(api.runs.cancel({ runId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 120_000);
});

describe('int8 precision through the API', () => {
  async function runToEnd(params: Parameters<Api['runs']['startLocal']>[0]) {
    const { runId } = await api.runs.startLocal(params);
    return { runId, done: await finished(runId) };
  }

  it('runs the quantized model, records int8, and its predictions differ from fp32 by a small nonzero amount', async () => {
    const common = { data: [fixture('tiny-8.pt')], batchSize: 4, threads: 1 };
    const fp32 = await runToEnd({ ...common, name: 'tiny fp32' });
    const int8 = await runToEnd({ ...common, precision: 'int8' });
    expect(fp32.done.status).toBe('completed');
    expect(int8.done).toEqual({ runId: int8.runId, status: 'completed' });

    const { entry } = await api.history.get({ id: int8.runId });
    expect((entry.record as any).model).toMatchObject({ precision: 'int8', reference: true });
    expect(entry.headline.precision).toBe('int8');
    expect(entry.params.precision).toBe('int8');
    expect(entry.name).toBe('reference model (int8) · tiny-8.pt · batch 4');
    expect(((await api.history.get({ id: fp32.runId })).entry.record as any).model.precision).toBe('fp32');
    const listed = (await api.history.list()).items.filter((i) => !i.damaged) as Array<{
      id: string;
      headline: { precision?: string };
    }>;
    expect(listed.find((i) => i.id === int8.runId)!.headline.precision).toBe('int8');
    expect(listed.find((i) => i.id === fp32.runId)!.headline.precision).toBe('fp32');

    // The study comparison of the two tags the int8 side.
    const cmp = await api.study.compare({ a: fp32.runId, b: int8.runId });
    expect(cmp.sides.map((x) => x.label)).toEqual(['A: tiny fp32', 'B: batch 4 (int8)']);

    const a = (await api.history.predictions({ id: fp32.runId })).rows;
    const b = (await api.history.predictions({ id: int8.runId })).rows;
    expect(b.map((r) => [r.index, r.z_true])).toEqual(a.map((r) => [r.index, r.z_true]));
    const dz = a.map((r, i) => Math.abs(r.z_pred - b[i].z_pred));
    expect(Math.max(...dz)).toBeGreaterThan(0);
    const { bound, why } = int8DriftBound(); // measured headroom, see tests/support/int8-tolerance.ts
    expect(Math.max(...dz), `max |dz| ${Math.max(...dz)} (${why})`).toBeLessThan(bound);
  }, 180_000);

  it('quantizes an imported fp32 model beside it, and explains why an already quantized model cannot run as int8', async () => {
    const folder = path.join(dataDir, 'imported');
    await mkdir(folder, { recursive: true });
    // A small user model with the AstroMAE interface (one Gemm and one MatMul), not the bundled reference model.
    const model = await writeTinyModel(path.join(folder, 'my-astromae.onnx'));

    const ok = await runToEnd({ model, data: [fixture('tiny-8.pt')], batchSize: 8, threads: 1, precision: 'int8' });
    expect(ok.done.status).toBe('completed');
    const { entry } = await api.history.get({ id: ok.runId });
    expect((entry.record as any).model).toMatchObject({ path: model, reference: false, precision: 'int8' });
    const cache = path.join(folder, '.cosmicai-int8');
    const copies = (await readdir(cache)).filter((f) => /^my-astromae\.int8-[0-9a-f]+\.onnx$/.test(f));
    expect(copies).toHaveLength(1);

    // The cached int8 copy chosen as the model: quantizing it again is refused, with the reason and what to do.
    const before = (await api.history.list()).items.length;
    const bad = await runToEnd({ model: path.join(cache, copies[0]), data: [fixture('tiny-8.pt')], precision: 'int8' });
    expect(bad.done.status).toBe('failed');
    expect(bad.done.error).toMatchObject({
      code: 'bad-option',
      message: expect.stringMatching(/^precision int8: .*already quantized/),
    });
    expect(bad.done.error.hint).toMatch(/fp32/);
    expect((await api.history.list()).items.length).toBe(before);
  }, 180_000);
});

describe('host tuning through the API', () => {
  it('calibrates on this host when asked, records the choice, shows it in the host table, then reuses the cache', async () => {
    const folder = path.join(dataDir, 'tuned');
    await mkdir(folder, { recursive: true });
    const model = await writeTinyModel(path.join(folder, 'tiny.onnx'));
    const start = async (params: Parameters<Api['runs']['startLocal']>[0]) => {
      const { runId } = await api.runs.startLocal(params);
      expect(await finished(runId)).toMatchObject({ status: 'completed' });
      return (await api.history.get({ id: runId })).entry;
    };
    // Threads not given: the calibration chooses them (between 1 and the physical cores).
    const first = await start({ model, data: [fixture('tiny-8.pt')], batchSize: 4, tune: 'auto' });
    const rec = first.record as any;
    expect(rec.tuning).toMatchObject({ mode: 'auto', source: 'calibrated' });
    const chosen = rec.tuning.result.settings;
    expect(rec.options).toMatchObject({ threads: chosen.threads, spinning: chosen.spinning });
    expect(rec.options.galaxiesPerSessionRun).toBe(chosen.slice);
    const host = hostTable(first)!;
    const tuningRows = host.rows.filter((r, i) => r.item === 'Host tuning' || (i > 0 && r.item === ''));
    expect(tuningRows[0]).toMatchObject({ item: 'Host tuning' });
    expect(String(tuningRows[0].value)).toMatch(
      new RegExp(
        `^tuned calibrated now in .* ${chosen.threads} thread\\(s\\) · ${chosen.slice} galaxies per session run`,
      ),
    );

    const second = await start({ model, data: [fixture('tiny-8.pt')], batchSize: 4, tune: 'auto' });
    if (rec.tuning.notCached) {
      // Other test files kept the CPU busy during the calibration: it was not cached (the host table says why),
      // so the second run calibrates again. tests/engine/run-tuning.test.ts makes that case on purpose.
      expect(host.rows.some((r) => String(r.value).includes(`not cached: ${rec.tuning.notCached}`))).toBe(true);
      expect((second.record as any).tuning).toMatchObject({ source: 'calibrated', key: rec.tuning.key });
    } else {
      expect((second.record as any).tuning).toMatchObject({ source: 'cache', key: rec.tuning.key });
    }
    // Off (the default) records no tuning block.
    const plain = await start({ model, data: [fixture('tiny-8.pt')], batchSize: 4 });
    expect((plain.record as any).tuning).toBeUndefined();
    await expect(api.runs.startLocal({ data: [fixture('tiny-8.pt')], tune: 'fast' as never })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  }, 300_000);
});
