import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Names, not literals inside `new URL(…)`, so the bundler leaves them alone.
const BUNDLED = './worker.js';
const FROM_SOURCES = './worker-bootstrap.mjs';

/**
 * The inference worker's entry. The Electron main process is bundled (out/main/index.js) with the worker as its own
 * entry beside it (out/main/worker.js); from the sources (CLI, browser host, tests) the worker is the TypeScript
 * file, loaded through the tsx bootstrap.
 */
export function workerEntry(): URL {
  const bundled = new URL(BUNDLED, import.meta.url);
  return existsSync(fileURLToPath(bundled)) ? bundled : new URL(FROM_SOURCES, import.meta.url);
}
