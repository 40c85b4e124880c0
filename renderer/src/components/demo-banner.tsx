import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { DEMO_PROFILE_NAME, EMULATED_LABEL, type DemoStatus } from '../../../app/common/contract/index.ts';
import { openCloudRunWith } from '../lib/cloud-run-handoff.ts';
import { ErrorBox } from './error-box.tsx';

/**
 * The cloud demo that needs no AWS. While the emulator runs: a notice saying so, with its endpoints and Stop.
 * With `offer` and no emulator: the button that starts it and opens Cloud run with its profile.
 */
export function DemoBanner({ offer, onStarted }: { offer?: boolean; onStarted?: () => void }) {
  const [status, setStatus] = useState<DemoStatus | null>(null);
  const [busy, setBusy] = useState<'start' | 'stop' | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.demo.status().then(setStatus, setError);
  }, []);

  const start = async () => {
    setBusy('start');
    setError(null);
    try {
      setStatus(await api.demo.start());
      openCloudRunWith(DEMO_PROFILE_NAME);
      onStarted?.();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const stop = async () => {
    setBusy('stop');
    setError(null);
    try {
      await api.demo.stop();
      setStatus(await api.demo.status());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  if (status?.running) {
    const e = status.endpoints;
    return (
      <div className="notice" role="status" data-testid="demo-running">
        <div className="row">
          <span className="caveat">Emulator running on this computer</span>
          <span className="spacer" />
          {offer && (
            <button className="small" onClick={() => (openCloudRunWith(DEMO_PROFILE_NAME), onStarted?.())}>
              Use it on Cloud run
            </button>
          )}
          <button className="small" onClick={stop} disabled={busy !== null} data-testid="demo-stop">
            {busy === 'stop' ? 'Stopping…' : 'Stop'}
          </button>
        </div>
        <div className="muted">
          Profile “{status.profile}”: S3, Step Functions, the Lambdas and CloudWatch Logs emulated on loopback
          {e ? ` (Step Functions ${e.sfn}, S3 ${e.s3})` : ''}. Every run through it is labelled “{EMULATED_LABEL}”; its
          times are this computer’s, not AWS’s. It stops when you press Stop or close the app.
        </div>
        <ErrorBox error={error} onDismiss={() => setError(null)} />
      </div>
    );
  }
  if (!offer) return error ? <ErrorBox error={error} onDismiss={() => setError(null)} /> : null;
  return (
    <div className="notice" data-testid="demo-offer">
      <div className="row">
        <button className="primary" onClick={start} disabled={busy !== null} data-testid="demo-start">
          {busy === 'start' || status?.starting ? 'Starting the emulator…' : 'Try the cloud half offline (emulated)'}
        </button>
      </div>
      <div className="muted">
        No AWS needed: starts S3, Step Functions, the inference Lambdas and CloudWatch Logs emulated on this computer
        (loopback only) and a profile for them, so the same job goes through staging, the state machine, the Map and the
        results. Its numbers are labelled “{EMULATED_LABEL}”, never AWS numbers.
      </div>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
