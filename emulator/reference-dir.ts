/** Where the study's reference files are: $CAI_REFERENCE_DIR, else ../shared/cai next to the project folder. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The study's reference folder (holds lambda/, reference/astromae_ref.py, demo-input.json). */
export function caiReferenceDir(): string {
  const env = process.env.CAI_REFERENCE_DIR;
  if (env) return path.resolve(env.replace(/\/lambda\/?$/, ''));
  return path.resolve(PROJECT_DIR, '../shared/cai');
}

/** The folder with the study's initializer.py and summarizer.py (CAI_REFERENCE_DIR may name it or its parent). */
export function defaultHandlersDir(): string {
  const env = process.env.CAI_REFERENCE_DIR;
  if (env && existsSync(path.join(env, 'initializer.py'))) return path.resolve(env);
  return path.join(caiReferenceDir(), 'lambda');
}
