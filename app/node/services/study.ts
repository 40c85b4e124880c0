import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LocalRunResult } from '../../../engine/run/local-run.ts';
import { hostInfo } from '../../../engine/run/host-info.ts';
import { studyCharts } from '../../../engine/study/charts.ts';
import { compareRuns, precisionLabel } from '../../../engine/study/compare.ts';
import type { StudyMeasurement } from '../../../engine/study/measurement.ts';
import { studyReportHtml } from '../../../engine/study/report-html.ts';
import { runStudy, type RunStudyOptions, type StudyProgress } from '../../../engine/study/run-study.ts';
import { countJobs, createStudy, listStudies, loadStudy, studyFile, studyMeasurements, type JobState, type StudyState } from '../../../engine/study/study-store.ts';
import { summarizeFindings } from '../../../engine/study/summary.ts';
import { expandSweep, parseSweepParams, type SweepParamsInput } from '../../../engine/study/sweep-plan.ts';
import { table1, table2, table3 } from '../../../engine/study/tables.ts';
import { makeClients } from '../../../cloud/aws-clients.ts';
import { loadPriceTable, resetPriceTable, savePriceTable } from '../../../cloud/cost/price-store.ts';
import type { LambdaArch } from '../../../cloud/cost/price-table.ts';
import { estimateSweepCost } from '../../../cloud/cost/sweep-estimate.ts';
import { folderSource, s3Source } from '../../../cloud/import/object-source.ts';
import { importRecordedRuns, type ImportResult } from '../../../cloud/import/recorded-runs.ts';
import type { ProfileStore } from '../../../cloud/profiles.ts';
import type { SecretCipher } from '../../../cloud/secret-cipher.ts';
import { cloudJobRunner } from '../../../cloud/study-cloud-job.ts';
import { measurementFromRunRecord } from '../../../cloud/study-measurement.ts';
import {
  ApiError,
  type ComparisonView,
  type CostEstimateView,
  type ImportView,
  type RunSelection,
  type StudyListItem,
  type StudyProgressEvent,
  type StudyResults,
  type StudyView,
} from '../../common/contract/index.ts';
import type { EventHub } from '../../common/dispatcher.ts';
import type { HistoryStore } from '../history-store.ts';
import { saveStudyLocalRun } from '../study-history.ts';
import { saveRecordedRuns } from '../recorded-import.ts';
import { expandHome } from './system.ts';

/**
 * The study behind the UI: sweeps queued as studies (engine/study), run one at a time in the background with progress
 * on `study.progress`; tables, charts, comparison, prices, import of recorded runs and the report. A study left with
 * a "running" job by a host that stopped is listed as interrupted and resumes from its queue.
 */

export interface CostSettings {
  lambdaMemoryMb?: number;
  arch?: LambdaArch;
}

interface Active {
  controller: AbortController;
  done: Promise<void>;
  profile: string | null;
  last: StudyProgressEvent | null;
}

export interface StudyServiceDeps {
  dataDir: string;
  store: HistoryStore;
  hub: EventHub;
  profiles: ProfileStore;
  cipher?: SecretCipher;
  /** Whether a local run is going on its own (runs share the CPU, so a study waits for it). */
  localBusy?: () => boolean;
  /** Saves HTML as PDF (Electron's printToPDF); absent in the browser host. */
  printPdf?: (html: string, suggestedName: string) => Promise<{ path: string | null }>;
  /** For tests of the queue: replaces the engine's runLocal. */
  runLocal?: RunStudyOptions['runLocal'];
}

const PROGRESS_INTERVAL_MS = 250;

const fail = (code: string, err: unknown, hint?: string): ApiError =>
  err instanceof ApiError ? err : new ApiError({ code, message: err instanceof Error ? err.message : String(err), ...(hint ? { hint } : {}) });

export class StudyService {
  private active = new Map<string, Active>();

  constructor(private readonly deps: StudyServiceDeps) {}

  isRunning(): boolean {
    return this.active.size > 0;
  }

  async list(): Promise<StudyListItem[]> {
    const all = await listStudies(this.deps.dataDir);
    return all.map((s) =>
      'problem' in s
        ? s
        : {
            ...s,
            total: Object.values(s.counts).reduce((a, b) => a + b, 0),
            running: this.active.has(s.id),
            interrupted: !this.active.has(s.id) && s.counts.running > 0,
          },
    );
  }

  async get(id: string): Promise<StudyView> {
    const s = await this.load(id);
    const a = this.active.get(id);
    const counts = countJobs(s);
    return {
      id: s.id,
      name: s.name,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      params: s.params as unknown as Record<string, unknown>,
      profile: a?.profile ?? null,
      jobs: s.jobs.map((j) => ({ id: j.id, target: j.target, sweep: j.sweep, batchSize: j.batchSize, partitionMb: j.partitionMb, dataLabel: j.dataLabel, repeat: j.repeat, status: j.status, attempts: j.attempts, runId: j.runId, error: j.error })),
      counts,
      running: !!a,
      interrupted: !a && counts.running > 0,
      lastProgress: a?.last ?? null,
    };
  }

  async estimate(params: SweepParamsInput, cost: CostSettings = {}): Promise<CostEstimateView> {
    let jobs;
    try {
      jobs = expandSweep(params);
    } catch (err) {
      throw fail('INVALID_INPUT', err, 'Check the sweep parameters: whole positive numbers, no duplicates.');
    }
    const { table: prices } = await loadPriceTable(this.deps.dataDir);
    const est = estimateSweepCost(jobs, { lambda: { memoryMb: cost.lambdaMemoryMb ?? 10_240, arch: cost.arch ?? 'x86_64' }, prices });
    const local = jobs.filter((j) => j.target === 'local').length;
    return {
      jobs: jobs.length,
      localJobs: local,
      cloudJobs: jobs.length - local,
      sentence: est?.sentence ?? null,
      lines: est?.lines.map((l) => ({ item: l.item, quantity: l.quantity, usd: l.usd })) ?? [],
      totalUsd: est?.totalUsd ?? 0,
      notes: est?.notes ?? [],
      priceAsOf: prices.asOf,
      priceSource: prices.source,
    };
  }

  async create(input: { name?: string; params: SweepParamsInput; profile?: string }): Promise<{ id: string }> {
    this.checkFree();
    let params;
    try {
      params = parseSweepParams({ ...input.params, ...(input.params.localData ? { localData: input.params.localData.map((d) => path.resolve(expandHome(d))) } : {}) });
    } catch (err) {
      throw fail('INVALID_INPUT', err);
    }
    if (params.localData) for (const d of params.localData) if (!existsSync(d)) throw new ApiError({ code: 'NOT_FOUND', message: `The local data ${d} does not exist.`, file: d, hint: 'Pick .pt files or a folder of them, or leave the data empty for the bundled sample data.' });
    // Several saved profiles and none chosen: say so before a study is created that could not start.
    if (params.target !== 'local') await this.profileFor(input.profile, false);
    const state = await createStudy(this.deps.dataDir, params, input.name || undefined);
    await this.start(state.id, input.profile, false);
    return { id: state.id };
  }

  async resume(id: string, profile?: string, retryFailed = false): Promise<void> {
    await this.load(id);
    await this.start(id, profile, retryFailed);
  }

  cancel(id: string): void {
    const a = this.active.get(id);
    if (!a) throw new ApiError({ code: 'NOT_FOUND', message: `Study ${id} is not running.`, hint: 'It may have finished already; reload the study.' });
    a.controller.abort();
  }

  async shutdown(): Promise<void> {
    for (const a of this.active.values()) a.controller.abort();
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  async results(selection: RunSelection, cost: CostSettings = {}): Promise<StudyResults> {
    const { title, runs, skipped } = await this.measurements(selection);
    const { table: prices } = await loadPriceTable(this.deps.dataDir);
    const opts = { lambdaMemoryMb: cost.lambdaMemoryMb, arch: cost.arch, prices };
    const tables = [table1(runs), table2(runs), table3(runs, opts)].filter((t) => t.rows.length > 0);
    return { title, runs: runs.length, tables, charts: studyCharts(runs, opts), findings: summarizeFindings(runs, opts), skipped };
  }

  async compare(a: string, b: string): Promise<ComparisonView> {
    if (a === b) throw new ApiError({ code: 'INVALID_INPUT', message: 'Pick two different runs to compare.' });
    const [ea, eb] = await Promise.all([this.deps.store.get(a), this.deps.store.get(b)]);
    const side = (e: typeof ea.entry) => {
      if (!e.record) throw new ApiError({ code: 'NO_RESULTS', message: `Run "${e.name}" has no results yet (status ${e.status}).`, hint: 'Compare finished runs.' });
      try {
        return measurementFromRunRecord(e.record);
      } catch (err) {
        throw new ApiError({ code: 'NO_RESULTS', message: `Run "${e.name}": ${(err as Error).message}` });
      }
    };
    const ma = side(ea.entry);
    const mb = side(eb.entry);
    // "local" vs "cloud" when the targets differ; otherwise the runs' names tell the sides apart.
    const la = precisionLabel(ma.target === mb.target ? `A: ${shortName(ea.entry.name)}` : ma.target, ma);
    const lb = precisionLabel(ma.target === mb.target ? `B: ${shortName(eb.entry.name)}` : mb.target, mb);
    const c = compareRuns({ label: la, run: ma }, { label: lb, run: mb });
    return {
      table: c.table,
      measuredHow: c.measuredHow,
      comparable: c.comparable,
      warnings: c.warnings,
      sides: [
        { id: ea.entry.id, name: ea.entry.name, kind: ea.entry.kind, label: la },
        { id: eb.entry.id, name: eb.entry.name, kind: eb.entry.kind, label: lb },
      ],
    };
  }

  prices = () => loadPriceTable(this.deps.dataDir).catch((err) => Promise.reject(fail('BAD_PRICES', err, 'Fix the file, or press Reset to go back to the default prices.')));

  async setPrices(table: unknown) {
    try {
      await savePriceTable(this.deps.dataDir, table, 'the edited price table');
    } catch (err) {
      throw fail('INVALID_INPUT', err, 'Prices are non-negative numbers; the date is YYYY-MM-DD; the last tier has no limit.');
    }
    return this.prices();
  }

  async resetPrices() {
    await resetPriceTable(this.deps.dataDir);
    return this.prices();
  }

  async importRecorded(source: string, profileName?: string): Promise<ImportView> {
    const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(source);
    let result: ImportResult;
    try {
      if (!s3) {
        const dir = path.resolve(expandHome(source));
        if (!existsSync(dir)) throw new ApiError({ code: 'NOT_FOUND', message: `The folder ${dir} does not exist.`, file: dir, hint: 'Pick the folder that holds result-partition-<P>MB folders.' });
        result = await importRecordedRuns(folderSource(dir));
      } else {
        const clients = makeClients((await this.profileFor(profileName, true))!, { cipher: this.deps.cipher });
        try {
          result = await importRecordedRuns(s3Source(clients.s3, s3[1], s3[2]));
        } finally {
          clients.destroy();
        }
      }
    } catch (err) {
      throw fail('IMPORT_FAILED', err);
    }
    if (result.runs.length === 0)
      throw new ApiError({
        code: 'NOTHING_FOUND',
        message: `No recorded runs in ${result.from}` + (result.problems.length ? `: ${result.problems.length} file(s) could not be read (${result.problems[0].source}: ${result.problems[0].problem})` : '.'),
        hint: 'The folder should hold result-partition-<P>MB/<data>/<run>/combined_data.json (or …/Batches/<batch>/<run>/…).',
      });
    const { saved, existing } = await saveRecordedRuns(this.deps.store, result);
    const ids = new Map<string, { runId: string; added: boolean }>();
    for (const s of saved) ids.set(s.source, { runId: s.runId, added: true });
    for (const s of existing) ids.set(s.source, { runId: s.runId, added: false });
    return {
      from: result.from,
      runs: result.runs.map((r) => ({
        ...ids.get(r.source)!,
        source: r.source,
        partitionMb: r.partition_mb,
        dataLabel: r.data_label,
        sweep: r.sweep,
        batchSize: r.batch_size,
        repeat: r.repeat,
        ranks: r.ranks,
        cpuTimeSeconds: r['total_cpu_time (seconds)'],
        memoryMb: r['total_cpu_memory (MB)'],
        throughputMbps: r.throughput_bps / 1e6,
      })),
      problems: result.problems.map((p) => ({ source: p.source, problem: p.problem })),
      ignored: result.ignored,
    };
  }

  async report(selection: RunSelection, compare?: { a: string; b: string }, cost: CostSettings = {}): Promise<{ title: string; html: string; fileName: string }> {
    const { title, runs, skipped, state } = await this.measurements(selection);
    const { table: prices } = await loadPriceTable(this.deps.dataDir);
    const comparison = compare ? await this.compare(compare.a, compare.b) : undefined;
    const h = hostInfo();
    const p = state?.params;
    const cloudTarget = p?.target !== 'local';
    const settings: Array<[string, string]> = p
      ? [
          ['Target', p.target === 'both' ? 'local and cloud' : p.target],
          // A local study runs the batch-size sweep only; the cloud settings would only confuse its report.
          ['Sweeps', cloudTarget ? p.sweeps.join(', ') : 'batch-size'],
          ['Batch sizes', p.batchSizes.join(', ')],
          ...(cloudTarget
            ? ([
                ['Partition sizes (MB)', p.partitionSizesMb.join(', ')],
                ['Data sizes (GB)', p.dataSizesGb.join(', ')],
                ['World sizes', p.worldSizes.map((w) => w ?? 'one per partition').join(', ')],
              ] as Array<[string, string]>)
            : []),
          ['Repeats', String(p.repeats)],
          ['Local data', p.localData?.join(', ') ?? 'the bundled synthetic sample data'],
          ...(p.localThreads ? ([['Threads (local)', String(p.localThreads)]] as Array<[string, string]>) : []),
          ['Precision (local)', p.localPrecision ?? 'fp32'],
        ]
      : [
          ['Runs', `${runs.length} from History`],
          ['Partition sizes (MB)', [...new Set(runs.map((r) => r.partitionMb).filter((x) => x !== null))].join(', ') || '—'],
          ['Data labels', [...new Set(runs.map((r) => r.dataLabel).filter((x) => x !== null))].join(', ') || '—'],
          ['Batch sizes', [...new Set(runs.map((r) => r.batchSize))].sort((a, b) => a - b).join(', ')],
        ];
    if (cloudTarget) settings.push(['Lambda memory for costs', cost.lambdaMemoryMb ? `${cost.lambdaMemoryMb} MB` : 'as recorded with each run (10240 MB when unknown)'], ['Lambda architecture', cost.arch ?? 'x86_64']);
    if (skipped.length) settings.push(['Runs left out', skipped.map((s) => `${s.id}: ${s.problem}`).join('; ')]);
    const html = studyReportHtml({
      title,
      source: state ? `Study ${state.id}: ${countsText(state)}` : `${runs.length} run(s) chosen in History`,
      runs,
      prices,
      comparison: comparison
        ? { table: comparison.table, measuredHow: comparison.measuredHow, comparable: comparison.comparable, warnings: comparison.warnings }
        : undefined,
      costOptions: { lambdaMemoryMb: cost.lambdaMemoryMb, arch: cost.arch },
      settings,
      environment: [
        ['Report made on', `${h.cpuModel}, ${h.physicalCores} cores (${h.logicalCores} logical), ${(h.ramBytes / 2 ** 30).toFixed(1)} GB RAM`],
        ['System', `${h.os} ${h.arch}, Node ${h.node}, onnxruntime ${h.onnxruntime}`],
        ['App', 'CosmicAI Bench'],
      ],
    });
    const fileName = `${title.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'study'}-report.html`;
    return { title, html, fileName };
  }

  async reportPdf(html: string, suggestedName: string): Promise<{ path: string | null }> {
    if (!this.deps.printPdf)
      throw new ApiError({ code: 'UNSUPPORTED', message: 'Saving PDF directly is only available in the desktop app.', hint: 'Open the HTML report and print it to PDF from the browser (Ctrl/Cmd+P).' });
    return this.deps.printPdf(html, suggestedName);
  }

  private async measurements(selection: RunSelection): Promise<{ title: string; runs: StudyMeasurement[]; skipped: Array<{ id: string; problem: string }>; state?: StudyState }> {
    if ('study' in selection) {
      const state = await this.load(selection.study);
      return { title: state.name, runs: studyMeasurements(state), skipped: [], state };
    }
    const runs: StudyMeasurement[] = [];
    const skipped: Array<{ id: string; problem: string }> = [];
    for (const id of selection.runs) {
      try {
        const { entry } = await this.deps.store.get(id);
        if (!entry.record) throw new Error(`no results (status ${entry.status})`);
        runs.push({ ...measurementFromRunRecord(entry.record), id });
      } catch (err) {
        skipped.push({ id, problem: err instanceof Error ? err.message : String(err) });
      }
    }
    return { title: `Study of ${runs.length} History run(s)`, runs, skipped };
  }

  private async load(id: string): Promise<StudyState> {
    if (!existsSync(studyFile(this.deps.dataDir, id))) throw new ApiError({ code: 'NOT_FOUND', message: `There is no study "${id}".`, hint: 'Pick one from the list of studies.' });
    try {
      return await loadStudy(this.deps.dataDir, id);
    } catch (err) {
      throw fail('DAMAGED', err, 'The study file cannot be read; start a new study.');
    }
  }

  private checkFree(): void {
    const [cur] = this.active.keys();
    if (cur) throw new ApiError({ code: 'BUSY', message: `Study ${cur} is already running.`, hint: 'Wait for it to finish or cancel it; one study at a time keeps the numbers honest.' });
    if (this.deps.localBusy?.()) throw new ApiError({ code: 'BUSY', message: 'A local run is going.', hint: 'Wait for it to finish or cancel it, then start the study.' });
  }

  /** The named profile, else the only saved one; null (cloud jobs wait) when none is saved and none is required. */
  private async profileFor(name: string | undefined, required: boolean) {
    if (name) return this.deps.profiles.getStored(name);
    const all = await this.deps.profiles.list();
    if (all.length === 1) return this.deps.profiles.getStored(all[0].name);
    if (all.length > 1) throw new ApiError({ code: 'PROFILE_NEEDED', message: `Several AWS profiles are saved (${all.map((p) => p.name).join(', ')}).`, hint: 'Choose the profile to use.' });
    if (required) throw new ApiError({ code: 'PROFILE_NEEDED', message: 'Reading from S3 needs an AWS profile.', hint: 'Add one on the Profiles screen.' });
    return null;
  }

  private async start(id: string, profileName: string | undefined, retryFailed: boolean): Promise<void> {
    this.checkFree();
    const state = await this.load(id);
    const hasCloud = state.jobs.some((j) => j.target === 'cloud' && j.status !== 'done');
    const profile = hasCloud ? await this.profileFor(profileName, false) : null;
    const clients = profile ? makeClients(profile, { cipher: this.deps.cipher }) : null;
    const controller = new AbortController();
    const a: Active = { controller, done: Promise.resolve(), profile: profile?.name ?? null, last: null };
    const emit = (e: StudyProgressEvent) => {
      a.last = e;
      this.deps.hub.emit('study.progress', e);
    };
    let lastEmit = 0;
    const onProgress = (p: StudyProgress) => {
      const now = Date.now();
      if (p.event === 'job-progress' && now - lastEmit < PROGRESS_INTERVAL_MS) return;
      lastEmit = now;
      const f = p.local && p.local.samplesTotal > 0 ? Math.min(1, p.local.samplesDone / p.local.samplesTotal) : null;
      emit({ studyId: id, event: p.event, counts: p.counts, total: p.total, jobId: p.job?.id ?? null, jobFraction: f, message: p.message });
    };
    if (hasCloud && !profile) emit({ studyId: id, event: 'job-progress', counts: countJobs(state), total: state.jobs.length, jobId: null, jobFraction: null, message: 'Cloud jobs wait: no AWS profile is saved. Add one on the Profiles screen, then resume the study.' });
    this.active.set(id, a);
    a.done = runStudy(id, {
      dataDir: this.deps.dataDir,
      signal: controller.signal,
      retryFailed,
      onProgress,
      runLocal: this.deps.runLocal,
      saveRecord: (res, job) => this.saveLocal(state, res, job),
      ...(clients
        ? {
            runCloudJob: cloudJobRunner({
              clients,
              dataDir: this.deps.dataDir,
              studyId: state.id,
              studyName: state.name,
              history: this.deps.store,
              dataset: state.params.localData,
              onEvent: (job, e) => {
                const msg = e.type === 'started' ? `${job.id}: execution started, results in ${e.resultPath}` : e.type === 'notice' ? `${job.id}: ${e.message}` : null;
                if (msg) emit({ studyId: id, event: 'job-progress', counts: a.last?.counts ?? countJobs(state), total: state.jobs.length, jobId: job.id, jobFraction: null, message: msg });
              },
            }),
          }
        : {}),
    })
      .then(
        () => undefined,
        (err) => emit({ studyId: id, event: 'error', counts: a.last?.counts ?? countJobs(state), total: state.jobs.length, jobId: null, jobFraction: null, message: err instanceof Error ? err.message : String(err) }),
      )
      .finally(() => {
        clients?.destroy();
        this.active.delete(id);
      });
  }

  /** Every local run of a study also goes to History, like a run started on its own. */
  private saveLocal(state: StudyState, res: LocalRunResult, job: JobState): Promise<string> {
    const d = res.record.dataset;
    return saveStudyLocalRun(this.deps.store, state, job, res, d.synthetic ? 'synthetic sample data' : d.spec.map((f) => path.basename(f)).join(', '));
  }
}

/** A History name short enough for a column header: a study run's job id ("local/batch-size/bs16/r1"), else the name. */
function shortName(name: string): string {
  const last = name.split(' · ').at(-1)!.trim();
  return last.length > 40 ? `${last.slice(0, 39)}…` : last;
}

function countsText(state: StudyState): string {
  const c = countJobs(state);
  return `${c.done} done, ${c.failed} failed, ${c.pending + c.running} pending of ${state.jobs.length} jobs`;
}
