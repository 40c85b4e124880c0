import { ApiError } from '../common/contract/index.ts';
import type { HistoryStore } from './history-store.ts';

/**
 * Finds a History run from what a user types: its full id, a unique prefix of it (as `git` accepts commits),
 * "latest" for the newest run, or the run's exact name when only one run has it. Every CLI command that names a
 * run resolves it here, so an id printed by any door (app, `cosmicai local`, a study, an import) works everywhere.
 */
export async function resolveRunId(store: HistoryStore, ref: string): Promise<string> {
  const want = ref.trim();
  const listHint = 'List the runs with `cosmicai history list`.';
  if (!want) throw new ApiError({ code: 'INVALID_INPUT', message: 'A run id is empty.', hint: listHint });
  const items = (await store.list()).filter((i) => !i.damaged);
  if (want === 'latest' || want === 'last') {
    if (!items.length) {
      throw new ApiError({
        code: 'NOT_FOUND',
        message: `History is empty (${store.root}).`,
        hint: 'Run one with `cosmicai local`.',
      });
    }
    return items[0].id;
  }
  if (items.some((i) => i.id === want)) return want;
  const byPrefix = items.filter((i) => i.id.startsWith(want));
  if (byPrefix.length === 1) return byPrefix[0].id;
  if (byPrefix.length > 1) {
    throw new ApiError({
      code: 'INVALID_INPUT',
      message:
        `"${want}" matches ${byPrefix.length} runs ` +
        `(${byPrefix
          .slice(0, 5)
          .map((i) => i.id)
          .join(', ')}${byPrefix.length > 5 ? ', …' : ''}).`,
      hint: 'Type more of the id.',
    });
  }
  const byName = items.filter((i) => !i.damaged && i.name === want);
  if (byName.length === 1) return byName[0].id;
  if (byName.length > 1) {
    throw new ApiError({
      code: 'INVALID_INPUT',
      message: `${byName.length} runs are named "${want}".`,
      hint: 'Use the run id instead (see `cosmicai history list`).',
    });
  }
  throw new ApiError({ code: 'NOT_FOUND', message: `No run "${want}" in ${store.root}.`, hint: listHint });
}
