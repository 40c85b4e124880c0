import { useEffect, useEffectEvent, useRef, useState } from 'react';
import { api } from '../api.ts';
import type { CloudFinished, CloudProgress, CloudReview, CloudRunOptions } from '../../../app/common/contract/index.ts';
import { CloudReviewView } from '../components/cloud-review.tsx';
import { DEFAULT_BATCH_SIZE } from '../../../base/options.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { BrowseButton } from '../components/path-picker.tsx';
import { formatDuration } from '../lib/format.ts';
import { takeNextCloudProfile } from '../lib/cloud-run-handoff.ts';
import { DemoBanner } from '../components/demo-banner.tsx';
import { navigate } from '../lib/router.ts';
import { registerScreen } from './registry.ts';
import { MAX_BATCH_SIZE } from '../../../base/options.ts';

const splitLines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const mib = (b?: number) => (b === undefined ? '—' : `${(b / (1 << 20)).toFixed(1)} MiB`);
const MAX_LOG_LINES = 300;

interface Draft {
  profile: string;
  data: string;
  partitionMb: string;
  codeDir: string;
  modelFile: string;
  /** The study's CAI pipeline: the script inside codeDir the executor runs. */
  entry: string;
  acceptWarnings: boolean;
  allowConcurrent: boolean;
  batchSize: string;
  fileLimit: string;
  worldSize: string;
  stage: boolean;
  name: string;
}
let lastDraft: Draft | null = null;

function optionsOf(d: Draft, payloadText?: string): CloudRunOptions {
  const n = (s: string) => (s.trim() ? Number(s) : undefined);
  return {
    profile: d.profile,
    data: splitLines(d.data).length ? splitLines(d.data) : undefined,
    partitionMb: Number(d.partitionMb),
    codeDir: d.codeDir.trim() || undefined,
    modelFile: d.modelFile.trim() || undefined,
    entry: (d.codeDir.trim() && d.entry.trim()) || undefined,
    acceptWarnings: d.acceptWarnings || undefined,
    allowConcurrent: d.allowConcurrent || undefined,
    batchSize: Number(d.batchSize),
    fileLimit: n(d.fileLimit),
    worldSize: n(d.worldSize),
    stage: d.stage,
    payloadText,
    name: d.name.trim() || undefined,
  };
}

function PayloadEditor({ draft, onUse }: { draft: Draft; onUse: (text: string | undefined) => void }) {
  const [text, setText] = useState('');
  const [issues, setIssues] = useState<Array<{ path: string; message: string }>>([]);
  const [edited, setEdited] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // Answers can arrive out of order while the user types: only the latest request may update the editor.
  const seq = useRef(0);

  const preview = async () => {
    setError(null);
    const mine = ++seq.current;
    try {
      const r = await api.cloud.previewPayload(optionsOf(draft));
      if (mine !== seq.current) return;
      setText(r.text);
      setIssues([]);
      setEdited(false);
      onUse(undefined);
    } catch (err) {
      if (mine === seq.current) setError(err);
    }
  };
  // Re-previews (debounced) when an option the payload is built from changes, with the draft of that moment.
  const previewNow = useEffectEvent(() => void preview());
  useEffect(() => {
    if (!draft.profile) return;
    const t = setTimeout(() => previewNow(), 250);
    return () => clearTimeout(t);
  }, [
    draft.profile,
    draft.batchSize,
    draft.fileLimit,
    draft.worldSize,
    draft.partitionMb,
    draft.codeDir,
    draft.entry,
    draft.modelFile,
    draft.data,
  ]);

  const edit = async (value: string) => {
    setText(value);
    setEdited(true);
    const mine = ++seq.current;
    const r = await api.cloud.validatePayload({ text: value });
    if (mine !== seq.current) return;
    setIssues(r.issues);
    onUse(r.ok ? value : undefined);
  };

  return (
    <div className="card" data-testid="payload-card">
      <div className="card-head">
        <h2>Payload</h2>
        <span className="spacer" />
        <button type="button" onClick={preview}>
          {edited ? 'Reset to the options' : 'Refresh'}
        </button>
      </div>
      <p className="muted">
        The state machine's input, as the study's. Built from the options (S3_object_name and script follow what staging
        uploads); edit it to send it as is. A fresh result_path is made at start, so no earlier result is overwritten.
      </p>
      <ErrorBox error={error} onDismiss={() => setError(null)} title="No payload" />
      <textarea
        name="payload"
        spellCheck={false}
        style={{ fontFamily: 'monospace', minHeight: 230, width: '100%' }}
        value={text}
        onChange={(e) => edit(e.target.value)}
        data-testid="payload-json"
      />
      {issues.length > 0 && (
        <ul className="error-box" data-testid="payload-issues">
          {issues.map((i, k) => (
            <li key={k}>
              <strong>{i.path || '(payload)'}</strong>: {i.message}
            </li>
          ))}
        </ul>
      )}
      {edited && issues.length === 0 && <div className="notice">The edited payload will be sent (no staging).</div>}
    </div>
  );
}

function CloudForm({ onStarted, onError }: { onStarted: (runId: string) => void; onError: (e: unknown) => void }) {
  const [profiles, setProfiles] = useState<string[] | null>(null);
  const [d, setD] = useState<Draft>(() => {
    const draft = lastDraft ?? {
      profile: '',
      data: '',
      partitionMb: '25',
      codeDir: '',
      modelFile: '',
      entry: '',
      acceptWarnings: false,
      allowConcurrent: false,
      batchSize: String(DEFAULT_BATCH_SIZE),
      fileLimit: '',
      worldSize: '',
      stage: true,
      name: '',
    };
    const profile = takeNextCloudProfile();
    if (!profile) return draft;
    lastDraft = { ...draft, profile };
    return lastDraft;
  });
  const [payloadText, setPayloadText] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [arn, setArn] = useState('');
  const [review, setReview] = useState<CloudReview | null>(null);
  const [reviewing, setReviewing] = useState(false);
  const set = (patch: Partial<Draft>) =>
    setD((cur) => {
      const next = { ...cur, ...patch };
      // A review is of the options it was made with: any other change makes it stale.
      if (Object.keys(patch).some((k) => k !== 'acceptWarnings' && k !== 'allowConcurrent')) setReview(null);
      lastDraft = next;
      return next;
    });

  // Once on open: the saved profiles, keeping the draft's profile if it still exists.
  const takeProfiles = useEffectEvent((names: string[]) => {
    setProfiles(names);
    if (!d.profile || !names.includes(d.profile)) set({ profile: names[0] ?? '' });
  });
  const listFailed = useEffectEvent((err: unknown) => onError(err));
  useEffect(() => {
    api.cloud.listProfiles().then(
      (r) => takeProfiles(r.profiles.map((p) => p.name)),
      (err: unknown) => listFailed(err),
    );
  }, []);

  const start = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    onError(null);
    try {
      onStarted((await api.cloud.start(optionsOf(d, payloadText))).runId);
    } catch (err) {
      onError(err);
    } finally {
      setBusy(false);
    }
  };
  const doReview = async () => {
    setReviewing(true);
    onError(null);
    try {
      setReview(await api.cloud.review(optionsOf(d, payloadText)));
    } catch (err) {
      setReview(null);
      onError(err);
    } finally {
      setReviewing(false);
    }
  };
  const warnings = review?.rankPlan?.warnings.length ?? 0;
  const mustAccept = warnings > 0 && !d.acceptWarnings;
  const attach = async () => {
    onError(null);
    try {
      onStarted((await api.cloud.attach({ profile: d.profile, executionArn: arn.trim() })).runId);
    } catch (err) {
      onError(err);
    }
  };

  if (profiles && profiles.length === 0) {
    return (
      <div className="empty">
        No AWS profile yet. <a href="#/profiles">Add one</a> first, try the emulated cloud above, or, without AWS, look
        at the cloud half with{' '}
        <a href="#/import" data-testid="cloud-example-link">
          example data
        </a>{' '}
        (made-up recorded results, labelled as such).
      </div>
    );
  }
  return (
    <>
      <form className="card" onSubmit={start} data-testid="cloud-form">
        <h2>Run on AWS</h2>
        <div className="form-grid">
          <label className="field">
            Profile
            <select name="profile" value={d.profile} onChange={(e) => set({ profile: e.target.value })}>
              {(profiles ?? []).map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
          <label className="field">
            Partition size (MB)
            <span className="help">The study used 25, 50, 75 and 100.</span>
            <input
              name="partitionMb"
              type="number"
              min={0.01}
              step="any"
              value={d.partitionMb}
              onChange={(e) => set({ partitionMb: e.target.value })}
            />
          </label>
          <label className="field">
            Batch size
            <input
              name="batchSize"
              type="number"
              min={1}
              max={MAX_BATCH_SIZE}
              value={d.batchSize}
              onChange={(e) => set({ batchSize: e.target.value })}
            />
          </label>
          <label className="field">
            File limit
            <span className="help">Partitions to process; empty = all staged.</span>
            <input
              name="fileLimit"
              type="number"
              min={1}
              value={d.fileLimit}
              onChange={(e) => set({ fileLimit: e.target.value })}
            />
          </label>
          <label className="field">
            World size
            <span className="help">Ranks; empty = one per file.</span>
            <input
              name="worldSize"
              type="number"
              min={1}
              value={d.worldSize}
              onChange={(e) => set({ worldSize: e.target.value })}
            />
          </label>
          <label className="field">
            Name in History
            <input
              name="name"
              value={d.name}
              placeholder="made from the inputs"
              onChange={(e) => set({ name: e.target.value })}
            />
          </label>
        </div>
        <label className="field">
          Data
          <span className="help">
            .pt files or folders, one per line; partitioned and uploaded under the data prefix. Empty = the bundled
            sample data.
          </span>
          <textarea
            name="data"
            placeholder="sample data"
            value={d.data}
            onChange={(e) => set({ data: e.target.value })}
          />
          <div className="row">
            <BrowseButton
              kind="files"
              label="Add files…"
              extensions={['.pt']}
              onPick={(p) => set({ data: [...splitLines(d.data), ...p].join('\n') })}
            />
            <BrowseButton
              kind="folder"
              label="Add folder…"
              onPick={(p) => set({ data: [...splitLines(d.data), ...p].join('\n') })}
            />
          </div>
        </label>
        <div className="form-grid">
          <label className="field">
            Code + model folder (optional)
            <span className="help">Uploaded under scripts/; must hold one .onnx.</span>
            <div className="row">
              <input
                style={{ flex: 1 }}
                name="codeDir"
                value={d.codeDir}
                onChange={(e) => set({ codeDir: e.target.value })}
              />
              <BrowseButton kind="folder" label="Browse…" onPick={(p) => set({ codeDir: p[0] })} />
            </div>
          </label>
          {d.codeDir.trim() && (
            <label className="field">
              Entry script (CAI pipeline)
              <span className="help">
                The script inside the code folder the study's executor runs, e.g. Inference/inference.py. Empty on our
                own stack.
              </span>
              <input
                name="entry"
                value={d.entry}
                placeholder="Inference/inference.py"
                onChange={(e) => set({ entry: e.target.value })}
              />
            </label>
          )}
          <label className="field">
            Or a model file (optional)
            <span className="help">Default: the reference model.</span>
            <div className="row">
              <input
                style={{ flex: 1 }}
                name="modelFile"
                value={d.modelFile}
                onChange={(e) => set({ modelFile: e.target.value })}
              />
              <BrowseButton
                kind="file"
                label="Browse…"
                extensions={['.onnx']}
                onPick={(p) => set({ modelFile: p[0] })}
              />
            </div>
          </label>
        </div>
        <label className="row">
          <input type="checkbox" checked={d.stage} onChange={(e) => set({ stage: e.target.checked })} /> Upload code,
          model and data first (identical objects are skipped)
        </label>
        <div className="card" data-testid="review-card">
          <div className="card-head">
            <h2>Review</h2>
            <span className="spacer" />
            <button type="button" onClick={doReview} disabled={reviewing || !d.profile} data-testid="review-cloud-run">
              {reviewing ? 'Reviewing…' : review ? 'Review again' : 'Review'}
            </button>
          </div>
          <p className="muted">
            Shows the payload and, on the study's CAI pipeline, which file(s) each rank gets, without starting anything.
            With "Upload first" on, reviewing uploads (identical objects are skipped), as the start will.
          </p>
          {review && <CloudReviewView review={review} />}
          <label className="row">
            <input
              type="checkbox"
              name="acceptWarnings"
              checked={d.acceptWarnings}
              onChange={(e) => set({ acceptWarnings: e.target.checked })}
              data-testid="accept-warnings"
            />{' '}
            I accept these warnings{warnings ? ` (${warnings})` : ''}: start even though the rank plan has warnings
          </label>
          <label className="row">
            <input
              type="checkbox"
              name="allowConcurrent"
              checked={d.allowConcurrent}
              onChange={(e) => set({ allowConcurrent: e.target.checked })}
              data-testid="allow-concurrent"
            />{' '}
            Start even if another execution is running
          </label>
          <p className="help" data-testid="concurrent-reason">
            Why this is refused by default: the study's pipeline keeps one payload.json for all executions (its script
            reads it from one fixed place), so a second execution started while one runs overwrites the first one's rank
            plan, and both may process the wrong files.
            {review && review.running.length > 0 && <strong> Running now: {review.running.join(', ')}.</strong>}
          </p>
          {mustAccept && (
            <div className="notice" data-testid="must-accept">
              The rank plan has warnings: tick "I accept these warnings" to start, or change the options.
            </div>
          )}
        </div>
        <button
          className="primary big"
          type="submit"
          disabled={busy || !d.profile || mustAccept}
          data-testid="start-cloud-run"
        >
          Start cloud run
        </button>
      </form>
      {d.profile && <PayloadEditor draft={d} onUse={setPayloadText} />}
      <div className="card">
        <h2>Re-attach</h2>
        <p className="muted">
          Follow an execution started earlier (for example before the app was closed) and record its results.
        </p>
        <div className="row">
          <input
            style={{ flex: 1 }}
            placeholder="arn:aws:states:…:execution:…"
            value={arn}
            onChange={(e) => setArn(e.target.value)}
            data-testid="attach-arn"
          />
          <button type="button" onClick={attach} disabled={!arn.trim() || !d.profile}>
            Attach
          </button>
        </div>
      </div>
    </>
  );
}

function CloudProgressView({
  runId,
  progress,
  logs,
  onError,
}: {
  runId: string;
  progress: CloudProgress | null;
  logs: string[];
  onError: (e: unknown) => void;
}) {
  const [stopping, setStopping] = useState(false);
  const logBox = useRef<HTMLPreElement | null>(null);
  useEffect(() => {
    const el = logBox.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [logs.length]);
  const p = progress;
  const s = p?.stage;
  const items = p?.items;
  const frac =
    p?.phase === 'staging' && s
      ? s.bytesTotal
        ? (s.bytesDone ?? 0) / s.bytesTotal
        : s.total
          ? s.done / s.total
          : 0
      : items && items.total
        ? (items.succeeded + items.failed + items.aborted + items.timedOut) / items.total
        : 0;
  const pct = Math.round(Math.min(1, frac) * 100);
  const stepLabel = s
    ? {
        folders: 'Creating folders',
        partition: 'Partitioning',
        code: 'Uploading code + model',
        data: 'Uploading partitions',
      }[s.step]
    : '';
  return (
    <>
      <div className="card" data-testid="cloud-progress">
        <div className="card-head">
          <h2>Cloud run</h2>
          <span className="spacer" />
          <button
            className="danger"
            disabled={stopping}
            onClick={async () => {
              setStopping(true);
              await api.cloud.stop({ runId }).catch(onError);
            }}
            data-testid="stop-cloud-run"
          >
            {stopping ? 'Stopping…' : p?.executionArn ? 'Stop execution' : 'Cancel'}
          </button>
        </div>
        <div className="muted">
          {p?.phase === 'staging'
            ? `${stepLabel}${s && s.total ? `: ${s.done} / ${s.total}${s.bytesTotal ? ` files, ${mib(s.bytesDone)} / ${mib(s.bytesTotal)}` : ''}` : ''}`
            : (p?.message ?? p?.status ?? 'Starting…')}
        </div>
        {p?.executionArn && (
          <div className="muted nowrap" data-testid="execution-arn">
            {p.executionArn}
          </div>
        )}
        <div className="progress" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
          <div style={{ width: `${pct}%` }} />
        </div>
        <div className="stats" data-testid="map-counts">
          {(['pending', 'running', 'succeeded', 'failed'] as const).map((k) => (
            <div className="stat" key={k}>
              <div className="k">{k}</div>
              <div className="v">{items ? (k === 'failed' ? items.failed + items.timedOut : items[k]) : '—'}</div>
            </div>
          ))}
          <div className="stat">
            <div className="k">Status</div>
            <div className="v">{p?.status ?? p?.phase ?? '—'}</div>
          </div>
          <div className="stat">
            <div className="k">Elapsed</div>
            <div className="v">{formatDuration(p?.elapsedSeconds)}</div>
          </div>
        </div>
        {p?.failedRanks && p.failedRanks.length > 0 && (
          <div className="error-box" data-testid="failed-ranks">
            <strong>Failed ranks</strong>
            <ul>
              {p.failedRanks.map((f, i) => (
                <li key={i}>
                  rank {f.rank ?? `#${f.index ?? '?'}`}
                  {typeof f.dataPath === 'string' ? ` (${f.dataPath})` : ''}: <strong>{f.error}</strong>{' '}
                  {f.cause.slice(0, 400)}
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
      <div className="card">
        <h2>Lambda log</h2>
        <pre
          ref={logBox}
          style={{ maxHeight: 300, overflow: 'auto', fontSize: 12, whiteSpace: 'pre-wrap' }}
          data-testid="log-tail"
        >
          {logs.length ? logs.join('\n') : 'Waiting for log lines…'}
        </pre>
      </div>
    </>
  );
}

function CloudRun() {
  const [runId, setRunId] = useState<string | null>(null);
  const [progress, setProgress] = useState<CloudProgress | null>(null);
  const [logs, setLogs] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  // Bumped when the demo starts, so the form reloads the profiles and picks the demo's.
  const [formKey, setFormKey] = useState(0);
  const current = useRef<string | null>(null);
  current.current = runId;

  useEffect(() => {
    api.cloud.active().then(
      (r) => {
        const a = r.runs[0];
        if (a && !current.current) {
          setRunId(a.runId);
          setProgress(a.progress);
        }
      },
      () => undefined,
    );
    const offs = [
      api.on('cloud.progress', (p) => {
        if (p.runId === current.current) setProgress(p);
      }),
      api.on('cloud.logs', (l) => {
        if (l.runId !== current.current) return;
        const text = l.lines.map((x) => `${new Date(x.timestamp).toISOString().slice(11, 19)} ${x.message}`);
        setLogs((cur) => [...cur, ...text].slice(-MAX_LOG_LINES));
      }),
      api.on('cloud.finished', (f: CloudFinished) => {
        if (f.runId !== current.current) return;
        setRunId(null);
        setProgress(null);
        setLogs([]);
        if (f.status === 'failed' && f.error) setError(f.error);
        if (f.status === 'detached') return;
        navigate('results', f.runId);
      }),
    ];
    return () => offs.forEach((off) => off());
  }, []);

  return (
    <>
      <h1 className="page-title">Cloud run</h1>
      <p className="page-sub">
        Stages the code, model and partitions to S3, runs the CAI state machine (Initialize → Distributed Map of
        inference Lambdas → Summarize) and brings the results back into History.
      </p>
      <ErrorBox error={error} onDismiss={() => setError(null)} title="The cloud run did not complete" />
      <DemoBanner offer={!runId} onStarted={() => setFormKey((k) => k + 1)} />
      {runId ? (
        <CloudProgressView runId={runId} progress={progress} logs={logs} onError={setError} />
      ) : (
        <CloudForm
          key={formKey}
          onError={setError}
          onStarted={(id) => {
            setLogs([]);
            setProgress(null);
            setRunId(id);
          }}
        />
      )}
    </>
  );
}

registerScreen({ id: 'cloud', title: 'Cloud run', nav: 24, render: () => <CloudRun /> });
