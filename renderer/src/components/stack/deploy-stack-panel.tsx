import { useEffect, useEffectEvent, useState } from 'react';
import { api } from '../../api.ts';
import type { RedactedProfile } from '../../../../base/profile-schema.ts';
import type { PackageReport } from '../../../../app/common/contract/index.ts';
import { ErrorBox } from '../error-box.tsx';
import { openCloudRunWith } from '../../lib/cloud-run-handoff.ts';
import { costText } from './stack-cost.ts';
import { mb, progressLine, useStackOp, type ActiveStackOp } from './stack-op.ts';
import { EventList, FailureBox, Outputs } from './stack-views.tsx';

/** The "Deploy CAI stack" panel: the form, then the deployment followed live, then the profile it made. */

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
export function DeployStackPanel({
  profiles,
  resume,
  onClose,
  onProfile,
}: {
  profiles: RedactedProfile[];
  resume?: ActiveStackOp;
  onClose: () => void;
  onProfile: () => void;
}) {
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

  // Once per finished operation, with the parent's current callback (which may be a new function every render).
  const profileSaved = useEffectEvent(() => onProfile());
  useEffect(() => {
    if (op.finished?.status === 'completed') profileSaved();
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
      <input
        name={key}
        type="number"
        min={min}
        max={max}
        required
        value={d[key]}
        onChange={(e) => set({ [key]: e.target.value } as Partial<DeployDraft>)}
      />
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
        One CloudFormation stack: a bucket (or yours), least-privilege roles, three Node.js 22 Lambdas running this
        engine, their log groups and the state machine. When it is up, a profile named after the stack is made from its
        outputs.
      </p>
      <ErrorBox error={error} onDismiss={() => setError(null)} title="The deploy did not start" />
      {resume && (
        <div className="notice" data-testid="stack-resumed">
          The deploy of stack <strong>{resume.stackName}</strong> with profile {resume.profile}, started{' '}
          {new Date(resume.startedAt).toLocaleTimeString()},{' '}
          {running ? 'is still being followed' : 'was followed while this screen was closed'}.
          {running && opId && (
            <button
              type="button"
              className="small"
              style={{ marginLeft: 10 }}
              onClick={() => api.stack.cancel({ opId }).catch(setError)}
            >
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
              <input
                name="stackName"
                required
                pattern="[A-Za-z][A-Za-z0-9\-]*"
                maxLength={40}
                value={d.stackName}
                onChange={(e) => set({ stackName: e.target.value })}
              />
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
            {num(
              'maxConcurrency',
              'Max concurrency',
              'Ranks running at once in the Distributed Map; 0 = no limit.',
              0,
              10000,
            )}
            {num(
              'toleratedFailurePercentage',
              'Tolerated failures (%)',
              'Share of failed ranks the Map accepts.',
              0,
              100,
            )}
            <label className="field">
              Bucket
              <span className="help">A new one is kept when the stack is deleted (your results live there).</span>
              <select
                name="bucketMode"
                value={d.bucketMode}
                onChange={(e) => set({ bucketMode: e.target.value as DeployDraft['bucketMode'] })}
              >
                <option value="new">create a new bucket</option>
                <option value="existing">use an existing bucket</option>
              </select>
            </label>
            {d.bucketMode === 'existing' && (
              <label className="field">
                Existing bucket
                <span className="help">In the profile's region.</span>
                <input
                  name="existingBucket"
                  required
                  value={d.existingBucket}
                  onChange={(e) => set({ existingBucket: e.target.value })}
                />
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
              <button
                type="button"
                onClick={() => api.stack.cancel({ opId }).catch(setError)}
                data-testid="stop-following"
              >
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
                {pkg.arch}: {mb(pkg.unzippedBytes)} unzipped of Lambda's {mb(pkg.limitBytes)} limit,{' '}
                {mb(pkg.zippedBytes)} zipped, {pkg.files} files
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
              {f?.stackStatus
                ? `final status ${f.stackStatus}${f.stackOperation === 'none' ? ' (already up to date)' : ''}`
                : progressLine(op.last, op.events, following)}
            </span>
          </div>
          {op.packaged && (
            <div className="muted" data-testid="stack-package">
              Lambda zip: {mb(op.packaged.unzippedBytes)} unzipped of Lambda's {mb(op.packaged.limitBytes)} limit,{' '}
              {mb(op.packaged.zippedBytes)} zipped, {op.packaged.files} files, onnxruntime-node{' '}
              {op.packaged.onnxruntimeVersion}
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
                <button
                  className="primary"
                  style={{ marginTop: 10 }}
                  onClick={() => openCloudRunWith(f.profile!.name)}
                  data-testid="use-stack-profile"
                >
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
