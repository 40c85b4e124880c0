import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LocalRunResult } from '../../../engine/run/local-run.ts';
import { writePredictionsCsv } from '../../../engine/run/predictions.ts';

/**
 * A local run in the caller's own process (`cosmicai local`): the engine run, its History entry (CliLocalHistory,
 * listed as running at once like the app's) and the files the caller asks for. The app's runs go through
 * LocalRunService (local-runs.ts) instead, in the background with events.
 */

export { LocalRunError, type LocalRunResult } from '../../../engine/run/local-run.ts';
export { runLocalEngine, type LocalEngine } from '../../../engine/run/run-engine.ts';
export type { LocalRunProgress } from '../../../engine/run/worker-protocol.ts';
export { CliLocalHistory } from '../cli-local-history.ts';

/** Writes the run record as indented JSON to `file` (its folder made if missing). */
export async function writeRunRecordJson(file: string, result: LocalRunResult): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, JSON.stringify(result.record, null, 2) + '\n');
}

/** Writes every prediction as CSV (`index,partition,z_true,z_pred`); returns how many rows. */
export async function writePredictions(file: string, result: LocalRunResult): Promise<number> {
  await writePredictionsCsv(file, result.table);
  return result.table.length;
}
