import { useEffect, useState } from 'react';
import { api } from '../../api.ts';
import type { RedactedProfile } from '../../../../base/profile-schema.ts';
import type { StackStatusView } from '../../../../app/common/contract/index.ts';
import { ErrorBox } from '../error-box.tsx';
import { stackNameOf, useStackOp, type ActiveStackOp } from './stack-op.ts';
import { EventList, FailureBox, Outputs } from './stack-views.tsx';

/** A deployed stack's actions on its profile: status, update, delete, followed live. */

export function StackActions({
  profile,
  resume,
  onDeleted,
}: {
  profile: RedactedProfile;
  resume?: ActiveStackOp;
  onDeleted: () => void;
}) {
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
      setOpId(
        (await api.stack.delete({ profile: profile.name, stackName, ...(fast ? { pollSeconds: 0.2 } : {}) })).opId,
      );
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
        <button
          className="small"
          onClick={loadStatus}
          disabled={status === 'loading' || (!!following && !f)}
          data-testid="stack-status"
        >
          {status === 'loading' ? 'Reading…' : 'Stack status'}
        </button>
        <button
          className="small danger"
          onClick={() => setConfirm(true)}
          disabled={!!following && !f}
          data-testid="stack-delete"
        >
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
              <span
                className={`badge ${/FAILED|ROLLBACK/.test(status.status ?? '') ? 'failed' : /_COMPLETE$/.test(status.status ?? '') ? 'completed' : 'running'}`}
              >
                {status.status}
              </span>
              {status.reason && <span className="muted"> {status.reason}</span>}
              <Outputs outputs={status.outputs} />
              <EventList events={status.recentEvents} />
            </>
          ) : (
            <div className="notice">
              No stack named '{stackName}' in {profile.region}: it was deleted, or never finished creating.
            </div>
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
              {f.retainedBucket
                ? ` The bucket ${f.retainedBucket} was kept (your results and staged data); remove it yourself when done.`
                : ''}{' '}
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
              CloudFormation removes the Lambdas, the state machine, the roles and the log groups (with their logs). A
              bucket the stack created is <strong>kept</strong>, with your results. Runs on this profile stop working
              until you deploy again.
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
