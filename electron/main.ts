import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  net,
  protocol,
  safeStorage,
  session,
  shell,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
} from 'electron';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  appFileFor,
  appFileUrl,
  EVENT_CHANNEL,
  externalUrlFor,
  INVOKE_CHANNEL,
  ipcSenderTrusted,
  mainWebPreferences,
  ORIGIN,
  PDF_WEB_PREFERENCES,
  permissionAllowed,
  PRIVILEGED_SCHEMES,
  SCHEME,
} from './security-policy.ts';

/**
 * The Electron main process: one window on our own `app://` scheme, locked down (context isolation, sandbox, no
 * Node in the page, strict CSP, no navigation or new windows), hosting the same Node services as the browser host.
 * The Node side (engine, services) is bundled with this file into out/main by electron-vite (onnxruntime-node stays
 * an external native module); inference runs in a worker thread (out/main/worker.js), so this process never blocks.
 */

type HostKit = typeof import('../app/node/host-kit.ts');

protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES.map((s) => ({ ...s, privileges: { ...s.privileges } })));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  process.env.COSMICAI_DATA_DIR ??= app.getPath('userData');
  let win: BrowserWindow | null = null;

  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  // Every web contents (there is only our window) may not navigate, open windows or attach webviews.
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (e, url) => {
      e.preventDefault();
      const external = externalUrlFor(url);
      if (external) void shell.openExternal(external);
    });
    contents.on('will-redirect', (e) => e.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const external = externalUrlFor(url);
      if (external) void shell.openExternal(external);
      return { action: 'deny' };
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });

  app
    .whenReady()
    .then(async () => {
      const root = app.getAppPath();
      // Loaded once the app is ready (it reads COSMICAI_DATA_DIR, set above); bundled into out/main by electron-vite.
      const kit: HostKit = await import('../app/node/host-kit.ts');
      const rendererDir = process.env.ELECTRON_RENDERER_URL ? '' : path.join(root, 'out', 'renderer');
      const dataDir = process.env.COSMICAI_DATA_DIR!;

      session.defaultSession.setPermissionRequestHandler((_wc, permission, cb) => cb(permissionAllowed(permission)));
      session.defaultSession.setPermissionCheckHandler((_wc, permission) => permissionAllowed(permission));

      protocol.handle(SCHEME, async (req) => {
        const file = appFileFor(rendererDir, req.url);
        if (!file) return new Response('Forbidden', { status: 403 });
        const res = await net.fetch(appFileUrl(file)).catch(() => null);
        if (!res || !res.ok) return new Response('Not found', { status: 404 });
        const headers = new Headers(res.headers);
        headers.set('Content-Security-Policy', kit.CSP);
        headers.set('X-Content-Type-Options', 'nosniff');
        return new Response(res.body, { status: 200, headers });
      });

      const services = kit.createNodeServices({
        dataDir,
        mode: 'electron',
        // Pasted AWS keys are stored only encrypted with the OS keychain.
        cipher: safeStorage,
        platform: {
          async pickPaths({ kind, title, extensions }) {
            const opts: Electron.OpenDialogOptions = {
              title,
              properties:
                kind === 'folder'
                  ? ['openDirectory']
                  : kind === 'files'
                    ? ['openFile', 'multiSelections']
                    : ['openFile'],
              filters: extensions?.length
                ? [
                    { name: extensions.join(', '), extensions },
                    { name: 'All files', extensions: ['*'] },
                  ]
                : undefined,
            };
            const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
            return { paths: r.canceled ? [] : r.filePaths };
          },
          async saveFile({ suggestedName, content, encoding }) {
            const opts = { defaultPath: path.join(app.getPath('documents'), suggestedName) };
            const r = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts);
            if (r.canceled || !r.filePath) return { path: null };
            await writeFile(r.filePath, encoding === 'base64' ? Buffer.from(content, 'base64') : content);
            return { path: r.filePath };
          },
          // The study report as PDF: the self-contained HTML in a hidden window (no scripts), then printToPDF.
          async printPdf(html, suggestedName) {
            const opts = {
              defaultPath: path.join(app.getPath('documents'), suggestedName),
              filters: [{ name: 'PDF', extensions: ['pdf'] }],
            };
            const r = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts);
            if (r.canceled || !r.filePath) return { path: null };
            const tmp = path.join(app.getPath('temp'), `cosmicai-report-${process.pid}-${Date.now()}.html`);
            const pdfWin = new BrowserWindow({ show: false, webPreferences: { ...PDF_WEB_PREFERENCES } });
            try {
              await writeFile(tmp, html);
              await pdfWin.loadFile(tmp);
              await writeFile(
                r.filePath,
                await pdfWin.webContents.printToPDF({ printBackground: true, pageSize: 'A4' }),
              );
            } finally {
              pdfWin.destroy();
              await rm(tmp, { force: true });
            }
            return { path: r.filePath };
          },
        },
      });
      const dispatch = kit.createDispatcher(services.handlers, { hintFor: kit.hintFor });

      const trusted = (e: IpcMainInvokeEvent) =>
        ipcSenderTrusted(
          {
            isOurWindow: e.sender === win?.webContents && e.senderFrame === e.sender.mainFrame,
            frameUrl: e.senderFrame?.url ?? '',
          },
          process.env.ELECTRON_RENDERER_URL,
        );
      // The payload is validated against the contract's zod schemas by the dispatcher before any handler runs.
      ipcMain.handle(INVOKE_CHANNEL, async (e, method: unknown, input: unknown) => {
        if (!trusted(e))
          return { ok: false, error: { code: 'FORBIDDEN', message: 'This page may not use the app API.' } };
        return dispatch(method, input, undefined);
      });
      services.hub.listen((channel, payload) => {
        if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, channel, payload);
      });

      Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate()));
      // From a checkout, rebuild the UI if its sources changed since the last build; a packaged app ships it built.
      if (!process.env.ELECTRON_RENDERER_URL && !app.isPackaged) await kit.ensureRendererBuilt();
      win = createWindow(root);
      win.on('closed', () => (win = null));

      app.on('activate', () => {
        if (!win) win = createWindow(root);
      });
      let quitting = false;
      app.on('before-quit', (e) => {
        if (quitting) return;
        // Let a running job be cancelled and written to History before the process ends.
        e.preventDefault();
        quitting = true;
        services.shutdown().finally(() => app.quit());
      });
    })
    .catch((err) => {
      dialog.showErrorBox(
        'CosmicAI Bench could not start',
        err instanceof Error ? (err.stack ?? err.message) : String(err),
      );
      app.exit(1);
    });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}

function createWindow(root: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'CosmicAI Bench',
    show: false,
    webPreferences: { ...mainWebPreferences(path.join(root, 'out', 'preload', 'index.cjs')) },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(process.env.ELECTRON_RENDERER_URL ?? `${ORIGIN}/index.html`);
  return win;
}

function menuTemplate(): MenuItemConstructorOptions[] {
  const mac = process.platform === 'darwin';
  return [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [mac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        {
          label: 'About CosmicAI Bench',
          click: () =>
            void dialog.showMessageBox({
              type: 'info',
              title: 'CosmicAI Bench',
              message: `CosmicAI Bench ${app.getVersion()}`,
              detail: `Data folder: ${process.env.COSMICAI_DATA_DIR}`,
            }),
        },
      ],
    },
  ];
}
