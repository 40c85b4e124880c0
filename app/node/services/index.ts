import type { Handlers } from '../../common/dispatcher.ts';
import { EventHub } from '../../common/dispatcher.ts';
import { ApiError, type SystemInfo } from '../../common/contract/index.ts';
import { HistoryStore } from '../history-store.ts';
import { SettingsStore } from '../settings-store.ts';
import { LocalRunService, type RunLocalFn } from './local-runs.ts';
import { expandHome, listDir, systemInfo } from './system.ts';

/** What only the host can do: native dialogs in Electron; the browser host leaves them out. */
export interface PlatformHandlers {
  pickPaths?: Handlers['system']['pickPaths'];
  saveFile?: Handlers['system']['saveFile'];
}

export interface NodeServicesOptions {
  dataDir: string;
  mode: SystemInfo['mode'];
  platform?: PlatformHandlers;
  runLocal?: RunLocalFn;
}

export interface NodeServices {
  handlers: Handlers;
  hub: EventHub;
  store: HistoryStore;
  settings: SettingsStore;
  runs: LocalRunService;
  shutdown(): Promise<void>;
}

const unsupported = (what: string) => () => {
  throw new ApiError({ code: 'UNSUPPORTED', message: `${what} is only available in the desktop app.` });
};

/** The Node implementation of the whole contract, shared by Electron main and the browser host. */
export function createNodeServices(opts: NodeServicesOptions): NodeServices {
  const hub = new EventHub();
  const store = new HistoryStore(opts.dataDir);
  const settings = new SettingsStore(opts.dataDir);
  const runs = new LocalRunService({ dataDir: opts.dataDir, store, hub, runLocal: opts.runLocal });
  const paths = (list: string[] | undefined) => list?.map(expandHome);

  const handlers: Handlers = {
    runs: {
      startLocal: (p) => runs.start({ ...p, model: p.model ? expandHome(p.model) : p.model, data: paths(p.data) }),
      cancel: ({ runId }) => {
        runs.cancel(runId);
        return { ok: true as const };
      },
      active: () => ({ runs: runs.list() }),
    },
    history: {
      list: async () => ({ items: await store.list() }),
      get: (input) => store.get(input.id),
      predictions: (input) => store.predictions(input.id, input.limit),
      rename: async (input) => {
        await store.rename(input.id, input.name);
        return { ok: true as const };
      },
      delete: async (input) => {
        if (runs.list().some((r) => r.runId === input.id)) throw new ApiError({ code: 'BUSY', message: 'This run is still going.', hint: 'Cancel it first, then delete it.' });
        await store.delete(input.id);
        return { ok: true as const };
      },
    },
    settings: {
      get: async () => ({ settings: await settings.get(), dataDir: opts.dataDir }),
      update: async (patch) => ({ settings: await settings.update(patch), dataDir: opts.dataDir }),
    },
    system: {
      info: () => systemInfo(opts.mode, opts.dataDir, !!opts.platform?.pickPaths),
      listDir: (input) => listDir(input.path),
      pickPaths: opts.platform?.pickPaths ?? unsupported('The native file dialog'),
      saveFile: opts.platform?.saveFile ?? unsupported('The native save dialog'),
    },
  };
  return { handlers, hub, store, settings, runs, shutdown: () => runs.shutdown() };
}
