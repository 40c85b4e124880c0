import os from 'node:os';
import path from 'node:path';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureReferenceModel } from '../../engine/model/model-cache.ts';

/** One reference-model cache for all local-run test files (built once, ~63 MB, written atomically). */
export const SHARED_MODEL_DIR = path.join(os.tmpdir(), 'cosmicai-test-shared');

export function referenceModel(): Promise<string> {
  return ensureReferenceModel(SHARED_MODEL_DIR);
}

export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));

/** A temp folder holding copies of fixtures under the given names (e.g. {'1.pt': 'tiny-8.pt'}). */
export function fixtureFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-run-'));
  for (const [name, fixture] of Object.entries(files)) copyFileSync(path.join(FIXTURES, fixture), path.join(dir, name));
  return dir;
}
