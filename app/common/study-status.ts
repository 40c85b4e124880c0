/**
 * What a study's state is called, in one place for the list, the study card and the CLI. A study is "finished"
 * only when every job succeeded; when every job ran and all failed it "failed"; when some succeeded and some failed
 * it "finished with failures". Plain TypeScript (no DOM or Node) so the renderer and the CLI share it.
 */

export interface StudyCounts {
  pending: number;
  running: number;
  done: number;
  failed: number;
}

export type StudyStateName =
  'running' | 'interrupted' | 'paused' | 'finished' | 'failed' | 'finished with failures' | 'empty';

export interface StudyStatus {
  state: StudyStateName;
  /** The badge's CSS class: completed (green), failed (red), cancelled/interrupted (amber), running (blue). */
  badge: 'running' | 'interrupted' | 'cancelled' | 'completed' | 'failed';
  /** e.g. "2 of 3 job(s) succeeded, 1 failed". */
  summary: string;
}

export function studyStatus(s: { counts: StudyCounts; running: boolean; interrupted: boolean }): StudyStatus {
  const c = s.counts;
  const total = c.pending + c.running + c.done + c.failed;
  const parts = [`${c.done} of ${total} job(s) succeeded`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.pending + c.running) parts.push(`${c.pending + c.running} to run`);
  const summary = parts.join(', ');
  if (s.running) return { state: 'running', badge: 'running', summary };
  if (s.interrupted) return { state: 'interrupted', badge: 'interrupted', summary };
  if (total === 0) return { state: 'empty', badge: 'cancelled', summary };
  if (c.pending + c.running > 0) return { state: 'paused', badge: 'cancelled', summary };
  if (c.failed === 0) return { state: 'finished', badge: 'completed', summary };
  if (c.done === 0) return { state: 'failed', badge: 'failed', summary };
  return { state: 'finished with failures', badge: 'failed', summary };
}

/** The first failed job's error, for the card (the full list stays behind "Show jobs"). */
export function firstFailure(
  jobs: Array<{ id: string; status: string; error: string | null }>,
): { jobId: string; error: string } | null {
  const j = jobs.find((x) => x.status === 'failed');
  return j ? { jobId: j.id, error: j.error ?? 'no error was recorded' } : null;
}
