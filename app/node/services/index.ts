import type { Handlers } from '../../common/dispatcher.ts';
import { EventHub } from '../../common/dispatcher.ts';
import { ApiError, type SystemInfo } from '../../common/contract/index.ts';
import { HistoryStore } from '../history-store.ts';
import { SettingsStore } from '../settings-store.ts';
import { LocalRunService, type RunLocalFn } from './local-runs.ts';
import { expandHome, listDir, systemInfo } from './system.ts';
import { ProfileStore } from '../../../cloud/profiles.ts';
import { cipherRefusal, type SecretCipher } from '../../../cloud/secret-cipher.ts';
import { testConnection } from '../../../cloud/connection-test.ts';
import { parsePayloadText } from '../../../cloud/payload.ts';
import { CloudRunService } from './cloud-runs.ts';
import { StudyService } from './study.ts';
import { StackService } from './stack.ts';
import { DemoService } from './demo.ts';

/** What only the host can do: native dialogs in Electron; the browser host leaves them out. */
export interface PlatformHandlers {
  pickPaths?: Handlers['system']['pickPaths'];
  saveFile?: Handlers['system']['saveFile'];
  /** Saves HTML as PDF (Electron: printToPDF and a save dialog). */
  printPdf?: (html: string, suggestedName: string) => Promise<{ path: string | null }>;
}

export interface NodeServicesOptions {
  dataDir: string;
  mode: SystemInfo['mode'];
  platform?: PlatformHandlers;
  runLocal?: RunLocalFn;
  /** Encrypts pasted AWS keys (Electron's safeStorage); without it they are refused. */
  cipher?: SecretCipher;
  /** Cloud status poll interval (tests use a short one). */
  cloudPollMs?: number;
}

export interface NodeServices {
  handlers: Handlers;
  hub: EventHub;
  store: HistoryStore;
  settings: SettingsStore;
  runs: LocalRunService;
  cloud: CloudRunService;
  study: StudyService;
  stack: StackService;
  demo: DemoService;
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
  const profiles = new ProfileStore(opts.dataDir, opts.cipher);
  const cloud = new CloudRunService({
    dataDir: opts.dataDir,
    store,
    hub,
    profiles,
    cipher: opts.cipher,
    pollMs: opts.cloudPollMs,
  });
  const study = new StudyService({
    dataDir: opts.dataDir,
    store,
    hub,
    profiles,
    cipher: opts.cipher,
    localBusy: () => runs.list().length > 0,
    printPdf: opts.platform?.printPdf,
  });
  const stack = new StackService({ dataDir: opts.dataDir, hub, profiles, cipher: opts.cipher });
  const demo = new DemoService({ profiles });

  const handlers: Handlers = {
    runs: {
      startLocal: (p) => {
        if (study.isRunning())
          throw new ApiError({
            code: 'BUSY',
            message: 'A study is running.',
            hint: 'Wait for it to finish or cancel it on the Study screen; runs share the CPU, so one at a time keeps the numbers honest.',
          });
        return runs.start({ ...p, model: p.model ? expandHome(p.model) : p.model, data: paths(p.data) });
      },
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
        if (runs.list().some((r) => r.runId === input.id) || cloud.list().some((r) => r.runId === input.id))
          throw new ApiError({
            code: 'BUSY',
            message: 'This run is still going.',
            hint: 'Cancel it first, then delete it.',
          });
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
    cloud: {
      listProfiles: async () => ({ profiles: await profiles.list() }),
      addProfile: async (input) => ({ profile: await profiles.add(input) }),
      updateProfile: async (input) => ({ profile: await profiles.update(input.name, input.patch) }),
      removeProfile: async (input) => {
        await profiles.remove(input.name);
        return { ok: true as const };
      },
      canStoreKeys: () => ({ available: cipherRefusal(opts.cipher) === null }),
      testProfile: async (input) => {
        const clients = await cloud.clientsFor(input.name);
        try {
          return { checks: await testConnection(clients) };
        } finally {
          clients.destroy();
        }
      },
      previewPayload: async (input) =>
        cloud.preview({
          ...input,
          codeDir: input.codeDir && expandHome(input.codeDir),
          modelFile: input.modelFile && expandHome(input.modelFile),
          data: paths(input.data),
        }),
      review: (input) =>
        cloud.review({
          ...input,
          codeDir: input.codeDir && expandHome(input.codeDir),
          modelFile: input.modelFile && expandHome(input.modelFile),
          data: paths(input.data),
        }),
      validatePayload: (input) => {
        const r = parsePayloadText(input.text);
        return r.ok ? { ok: true, issues: [] } : { ok: false, issues: r.issues };
      },
      start: (input) => {
        demo.refuseIfStopped(input.profile);
        return cloud.start({
          ...input,
          codeDir: input.codeDir && expandHome(input.codeDir),
          modelFile: input.modelFile && expandHome(input.modelFile),
          data: paths(input.data),
        });
      },
      attach: (input) => cloud.attach(input.profile, input.executionArn),
      rerunFailed: (input) => cloud.rerunFailed(input.runId),
      stop: async (input) => {
        await cloud.stop(input.runId);
        return { ok: true as const };
      },
      active: () => ({ runs: cloud.list() }),
    },
    study: {
      list: async () => ({ studies: await study.list() }),
      get: async (input) => ({ study: await study.get(input.id) }),
      estimate: (input) => study.estimate(input.params, input.cost),
      create: (input) => study.create(input),
      resume: async (input) => {
        await study.resume(input.id, input.profile, input.retryFailed);
        return { ok: true as const };
      },
      cancel: (input) => {
        study.cancel(input.id);
        return { ok: true as const };
      },
      results: (input) => study.results(input.selection, input.cost),
      compare: (input) => study.compare(input.a, input.b),
      recommend: (input) => study.recommend(input),
      prices: () => study.prices(),
      setPrices: (input) => study.setPrices(input.table),
      resetPrices: () => study.resetPrices(),
      importRecorded: (input) => study.importRecorded(input.source, input.profile),
      importExample: () => study.importExample(),
      report: (input) => study.report(input.selection, input.compare, input.cost),
      reportPdf: (input) => study.reportPdf(input.html, input.suggestedName),
    },
    stack: {
      package: (input) => stack.package(input.arch),
      deploy: (input) =>
        stack.deploy({
          ...input,
          modelFile: input.modelFile && expandHome(input.modelFile),
          zipFile: input.zipFile && expandHome(input.zipFile),
        }),
      status: (input) => stack.status(input.profile, input.stackName, input.events),
      delete: (input) => stack.delete(input.profile, input.stackName, input.pollSeconds),
      cancel: (input) => {
        stack.cancel(input.opId);
        return { ok: true as const };
      },
      active: () => ({ ops: stack.list() }),
    },
    demo: {
      start: () => demo.start(),
      status: () => demo.status(),
      stop: async () => {
        await demo.stop();
        return { ok: true as const };
      },
    },
  };
  return {
    handlers,
    hub,
    store,
    settings,
    runs,
    cloud,
    study,
    stack,
    demo,
    shutdown: async () => {
      await Promise.all([runs.shutdown(), cloud.shutdown(), study.shutdown(), stack.shutdown()]);
      // After the runs: a cloud run being cancelled may still talk to the emulator.
      await demo.shutdown();
    },
  };
}
