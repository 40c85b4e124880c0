import { CloudRunRecordSchema, type CloudRunRecord } from '../../base/cloud-run-record.ts';
import { pendingRerunArn } from '../../base/pending-rerun.ts';
import type { HistoryStore } from './history-store.ts';

/**
 * The History run whose pending re-run of failed ranks is `executionArn` (base/pending-rerun.ts), with its record
 * from before the re-run, so re-attaching records the re-run into that run, merged; or null when the ARN is no
 * such re-run.
 */
export async function runOfPendingRerun(
  store: HistoryStore,
  executionArn: string,
): Promise<{ runId: string; name: string; record: CloudRunRecord } | null> {
  for (const item of await store.list()) {
    if (item.damaged || item.kind !== 'cloud') continue;
    try {
      const { entry } = await store.get(item.id);
      if (pendingRerunArn(entry.params, entry.record) !== executionArn) continue;
      const parsed = CloudRunRecordSchema.safeParse(entry.record);
      if (parsed.success) return { runId: entry.id, name: entry.name, record: parsed.data };
    } catch {
      // A damaged entry is History's to report, not ours.
    }
  }
  return null;
}
