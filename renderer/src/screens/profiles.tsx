import { useEffect, useState } from 'react';
import { profileLocations } from '../../../app/common/profile-summary.ts';
import { api } from '../api.ts';
import type { ConnectionCheck } from '../../../app/common/contract/index.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { DeployStackPanel } from '../components/stack/deploy-stack-panel.tsx';
import { StackActions } from '../components/stack/stack-actions.tsx';
import { stackNameOf, type ActiveStackOp } from '../components/stack/stack-op.ts';
import { registerScreen } from './registry.ts';

type Profile = Awaited<ReturnType<typeof api.cloud.listProfiles>>['profiles'][number];
type Source = 'profile' | 'sso' | 'env' | 'static' | 'emulator';

interface Draft {
  name: string;
  source: Source;
  awsProfile: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  region: string;
  bucket: string;
  dataBucket: string;
  scriptsPrefix: string;
  resultsPrefix: string;
  dataPrefix: string;
  stateMachineArn: string;
  inferenceLambdaName: string;
  lambdaMemoryMb: string;
  architecture: 'x86_64' | 'arm64';
  s3: string;
  sfn: string;
  sts: string;
  logs: string;
  lambda: string;
  cloudformation: string;
}

const empty: Draft = {
  name: '',
  source: 'profile',
  awsProfile: 'default',
  accessKeyId: '',
  secretAccessKey: '',
  sessionToken: '',
  region: 'us-east-1',
  bucket: '',
  dataBucket: '',
  scriptsPrefix: 'scripts/',
  resultsPrefix: 'results/',
  dataPrefix: 'data/',
  stateMachineArn: '',
  inferenceLambdaName: '',
  lambdaMemoryMb: '10240',
  architecture: 'x86_64',
  s3: '',
  sfn: '',
  sts: '',
  logs: '',
  lambda: '',
  cloudformation: '',
};

function draftOf(p: Profile): Draft {
  return {
    ...empty,
    name: p.name,
    source: p.credentials.source,
    awsProfile: p.credentials.profile ?? '',
    region: p.region,
    bucket: p.bucket,
    dataBucket: p.dataBucket ?? '',
    scriptsPrefix: p.scriptsPrefix,
    resultsPrefix: p.resultsPrefix,
    dataPrefix: p.dataPrefix,
    stateMachineArn: p.stateMachineArn,
    inferenceLambdaName: p.inferenceLambdaName,
    lambdaMemoryMb: String(p.lambdaMemoryMb),
    architecture: p.architecture,
    s3: p.endpoints?.s3 ?? '',
    sfn: p.endpoints?.sfn ?? '',
    sts: p.endpoints?.sts ?? '',
    logs: p.endpoints?.logs ?? '',
    lambda: p.endpoints?.lambda ?? '',
    cloudformation: p.endpoints?.cloudformation ?? '',
  };
}

function credentialsLabel(p: Profile): string {
  const c = p.credentials;
  if (c.source === 'static') return `pasted keys …${c.accessKeyIdHint ?? ''} (encrypted)`;
  if (c.source === 'env') return 'environment variables';
  return `${c.source === 'sso' ? 'SSO' : '~/.aws'} profile "${c.profile}"`;
}

function ProfileForm({
  editing,
  canStoreKeys,
  onDone,
  onCancel,
}: {
  editing: Profile | null;
  canStoreKeys: boolean;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [d, setD] = useState<Draft>(() => (editing ? draftOf(editing) : empty));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<Draft>) => setD((cur) => ({ ...cur, ...patch }));
  const keepKeys = !!editing && editing.credentials.source === 'static' && d.source === 'static' && !d.secretAccessKey;

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const credentials =
        d.source === 'static'
          ? {
              source: 'static' as const,
              accessKeyId: d.accessKeyId.trim(),
              secretAccessKey: d.secretAccessKey,
              ...(d.sessionToken ? { sessionToken: d.sessionToken } : {}),
            }
          : d.source === 'env'
            ? { source: 'env' as const }
            : { source: d.source, profile: d.awsProfile.trim() };
      const endpoints = Object.fromEntries(
        Object.entries({
          s3: d.s3,
          sfn: d.sfn,
          sts: d.sts,
          logs: d.logs,
          lambda: d.lambda,
          cloudformation: d.cloudformation,
        })
          .filter(([, v]) => v.trim())
          .map(([k, v]) => [k, v.trim()]),
      );
      const fields = {
        name: d.name.trim(),
        region: d.region.trim(),
        bucket: d.bucket.trim(),
        ...(d.dataBucket.trim() ? { dataBucket: d.dataBucket.trim() } : {}),
        scriptsPrefix: d.scriptsPrefix,
        resultsPrefix: d.resultsPrefix,
        dataPrefix: d.dataPrefix,
        stateMachineArn: d.stateMachineArn.trim(),
        inferenceLambdaName: d.inferenceLambdaName.trim(),
        lambdaMemoryMb: Number(d.lambdaMemoryMb),
        architecture: d.architecture,
        endpoints,
      };
      if (editing)
        await api.cloud.updateProfile({ name: editing.name, patch: keepKeys ? fields : { ...fields, credentials } });
      else await api.cloud.addProfile({ ...fields, credentials });
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const text = (
    key: keyof Draft,
    label: string,
    help?: string,
    props: React.InputHTMLAttributes<HTMLInputElement> = {},
  ) => (
    <label className="field">
      {label}
      {help && <span className="help">{help}</span>}
      <input
        name={key}
        value={d[key] as string}
        onChange={(e) => set({ [key]: e.target.value } as Partial<Draft>)}
        {...props}
      />
    </label>
  );

  return (
    <form className="card" onSubmit={save} data-testid="profile-form">
      <h2>{editing ? `Edit ${editing.name}` : 'New profile'}</h2>
      <ErrorBox error={error} onDismiss={() => setError(null)} title="The profile was not saved" />
      <div className="form-grid">
        {text('name', 'Name', undefined, { required: true })}
        <label className="field">
          Credentials
          <span className="help">Where the AWS credentials come from. Keys are never stored in plain text.</span>
          <select name="source" value={d.source} onChange={(e) => set({ source: e.target.value as Source })}>
            <option value="profile">a profile in ~/.aws</option>
            <option value="sso">SSO (aws sso login)</option>
            <option value="env">environment variables</option>
            <option value="static" disabled={!canStoreKeys}>
              paste keys{canStoreKeys ? ' (encrypted with the OS keychain)' : ' (desktop app only)'}
            </option>
          </select>
        </label>
        {(d.source === 'profile' || d.source === 'sso') &&
          text(
            'awsProfile',
            'AWS profile name',
            d.source === 'sso'
              ? 'As in ~/.aws/config; run `aws sso login --profile NAME` first.'
              : 'As in ~/.aws/credentials or ~/.aws/config.',
            { required: true },
          )}
        {d.source === 'static' && (
          <>
            {text('accessKeyId', 'Access key id', keepKeys ? 'Leave both empty to keep the saved keys.' : undefined, {
              autoComplete: 'off',
              required: !keepKeys,
            })}
            {text('secretAccessKey', 'Secret access key', undefined, {
              type: 'password',
              autoComplete: 'off',
              required: !keepKeys,
            })}
            {text('sessionToken', 'Session token (optional)', undefined, { type: 'password', autoComplete: 'off' })}
          </>
        )}
        {text('region', 'Region', 'e.g. us-east-1', { required: true })}
        {text('bucket', 'Bucket', 'Holds scripts/ and results/.', { required: true })}
        {text('dataBucket', 'Data bucket (optional)', 'Where the partitions go; default: the bucket.')}
        {text('scriptsPrefix', 'Scripts prefix')}
        {text('resultsPrefix', 'Results prefix')}
        {text('dataPrefix', 'Data prefix')}
        {text('stateMachineArn', 'State machine ARN', 'arn:aws:states:REGION:ACCOUNT:stateMachine:NAME', {
          required: true,
        })}
        {text('inferenceLambdaName', 'Inference Lambda name', 'Its logs are /aws/lambda/<name>.', { required: true })}
        {text('lambdaMemoryMb', 'Lambda memory (MB)', 'For the cost estimate.', {
          type: 'number',
          min: 128,
          max: 10240,
        })}
        <label className="field">
          Architecture
          <select
            name="architecture"
            value={d.architecture}
            onChange={(e) => set({ architecture: e.target.value as Draft['architecture'] })}
          >
            <option value="x86_64">x86_64</option>
            <option value="arm64">arm64</option>
          </select>
        </label>
        {text('s3', 'S3 endpoint override (optional)', 'For S3-compatible stores.')}
        {text('sfn', 'Step Functions endpoint (optional)')}
        {text('sts', 'STS endpoint (optional)')}
        {text('logs', 'CloudWatch Logs endpoint (optional)')}
        {text('lambda', 'Lambda endpoint (optional)', 'Used by the Lambda memory sweep.')}
        {text('cloudformation', 'CloudFormation endpoint (optional)', 'Used by "Deploy CAI stack".')}
      </div>
      <div className="row">
        <button className="primary" type="submit" disabled={busy} data-testid="save-profile">
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Checks({ checks }: { checks: ConnectionCheck[] }) {
  return (
    <ul data-testid="connection-checks" style={{ listStyle: 'none', padding: 0, margin: '12px 0 0' }}>
      {checks.map((c) => (
        <li key={c.name} style={{ padding: '6px 0', borderTop: '1px solid var(--border, #ddd)' }}>
          <span className={`badge ${c.ok ? 'completed' : c.optional ? 'interrupted' : 'failed'}`}>
            {c.ok ? 'PASS' : c.optional ? 'WARN' : 'FAIL'}
          </span>{' '}
          <strong>{c.label}</strong>: {c.detail}
          {c.hint && (
            <div className="muted" style={{ marginTop: 4 }}>
              What to do: {c.hint}
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

function Profiles() {
  const [profiles, setProfiles] = useState<Profile[] | null>(null);
  const [canStoreKeys, setCanStoreKeys] = useState(false);
  const [editing, setEditing] = useState<Profile | 'new' | null>(null);
  const [checks, setChecks] = useState<Record<string, ConnectionCheck[] | 'testing'>>({});
  const [error, setError] = useState<unknown>(null);
  const [deploying, setDeploying] = useState(false);
  // Stack operations still followed on the Node side (started before this screen was left): shown again.
  const [activeOps, setActiveOps] = useState<ActiveStackOp[]>([]);
  const resumeDeploy = activeOps.find((o) => o.operation === 'deploy');

  const load = () => api.cloud.listProfiles().then((r) => setProfiles(r.profiles), setError);
  useEffect(() => {
    load();
    api.cloud.canStoreKeys().then(
      (r) => setCanStoreKeys(r.available),
      () => undefined,
    );
    api.stack.active().then(
      (r) => {
        setActiveOps(r.ops);
        if (r.ops.some((o) => o.operation === 'deploy')) setDeploying(true);
      },
      () => undefined,
    );
  }, []);

  const test = async (name: string) => {
    setChecks((c) => ({ ...c, [name]: 'testing' }));
    try {
      const r = await api.cloud.testProfile({ name });
      setChecks((c) => ({ ...c, [name]: r.checks }));
    } catch (err) {
      setChecks((c) => ({ ...c, [name]: [] }));
      setError(err);
    }
  };
  const remove = async (name: string) => {
    if (!window.confirm(`Delete the profile "${name}"?`)) return;
    await api.cloud.removeProfile({ name }).then(load, setError);
  };

  return (
    <>
      <h1 className="page-title">AWS profiles</h1>
      <p className="page-sub">
        Where cloud runs go: credentials source, region, bucket and prefixes, the CAI state machine and its inference
        Lambda.
      </p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {editing ? (
        <ProfileForm
          editing={editing === 'new' ? null : editing}
          canStoreKeys={canStoreKeys}
          onCancel={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            load();
          }}
        />
      ) : (
        <div className="row" style={{ marginBottom: 16 }}>
          <button className="primary" onClick={() => setEditing('new')} data-testid="add-profile">
            Add profile
          </button>
          <button
            onClick={() => setDeploying(true)}
            disabled={deploying || !profiles?.length}
            title={profiles?.length ? undefined : 'Add a profile first: its credentials and region deploy the stack.'}
            data-testid="open-deploy-stack"
          >
            Deploy CAI stack
          </button>
        </div>
      )}
      {deploying && profiles && profiles.length > 0 && (
        <DeployStackPanel
          key={resumeDeploy?.opId ?? 'new'}
          profiles={profiles}
          resume={resumeDeploy}
          onProfile={load}
          onClose={() => {
            setDeploying(false);
            setActiveOps((ops) => ops.filter((o) => o.operation !== 'deploy'));
          }}
        />
      )}
      {profiles?.length === 0 && !editing && <div className="empty">No profiles yet. Add one to run on AWS.</div>}
      {profiles?.map((p) => {
        const c = checks[p.name];
        const deleting = activeOps.find(
          (o) => o.operation === 'delete' && o.profile === p.name && o.stackName === stackNameOf(p),
        );
        return (
          <div className="card" key={p.name} data-testid={`profile-${p.name}`}>
            <div className="card-head">
              <h2>{p.name}</h2>
              <span className="spacer" />
              <button onClick={() => test(p.name)} disabled={c === 'testing'} data-testid="test-profile">
                {c === 'testing' ? 'Testing…' : 'Test connection'}
              </button>
              <button onClick={() => setEditing(p)}>Edit</button>
              <button className="danger" onClick={() => remove(p.name)}>
                Delete
              </button>
            </div>
            <div className="muted">
              {credentialsLabel(p)} · {p.region} · {profileLocations(p)} · Lambda {p.inferenceLambdaName},{' '}
              {p.lambdaMemoryMb} MB {p.architecture}
            </div>
            <div className="muted nowrap">{p.stateMachineArn}</div>
            {Array.isArray(c) && c.length > 0 && <Checks checks={c} />}
            {stackNameOf(p) && (
              <StackActions
                key={deleting?.opId ?? 'idle'}
                profile={p}
                resume={deleting}
                onDeleted={() => api.cloud.removeProfile({ name: p.name }).then(load, setError)}
              />
            )}
          </div>
        );
      })}
    </>
  );
}

registerScreen({ id: 'profiles', title: 'AWS profiles', nav: 26, render: () => <Profiles /> });
