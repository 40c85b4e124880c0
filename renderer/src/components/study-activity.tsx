import type { StudyProgressEvent } from '../../../app/common/contract/study.ts';

/** One line of the study's activity: what the queue said, and when this window heard it. */
export interface ActivityLine {
  at: string;
  event: StudyProgressEvent['event'];
  jobId: string | null;
  /** Set on per-batch progress of a local job. */
  batchProgress: boolean;
  message: string;
}

/** The most recent lines kept on screen. */
export const ACTIVITY_LIMIT = 200;

/**
 * Appends an event. Per-batch progress of a job replaces the previous per-batch line of the same job, so a long
 * local job leaves one line and the log keeps the steps (starts, ends, memory changes, restores).
 */
export function appendActivity(lines: ActivityLine[], p: StudyProgressEvent, now = new Date()): ActivityLine[] {
  const line: ActivityLine = {
    at: now.toISOString(),
    event: p.event,
    jobId: p.jobId,
    batchProgress: p.event === 'job-progress' && p.jobFraction !== null,
    message: p.message,
  };
  const last = lines.at(-1);
  const replaces = line.batchProgress && last?.batchProgress && last.jobId === line.jobId;
  const next = replaces ? [...lines.slice(0, -1), line] : [...lines, line];
  return next.length > ACTIVITY_LIMIT ? next.slice(next.length - ACTIVITY_LIMIT) : next;
}

/**
 * What happened since this window opened the study: job starts and ends, Lambda memory changes and restores,
 * cancellation and errors. The progress line shows only the latest message; this keeps them all.
 */
export function StudyActivity({ lines }: { lines: ActivityLine[] }) {
  if (lines.length === 0) return null;
  return (
    <details className="study-activity" data-testid="study-activity">
      <summary>Activity since this page opened ({lines.length})</summary>
      <ol>
        {lines.map((l, i) => (
          <li key={i} data-event={l.event}>
            <time dateTime={l.at}>{l.at.slice(11, 19)}</time> {l.message}
          </li>
        ))}
      </ol>
    </details>
  );
}
