import type { ApiErrorData } from '../../../app/common/contract/index.ts';
import { toApiErrorData } from '../../../app/common/contract/errors.ts';

/** An error as the user sees it: what went wrong, the file it concerns, and what to do. */
export function ErrorBox({
  error,
  onDismiss,
  title = 'Something went wrong',
}: {
  error: ApiErrorData | unknown;
  onDismiss?: () => void;
  title?: string;
}) {
  if (!error) return null;
  const e = toApiErrorData(error);
  return (
    <div className="error-box" role="alert" data-testid="error">
      <div className="row">
        <strong>{title}</strong>
        <span className="badge">{e.code}</span>
        <span className="spacer" />
        {onDismiss && (
          <button className="small" onClick={onDismiss}>
            Dismiss
          </button>
        )}
      </div>
      <div className="message" data-testid="error-message" style={{ marginTop: 6, whiteSpace: 'pre-wrap' }}>
        {e.message}
      </div>
      {e.file && <div className="file">File: {e.file}</div>}
      {e.hint && (
        <div className="hint" data-testid="error-hint">
          <strong>What to do:</strong> {e.hint}
        </div>
      )}
    </div>
  );
}
