import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../app/common/client.ts';
import { createDispatcher } from '../../app/common/dispatcher.ts';
import type { Api, StudyProgressEvent } from '../../app/common/contract/index.ts';
import { hintFor } from '../../app/node/hints.ts';
import { createNodeServices, type NodeServices } from '../../app/node/services/index.ts';
import { createStudy, saveStudy } from '../../study/study-store.ts';
import { DEFAULT_PRICE_TABLE } from '../../base/price-table.ts';

/** The study API through the contract: estimate, a real local sweep, tables/charts, compare, import, prices, report. */
let dataDir: string;
let services: NodeServices;
let api: Api;
const progress: StudyProgressEvent[] = [];
/** Whether the service still counted a study as running at the moment its last event arrived. */
const runningAtEnd: boolean[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cai-study-svc-'));
  services = createNodeServices({ dataDir, mode: 'browser' });
  const dispatch = createDispatcher(services.handlers, { hintFor });
  services.hub.listen((channel, payload) => {
    if (channel !== 'study.progress') return;
    const p = payload as StudyProgressEvent;
    progress.push(p);
    if (['finished', 'cancelled', 'error'].includes(p.event)) runningAtEnd.push(services.study.isRunning());
  });
  api = createClient({
    invoke: (m, i) => dispatch(m, JSON.parse(JSON.stringify(i ?? {})), undefined),
    subscribe: (channel, cb) => services.hub.listen((c, p) => c === channel && cb(p)),
  });
});
afterAll(async () => {
  await services?.shutdown();
  await rm(dataDir, { recursive: true, force: true });
});

const fixture = (f: string) => path.resolve('tests/fixtures', f);

function studyEnd(id: string): Promise<StudyProgressEvent> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      const e = progress.find(
        (p) => p.studyId === id && (p.event === 'finished' || p.event === 'cancelled' || p.event === 'error'),
      );
      if (e) {
        clearInterval(t);
        resolve(e);
      }
    }, 50);
  });
}

describe('study API', () => {
  it('estimates a sweep: jobs with the defaults, and the cost sentence for cloud jobs', async () => {
    const local = await api.study.estimate({ params: {} });
    expect(local).toMatchObject({ jobs: 15, localJobs: 15, cloudJobs: 0, sentence: null, totalUsd: 0 });
    const cloud = await api.study.estimate({
      params: { target: 'cloud', sweeps: ['data-size'], partitionSizesMb: [100], dataSizesGb: ['all'], repeats: 1 },
      cost: { lambdaMemoryMb: 2048, arch: 'x86_64' },
    });
    // 130 inference ranks (12.6 GB / 100 MB) + Initialize + Summarize = 132, said as "about 130".
    expect(cloud.sentence).toMatch(/^This study will invoke about 130 Lambdas, about \$\d+\.\d\d\.$/);
    expect(cloud.lines.map((l) => l.item).join(' ')).toMatch(/Lambda/);
    expect(cloud.priceAsOf).toBe(DEFAULT_PRICE_TABLE.asOf);
    await expect(api.study.estimate({ params: { batchSizes: [32, 32] } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('duplicates'),
    });
  });

  it('runs a local sweep over two batch sizes: progress, History runs, Table 1 and its chart', async () => {
    const { id } = await api.study.create({
      name: 'two batches',
      params: {
        target: 'local',
        batchSizes: [16, 32],
        repeats: 1,
        localData: [fixture('small-64.pt')],
        localThreads: 1,
      },
    });
    await expect(api.study.create({ params: { batchSizes: [8] } })).rejects.toMatchObject({ code: 'BUSY' });
    await expect(api.runs.startLocal({ data: [fixture('tiny-8.pt')] })).rejects.toMatchObject({
      code: 'BUSY',
      message: 'A study is running.',
    });
    const end = await studyEnd(id);
    expect(end.event).toBe('finished');
    expect(end.counts).toMatchObject({ done: 2, failed: 0, pending: 0 });
    // A window that reloads on "finished" must read a study that is no longer running (else it shows "running").
    expect(runningAtEnd).toEqual([false]);
    expect(progress.some((p) => p.studyId === id && p.event === 'job-start')).toBe(true);

    const { study } = await api.study.get({ id });
    expect(study.jobs.map((j) => [j.id, j.status])).toEqual([
      ['local/batch-size/bs16/r1', 'done'],
      ['local/batch-size/bs32/r1', 'done'],
    ]);
    const history = (await api.history.list()).items.filter((i) => !i.damaged && i.kind === 'local');
    expect(history).toHaveLength(2);
    expect(study.jobs.map((j) => j.runId).sort()).toEqual(history.map((h) => h.id).sort());

    const res = await api.study.results({ selection: { study: id } });
    expect(res.runs).toBe(2);
    const t1 = res.tables.find((t) => t.title.startsWith('Table 1'))!;
    expect(t1.rows.map((r) => r.batch_size)).toEqual([16, 32]);
    const chart = res.charts.find((c) => c.id === 'time-vs-batch')!;
    expect(chart.series[0].points.map((p) => p.x)).toEqual([16, 32]);
    expect(chart.series[0].points.every((p) => p.y > 0)).toBe(true);
    expect(res.findings.length).toBeGreaterThan(0);

    // The same runs picked from History give the same Table 1.
    const fromHistory = await api.study.results({ selection: { runs: history.map((h) => h.id) } });
    expect(fromHistory.tables.find((t) => t.title.startsWith('Table 1'))!.rows.map((r) => r.batch_size)).toEqual([
      16, 32,
    ]);

    const cmp = await api.study.compare({ a: history[0].id, b: history[1].id });
    // Batch 16 against batch 32 is not like with like: a warning row first, and no note concludes "% faster".
    expect(cmp.comparable).toBe(false);
    expect(cmp.warnings).toEqual([expect.stringMatching(/^batch sizes differ \(A: .* (16|32), B: .* (16|32)\)$/)]);
    expect(cmp.table.rows.map((r) => r.metric)).toEqual([
      'Warning',
      'Execution Time/Batch (s)',
      'Throughput (Mbps)',
      'CPU Time (s)',
      'Memory (MB)',
      'Samples/sec',
      'Peak memory per worker (MB, physical)',
    ]);
    expect(cmp.table.rows.filter((r) => /\d(%|×) /.test(String(r.note)))).toEqual([]);
    expect(cmp.measuredHow).toHaveLength(2);
    expect(cmp.table.rows.every((r) => typeof r.note === 'string' && r.note.length > 0)).toBe(true);

    const report = await api.study.report({ selection: { study: id } });
    expect(report.html).toContain('<h2>Summary</h2>');
    expect(report.html).toContain('Table 1');
    expect(report.html).toContain('small-64.pt');
    expect(report.fileName).toBe('two-batches-report.html');
    await expect(api.study.reportPdf({ html: report.html, suggestedName: 'r.pdf' })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
  }, 180_000);

  it('lists a study left "running" by a stopped app as interrupted, and resumes it', async () => {
    const s = await createStudy(
      dataDir,
      { target: 'local', batchSizes: [8], repeats: 1, localData: [fixture('tiny-8.pt')], localThreads: 1 },
      'crashed',
    );
    s.jobs[0].status = 'running';
    s.jobs[0].attempts = 1;
    await saveStudy(dataDir, s);
    const item = (await api.study.list()).studies.find((x) => x.id === s.id)!;
    expect(item).toMatchObject({ interrupted: true, running: false });
    await api.study.resume({ id: s.id });
    expect((await studyEnd(s.id)).counts.done).toBe(1);
    expect((await api.study.get({ id: s.id })).study.jobs[0]).toMatchObject({ status: 'done', attempts: 2 });
    await expect(api.study.get({ id: 'study-nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 120_000);

  it('runs a local sweep at int8 when asked: History says int8, the report names the precision', async () => {
    const { id } = await api.study.create({
      name: 'int8 sweep',
      params: {
        target: 'local',
        batchSizes: [8],
        repeats: 1,
        localData: [fixture('tiny-8.pt')],
        localThreads: 1,
        localPrecision: 'int8',
      },
    });
    expect((await studyEnd(id)).counts.done).toBe(1);
    const runId = (await api.study.get({ id })).study.jobs[0].runId!;
    const { entry } = await api.history.get({ id: runId });
    expect(entry.headline.precision).toBe('int8');
    expect((entry.record as any).model.precision).toBe('int8');
    const report = await api.study.report({ selection: { study: id } });
    expect(report.html).toMatch(/Precision \(local\)[\s\S]{0,80}int8/);

    // Picked from History with the fp32 run of the same batch and data ("crashed" above): two rows, never one mean.
    const fp32Id = (await api.history.list()).items.find(
      (i) => !i.damaged && i.name === 'crashed · local/batch-size/bs8/r1',
    )!.id;
    const both = await api.study.results({ selection: { runs: [fp32Id, runId] } });
    const t1 = both.tables.find((t) => t.title.startsWith('Table 1'))!;
    expect(t1.rows.map((r) => `${r.precision}:${r.batch_size}:${r.repeats}`)).toEqual(['fp32:8:1', 'int8:8:1']);
    expect(both.charts.find((c) => c.id === 'time-vs-batch')!.series.map((x) => x.label)).toEqual([
      'local',
      'local (int8)',
    ]);
    expect((await api.study.compare({ a: fp32Id, b: runId })).sides.map((x) => x.label)).toEqual([
      'A: local/batch-size/bs8/r1',
      'B: local/batch-size/bs8/r1 (int8)',
    ]);
    await expect(api.study.estimate({ params: { localPrecision: 'fp16' } as never })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('localPrecision'),
    });
  }, 120_000);

  it('lets cloud jobs wait, and says so, when no AWS profile is saved', async () => {
    const { id } = await api.study.create({
      name: 'cloud, no profile',
      params: { target: 'cloud', sweeps: ['batch-size'], batchSizes: [8], repeats: 1 },
    });
    const end = await studyEnd(id);
    expect(end.counts).toMatchObject({ pending: 1, done: 0 });
    expect(end.message).toContain('waiting');
    expect(progress.some((p) => p.studyId === id && p.message.includes('no AWS profile is saved'))).toBe(true);
    expect((await api.study.list()).studies.find((x) => x.id === id)).toMatchObject({
      running: false,
      interrupted: false,
    });
  });

  it('imports recorded runs into History once, and gives Tables 2 and 3 from them', async () => {
    const first = await api.study.importRecorded({ source: fixture('recorded-results') });
    expect(first.runs.length).toBeGreaterThan(0);
    expect(first.runs.every((r) => r.added)).toBe(true);
    expect(first.ignored.some((i) => i.includes('timing'))).toBe(true);
    const again = await api.study.importRecorded({ source: fixture('recorded-results') });
    expect(again.runs.every((r) => !r.added)).toBe(true);
    expect(again.runs.map((r) => r.runId).sort()).toEqual(first.runs.map((r) => r.runId).sort());
    const res = await api.study.results({ selection: { runs: first.runs.map((r) => r.runId) } });
    const titles = res.tables.map((t) => t.title);
    expect(titles.some((t) => t.startsWith('Table 2'))).toBe(true);
    expect(titles.some((t) => t.startsWith('Table 3'))).toBe(true);
    expect(res.charts.map((c) => c.id)).toEqual(expect.arrayContaining(['throughput-vs-data', 'cost-vs-data']));
    await expect(api.study.importRecorded({ source: path.join(dataDir, 'nothing-here') })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(api.study.importRecorded({ source: 's3://bucket/prefix' })).rejects.toMatchObject({
      code: 'PROFILE_NEEDED',
    });
  });

  it('edits the price table with validation, keeps it in prices.json, and resets it', async () => {
    const start = await api.study.prices();
    expect(start.custom).toBe(false);
    const bad = structuredClone(start.table) as any;
    bad.lambda.usdPerMillionRequests = -1;
    await expect(api.study.setPrices({ table: bad })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('usdPerMillionRequests'),
    });
    const edited = { ...structuredClone(start.table), asOf: '2026-12-01', source: 'my negotiated prices' };
    edited.lambda.usdPerMillionRequests = 0.25;
    const saved = await api.study.setPrices({ table: edited });
    expect(saved).toMatchObject({ custom: true, table: { asOf: '2026-12-01', source: 'my negotiated prices' } });
    expect(JSON.parse(await readFile(path.join(dataDir, 'prices.json'), 'utf8')).lambda.usdPerMillionRequests).toBe(
      0.25,
    );
    expect(
      (
        await api.study.estimate({
          params: { target: 'cloud', sweeps: ['data-size'], partitionSizesMb: [100], dataSizesGb: [1], repeats: 1 },
        })
      ).priceAsOf,
    ).toBe('2026-12-01');
    expect((await api.study.resetPrices()).custom).toBe(false);
    await writeFile(path.join(dataDir, 'prices.json'), '{ not json');
    await expect(api.study.prices()).rejects.toMatchObject({
      code: 'BAD_PRICES',
      message: expect.stringContaining('prices.json'),
    });
    await api.study.resetPrices();
  });
});
