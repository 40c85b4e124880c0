#!/usr/bin/env node
// `npm start`: build with electron-vite and launch the Electron app when there is a display and its binary is
// installed (downloaded once here if missing); otherwise say why in one line and serve the same app to the browser
// (`cosmicai ui`). The display is checked first, so a headless machine never tries to download Electron.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const say = (line) => process.stderr.write(`npm start: ${line}\n`);

function electronBinary() {
  try {
    const bin = require('electron');
    if (typeof bin === 'string' && existsSync(bin)) return { bin };
    return { why: `the Electron binary is not at ${bin}` };
  } catch {
    return { why: 'the Electron binary is not installed (get it with "node node_modules/electron/install.js")' };
  }
}

/**
 * Runs the app as a child and ties their lives together: SIGINT/SIGTERM/SIGHUP are passed on, and when this
 * process is orphaned (npm runs us under `sh -c`, and on SIGTERM npm's shell dies without passing the signal on)
 * the child is stopped too, so `npm start` never leaves a UI server behind.
 */
function run(cmd, cmdArgs) {
  const child = spawn(cmd, cmdArgs, { stdio: 'inherit', cwd: root });
  let sent = false;
  const forward = (sig) => {
    if (sent && sig !== 'SIGKILL') return;
    sent = true;
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => forward(sig));
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) forward('SIGTERM');
  }, 500);
  watch.unref();
  child.on('error', (err) => {
    say(`could not start ${path.basename(cmd)}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/**
 * package.json keeps electron's postinstall off (it downloads the binary, which fails offline and would sink
 * `npm install`), so the first `npm start` on a workstation with a display fetches it here, once. Its output is kept
 * and a failure is reported in one line, without the installer's stack trace.
 */
function tryInstallElectron() {
  const installer = path.join(root, 'node_modules/electron/install.js');
  if (!existsSync(installer)) return 'the electron package is not installed (run "npm ci")';
  if (process.env.CI || process.env.COSMICAI_NO_ELECTRON_DOWNLOAD) {
    return 'downloading Electron is turned off here (CI or COSMICAI_NO_ELECTRON_DOWNLOAD)';
  }
  say('downloading the Electron binary (first start only)…');
  const res = spawnSync(process.execPath, [installer], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  if (res.status === 0) return null;
  const text = `${res.stderr ?? ''}\n${res.stdout ?? ''}`;
  const network = /(getaddrinfo \S+ \S+|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|HTTPError[^\n]*|certificate[^\n]*)/;
  const firstLine = text
    .split('\n')
    .find((l) => l.trim() && !/^\s+at /.test(l))
    ?.trim();
  const reason = network.exec(text)?.[1] ?? (res.error ? res.error.message : (firstLine ?? `exit code ${res.status}`));
  return `the Electron download failed (${reason.slice(0, 160)})`;
}

function browserMode(reason) {
  say(`${reason}; serving the app to your browser instead (browser mode).`);
  run(process.execPath, [path.join(root, 'bin/cosmicai.mjs'), 'ui', ...args]);
}

const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (headless) {
  browserMode('no display (DISPLAY and WAYLAND_DISPLAY are unset), so no desktop window');
} else {
  let { bin, why } = electronBinary();
  if (!bin) {
    const failed = tryInstallElectron();
    ({ bin, why } = electronBinary());
    if (!bin && failed) why = failed;
  }
  if (!bin) browserMode(`not launching the desktop app: ${why}`);
  else {
    const electronVite = path.join(root, 'node_modules/electron-vite/bin/electron-vite.js');
    const build = spawnSync(process.execPath, [electronVite, 'build'], { stdio: 'inherit', cwd: root });
    if (build.status !== 0) process.exit(build.status ?? 1);
    run(bin, ['.', ...args]);
  }
}
