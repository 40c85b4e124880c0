import { useEffect, useRef, useState } from 'react';
import { api } from '../api.ts';
import type { RedactedProfile } from '../../../base/profile-schema.ts';
import type { ApiErrorData, PackageReport, StackEventView, StackFinished, StackProgressView, StackStatusView } from '../../../app/common/contract/index.ts';
import { DEFAULT_PRICE_TABLE } from '../../../base/price-table.ts';
import { ErrorBox } from './error-box.tsx';
import { openCloudRunWith } from '../lib/cloud-run-handoff.ts';

/** The stack a profile was made from, when it was made by "Deploy CAI stack" (state machine `<stack>-cai`, Lambda `<stack>-inference`). */
export function stackNameOf(p: RedactedProfile): string | null {
  const m = /:stateMachine:([A-Za-z][A-Za-z0-9-]*)-cai$/.exec(p.stateMachineArn);
  return m && p.inferenceLambdaName === `${m[1]}-inference` ? m[1] : null;
}

/** An operation the Node side is still following (e.g. started before this screen was left). */
export type ActiveStackOp = Awaited<ReturnType<typeof api.stack.active>>['ops'][number];

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
const usd = (n: number) => `$${n < 0.01 ? n.toFixed(4) : n.toFixed(2)}`;

/** README "What it costs": idle ≈ storage only; usage priced with the default price table's first tier. */
function costText(arch: 'x86_64' | 'arm64', memoryMb: number): string {
  const perGbS = DEFAULT_PRICE_TABLE.lambda.computeTiers[arch][0].usdPerGbSecond;
  const gbS = 100 * 60 * (memoryMb / 1024);
  return (
    `Idle, the stack costs ≈ nothing: Lambdas, the state machine, roles and log groups are billed only when used; what remains is S3 storage ` +
    `(≈ $0.023 per GB-month: staged data, the model, the 10–18 MB zip, results) and logs ($0.03 per GB-month until retention ends). ` +
    `Usage: 100 ranks of 60 s at ${memoryMb} MB on ${arch} = ${Math.round(gbS).toLocaleString()} GB-s ≈ ${usd(gbS * perGbS)} of Lambda compute, ` +
    `plus ≈ $0.008 of Step Functions transitions and under $0.001 of S3 requests per run (${DEFAULT_PRICE_TABLE.region} list prices).`
  );
}

/** Follows one stack operation's events from the progress channel; filtered by stack name (one operation per stack at a time). */
function useStackOp(stackName: string | null, initialEvents: StackEventView[] = []) {
  const [events, setEvents] = useState<StackEventView[]>(initialEvents);
  const [last, setLast] = useState<StackProgressView | null>(null);
  const [finished, setFinished] = useState<StackFinished | null>(null);
  const [packaged, setPackaged] = useState<PackageReport | null>(null);
  const name = useRef(stackName);
  name.current = stackName;
  useEffect(() => {
    const offP = api.on('stack.progress', (p) => {
      if (p.stackName !== name.current) return;
      if (p.kind === 'event' && p.event) setEvents((cur) => (cur.some((e) => e.eventId === p.event!.eventId) ? cur : [...cur, p.event!]));
      else setLast(p);
      if (p.packaged) setPackaged(p.packaged);
    });
    const offF = api.on('stack.finished', (f) => {
      if (f.stackName === name.current) setFinished(f);
    });
    return () => {
      offP();
      offF();
    };
  }, []);
  const reset = () => {
    setEvents([]);
    setLast(null);
    setFinished(null);
    setPackaged(null);
  };
  return { events, last, finished, packaged: finished?.packaged ?? packaged, reset };
}

/** Newest first, as in the CloudFormation console, so the live status stays at the top. */
function EventList({ events }: { events: StackEventView[] }) {
  if (!events.length) return null;
  return (
    <div style={{ maxHeight: 340, overflow: 'auto', marginTop: 10 }}>
      <table className="data" data-testid="stack-events" style={{ width: '100%' }}>
        <thead>
          <tr>
            <th>Time</th>
            <th>Status</th>
            <th>Resource</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {[...events].reverse().map((e) => (
            <tr key={e.eventId}>
              <td className="nowrap">{e.timestamp.slice(11, 19)}</td>
              <td>
                <span className={`badge ${e.status.endsWith('_FAILED') ? 'failed' : e.status.endsWith('_COMPLETE') ? (e.status.includes('ROLLBACK') ? 'cancelled' : 'completed') : 'running'}`}>{e.status}</span>
              </td>
              <td>
                {e.logicalId} <span className="muted">{e.resourceType}</span>
              </td>
              <td style={{ whiteSpace: 'normal', minWidth: 220 }}>{e.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Outputs({ outputs }: { outputs: Record<string, string> }) {
  return (
    <table className="data" data-testid="stack-outputs" style={{ marginTop: 10 }}>
      <tbody>
        {Object.entries(outputs).map(([k, v]) => (
          <tr key={k}>
            <td>
              <strong>{k}</strong>
            </td>
            <td className="nowrap">{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function progressLine(p: StackProgressView | null, events: StackEventView[], stackName: string): string {
  const stackEvent = [...events].reverse().find((e) => e.logicalId === stackName);
  if (p?.kind === 'upload' && p.upload) return `Uploading ${p.upload.key}: ${p.upload.phase}${p.upload.bytesTotal ? ` ${mb(p.upload.bytesDone)} / ${mb(p.upload.bytesTotal)}` : ''}`;
  if (stackEvent && (!p || p.kind === 'phase' || p.kind === 'event')) return `${p?.message ? `${p.message} · ` : ''}stack ${stackEvent.status}`;
  if (p?.kind === 'packaged' && p.packaged) return `Packaged: ${mb(p.packaged.unzippedBytes)} unzipped (limit ${mb(p.packaged.limitBytes)}), ${mb(p.packaged.zippedBytes)} zipped`;
  return p?.message ?? 'Starting…';
}

interface DeployDraft {
  profile: string;
  stackName: string;
  arch: 'x86_64' | 'arm64';
  memoryMb: string;
  timeoutSeconds: string;
  maxConcurrency: string;
  toleratedFailurePercentage: string;
  bucketMode: 'new' | 'existing';
  existingBucket: string;
  modelFile: string;
}

/** "Deploy CAI stack": the form, then the live events and status, then the outputs and "Use this profile". */
export function DeployStackPanel({ profiles, resume, onClose, onProfile }: { profiles: RedactedProfile[]; resume?: ActiveStackOp; onClose: () => void; onProfile: () => void }) {
  const [d, setD] = useState<DeployDraft>({
    profile: resume?.profile ?? profiles[0]?.name ?? '',
    stackName: resume?.stackName ?? 'cosmicai-cai',
    arch: 'x86_64',
    memoryMb: '3008',
    timeoutSeconds: '900',
    maxConcurrency: '1000',
    toleratedFailurePercentage: '0',
    bucketMode: 'new',
    existingBucket: '',
    modelFile: '',
  });
  const [following, setFollowing] = useState<string | null>(resume?.stackName ?? null);
  const [opId, setOpId] = useState<string | null>(resume?.opId ?? null);
  const [error, setError] = useState<unknown>(null);
  const [pkg, setPkg] = useState<PackageReport | 'packaging' | null>(null);
  const op = useStackOp(following, resume?.events);
  const set = (patch: Partial<DeployDraft>) => setD((cur) => ({ ...cur, ...patch }));
  const base = profiles.find((p) => p.name === d.profile);

  useEffect(() => {
    if (op.finished?.status === 'completed') onProfile();
    if (op.finished) setOpId(null);
  }, [op.finished]);

  const deploy = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    op.reset();
    const stackName = d.stackName.trim();
    setFollowing(stackName);
    try {
      const r = await api.stack.deploy({
        profile: d.profile,
        stackName,
        arch: d.arch,
        memoryMb: Number(d.memoryMb),
        timeoutSeconds: Number(d.timeoutSeconds),
        maxConcurrency: Number(d.maxConcurrency),
        toleratedFailurePercentage: Number(d.toleratedFailurePercentage),
        ...(d.bucketMode === 'existing' ? { existingBucket: d.existingBucket.trim() } : {}),
        ...(d.modelFile.trim() ? { modelFile: d.modelFile.trim() } : {}),
        // A CloudFormation endpoint override is a local stand-in, which answers at once: poll it often.
        ...(base?.endpoints?.cloudformation ? { pollSeconds: 0.2 } : {}),
      });
      setOpId(r.opId);
    } catch (err) {
      setFollowing(null);
      setError(err);
    }
  };

  const num = (key: keyof DeployDraft, label: string, help: string, min: number, max: number) => (
    <label className="field">
      {label}
      <span className="help">{help}</span>
      <input name={key} type="number" min={min} max={max} required value={d[key]} onChange={(e) => set({ [key]: e.target.value } as Partial<DeployDraft>)} />
    </label>
  );

  const running = !!following && !op.finished;
  const f = op.finished;
  return (
    <div className="card" data-testid="stack-panel">
      <div className="card-head">
        <h2>Deploy CAI stack</h2>
        <span className="spacer" />
        <button type="button" onClick={onClose} disabled={running}>
          Close
        </button>
      </div>
      <p className="muted" style={{ marginTop: 0 }}>
        One CloudFormation stack: a bucket (or yours), least-privilege roles, three Node.js 22 Lambdas running this engine, their log groups and the state machine. When it is up, a profile named after the stack is
        made from its outputs.
      </p>
      <ErrorBox error={error} onDismiss={() => setError(null)} title="The deploy did not start" />
      {resume && (
        <div className="notice" data-testid="stack-resumed">
          The deploy of stack <strong>{resume.stackName}</strong> with profile {resume.profile}, started {new Date(resume.startedAt).toLocaleTimeString()}, {running ? 'is still being followed' : 'was followed while this screen was closed'}.
          {running && opId && (
            <button type="button" className="small" style={{ marginLeft: 10 }} onClick={() => api.stack.cancel({ opId }).catch(setError)}>
              Stop following
            </button>
          )}
        </div>
      )}
      {/* A resumed deploy's settings are not known here: no form for it (Close, then Deploy CAI stack, for a new one). */}
      {!resume && (
      <form onSubmit={deploy} data-testid="stack-form">
        <div className="form-grid">
          <label className="field">
            Deploy with profile
            <span className="help">Its credentials, region and endpoints create the stack.</span>
            <select name="profile" value={d.profile} onChange={(e) => set({ profile: e.target.value })}>
              {profiles.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name} ({p.region})
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            Stack name
            <span className="help">Letters, digits and "-"; the new profile gets this name.</span>
            <input name="stackName" required pattern="[A-Za-z][A-Za-z0-9\-]*" maxLength={40} value={d.stackName} onChange={(e) => set({ stackName: e.target.value })} />
          </label>
          <label className="field">
            Architecture
            <span className="help">arm64 is 20% cheaper per GB-s; the zip carries only that onnxruntime binary.</span>
            <select name="arch" value={d.arch} onChange={(e) => set({ arch: e.target.value as DeployDraft['arch'] })}>
              <option value="x86_64">x86_64</option>
              <option value="arm64">arm64</option>
            </select>
          </label>
          {num('memoryMb', 'Inference memory (MB)', 'More memory also gives more CPU.', 128, 10240)}
          {num('timeoutSeconds', 'Inference timeout (s)', 'At most 900.', 30, 900)}
          {num('maxConcurrency', 'Max concurrency', 'Ranks running at once in the Distributed Map; 0 = no limit.', 0, 10000)}
          {num('toleratedFailurePercentage', 'Tolerated failures (%)', 'Share of failed ranks the Map accepts.', 0, 100)}
          <label className="field">
            Bucket
            <span className="help">A new one is kept when the stack is deleted (your results live there).</span>
            <select name="bucketMode" value={d.bucketMode} onChange={(e) => set({ bucketMode: e.target.value as DeployDraft['bucketMode'] })}>
              <option value="new">create a new bucket</option>
              <option value="existing">use an existing bucket</option>
            </select>
          </label>
          {d.bucketMode === 'existing' && (
            <label className="field">
              Existing bucket
              <span className="help">In the profile's region.</span>
              <input name="existingBucket" required value={d.existingBucket} onChange={(e) => set({ existingBucket: e.target.value })} />
            </label>
          )}
          <label className="field">
            Model (optional)
            <span className="help">An .onnx uploaded to scripts/; default: the reference model.</span>
            <input name="modelFile" value={d.modelFile} onChange={(e) => set({ modelFile: e.target.value })} />
          </label>
        </div>
        <div className="notice" data-testid="stack-cost" style={{ margin: '10px 0' }}>
          {costText(d.arch, Number(d.memoryMb) || 3008)}
        </div>
        <div className="row">
          <button className="primary" type="submit" disabled={running || !d.profile} data-testid="deploy-stack">
            {running ? 'Deploying…' : 'Deploy'}
          </button>
          {running && opId && (
            <button type="button" onClick={() => api.stack.cancel({ opId }).catch(setError)} data-testid="stop-following">
              Stop following
            </button>
          )}
          <button
            type="button"
            disabled={pkg === 'packaging' || running}
            data-testid="package-stack"
            onClick={() => {
              setPkg('packaging');
              api.stack.package({ arch: d.arch }).then(setPkg, (err) => {
                setPkg(null);
                setError(err);
              });
            }}
          >
            {pkg === 'packaging' ? 'Packaging…' : 'Package only (size)'}
          </button>
          {pkg && pkg !== 'packaging' && (
            <span className="muted" data-testid="package-report">
              {pkg.arch}: {mb(pkg.unzippedBytes)} unzipped of Lambda's {mb(pkg.limitBytes)} limit, {mb(pkg.zippedBytes)} zipped, {pkg.files} files
            </span>
          )}
        </div>
      </form>
      )}
      {following && (
        <div data-testid="stack-progress" style={{ marginTop: 14 }}>
          <div className="row">
            <strong>Stack {following}</strong>
            <span className={`badge ${f ? f.status : 'running'}`} data-testid="stack-op-status">
              {f ? f.status : 'running'}
            </span>
            <span className="muted" data-testid="stack-status-line">
              {f?.stackStatus ? `final status ${f.stackStatus}${f.stackOperation === 'none' ? ' (already up to date)' : ''}` : progressLine(op.last, op.events, following)}
            </span>
          </div>
          {op.packaged && (
            <div className="muted" data-testid="stack-package">
              Lambda zip: {mb(op.packaged.unzippedBytes)} unzipped of Lambda's {mb(op.packaged.limitBytes)} limit, {mb(op.packaged.zippedBytes)} zipped,{' '}
              {op.packaged.files} files, onnxruntime-node {op.packaged.onnxruntimeVersion}
            </div>
          )}
          {f?.error && <FailureBox error={f.error} failed={f.failedResource} cancelled={f.status === 'cancelled'} />}
          {f?.status === 'completed' && f.outputs && (
            <div data-testid="stack-result">
              <div className="notice" style={{ marginTop: 10 }}>
                Profile <strong>{f.profile?.name}</strong> {f.profileAction} from the stack's outputs.
              </div>
              <Outputs outputs={f.outputs} />
              {f.profile && (
                <button className="primary" style={{ marginTop: 10 }} onClick={() => openCloudRunWith(f.profile!.name)} data-testid="use-stack-profile">
                  Use this profile
                </button>
              )}
            </div>
          )}
          <EventList events={op.events} />
        </div>
      )}
    </div>
  );
}

function FailureBox({ error, failed, cancelled }: { error: ApiErrorData; failed?: StackEventView; cancelled: boolean }) {
  return (
    <div data-testid="stack-failure" style={{ marginTop: 10 }}>
      <ErrorBox error={error} title={cancelled ? 'Stopped following' : failed ? 'The stack was rolled back' : 'The operation failed'} />
      {failed && (
        <div className="muted" data-testid="stack-failed-resource" style={{ marginTop: -10, marginBottom: 10 }}>
          Failed resource: <strong>{failed.logicalId}</strong> ({failed.resourceType}) {failed.status}: {failed.reason ?? 'no reason given'}
        </div>
      )}
    </div>
  );
}

/** Status and Delete for a profile made from a stack. */
export function StackActions({ profile, resume, onDeleted }: { profile: RedactedProfile; resume?: ActiveStackOp; onDeleted: () => void }) {
  const stackName = stackNameOf(profile)!;
  const [status, setStatus] = useState<StackStatusView | 'loading' | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [opId, setOpId] = useState<string | null>(resume?.opId ?? null);
  const [following, setFollowing] = useState<string | null>(resume ? stackName : null);
  const [error, setError] = useState<unknown>(null);
  const op = useStackOp(following, resume?.events);
  const fast = !!profile.endpoints?.cloudformation;

  const loadStatus = async () => {
    setStatus('loading');
    setError(null);
    try {
      setStatus(await api.stack.status({ profile: profile.name, stackName, events: 8 }));
    } catch (err) {
      setStatus(null);
      setError(err);
    }
  };
  const remove = async () => {
    setConfirm(false);
    setStatus(null);
    op.reset();
    setFollowing(stackName);
    try {
      setOpId((await api.stack.delete({ profile: profile.name, stackName, ...(fast ? { pollSeconds: 0.2 } : {}) })).opId);
    } catch (err) {
      setFollowing(null);
      setError(err);
    }
  };
  useEffect(() => {
    if (op.finished) setOpId(null);
  }, [op.finished]);

  const f = op.finished;
  return (
    <div data-testid="stack-actions" style={{ marginTop: 10 }}>
      <div className="row">
        <span className="muted">
          Made by deploying stack <strong>{stackName}</strong>.
        </span>
        <button className="small" onClick={loadStatus} disabled={status === 'loading' || (!!following && !f)} data-testid="stack-status">
          {status === 'loading' ? 'Reading…' : 'Stack status'}
        </button>
        <button className="small danger" onClick={() => setConfirm(true)} disabled={!!following && !f} data-testid="stack-delete">
          Delete stack
        </button>
        {opId && following && !f && (
          <button className="small" onClick={() => api.stack.cancel({ opId }).catch(setError)}>
            Stop following
          </button>
        )}
      </div>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {status && status !== 'loading' && (
        <div data-testid="stack-status-report" style={{ marginTop: 8 }}>
          {status.exists ? (
            <>
              <span className={`badge ${/FAILED|ROLLBACK/.test(status.status ?? '') ? 'failed' : /_COMPLETE$/.test(status.status ?? '') ? 'completed' : 'running'}`}>{status.status}</span>
              {status.reason && <span className="muted"> {status.reason}</span>}
              <Outputs outputs={status.outputs} />
              <EventList events={status.recentEvents} />
            </>
          ) : (
            <div className="notice">No stack named '{stackName}' in {profile.region}: it was deleted, or never finished creating.</div>
          )}
        </div>
      )}
      {following && (
        <div data-testid="stack-delete-progress" style={{ marginTop: 8 }}>
          <span className={`badge ${f ? f.status : 'running'}`} data-testid="stack-delete-status">
            {f ? (f.status === 'completed' ? 'deleted' : f.status) : 'deleting'}
          </span>{' '}
          {f?.status === 'completed' && (
            <span data-testid="stack-deleted">
              Stack {stackName} deleted.
              {f.retainedBucket ? ` The bucket ${f.retainedBucket} was kept (your results and staged data); remove it yourself when done.` : ''}{' '}
              <button className="small" onClick={onDeleted}>
                Remove this profile
              </button>
            </span>
          )}
          {f?.error && <FailureBox error={f.error} failed={f.failedResource} cancelled={f.status === 'cancelled'} />}
          <EventList events={op.events} />
        </div>
      )}
      {confirm && (
        <div className="modal-back" role="dialog" aria-modal="true" data-testid="stack-delete-dialog">
          <div className="modal" style={{ width: 'min(560px, 94vw)' }}>
            <h2 style={{ margin: 0 }}>Delete stack {stackName}?</h2>
            <p>
              CloudFormation removes the Lambdas, the state machine, the roles and the log groups (with their logs). A bucket the stack created is <strong>kept</strong>, with your results. Runs on
              this profile stop working until you deploy again.
            </p>
            <div className="row">
              <button className="danger" onClick={remove} data-testid="confirm-stack-delete">
                Delete the stack
              </button>
              <button onClick={() => setConfirm(false)}>Cancel</button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
