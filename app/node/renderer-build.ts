import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withFileLock } from '../../engine/file-lock.ts';
import { findProjectRoot } from './project-root.ts';

export const PROJECT_ROOT = findProjectRoot();
export const RENDERER_OUT = path.join(PROJECT_ROOT, 'out', 'renderer');
const STAMP = '.source-hash';
// The renderer imports only the contract (app/common) and the dependency-free base/ (schemas, price table, sweep
// plans, table and chart models); the lint zones enforce that, so hashing those folders whole keeps the bundle fresh.
const SOURCES = ['renderer', 'app/common', 'base', 'vite.config.ts', 'package.json'];

async function* files(p: string): AsyncGenerator<string> {
  const s = await stat(p).catch(() => null);
  if (!s) return;
  if (s.isFile()) {
    yield p;
    return;
  }
  for (const name of (await readdir(p)).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    yield* files(path.join(p, name));
  }
}

/** A hash of everything the renderer bundle is built from, so a stale bundle is rebuilt on start. */
export async function rendererSourceHash(root = PROJECT_ROOT): Promise<string> {
  const h = createHash('sha256');
  for (const src of SOURCES) {
    for await (const f of files(path.join(root, src))) {
      h.update(path.relative(root, f).replaceAll('\\', '/') + '\0');
      h.update(await readFile(f));
    }
  }
  return h.digest('hex');
}

/**
 * Builds `out/renderer` with vite when it is missing or older than its sources. Several hosts may start at once
 * (tests run in parallel), so one builds under a lock folder and the others wait for it.
 */
export async function ensureRendererBuilt(
  log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Promise<string> {
  const want = await rendererSourceHash();
  const stampFile = path.join(RENDERER_OUT, STAMP);
  const fresh = async () =>
    existsSync(path.join(RENDERER_OUT, 'index.html')) && (await readFile(stampFile, 'utf8').catch(() => '')) === want;
  if (await fresh()) return RENDERER_OUT;

  // One build at a time across processes; the others wait, then find it fresh. A killed build's lock goes stale.
  await withFileLock(
    path.join(PROJECT_ROOT, 'out', '.renderer-build'),
    async () => {
      if (await fresh()) return;
      log('Building the user interface (first start, or its sources changed)…');
      const t0 = Date.now();
      const { build } = await import('vite');
      // Build beside the served folder and swap it in, so a host already serving the old bundle is not left without files.
      const tmp = path.join(PROJECT_ROOT, 'out', `.renderer-build-${process.pid}`);
      await rm(tmp, { recursive: true, force: true });
      await build({
        configFile: path.join(PROJECT_ROOT, 'vite.config.ts'),
        root: path.join(PROJECT_ROOT, 'renderer'),
        logLevel: 'warn',
        clearScreen: false,
        build: { outDir: tmp, emptyOutDir: true },
      });
      await writeFile(path.join(tmp, STAMP), want);
      const old = path.join(PROJECT_ROOT, 'out', `.renderer-old-${process.pid}`);
      await rename(RENDERER_OUT, old).catch(() => undefined);
      await rename(tmp, RENDERER_OUT);
      await rm(old, { recursive: true, force: true });
      log(`Built the user interface in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
    },
    { waitMs: 10 * 60_000, staleMs: 5 * 60_000 },
  ); // vite may hold the event loop for seconds at a time
  return RENDERER_OUT;
}
