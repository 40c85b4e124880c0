import type { ApiErrorData, StackEventView } from '../../../../app/common/contract/index.ts';
import { ErrorBox } from '../error-box.tsx';

/** The read-only parts of the stack panels: the event list, the outputs, the failure. */

/** Newest first, as in the CloudFormation console, so the live status stays at the top. */
export function EventList({ events }: { events: StackEventView[] }) {
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
                <span
                  className={`badge ${e.status.endsWith('_FAILED') ? 'failed' : e.status.endsWith('_COMPLETE') ? (e.status.includes('ROLLBACK') ? 'cancelled' : 'completed') : 'running'}`}
                >
                  {e.status}
                </span>
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

export function Outputs({ outputs }: { outputs: Record<string, string> }) {
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

export function FailureBox({
  error,
  failed,
  cancelled,
}: {
  error: ApiErrorData;
  failed?: StackEventView;
  cancelled: boolean;
}) {
  return (
    <div data-testid="stack-failure" style={{ marginTop: 10 }}>
      <ErrorBox
        error={error}
        title={cancelled ? 'Stopped following' : failed ? 'The stack was rolled back' : 'The operation failed'}
      />
      {failed && (
        <div className="muted" data-testid="stack-failed-resource" style={{ marginTop: -10, marginBottom: 10 }}>
          Failed resource: <strong>{failed.logicalId}</strong> ({failed.resourceType}) {failed.status}:{' '}
          {failed.reason ?? 'no reason given'}
        </div>
      )}
    </div>
  );
}

/** Status and Delete for a profile made from a stack. */
