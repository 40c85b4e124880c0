import { mkdir } from 'node:fs/promises';
import { startBrowserHost } from './browser-host.ts';
import { openBrowser } from './open-browser.ts';
import { ensureRendererBuilt } from './renderer-build.ts';

/** `cosmicai ui`: build the UI if needed, serve it, print the URL as the first stdout line, stop cleanly on Ctrl+C. */
export async function serveUi(opts: { port: number; open: boolean; dataDir: string }): Promise<void> {
  await mkdir(opts.dataDir, { recursive: true });
  const rendererDir = await ensureRendererBuilt();
  const host = await startBrowserHost({ dataDir: opts.dataDir, rendererDir, port: opts.port });
  process.stdout.write(host.url + '\n');
  process.stderr.write(
    `CosmicAI Bench is serving on 127.0.0.1:${host.port} (data folder: ${opts.dataDir}). Press Ctrl+C to stop.\n`,
  );
  if (opts.open) openBrowser(host.url);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write('Stopping…\n');
      const force = setTimeout(() => process.exit(130), 20_000);
      force.unref();
      host.close().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
