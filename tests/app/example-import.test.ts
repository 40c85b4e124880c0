import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../app/common/client.ts';
import { createDispatcher } from '../../app/common/dispatcher.ts';
import type { Api } from '../../app/common/contract/index.ts';
import { hintFor } from '../../app/node/hints.ts';
import { createNodeServices, type NodeServices } from '../../app/node/services/index.ts';

/** One click imports the bundled example results, labelled as example data; Lambda memory re-prices Table 3. */
let dataDir: string;
let services: NodeServices;
let api: Api;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cai-example-'));
  services = createNodeServices({ dataDir, mode: 'browser' });
  const dispatch = createDispatcher(services.handlers, { hintFor });
  api = createClient({
    invoke: (m, i) => dispatch(m, JSON.parse(JSON.stringify(i ?? {})), undefined),
    subscribe: (channel, cb) => services.hub.listen((c, p) => c === channel && cb(p)),
  });
});
afterAll(async () => {
  await services?.shutdown();
  await rm(dataDir, { recursive: true, force: true });
});

describe('example data', () => {
  it('imports with one call, every run named and marked as example data, once', async () => {
    const r = await api.study.importExample();
    expect(r.example).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.runs.length).toBe(26);
    expect(r.runs.every((x) => x.added)).toBe(true);
    const items = (await api.history.list()).items.filter((i) => !i.damaged);
    expect(items).toHaveLength(26);
    for (const i of items) if (!i.damaged) expect(i.name).toMatch(/^Example data · Recorded \d+ MB \/ \dGB/);
    const { entry } = await api.history.get({ id: items[0].id });
    expect(entry.params.example).toBe(true);
    const again = await api.study.importExample();
    expect(again.runs.every((x) => !x.added)).toBe(true);
  });

  it('Tables 1-3 come from it, and a Lambda memory set for the import prices Table 3', async () => {
    const ids = (await api.history.list()).items.map((i) => i.id);
    const base = await api.study.results({ selection: { runs: ids } });
    expect(base.tables.map((t) => t.title.split('.')[0])).toEqual(['Table 1', 'Table 2', 'Table 3']);
    const t3 = (res: typeof base) => res.tables.find((t) => t.title.startsWith('Table 3'))!;
    expect(t3(base).rows.every((row) => row.memory_gb === 10)).toBe(true);
    expect(t3(base).note).toContain('10240 MB was assumed');
    const priced = await api.study.results({ selection: { runs: ids }, cost: { lambdaMemoryMb: 2048 } });
    expect(t3(priced).rows.every((row) => row.memory_gb === 2)).toBe(true);
    const cost = (res: typeof base) => t3(res).rows.map((row) => row.cost_usd as number);
    // Lambda compute scales with memory: 2 GB costs about a fifth of 10 GB (requests are the same).
    cost(priced).forEach((c, i) => expect(c).toBeLessThan(cost(base)[i] / 4));
  });
});
