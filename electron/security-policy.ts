import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Every security decision of the Electron main process, as data and pure functions (no `electron` import), so
 * tests read exactly what main.ts applies. docs/electron-security.md maps Electron's checklist onto these.
 */

export const SCHEME = 'app';
export const ORIGIN = `${SCHEME}://cosmicai`;
export const INVOKE_CHANNEL = 'cosmicai:invoke';
export const EVENT_CHANNEL = 'cosmicai:event';

/** Our own scheme serves the UI (checklist: "use a custom protocol instead of file://"). */
export const PRIVILEGED_SCHEMES = [
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
] as const;

/** The main window: no Node in the page, isolated preload, Chromium sandbox, same-origin policy kept. */
export function mainWebPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
  } as const;
}

/** The hidden window that prints the study report to PDF: no scripts at all. */
export const PDF_WEB_PREFERENCES = {
  javascript: false,
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  webSecurity: true,
} as const;

/** The only permission the page may get: writing to the clipboard (Copy as Markdown). */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);
export const permissionAllowed = (permission: string): boolean => ALLOWED_PERMISSIONS.has(permission);

/**
 * Navigation and new windows are always denied inside the app; http(s) links go to the system browser. Returns
 * the URL to hand to shell.openExternal, or null (anything else — file:, javascript:, custom schemes — is dropped).
 */
export function externalUrlFor(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
}

/** IPC is answered only for our window's main frame on our origin (or the dev server in development). */
export function ipcSenderTrusted(sender: { isOurWindow: boolean; frameUrl: string }, devServerUrl?: string): boolean {
  if (!sender.isOurWindow) return false;
  if (sender.frameUrl.startsWith(`${ORIGIN}/`)) return true;
  return !!devServerUrl && sender.frameUrl.startsWith(devServerUrl);
}

/** The file an app:// request maps to inside the built renderer folder, or null when it would leave it. */
export function appFileFor(rendererDir: string, requestUrl: string): string | null {
  let rel: string;
  try {
    const url = new URL(requestUrl);
    if (url.protocol !== `${SCHEME}:` || url.host !== 'cosmicai') return null;
    rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, '.' + rel);
  return file.startsWith(root + path.sep) ? file : null;
}

export const appFileUrl = (file: string): string => pathToFileURL(file).href;
