import { useCallback, useEffect, useMemo, useState } from 'react';
import { firstFailure, studyStatus } from '../../../app/common/study-status.ts';
import { api } from '../api.ts';
import { useLatestLoad } from '../lib/latest-load.ts';
import type {
  CostEstimateView,
  StudyListItem,
  StudyProgressEvent,
  StudyResults,
  StudyView,
} from '../../../app/common/contract/index.ts';
import type { Table } from '../../../base/table.ts';
import { DataTable } from '../components/data-table.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { BrowseButton } from '../components/path-picker.tsx';
import { StudyResultsView } from '../components/study-results.tsx';
import { StudyActivity, appendActivity, type ActivityLine } from '../components/study-activity.tsx';
import { HistoryRunsStudy } from '../components/history-runs-picker.tsx';
import { ReportButtons } from '../components/report-buttons.tsx';
import { formatWhen } from '../lib/format.ts';
import { navigate } from '../lib/router.ts';
import { toast } from '../lib/toast.ts';
import { registerScreen } from './registry.ts';
import { RecommendationCard, StudyRecommendScreen } from './study-recommend.tsx';
import '../study.css';
import { type Precision } from '../../../base/options.ts';

/** The study: a sweep queued as one study (local, cloud or both), its estimate, progress, Tables 1–3, charts and report. */

type Target = 'local' | 'cloud' | 'both';

interface Form {
  name: string;
  target: Target;
  batchSweep: boolean;
  dataSweep: boolean;
  batchSizes: string;
  partitions: string;
  dataSizes: string;
  worldSizes: string;
  repeats: string;
  data: string[];
  threads: string;
  precision: Precision;
  lambdaMemoryMb: string;
  /** Cloud jobs: Lambda memory sizes to sweep (MB); empty = leave the function's memory as it is. */
  memorySweep: string;
  arch: 'x86_64' | 'arm64';
  profile: string;
}

const DEFAULT_FORM: Form = {
  name: '',
  target: 'local',
  batchSweep: true,
  dataSweep: true,
  batchSizes: '32, 64, 128, 256, 512',
  partitions: '25, 50, 75, 100',
  dataSizes: '1, 2, 4, 6, 8, 10, all',
  worldSizes: '',
  repeats: '3',
  data: [],
  threads: '',
  precision: 'fp32',
  lambdaMemoryMb: '10240',
  memorySweep: '',
  arch: 'x86_64',
  profile: '',
};

function numbers(what: string, raw: string, allowAll = false): Array<number | 'all'> {
  const parts = raw
    .split(/[\s,]+/)
    .map((x) => x.replace(/(GB|MB)$/i, ''))
    .filter(Boolean);
  if (parts.length === 0) throw new Error(`${what}: give at least one value`);
  return parts.map((p) => {
    if (allowAll && p.toLowerCase() === 'all') return 'all';
    const n = Number(p);
    if (!(n > 0)) throw new Error(`${what}: "${p}" is not a positive number${allowAll ? ' or "all"' : ''}`);
    return n;
  });
}

/** "1024, 2048, 3008" → MB sizes Lambda allows (whole, 128–10240, no duplicates), else an error naming the value. */
function lambdaMemories(raw: string): number[] {
  const xs = numbers('Lambda memory sweep', raw) as number[];
  for (const x of xs)
    if (!Number.isInteger(x) || x < 128 || x > 10240)
      throw new Error(`Lambda memory sweep: "${x}" is not a Lambda memory size (a whole number of MB, 128–10240).`);
  if (new Set(xs).size !== xs.length) throw new Error('Lambda memory sweep: a size is listed twice.');
  return xs;
}

function toParams(f: Form) {
  const sweeps = [...(f.batchSweep ? ['batch-size' as const] : []), ...(f.dataSweep ? ['data-size' as const] : [])];
  if (sweeps.length === 0) throw new Error('Tick at least one sweep.');
  const repeats = Number(f.repeats);
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > 100)
    throw new Error('Repeats: a whole number from 1 to 100.');
  const threads = f.threads.trim() ? Number(f.threads) : undefined;
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0))
    throw new Error('Threads: a whole number ≥ 1, or empty for the default.');
  const memories = f.target !== 'local' && f.memorySweep.trim() ? lambdaMemories(f.memorySweep) : undefined;
  return {
    target: f.target,
    sweeps,
    ...(memories ? { lambdaMemoriesMb: memories } : {}),
    batchSizes: numbers('Batch sizes', f.batchSizes) as number[],
    partitionSizesMb: numbers('Partition sizes', f.partitions) as number[],
    dataSizesGb: numbers('Data sizes', f.dataSizes, true),
    worldSizes: f.worldSizes.trim() ? (numbers('World sizes', f.worldSizes) as number[]) : [null],
    repeats,
    ...(f.data.length ? { localData: f.data } : {}),
    ...(threads ? { localThreads: threads } : {}),
    ...(f.precision === 'int8' ? { localPrecision: f.precision } : {}),
  };
}

const estimateTable = (e: CostEstimateView): Table => ({
  title: 'Cost estimate',
  columns: [
    { key: 'item', label: 'Item' },
    { key: 'quantity', label: 'Quantity', align: 'right' },
    { key: 'usd', label: 'Cost', unit: 'USD', digits: 4 },
  ],
  rows: [...e.lines.map((l) => ({ ...l })), { item: 'Total', quantity: '', usd: e.totalUsd }],
  note: [...e.notes, `Prices as of ${e.priceAsOf}: ${e.priceSource}`].join('\n'),
});

function NewStudy() {
  const [f, setF] = useState<Form>(DEFAULT_FORM);
  const [estimate, setEstimate] = useState<CostEstimateView | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [profiles, setProfiles] = useState<string[]>([]);
  const [starting, setStarting] = useState(false);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((x) => ({ ...x, [k]: v }));

  useEffect(() => {
    api.cloud.listProfiles().then(
      (r) => setProfiles(r.profiles.map((p) => p.name)),
      () => setProfiles([]),
    );
  }, []);

  useEffect(() => {
    let params;
    try {
      params = toParams(f);
      setFormError(null);
    } catch (e) {
      setFormError((e as Error).message);
      setEstimate(null);
      return;
    }
    const t = setTimeout(() => {
      api.study
        .estimate({ params, cost: { lambdaMemoryMb: Number(f.lambdaMemoryMb) || 10240, arch: f.arch } })
        .then(setEstimate, (e) => {
          setEstimate(null);
          setFormError(e?.message ?? String(e));
        });
    }, 200);
    return () => clearTimeout(t);
  }, [f]);

  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      const { id } = await api.study.create({
        name: f.name.trim() || undefined,
        params: toParams(f),
        profile: f.profile || undefined,
      });
      toast('Study started');
      navigate('study', id);
    } catch (e) {
      setError(e);
    } finally {
      setStarting(false);
    }
  };

  const cloud = f.target !== 'local';
  return (
    <div className="card" data-testid="new-study">
      <h2>New study</h2>
      <p className="muted">
        A study runs every configuration {f.repeats || 'N'} time(s) and reports the mean ± sd. Local jobs take part in
        the batch-size sweep; the data-size sweep (partition × data size, batch 512) runs in the cloud.
      </p>
      <div className="study-form">
        <label>
          Name
          <input
            value={f.name}
            placeholder="e.g. Batch sizes on my laptop"
            onChange={(e) => set('name', e.target.value)}
            data-testid="study-name"
          />
        </label>
        <label>
          Where
          <select value={f.target} onChange={(e) => set('target', e.target.value as Target)} data-testid="study-target">
            <option value="local">Locally (this computer)</option>
            <option value="cloud">In the cloud (AWS Lambda)</option>
            <option value="both">Both</option>
          </select>
        </label>
        <fieldset>
          <legend>Sweeps</legend>
          <label className="inline">
            <input type="checkbox" checked={f.batchSweep} onChange={(e) => set('batchSweep', e.target.checked)} /> batch
            size
          </label>
          <label className="inline">
            <input type="checkbox" checked={f.dataSweep} onChange={(e) => set('dataSweep', e.target.checked)} /> data
            size (cloud)
          </label>
        </fieldset>
        <label>
          Batch sizes
          <input
            value={f.batchSizes}
            onChange={(e) => set('batchSizes', e.target.value)}
            data-testid="study-batch-sizes"
          />
        </label>
        <label>
          Partition sizes (MB)
          <input value={f.partitions} onChange={(e) => set('partitions', e.target.value)} disabled={!cloud} />
        </label>
        <label>
          Data sizes (GB, or all)
          <input value={f.dataSizes} onChange={(e) => set('dataSizes', e.target.value)} disabled={!cloud} />
        </label>
        <label>
          World sizes (empty: one rank per partition)
          <input value={f.worldSizes} onChange={(e) => set('worldSizes', e.target.value)} disabled={!cloud} />
        </label>
        <label>
          Repeats
          <input
            value={f.repeats}
            onChange={(e) => set('repeats', e.target.value)}
            data-testid="study-repeats"
            inputMode="numeric"
          />
        </label>
        <label>
          Threads (local; empty: default)
          <input value={f.threads} onChange={(e) => set('threads', e.target.value)} inputMode="numeric" />
        </label>
        <label>
          Precision (local)
          <select
            value={f.precision}
            onChange={(e) => set('precision', e.target.value as Form['precision'])}
            disabled={f.target === 'cloud'}
            data-testid="study-precision"
          >
            <option value="fp32">fp32 (as exported)</option>
            <option value="int8">int8 (quantized: faster, small |Δz| vs fp32)</option>
          </select>
        </label>
        <div className="wide">
          <span className="field-label">Local data (.pt files or folders; empty: the bundled sample data)</span>
          <div className="row">
            <input
              style={{ flex: 1 }}
              value={f.data.join('; ')}
              placeholder="bundled sample data"
              onChange={(e) =>
                set(
                  'data',
                  e.target.value
                    .split(';')
                    .map((s) => s.trim())
                    .filter(Boolean),
                )
              }
              data-testid="study-data"
            />
            <BrowseButton kind="files" label="Browse…" extensions={['.pt']} onPick={(p) => set('data', p)} />
          </div>
        </div>
        {cloud && (
          <>
            <label>
              AWS profile
              <select value={f.profile} onChange={(e) => set('profile', e.target.value)}>
                <option value="">
                  {profiles.length === 1
                    ? `${profiles[0]} (the only one)`
                    : profiles.length
                      ? 'choose…'
                      : 'none saved: cloud jobs wait'}
                </option>
                {profiles.map((p) => (
                  <option key={p}>{p}</option>
                ))}
              </select>
            </label>
            <label>
              Lambda memory (MB)
              <input
                value={f.lambdaMemoryMb}
                onChange={(e) => set('lambdaMemoryMb', e.target.value)}
                inputMode="numeric"
              />
            </label>
            <label>
              Lambda memory sweep (MB)
              <input
                value={f.memorySweep}
                onChange={(e) => set('memorySweep', e.target.value)}
                placeholder="e.g. 1024, 2048, 3008 (empty: no sweep)"
                data-testid="study-memory-sweep"
                title="Runs the cloud jobs at each size: the function's memory is set before them and restored afterwards."
              />
            </label>
            <label>
              Lambda architecture
              <select value={f.arch} onChange={(e) => set('arch', e.target.value as Form['arch'])}>
                <option value="x86_64">x86_64</option>
                <option value="arm64">arm64</option>
              </select>
            </label>
          </>
        )}
      </div>
      {formError && (
        <div className="error-inline" data-testid="study-form-error">
          {formError}
        </div>
      )}
      {estimate && (
        <div className="estimate" data-testid="study-estimate">
          <p className="estimate-sentence">
            {estimate.jobs} job(s): {estimate.localJobs} local, {estimate.cloudJobs} cloud.{' '}
            {estimate.sentence ?? 'No cloud jobs: nothing to pay AWS for.'}
          </p>
          {estimate.cloudJobs > 0 && (
            <DataTable table={estimateTable(estimate)} testId="estimate-table" heading={false} />
          )}
        </div>
      )}
      <ErrorBox error={error} onDismiss={() => setError(null)} title="Could not start the study" />
      <div className="row" style={{ marginTop: 12 }}>
        <button className="primary" disabled={!!formError || starting} onClick={start} data-testid="study-start">
          {starting ? 'Starting…' : 'Start study'}
        </button>
        <button onClick={() => setF(DEFAULT_FORM)}>Reset to the study’s defaults</button>
      </div>
    </div>
  );
}

function StudyList() {
  const [items, setItems] = useState<StudyListItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Several job events can start overlapping loads: only the newest may set the list.
  const beginLoad = useLatestLoad();
  const load = useCallback(() => {
    const current = beginLoad();
    return api.study.list().then(
      (r) => current() && setItems(r.studies),
      (e) => current() && setError(e),
    );
  }, [beginLoad]);
  useEffect(() => {
    void load();
    return api.on(
      'study.progress',
      (p) => (p.event === 'finished' || p.event === 'cancelled' || p.event === 'job-done') && void load(),
    );
  }, [load]);
  const resume = async (id: string) => {
    try {
      await api.study.resume({ id });
      navigate('study', id);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="card" data-testid="study-list">
      <h2>Studies</h2>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {items === null ? (
        <div className="empty">Loading…</div>
      ) : items.length === 0 ? (
        <div className="empty">No studies yet: set one up below.</div>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th>Study</th>
              <th>State</th>
              <th className="num">Done</th>
              <th className="num">Failed</th>
              <th className="num">Pending</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((s) =>
              'problem' in s ? (
                <tr key={s.id}>
                  <td className="mono">{s.id}</td>
                  <td colSpan={6}>
                    <span className="badge damaged">damaged</span> {s.problem}
                  </td>
                </tr>
              ) : (
                <tr key={s.id} data-testid="study-row">
                  <td>
                    <a href={`#/study/${encodeURIComponent(s.id)}`}>{s.name}</a>
                  </td>
                  <td>
                    <span className={`badge ${studyStatus(s).badge}`} data-testid="study-row-state">
                      {studyStatus(s).state}
                    </span>
                  </td>
                  <td className="num">{s.counts.done}</td>
                  <td className="num">{s.counts.failed}</td>
                  <td className="num">{s.counts.pending + s.counts.running}</td>
                  <td className="nowrap">{formatWhen(s.updatedAt)}</td>
                  <td>
                    {!s.running && (s.interrupted || s.counts.pending > 0) && (
                      <button className="small primary" onClick={() => resume(s.id)} data-testid="study-resume">
                        Resume
                      </button>
                    )}
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}

function StudyDetail({ id }: { id: string }) {
  const [study, setStudy] = useState<StudyView | null>(null);
  const [results, setResults] = useState<StudyResults | null>(null);
  const [progress, setProgress] = useState<StudyProgressEvent | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [showJobs, setShowJobs] = useState(false);
  const [profiles, setProfiles] = useState<string[]>([]);
  const [profile, setProfile] = useState('');
  useEffect(() => {
    api.cloud.listProfiles().then(
      (r) => setProfiles(r.profiles.map((p) => p.name)),
      () => setProfiles([]),
    );
  }, []);

  const [activity, setActivity] = useState<ActivityLine[]>([]);
  // Loads overlap (every job event starts one); only the newest may land, and the study and its tables land
  // together, so "finished" never shows beside the tables of a moment before.
  const beginLoad = useLatestLoad();
  const load = useCallback(async () => {
    const current = beginLoad();
    try {
      const s = (await api.study.get({ id })).study;
      const r = await api.study.results({ selection: { study: id } });
      if (!current()) return;
      setStudy(s);
      if (s.lastProgress) setProgress(s.lastProgress);
      setResults(r);
    } catch (e) {
      if (current()) setError(e);
    }
  }, [id, beginLoad]);
  useEffect(() => {
    setActivity([]);
    void load();
    return api.on('study.progress', (p) => {
      if (p.studyId !== id) return;
      setProgress(p);
      setActivity((lines) => appendActivity(lines, p));
      if (p.event !== 'job-progress') void load();
    });
  }, [id, load]);

  const act = (f: () => Promise<unknown>) => async () => {
    try {
      await f();
      await load();
    } catch (e) {
      setError(e);
    }
  };

  const jobsTable: Table | null = useMemo(
    () =>
      study && {
        title: `Jobs — ${study.name}`,
        columns: [
          { key: 'id', label: 'Job' },
          { key: 'status', label: 'Status' },
          { key: 'attempts', label: 'Attempts', align: 'right' },
          { key: 'error', label: 'Note' },
        ],
        rows: study.jobs.map((j) => ({ id: j.id, status: j.status, attempts: j.attempts, error: j.error ?? '' })),
      },
    [study],
  );

  if (error && !study) return <ErrorBox error={error} title="Could not open the study" />;
  if (!study) return <div className="empty">Loading…</div>;
  const c = study.counts;
  const total = study.jobs.length;
  const finished = c.done + c.failed;
  const frac = total ? (finished + (study.running && progress?.jobFraction ? progress.jobFraction : 0)) / total : 0;
  const canResume = !study.running && (c.pending > 0 || c.running > 0 || c.failed > 0);
  const cloudLeft = study.jobs.some((j) => j.target === 'cloud' && j.status !== 'done');
  const status = studyStatus(study);
  const failure = firstFailure(study.jobs);
  return (
    <>
      <h1 className="page-title" data-testid="study-title">
        {study.name}
      </h1>
      <p className="page-sub">
        <a href="#/study">All studies</a> · {study.id} · started {formatWhen(study.createdAt)}
      </p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <div className="card" data-testid="study-progress">
        <div className="card-head">
          <h2>
            {status.summary}{' '}
            <span className={`badge ${status.badge}`} data-testid="study-state">
              {status.state}
            </span>
          </h2>
          <div className="row">
            {study.running && (
              <button className="danger" onClick={act(() => api.study.cancel({ id }))} data-testid="study-cancel">
                Cancel
              </button>
            )}
            {canResume && cloudLeft && profiles.length > 1 && (
              <select
                aria-label="AWS profile for the cloud jobs"
                value={profile}
                onChange={(e) => setProfile(e.target.value)}
              >
                <option value="">AWS profile…</option>
                {profiles.map((p) => (
                  <option key={p}>{p}</option>
                ))}
              </select>
            )}
            {canResume && (
              <button
                className="primary"
                onClick={act(() =>
                  api.study.resume({ id, retryFailed: c.failed > 0, ...(profile ? { profile } : {}) }),
                )}
                data-testid="study-resume"
              >
                {c.failed > 0 && c.pending === 0 ? 'Retry failed jobs' : 'Resume'}
              </button>
            )}
            <button onClick={() => setShowJobs(!showJobs)}>{showJobs ? 'Hide jobs' : 'Show jobs'}</button>
          </div>
        </div>
        <div
          className="progress"
          role="progressbar"
          aria-valuenow={Math.round(frac * 100)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div style={{ width: `${Math.round(frac * 100)}%` }} className={c.failed && !c.done ? 'failed' : undefined} />
        </div>
        {failure && (
          <p className="error-line" data-testid="study-first-error">
            First failure ({failure.jobId}
            {c.failed > 1 ? `, 1 of ${c.failed}` : ''}): {failure.error}
          </p>
        )}
        <p className="muted" data-testid="study-message">
          {c.done} done · {c.failed} failed · {c.pending + c.running} pending
          {progress && (study.running || progress.event === 'error') ? ` — ${progress.message}` : ''}
        </p>
        {study.interrupted && (
          <p className="caveat">
            The app stopped while this study ran. Resume runs the interrupted job again and continues with the rest.
          </p>
        )}
        {showJobs && jobsTable && <DataTable table={jobsTable} testId="study-jobs" heading={false} />}
        <StudyActivity lines={activity} />
      </div>
      {results && results.runs > 0 && (
        <div className="card">
          <div className="card-head">
            <h2>Report</h2>
            <div className="row">
              <ReportButtons selection={{ study: id }} />
              <button onClick={() => navigate('present', 'study', id)} data-testid="present">
                Presentation mode
              </button>
              {study.jobs.some((j) => j.target === 'cloud') && (
                <button onClick={() => navigate('study', 'recommend', id)} data-testid="study-recommend">
                  Memory recommendation
                </button>
              )}
            </div>
          </div>
          <p className="muted">One page with the summary, the tables, the charts, the settings and the environment.</p>
        </div>
      )}
      {results && <StudyResultsView results={results} fileBase={study.name.replace(/[^A-Za-z0-9._-]+/g, '-')} />}
    </>
  );
}

function StudyHome() {
  return (
    <>
      <h1 className="page-title">Study</h1>
      <p className="page-sub">
        Sweeps of batch size, partition size and data size, locally and in the cloud, reported as the study’s Tables 1–3
        with charts.
      </p>
      <StudyList />
      <NewStudy />
      <RecommendationCard />
      <HistoryRunsStudy reportButtons={(ids) => <ReportButtons selection={{ runs: ids }} />} />
    </>
  );
}

registerScreen({
  id: 'study',
  title: 'Study',
  nav: 40,
  render: ([id, sub]) =>
    id === 'recommend' ? (
      <StudyRecommendScreen key={sub ?? ''} studyId={sub} />
    ) : id ? (
      <StudyDetail key={id} id={id} />
    ) : (
      <StudyHome />
    ),
});
