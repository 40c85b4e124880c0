/**
 * Electron's security checklist, checked without the Electron binary: electron/security-policy.ts holds every
 * decision as data, and main.ts is checked to apply exactly those (docs/electron-security.md maps each item).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CSP } from '../../app/node/browser-host.ts';
import {
  appFileFor,
  externalUrlFor,
  ipcSenderTrusted,
  mainWebPreferences,
  ORIGIN,
  PDF_WEB_PREFERENCES,
  permissionAllowed,
  PRIVILEGED_SCHEMES,
} from '../../electron/security-policy.ts';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mainSource = fs.readFileSync(path.join(root, 'electron/main.ts'), 'utf8');
const preloadSource = fs.readFileSync(path.join(root, 'electron/preload.ts'), 'utf8');

const directives = new Map(
  CSP.split(';')
    .map((d) => d.trim().split(/\s+/))
    .map(([name, ...values]) => [name, values]),
);

describe('Electron checklist, as applied by electron/main.ts', () => {
  it('1–4: the window has no Node integration, context isolation and the sandbox on, web security on', () => {
    const prefs = mainWebPreferences('/x/preload.cjs');
    expect(prefs).toMatchObject({
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      contextIsolation: true,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
    });
    expect(PDF_WEB_PREFERENCES).toMatchObject({
      javascript: false,
      sandbox: true,
      nodeIntegration: false,
      contextIsolation: true,
      webSecurity: true,
    });
    // main.ts builds every BrowserWindow from these and sets nothing that weakens them.
    const windows = mainSource.match(/new BrowserWindow\(/g) ?? [];
    expect(windows.length).toBe(2);
    expect(mainSource).toContain('webPreferences: { ...mainWebPreferences(');
    expect(mainSource).toContain('webPreferences: { ...PDF_WEB_PREFERENCES }');
    for (const weak of [
      'nodeIntegration: true',
      'contextIsolation: false',
      'sandbox: false',
      'webSecurity: false',
      'allowRunningInsecureContent: true',
      'experimentalFeatures: true',
      'enableBlinkFeatures',
      'webviewTag: true',
    ]) {
      expect(mainSource).not.toContain(weak);
    }
  });

  it('5: permission requests and checks grant only clipboard writes', () => {
    expect(permissionAllowed('clipboard-sanitized-write')).toBe(true);
    for (const p of [
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'fullscreen',
      'clipboard-read',
      'midi',
      'pointerLock',
    ])
      expect(permissionAllowed(p)).toBe(false);
    expect(mainSource).toContain(
      'setPermissionRequestHandler((_wc, permission, cb) => cb(permissionAllowed(permission)))',
    );
    expect(mainSource).toContain('setPermissionCheckHandler((_wc, permission) => permissionAllowed(permission))');
  });

  it('7: the CSP forbids inline script, eval and every remote origin', () => {
    const script = directives.get('script-src') ?? directives.get('default-src')!;
    expect(script).toEqual(["'self'"]);
    for (const [name, values] of directives) {
      for (const v of values) {
        expect(v, `${name} ${v}`).not.toMatch(/unsafe-inline|unsafe-eval|^https?:|^\*$|^ws:|^wss:/);
      }
    }
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(mainSource).toContain("headers.set('Content-Security-Policy', kit.CSP)");
  });

  it('13–14: no navigation, no new windows; only http(s) links leave, to the system browser', () => {
    expect(externalUrlFor('https://aws.amazon.com/lambda/pricing/')).toBe('https://aws.amazon.com/lambda/pricing/');
    expect(externalUrlFor('http://example.org/a b')).toBe('http://example.org/a%20b');
    for (const bad of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'app://cosmicai/index.html',
      'smb://host/share',
      'ms-msdt:/id',
      'data:text/html,x',
      'not a url',
      '',
    ]) {
      expect(externalUrlFor(bad), bad).toBeNull();
    }
    expect(mainSource).toMatch(/contents\.on\('will-navigate', \(e, url\) => \{\s*e\.preventDefault\(\);/);
    expect(mainSource).toContain("contents.on('will-redirect', (e) => e.preventDefault())");
    expect(mainSource).toMatch(/setWindowOpenHandler\([\s\S]*?return \{ action: 'deny' \};/);
    expect(mainSource).toContain("contents.on('will-attach-webview', (e) => e.preventDefault())");
    expect(mainSource).not.toMatch(/shell\.openExternal\(url\)/); // only ever the vetted URL
  });

  it('17: IPC answers only our window on our origin; payloads are validated by the zod dispatcher', () => {
    expect(ipcSenderTrusted({ isOurWindow: true, frameUrl: `${ORIGIN}/index.html` })).toBe(true);
    expect(ipcSenderTrusted({ isOurWindow: false, frameUrl: `${ORIGIN}/index.html` })).toBe(false);
    expect(ipcSenderTrusted({ isOurWindow: true, frameUrl: 'https://evil.example/' })).toBe(false);
    expect(ipcSenderTrusted({ isOurWindow: true, frameUrl: 'app://cosmicai.evil/' })).toBe(false);
    expect(ipcSenderTrusted({ isOurWindow: true, frameUrl: 'file:///tmp/x.html' })).toBe(false);
    expect(ipcSenderTrusted({ isOurWindow: true, frameUrl: 'http://localhost:5173/' }, 'http://localhost:5173/')).toBe(
      true,
    );
    expect(ipcSenderTrusted({ isOurWindow: true, frameUrl: 'http://localhost:5173/' })).toBe(false);
    expect(mainSource).toMatch(
      /ipcMain\.handle\(INVOKE_CHANNEL, async \(e, method: unknown, input: unknown\) => \{\s*if \(!trusted\(e\)\)\s*return/,
    );
    expect(mainSource).toContain('return dispatch(method, input, undefined)');
    expect(mainSource).toContain('e.senderFrame === e.sender.mainFrame');
    expect(mainSource.match(/ipcMain\.(handle|on)\(/g)).toHaveLength(1);
  });

  it('18: app:// serves only files inside the built UI folder', () => {
    const dir = path.resolve('/srv/ui');
    expect(appFileFor(dir, 'app://cosmicai/')).toBe(path.join(dir, 'index.html'));
    expect(appFileFor(dir, 'app://cosmicai/assets/a.js')).toBe(path.join(dir, 'assets', 'a.js'));
    expect(appFileFor(dir, 'app://cosmicai/../etc/passwd')).toBe(path.join(dir, 'etc', 'passwd')); // the URL parser already folds '..'
    for (const bad of [
      'app://cosmicai/..%2f..%2fetc%2fpasswd',
      'app://cosmicai/..%2fsecret',
      'app://other/index.html',
      'file:///etc/passwd',
      'app://cosmicai/a%00.js',
    ]) {
      expect(appFileFor(dir, bad), bad).toBeNull();
    }
    expect(PRIVILEGED_SCHEMES[0]).toMatchObject({ scheme: 'app', privileges: { standard: true, secure: true } });
  });

  it('the preload exposes one typed API object through contextBridge, never ipcRenderer itself', () => {
    expect(preloadSource).toContain("contextBridge.exposeInMainWorld('cosmicai', api)");
    expect(preloadSource.match(/exposeInMainWorld/g)).toHaveLength(1);
    expect(preloadSource).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
  });
});
