import {
  recordedOrigin,
  recordedRunName,
  recordedRunRecord,
  type ImportResult,
} from '../../study/import/recorded-runs.ts';
import type { HistoryStore } from './history-store.ts';
import { EXAMPLE_RUN_PREFIX } from './example-data.ts';

/**
 * Puts imported recorded runs into History (kind "recorded", ranks as partitions). A file imported before (same
 * source and key) is not added twice.
 */
export function saveRecordedRuns(
  history: HistoryStore,
  imported: ImportResult,
  opts: { example?: boolean } = {},
): Promise<{ saved: Array<{ source: string; runId: string }>; existing: Array<{ source: string; runId: string }> }> {
  // The whole look-up-then-add runs under History's import lock: concurrent imports never duplicate an entry.
  return history.exclusive('import', () => saveUnlocked(history, imported, opts));
}

async function saveUnlocked(
  history: HistoryStore,
  imported: ImportResult,
  opts: { example?: boolean } = {},
): Promise<{ saved: Array<{ source: string; runId: string }>; existing: Array<{ source: string; runId: string }> }> {
  const known = new Map<string, string>();
  for (const item of await history.list()) {
    if (item.damaged || item.kind !== 'recorded') continue;
    const { entry } = await history.get(item.id).catch(() => ({ entry: null }));
    const origin = entry?.params.origin;
    if (typeof origin === 'string') known.set(origin, item.id);
  }
  const saved: Array<{ source: string; runId: string }> = [];
  const existing: Array<{ source: string; runId: string }> = [];
  for (const run of imported.runs) {
    const origin = recordedOrigin(imported.from, run);
    const already = known.get(origin);
    if (already) {
      existing.push({ source: run.source, runId: already });
      continue;
    }
    const entry = await history.create({
      kind: 'recorded',
      name: opts.example ? `${EXAMPLE_RUN_PREFIX}${recordedRunName(run)}` : recordedRunName(run),
      params: {
        ...(opts.example ? { example: true } : {}),
        origin,
        from: imported.from,
        source: run.source,
        partition_mb: run.partition_mb,
        data_label: run.data_label,
        batch_size: run.batch_size,
        repeat: run.repeat,
      },
      headline: {
        batchSize: run.batch_size,
        partitions: run.ranks,
        data: run.data_label,
        ...(run.sample_persec !== null ? { samplesPerSec: run.sample_persec } : {}),
      },
    });
    await history.finish(entry.id, {
      status: 'completed',
      record: recordedRunRecord(entry.id, imported.from, run),
      partitions: run.rank_results.map((r, i) => ({ ...r, partition: i + 1 })),
    });
    known.set(origin, entry.id);
    saved.push({ source: run.source, runId: entry.id });
  }
  return { saved, existing };
}
