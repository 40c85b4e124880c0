import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { _electron, type ElectronApplication } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';

/** The desktop app itself, when the Electron binary is installed (its postinstall download is often disabled). */
function electronBinary(): { bin: string | null; reason: string } {
  try {
    const bin = createRequire(import.meta.url)('electron') as unknown as string;
    return existsSync(bin) ? { bin, reason: '' } : { bin: null, reason: `the Electron binary is not at ${bin}` };
  } catch (err) {
    return { bin: null, reason: `the Electron binary is not installed (${(err as Error).message.split('\n')[0]})` };
  }
}

const { bin, reason } = electronBinary();
const displayReason =
  process.platform === 'linux' && !process.env.DISPLAY && !existsSync('/usr/bin/Xvfb')
    ? 'there is no display and no Xvfb'
    : '';
const skipReason = reason || displayReason;
if (skipReason)
  console.log(
    `e2e-electron: skipped: ${skipReason}. Install it with "node node_modules/electron/install.js" to run this test.`,
  );

let xvfb: ChildProcess | undefined;
let app: ElectronApplication | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  await app?.close().catch(() => undefined);
  xvfb?.kill();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(!!skipReason)('Electron app (smoke)', () => {
  it('builds, opens one locked-down window with the typed API, and shows Home', async () => {
    const build = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], {
      encoding: 'utf8',
    });
    expect(build.status, build.stderr).toBe(0);
    const env: Record<string, string> = { ...(process.env as Record<string, string>) };
    if (process.platform === 'linux' && !env.DISPLAY) {
      const display = `:${90 + Math.floor(Math.random() * 9)}`;
      xvfb = spawn('/usr/bin/Xvfb', [display, '-screen', '0', '1440x1000x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 1000));
      env.DISPLAY = display;
    }
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'cai-electron-'));
    await mkdir(dataDir, { recursive: true });
    env.COSMICAI_DATA_DIR = dataDir;
    app = await _electron.launch({ executablePath: bin!, args: ['--no-sandbox', '.'], env, timeout: 120_000 });
    const win = await app.firstWindow();
    await win.getByTestId('run-baseline').waitFor({ timeout: 60_000 });
    expect(await win.title()).toBe('CosmicAI Bench');
    expect(win.url()).toMatch(/^app:\/\/cosmicai\//);
    // No Node in the page; the API is there and reports the desktop mode and our data folder.
    expect(await win.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    const info = await win.evaluate(() => window.cosmicai!.system.info());
    expect(info).toMatchObject({ mode: 'electron', dataDir, nativeDialogs: true });
    // Bad input is refused by the shared dispatcher and arrives as plain error data.
    const err = await win.evaluate(() =>
      window.cosmicai!.history.rename({ id: '../x', name: 'y' }).catch((e: unknown) => e),
    );
    expect(err).toMatchObject({ code: 'INVALID_INPUT' });
    // Navigation away is denied.
    await win.evaluate(() => (window.location.href = 'https://example.com/'));
    await new Promise((r) => setTimeout(r, 500));
    expect(win.url()).toMatch(/^app:\/\/cosmicai\//);
    await mkdir('test-results/screenshots', { recursive: true });
    await win.screenshot({ path: 'test-results/screenshots/electron-home.png' });
    expect(await app.windows()).toHaveLength(1);
  }, 240_000);
});
