import type { HistoryStore } from './history-store.ts';

/**
 * A cloud run is listed in History from the moment its execution starts (params.executionArn), so a crash or a
 * closed app leaves an "interrupted" entry that can be re-attached. Re-attaching records the run in a fresh entry
 * and then removes the interrupted ones for the same execution, so History keeps one entry per execution.
 */

export async function interruptedEntriesFor(
  store: HistoryStore,
  executionArn: string,
  except?: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (const item of await store.list()) {
    if (item.damaged || item.kind !== 'cloud' || item.status !== 'interrupted' || item.id === except) continue;
    try {
      const { entry } = await store.get(item.id);
      if (entry.params.executionArn === executionArn) ids.push(item.id);
    } catch {
      // A damaged entry is History's to report, not ours.
    }
  }
  return ids;
}

export async function removeSuperseded(store: HistoryStore, executionArn: string, keep: string): Promise<void> {
  for (const id of await interruptedEntriesFor(store, executionArn, keep))
    await store.delete(id).catch(() => undefined);
}
