import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm start` as a new user runs it: on a machine without a display it goes straight to browser mode with one line
 * saying why (no Electron download, no stack trace), and SIGTERM to npm stops the UI server it started.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const linux = process.platform === 'linux';

function electronInstalled(): boolean {
  try {
    const bin = createRequire(import.meta.url)('electron') as unknown;
    return typeof bin === 'string' && existsSync(bin);
  } catch {
    return false;
  }
}

/** Processes whose environment holds this data folder: whatever `npm start` started for this test. */
function processesWith(dataDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (environ.includes(`COSMICAI_DATA_DIR=${dataDir}`)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

async function startNpm(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn('npm', ['start', '--', '--no-open'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL from npm start within 180 s; stderr:\n${err}`)), 180_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/\S*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`npm start exited (${code}) before serving; stderr:\n${err}`)));
  });
  return { child, url, stderr: () => err };
}

async function stopAndCheck(child: ChildProcess, url: string, dataDir: string): Promise<void> {
  expect((await fetch(url)).status).toBe(200);
  expect(processesWith(dataDir).length).toBeGreaterThanOrEqual(2); // start.mjs and the UI server under npm
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM'); // to npm itself, as a process manager or `kill` would
  await exited;
  const deadline = Date.now() + 25_000;
  let open = true;
  while (Date.now() < deadline) {
    open = await fetch(url).then(
      () => true,
      () => false,
    );
    if (!open && processesWith(dataDir).length === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(open, 'the UI server port still answers after SIGTERM to npm start').toBe(false);
  expect(processesWith(dataDir), 'processes left behind by npm start').toEqual([]);
}

function baseEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, COSMICAI_DATA_DIR: dataDir };
  const unset = ['DISPLAY', 'WAYLAND_DISPLAY', 'CI', 'COSMICAI_NO_ELECTRON_DOWNLOAD', 'ELECTRON_SKIP_BINARY_DOWNLOAD'];
  for (const k of unset) delete env[k];
  return env;
}

describe.skipIf(!linux)('npm start', () => {
  it('without a display goes straight to browser mode in one line, and SIGTERM leaves nothing behind', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-start-'));
    const { child, url, stderr } = await startNpm(baseEnv(dataDir));
    const ours = stderr()
      .split('\n')
      .filter((l) => l.startsWith('npm start:'));
    expect(ours).toEqual([
      'npm start: no display (DISPLAY and WAYLAND_DISPLAY are unset), so no desktop window; ' +
        'serving the app to your browser instead (browser mode).',
    ]);
    expect(stderr()).not.toMatch(/download/i);
    expect(stderr()).not.toMatch(/^\s+at /m);
    await stopAndCheck(child, url, dataDir);
  }, 240_000);

  const why = 'with a display but no reachable Electron download says so in one line, no stack';
  it.skipIf(electronInstalled())(
    why,
    async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-start-'));
      const env = {
        ...baseEnv(dataDir),
        DISPLAY: ':99', // never used: the download fails first
        ELECTRON_MIRROR: 'http://127.0.0.1:9/', // the discard port: the connection is refused at once
        electron_config_cache: mkdtempSync(path.join(os.tmpdir(), 'cosmicai-electron-cache-')),
      };
      const { child, url, stderr } = await startNpm(env);
      const ours = stderr()
        .split('\n')
        .filter((l) => l.startsWith('npm start:'));
      expect(ours[0]).toBe('npm start: downloading the Electron binary (first start only)…');
      expect(ours[1]).toMatch(
        new RegExp(
          '^npm start: not launching the desktop app: the Electron download failed \\((ECONNREFUSED|.*127\\.0\\.0\\.1).*\\); ' +
            'serving the app to your browser instead \\(browser mode\\)\\.$',
        ),
      );
      expect(ours).toHaveLength(2);
      expect(stderr()).not.toMatch(/^\s+at /m);
      await stopAndCheck(child, url, dataDir);
    },
    240_000,
  );
});
