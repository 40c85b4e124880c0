import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface UiHost {
  url: string;
  origin: string;
  token: string;
  proc: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `cosmicai ui --no-open --port 0` as a child process and reads the URL from its first stdout line. */
export async function startUiHost(dataDir: string, timeoutMs = 180_000): Promise<UiHost> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin/cosmicai.mjs'), 'ui', '--no-open', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, COSMICAI_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`the UI host printed no URL within ${timeoutMs} ms; stderr:\n${err}`)),
      timeoutMs,
    );
    proc.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the UI host exited (${code}) before printing its URL; stderr:\n${err}`));
    });
  });
  const u = new URL(url);
  return {
    url,
    origin: u.origin,
    token: u.searchParams.get('token') ?? '',
    proc,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 20_000).unref();
      }),
  };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Where the e2e tests save their screenshots. */
export const SCREENSHOTS_DIR = path.resolve('test-results/screenshots');

/** The host's settings.json: light theme and small run defaults, so the runs the tests start stay short. */
export function writeUiSettings(dataDir: string, batchSize = 128): Promise<void> {
  return writeFile(
    path.join(dataDir, 'settings.json'),
    JSON.stringify({
      theme: 'light',
      defaults: { model: '', data: [], batchSize, threads: 0, graphOptimization: 'all' },
    }),
  );
}

/** The host reads "env" credentials from its environment, inherited from this process. */
export function useEnvCredentials(credentials: { accessKeyId: string; secretAccessKey: string }): void {
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
}

/**
 * A new context (1440×1000 unless told) with one page opened on `url`. Uncaught page errors are pushed to `errors`,
 * and console errors too with `consoleErrors`.
 */
export async function openPage(
  browser: Browser,
  url: string,
  errors: string[],
  options: BrowserContextOptions & { consoleErrors?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const { consoleErrors, ...contextOptions } = options;
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, ...contextOptions });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  if (consoleErrors) {
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
  }
  await page.goto(url);
  return { context, page };
}

/** Saves the page as test-results/screenshots/<name>.png. */
export function screenshot(page: Page, name: string, fullPage = true): Promise<Buffer> {
  return page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), fullPage });
}

/** Closes what a test file opened, each part possibly missing when its beforeAll failed part-way; the host last. */
export async function closeUi(ui: { context?: BrowserContext; browser?: Browser; host?: UiHost }): Promise<void> {
  await ui.context?.close().catch(() => undefined);
  await ui.browser?.close().catch(() => undefined);
  await ui.host?.stop();
}
