import { useCallback, useEffect, useRef, useState } from 'react';
import type { LocalRunParams } from '../../../app/common/contract/index.ts';
import { DEFAULT_BATCH_SIZE } from '../../../base/options.ts';
import { ChartCard } from '../components/chart-card.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { GraphOptimisationOptions } from '../components/graph-optimisation-options.tsx';
import { BrowseButton } from '../components/path-picker.tsx';
import { useApp } from '../lib/app-state.ts';
import { accent, type AnyChartConfig, type Chart } from '../lib/charts.ts';
import { formatDuration, formatRate } from '../lib/format.ts';
import { navigate } from '../lib/router.ts';
import { cancelRun, clearFinished, startLocalRun, useTrackedRun, type TrackedRun } from '../lib/run-tracker.ts';
import { registerScreen } from './registry.ts';
import { MAX_BATCH_SIZE, MAX_THREADS } from '../../../base/options.ts';

const splitLines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

interface Draft {
  model: string;
  data: string;
  batchSize: string;
  threads: string;
  graph: NonNullable<LocalRunParams['graphOptimization']>;
  precision: NonNullable<LocalRunParams['precision']>;
  tune: NonNullable<LocalRunParams['tune']>;
  engine: NonNullable<LocalRunParams['engine']>;
  code: string;
  python: string;
  name: string;
}
/** The form's last inputs, kept while the progress view replaces it and after a failed run. */
let lastDraft: Draft | null = null;

function RunForm({ onError }: { onError: (e: unknown) => void }) {
  const { settings } = useApp();
  const d = settings?.defaults;
  const [draft, setDraft] = useState<Draft>(
    () =>
      lastDraft ?? {
        model: d?.model ?? '',
        data: (d?.data ?? []).join('\n'),
        batchSize: String(d?.batchSize ?? DEFAULT_BATCH_SIZE),
        threads: String(d?.threads ?? 0),
        graph: d?.graphOptimization ?? 'all',
        precision: 'fp32',
        tune: 'off',
        engine: 'onnxruntime',
        code: '',
        python: '',
        name: '',
      },
  );
  const [busy, setBusy] = useState(false);
  const update = (patch: Partial<Draft>) =>
    setDraft((cur) => {
      const next = { ...cur, ...patch };
      lastDraft = next;
      return next;
    });
  const { model, data, batchSize, threads, graph, precision, tune, engine, code, python, name } = draft;
  const pytorch = engine === 'pytorch';
  const setModel = (v: string) => update({ model: v });
  const setData = (v: string | ((cur: string) => string)) =>
    setDraft((cur) => {
      const next = { ...cur, data: typeof v === 'function' ? v(cur.data) : v };
      lastDraft = next;
      return next;
    });
  const setBatchSize = (v: string) => update({ batchSize: v });
  const setThreads = (v: string) => update({ threads: v });
  const setGraph = (v: Draft['graph']) => update({ graph: v });
  const setPrecision = (v: Draft['precision']) => update({ precision: v });
  const setName = (v: string) => update({ name: v });
  const setTune = (v: Draft['tune']) => update({ tune: v });

  const start = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    onError(null);
    try {
      const t = Number(threads);
      await startLocalRun({
        model: model.trim() || undefined,
        data: splitLines(data).length ? splitLines(data) : undefined,
        batchSize: Number(batchSize),
        threads: t > 0 ? t : undefined,
        ...(pytorch
          ? { engine, code: code.trim() || undefined, python: python.trim() || undefined }
          : { graphOptimization: graph, precision, tune }),
        name: name.trim() || undefined,
      });
    } catch (err) {
      onError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={start} data-testid="run-form">
      <h2>Inputs</h2>
      <label className="field">
        Engine
        <span className="help">
          onnxruntime runs an .onnx model in this app. PyTorch runs your whole-model checkpoint (the .pt you stage to
          the study's pipeline) with your Python, as the study's script does, and also records the study's profiler
          numbers.
        </span>
        <select
          name="engine"
          value={engine}
          onChange={(e) => update({ engine: e.target.value as Draft['engine'] })}
          data-testid="engine"
        >
          <option value="onnxruntime">onnxruntime</option>
          <option value="pytorch">PyTorch (your Python)</option>
        </select>
      </label>
      <label className="field">
        Model
        <span className="help">
          {pytorch
            ? "A whole-model checkpoint (.pt), loaded with torch.load(…, weights_only=False).module as the study's script does."
            : 'An AstroMAE .onnx file. Leave empty for the bundled reference model (seeded weights — predictions are not physical).'}
        </span>
        <div className="row">
          <input
            style={{ flex: 1 }}
            name="model"
            placeholder={pytorch ? 'checkpoint .pt (required)' : 'reference model'}
            required={pytorch}
            value={model}
            onChange={(e) => setModel(e.target.value)}
          />
          <BrowseButton
            kind="file"
            label="Browse…"
            extensions={pytorch ? ['.pt', '.pth'] : ['.onnx']}
            onPick={(p) => setModel(p[0])}
            testId="browse-model"
          />
        </div>
      </label>
      {pytorch && (
        <div className="form-grid">
          <label className="field">
            Code folder
            <span className="help">
              The model's code, put on sys.path before loading. Empty: the checkpoint's folder.
            </span>
            <input
              name="code"
              placeholder="the checkpoint's folder"
              value={code}
              onChange={(e) => update({ code: e.target.value })}
            />
          </label>
          <label className="field">
            Python
            <span className="help">An interpreter that has PyTorch.</span>
            <input
              name="python"
              placeholder="python3"
              value={python}
              onChange={(e) => update({ python: e.target.value })}
            />
          </label>
        </div>
      )}
      <label className="field">
        Data
        <span className="help">
          .pt partition files or folders of them, one per line. Leave empty for the bundled synthetic sample data.
        </span>
        <textarea name="data" placeholder="sample data" value={data} onChange={(e) => setData(e.target.value)} />
        <div className="row">
          <BrowseButton
            kind="files"
            label="Add files…"
            extensions={['.pt']}
            onPick={(p) => setData((cur) => [...splitLines(cur), ...p].join('\n'))}
            testId="browse-data"
          />
          <BrowseButton
            kind="folder"
            label="Add folder…"
            onPick={(p) => setData((cur) => [...splitLines(cur), ...p].join('\n'))}
          />
        </div>
      </label>
      <div className="form-grid">
        <label className="field">
          Batch size
          <span className="help">
            Galaxies per batch (default {DEFAULT_BATCH_SIZE}, as the study; its batch sweep covers 32–512).
          </span>
          <input
            name="batchSize"
            type="number"
            min={1}
            max={MAX_BATCH_SIZE}
            required
            value={batchSize}
            onChange={(e) => setBatchSize(e.target.value)}
          />
        </label>
        <label className="field">
          Threads
          <span className="help">
            {pytorch
              ? "torch.set_num_threads; 0 = torch's default."
              : 'onnxruntime intra-op threads; 0 = one per physical core.'}
          </span>
          <input
            name="threads"
            type="number"
            min={0}
            max={MAX_THREADS}
            required
            value={threads}
            onChange={(e) => setThreads(e.target.value)}
          />
        </label>
        <label className="field">
          Graph optimisation
          <select
            name="graph"
            value={graph}
            disabled={pytorch}
            onChange={(e) => setGraph(e.target.value as typeof graph)}
          >
            <GraphOptimisationOptions />
          </select>
        </label>
        <label className="field">
          Precision
          <span className="help">
            int8 is faster, with a small |Δz| vs fp32; its first use quantizes the model and caches the copy.
          </span>
          <select
            name="precision"
            value={precision}
            disabled={pytorch}
            onChange={(e) => setPrecision(e.target.value as typeof precision)}
            data-testid="precision"
          >
            <option value="fp32">fp32 (as exported)</option>
            <option value="int8">int8 (quantized)</option>
          </select>
        </label>
        <label className="field">
          Host tuning
          <span className="help">
            auto measures threads, session-run slice and spinning on this computer before the run (cached per host and
            model; threads you set are kept) and records what it chose and why. Off keeps the fixed settings, which
            sweeps and comparisons need.
          </span>
          <select
            name="tune"
            value={tune}
            disabled={pytorch}
            onChange={(e) => setTune(e.target.value as typeof tune)}
            data-testid="tune"
          >
            <option value="off">off (fixed settings)</option>
            <option value="auto">auto (calibrate on this host)</option>
          </select>
        </label>
        <label className="field">
          Name in History
          <input
            name="name"
            placeholder="made from the inputs"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
      </div>
      <button className="primary big" type="submit" disabled={busy} data-testid="start-run">
        Start run
      </button>
    </form>
  );
}

function RunProgressView({ run }: { run: TrackedRun }) {
  const p = run.progress;
  const chart = useRef<Chart | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const build = useCallback(
    (): AnyChartConfig => ({
      type: 'line',
      data: {
        datasets: [
          {
            label: 'samples/s',
            data: [],
            borderColor: accent(),
            backgroundColor: accent() + '33',
            fill: true,
            pointRadius: 3,
            tension: 0.25,
          },
        ],
      },
      options: {
        parsing: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: 'elapsed (s)' }, min: 0 },
          y: { type: 'linear', beginAtZero: true, title: { display: true, text: 'galaxies/s' } },
        },
        plugins: { legend: { display: false } },
      },
    }),
    [],
  );
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.datasets[0].data = run.rate.map((r) => ({ x: r.t, y: r.v }));
    c.update('none');
  }, [run.rate]);

  const pct = Math.round((p?.fraction ?? 0) * 100);
  return (
    <>
      <div className="card" data-testid="run-progress">
        <div className="card-head">
          <h2>{run.name}</h2>
          <button
            className="danger"
            disabled={cancelling}
            onClick={async () => {
              setCancelling(true);
              await cancelRun(run.runId).catch(() => undefined);
            }}
            data-testid="cancel-run"
          >
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        </div>
        <div className="muted" style={{ marginBottom: 8 }}>
          {p?.phase === 'preparing'
            ? (p.message ?? 'Preparing…')
            : `Inferring partition ${p?.partition?.index ?? '?'} of ${p?.partition?.count ?? '?'}`}
        </div>
        <div className="progress" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
          <div style={{ width: `${pct}%` }} />
        </div>
        <div className="stats">
          <div className="stat">
            <div className="k">Done</div>
            <div className="v" data-testid="progress-percent">
              {pct}%
            </div>
          </div>
          <div className="stat">
            <div className="k">Galaxies</div>
            <div className="v">
              {p?.samples ? `${p.samples.done.toLocaleString()} / ${p.samples.total.toLocaleString()}` : '—'}
            </div>
          </div>
          <div className="stat">
            <div className="k">Samples/s</div>
            <div className="v">{formatRate(p?.samplesPerSec)}</div>
          </div>
          <div className="stat">
            <div className="k">ETA</div>
            <div className="v" data-testid="eta">
              {formatDuration(p?.etaSeconds)}
            </div>
          </div>
          <div className="stat">
            <div className="k">Elapsed</div>
            <div className="v">{formatDuration(p?.elapsedSeconds)}</div>
          </div>
        </div>
      </div>
      <ChartCard
        title="Live samples per second"
        build={build}
        fileName="live-samples-per-second"
        animate={false}
        onChart={(c) => (chart.current = c)}
        testId="live-chart"
      />
    </>
  );
}

function LocalRun() {
  const run = useTrackedRun();
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const f = run?.finished;
    if (!f) return;
    if (f.status === 'failed') {
      setError(f.error ?? { code: 'failed', message: 'The run failed.' });
      clearFinished();
    } else {
      clearFinished();
      navigate('results', f.runId);
    }
  }, [run?.finished]);

  const active = run && !run.finished;
  return (
    <>
      <h1 className="page-title">Local run</h1>
      <p className="page-sub">Runs AstroMAE with onnxruntime on this computer's CPU, in a background worker.</p>
      <ErrorBox error={error} onDismiss={() => setError(null)} title="The run could not complete" />
      {active ? <RunProgressView run={run} /> : <RunForm onError={setError} />}
    </>
  );
}

registerScreen({ id: 'run', title: 'Local run', nav: 20, render: () => <LocalRun /> });
