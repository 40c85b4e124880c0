#!/usr/bin/env node
// `npm start`: build with electron-vite and launch the Electron app when its binary is installed and a display is
// available; otherwise say why and serve the same app to the browser (`cosmicai ui`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

function electronBinary() {
  try {
    const bin = require('electron');
    if (typeof bin === 'string' && existsSync(bin)) return { bin };
    return { why: `the Electron binary is not at ${bin}` };
  } catch (err) {
    return { why: `the Electron binary is not installed (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); install it with "node node_modules/electron/install.js"` };
  }
}

function run(cmd, cmdArgs, opts = {}) {
  const child = spawn(cmd, cmdArgs, { stdio: 'inherit', cwd: root, ...opts });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

// package.json keeps electron's postinstall off (it downloads the binary, which fails offline and would sink
// `npm install`), so the first `npm start` on a connected workstation fetches it here, once.
function tryInstallElectron() {
  const installer = path.join(root, 'node_modules/electron/install.js');
  if (!existsSync(installer) || process.env.CI || process.env.COSMICAI_NO_ELECTRON_DOWNLOAD) return;
  process.stderr.write('npm start: downloading the Electron binary (first start only)…\n');
  const res = spawnSync(process.execPath, [installer], { stdio: 'inherit', cwd: root, timeout: 180_000 });
  if (res.status !== 0) process.stderr.write('npm start: could not download Electron (offline?).\n');
}

let { bin, why } = electronBinary();
if (!bin) {
  tryInstallElectron();
  ({ bin, why } = electronBinary());
}
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (bin && !headless) {
  const build = spawnSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { stdio: 'inherit', cwd: root });
  if (build.status !== 0) process.exit(build.status ?? 1);
  run(bin, ['.', ...args]);
} else {
  const reason = why ?? 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  process.stderr.write(`npm start: not launching the desktop app: ${reason}.\nServing the same app to your browser instead (browser mode).\n`);
  run(process.execPath, [path.join(root, 'bin/cosmicai.mjs'), 'ui', ...args]);
}
