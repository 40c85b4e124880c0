import { describe, expect, it } from 'vitest';
import { createClient, type Transport } from '../../app/common/client.ts';
import { createDispatcher, EventHub, type Handlers } from '../../app/common/dispatcher.ts';
import { ApiError, channelNames, methodNames, type Api } from '../../app/common/contract/index.ts';

function handlers(overrides: Partial<{ [K in keyof Handlers]: Partial<Handlers[K]> }> = {}): Handlers {
  const base: Handlers = {
    runs: {
      startLocal: () => ({ runId: 'r1' }),
      cancel: () => ({ ok: true as const }),
      active: () => ({ runs: [] }),
    },
    history: {
      list: () => ({ items: [] }),
      get: () => {
        throw new ApiError({ code: 'NOT_FOUND', message: 'no such run' });
      },
      predictions: () => ({ rows: [], total: 0 }),
      rename: () => ({ ok: true as const }),
      delete: () => ({ ok: true as const }),
    },
    settings: {
      get: () => ({
        settings: {
          theme: 'system',
          defaults: { model: '', data: [], batchSize: 64, threads: 0, graphOptimization: 'all' },
        },
        dataDir: '/tmp/x',
      }),
      update: () => ({
        settings: {
          theme: 'dark',
          defaults: { model: '', data: [], batchSize: 64, threads: 0, graphOptimization: 'all' },
        },
        dataDir: '/tmp/x',
      }),
    },
    system: {
      info: () => {
        throw new Error('boom');
      },
      listDir: () => ({ path: '/', parent: null, entries: [] }),
      pickPaths: () => ({ paths: [] }),
      saveFile: () => ({ path: null }),
    },
    cloud: {
      listProfiles: () => ({ profiles: [] }),
      addProfile: () => {
        throw new ApiError({ code: 'UNSUPPORTED', message: 'not in this test' });
      },
      updateProfile: () => {
        throw new ApiError({ code: 'UNSUPPORTED', message: 'not in this test' });
      },
      removeProfile: () => ({ ok: true as const }),
      canStoreKeys: () => ({ available: false }),
      testProfile: () => ({ checks: [] }),
      previewPayload: () => ({ text: '{}', payload: {} }),
      review: () => ({
        target: 'cai' as const,
        text: '{}',
        payload: {},
        rankPlan: null,
        stageWarnings: [],
        running: [],
      }),
      validatePayload: () => ({ ok: true, issues: [] }),
      start: () => ({ runId: 'c1' }),
      attach: () => ({ runId: 'c2' }),
      rerunFailed: () => ({ runId: 'c3' }),
      stop: () => ({ ok: true as const }),
      active: () => ({ runs: [] }),
    },
    // The study domain is tested in tests/app/study-service.test.ts; here every method is simply not available.
    study: Object.fromEntries(
      [
        'list',
        'get',
        'estimate',
        'create',
        'resume',
        'cancel',
        'results',
        'compare',
        'prices',
        'setPrices',
        'resetPrices',
        'importRecorded',
        'importExample',
        'report',
        'reportPdf',
      ].map((m) => [
        m,
        () => {
          throw new ApiError({ code: 'UNSUPPORTED', message: 'not in this test' });
        },
      ]),
    ) as unknown as Handlers['study'],
    // The stack domain is tested end to end in tests/e2e/stack-browser.test.ts.
    stack: Object.fromEntries(
      ['package', 'deploy', 'status', 'delete', 'cancel', 'active'].map((m) => [
        m,
        () => {
          throw new ApiError({ code: 'UNSUPPORTED', message: 'not in this test' });
        },
      ]),
    ) as unknown as Handlers['stack'],
    // The demo domain is tested in tests/app/demo-service.test.ts.
    demo: {
      start: () => ({ running: false, starting: false, profile: null, endpoints: null, startedAt: null }),
      status: () => ({ running: false, starting: false, profile: null, endpoints: null, startedAt: null }),
      stop: () => ({ ok: true as const }),
    },
  };
  for (const [d, ms] of Object.entries(overrides)) Object.assign((base as any)[d], ms);
  return base;
}

describe('contract', () => {
  it('names every method and channel as domain.name', () => {
    expect(methodNames()).toEqual(
      expect.arrayContaining([
        'runs.startLocal',
        'runs.cancel',
        'history.list',
        'history.rename',
        'settings.update',
        'system.info',
      ]),
    );
    expect(channelNames()).toEqual(expect.arrayContaining(['runs.progress', 'runs.finished']));
    for (const m of methodNames()) expect(m).toMatch(/^[a-z]+\.[A-Za-z]+$/);
  });
});

describe('dispatcher', () => {
  const dispatch = createDispatcher(handlers(), {
    hintFor: (e) => (e.code === 'NOT_FOUND' ? 'reload the list' : undefined),
  });

  it('runs a valid call and returns the validated output', async () => {
    expect(await dispatch('runs.startLocal', { batchSize: 32, data: ['/x/1.pt'] }, undefined)).toEqual({
      ok: true,
      value: { runId: 'r1' },
    });
  });

  it('passes the precision through to the handler, and leaves it unset by default (the service means fp32)', async () => {
    const seen: unknown[] = [];
    const d = createDispatcher(handlers({ runs: { startLocal: (p: unknown) => (seen.push(p), { runId: 'r1' }) } }));
    for (const precision of ['int8', 'fp32'] as const)
      expect((await d('runs.startLocal', { precision }, undefined)).ok).toBe(true);
    expect((await d('runs.startLocal', {}, undefined)).ok).toBe(true);
    expect(seen).toEqual([{ precision: 'int8' }, { precision: 'fp32' }, {}]);
  });

  it('rejects unknown methods, prototype keys and non-string names', async () => {
    for (const m of ['runs.nope', 'nope.list', 'constructor.name', 'history.__proto__', 'toString', '', 42, null]) {
      const r = await dispatch(m, {}, undefined);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('UNKNOWN_METHOD');
    }
  });

  it('rejects bad payloads with the field that is wrong', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['runs.startLocal', { batchSize: 0 }, /batchSize/],
      ['runs.startLocal', { batchSize: 1.5 }, /batchSize/],
      ['runs.startLocal', { threads: 'four' }, /threads/],
      ['runs.startLocal', { data: 'not-a-list' }, /data/],
      ['runs.startLocal', { unexpected: true }, /unexpected|Unrecognized/i],
      ['runs.startLocal', { precision: 'fp16' }, /precision/],
      ['runs.startLocal', { precision: 'INT8' }, /precision/],
      ['runs.startLocal', { precision: 8 }, /precision/],
      ['history.rename', { id: '../../etc', name: 'x' }, /id/],
      ['history.rename', { id: 'abc', name: '   ' }, /name/],
      ['history.get', 'just a string', /input|expected object/i],
      ['settings.update', { theme: 'purple' }, /theme/],
    ];
    for (const [m, input, re] of cases) {
      const r = await dispatch(m, input, undefined);
      expect(r.ok, `${m} ${JSON.stringify(input)}`).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('INVALID_INPUT');
        expect(r.error.message).toMatch(re);
      }
    }
  });

  it('carries the error code, file and a hint across the boundary', async () => {
    const r = await dispatch('history.get', { id: 'abc' }, undefined);
    expect(r).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no such run', hint: 'reload the list' } });
    const engineLike = Object.assign(new Error('/d/x.pt: not a PyTorch file'), { code: 'not-pt', file: '/d/x.pt' });
    const d2 = createDispatcher(
      handlers({
        runs: {
          startLocal: () => {
            throw engineLike;
          },
        },
      }),
      { hintFor: () => 'choose a .pt file' },
    );
    expect(await d2('runs.startLocal', {}, undefined)).toEqual({
      ok: false,
      error: { code: 'not-pt', message: '/d/x.pt: not a PyTorch file', file: '/d/x.pt', hint: 'choose a .pt file' },
    });
    const r3 = await dispatch('system.info', {}, undefined);
    expect(r3.ok).toBe(false);
    if (!r3.ok) expect(r3.error).toMatchObject({ code: 'INTERNAL', message: 'boom' });
  });

  it('refuses to send a reply that breaks the contract', async () => {
    const d = createDispatcher(handlers({ runs: { startLocal: () => ({ runId: 42 }) as never } }));
    const r = await d('runs.startLocal', {}, undefined);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('INTERNAL');
  });
});

function loopback(h: Handlers, hub = new EventHub()): { api: Api; hub: EventHub } {
  const dispatch = createDispatcher(h);
  const transport: Transport = {
    invoke: (m, i) => dispatch(m, JSON.parse(JSON.stringify(i)), undefined),
    subscribe: (channel, cb) => hub.listen((c, p) => c === channel && cb(p)),
  };
  return { api: createClient(transport), hub };
}

describe('client', () => {
  it('calls through a transport and throws ApiError with code and hint', async () => {
    const { api } = loopback(handlers());
    expect(await api.runs.startLocal({ batchSize: 8 })).toEqual({ runId: 'r1' });
    expect((await api.settings.get()).settings.defaults.batchSize).toBe(64);
    const err = await api.history.get({ id: 'zzz' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('NOT_FOUND');
  });

  it('validates what comes back', async () => {
    const api = createClient({ invoke: async () => ({ ok: true, value: { runId: 7 } }), subscribe: () => () => {} });
    await expect(api.runs.startLocal({})).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    const api2 = createClient({ invoke: async () => 'garbage', subscribe: () => () => {} });
    await expect(api2.system.info()).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    const api3 = createClient({
      invoke: async () => Promise.reject(new Error('socket hang up')),
      subscribe: () => () => {},
    });
    await expect(api3.system.info()).rejects.toMatchObject({ code: 'TRANSPORT' });
  });

  it('rejects with plain data when asked (Electron contextBridge)', async () => {
    const api = createClient(
      { invoke: async () => ({ ok: false, error: { code: 'X', message: 'm', hint: 'h' } }), subscribe: () => () => {} },
      { reject: (e) => ({ ...e }) },
    );
    const err = await api.system.info().catch((e) => e);
    expect(err).not.toBeInstanceOf(Error);
    expect(err).toEqual({ code: 'X', message: 'm', hint: 'h' });
  });

  it('delivers valid events, drops malformed ones, and unsubscribes', () => {
    const received: unknown[] = [];
    const listeners = new Set<(p: unknown) => void>();
    const api = createClient({
      invoke: async () => ({}),
      subscribe: (_c, cb) => (listeners.add(cb), () => listeners.delete(cb)),
    });
    const off = api.on('runs.finished', (p) => received.push(p));
    for (const l of listeners) {
      l({ runId: 'r1', status: 'completed' });
      l({ runId: 'r1', status: 'exploded' });
    }
    off();
    expect(received).toEqual([{ runId: 'r1', status: 'completed' }]);
    expect(listeners.size).toBe(0);
    expect(() => api.on('runs.nope' as never, () => {})).toThrow(/Unknown channel/);
  });

  it('hub refuses to emit a payload that breaks the contract', () => {
    const hub = new EventHub();
    expect(() => hub.emit('runs.progress', { runId: 'x', phase: 'running', elapsedSeconds: 1, fraction: 2 })).toThrow(
      /fraction/,
    );
  });
});
