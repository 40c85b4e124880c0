import { useSyncExternalStore } from 'react';
import { api } from '../api.ts';
import type { LocalRunParams, RunFinished, RunProgress } from '../../../app/common/contract/index.ts';

/** The local run being watched: its progress, the samples/s series for the live chart, and how it ended. */
export interface TrackedRun {
  runId: string;
  name: string;
  progress: RunProgress | null;
  /** [elapsed seconds, samples/s] points. */
  rate: Array<{ t: number; v: number }>;
  finished: RunFinished | null;
}

let current: TrackedRun | null = null;
/** Runs already over: their events can arrive before the reply to startLocal, and must not revive them. */
const over = new Set<string>();
const listeners = new Set<() => void>();
const set = (next: TrackedRun | null) => {
  current = next;
  listeners.forEach((l) => l());
};

function ensure(runId: string, name = 'Local run'): TrackedRun {
  if (current?.runId === runId) return current;
  return { runId, name, progress: null, rate: [], finished: null };
}

api.on('runs.progress', (p) => {
  if (over.has(p.runId)) return;
  const r = ensure(p.runId);
  const rate =
    p.samplesPerSec && p.samplesPerSec > 0 ? [...r.rate, { t: p.elapsedSeconds, v: p.samplesPerSec }] : r.rate;
  set({ ...r, progress: p, rate });
});
api.on('runs.finished', (f) => {
  over.add(f.runId);
  set({ ...ensure(f.runId), finished: f });
});

/** Re-attaches to a run that was started before this window (re)loaded. */
export async function reattach(): Promise<void> {
  const { runs } = await api.runs.active();
  const r = runs[0];
  if (r && current?.runId !== r.runId)
    set({ runId: r.runId, name: r.name, progress: r.progress, rate: [], finished: null });
}

export async function startLocalRun(params: LocalRunParams): Promise<string> {
  const { runId } = await api.runs.startLocal(params);
  if (over.has(runId)) return runId;
  const r = ensure(runId);
  set({ ...r, name: params.name || r.name });
  return runId;
}

export async function cancelRun(runId: string): Promise<void> {
  await api.runs.cancel({ runId });
}

export function clearFinished(): void {
  if (current?.finished) set(null);
}

export function useTrackedRun(): TrackedRun | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}
