/**
 * demo.start / demo.status / demo.stop through the real dispatcher: the emulator starts on loopback, its profile is
 * saved under the demo name (replaced on a second start), Test connection passes, and after stop (and after the
 * services shut down) its ports refuse connections.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PROFILE_NAME, type DemoStatus } from '../../app/common/contract/index.ts';
import type { NodeServices } from '../../app/node/services/index.ts';
import { startAppApi, type AppApi } from '../support/app-services.ts';

let work: string;
let services: NodeServices;
let call: AppApi['call'];

const refuses = (url: string) =>
  new Promise<boolean>((resolve) => {
    const u = new URL(url);
    const s = net.connect(Number(u.port), u.hostname);
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'app-demo-'));
  ({ services, call } = startAppApi({ dataDir: path.join(work, 'data'), mode: 'browser' }));
});
afterAll(async () => {
  await services?.shutdown();
  await rm(work, { recursive: true, force: true });
});

describe('demo service', () => {
  it('starts the emulator, saves its profile, stops it and closes its ports', async () => {
    expect(await call('demo.status', {})).toMatchObject({ running: false, profile: null, endpoints: null });
    const st = (await call('demo.start', {})) as DemoStatus;
    expect(st).toMatchObject({ running: true, profile: DEMO_PROFILE_NAME });
    for (const url of Object.values(st.endpoints!)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await call('demo.status', {})).toEqual(st);

    const { profiles } = (await call('cloud.listProfiles', {})) as {
      profiles: Array<{ name: string; credentials: { source: string }; endpoints: Record<string, string> }>;
    };
    const saved = profiles.filter((p) => p.name === DEMO_PROFILE_NAME);
    expect(saved).toHaveLength(1);
    expect(saved[0].credentials.source).toBe('emulator');
    expect(saved[0].endpoints.sfn).toBe(st.endpoints!.sfn);
    const { checks } = (await call('cloud.testProfile', { name: DEMO_PROFILE_NAME })) as {
      checks: Array<{ ok: boolean; name?: string }>;
    };
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.filter((c) => !c.ok)).toEqual([]);

    await call('demo.stop', {});
    expect(await call('demo.status', {})).toMatchObject({ running: false, endpoints: null });
    for (const url of Object.values(st.endpoints!)) expect(await refuses(url)).toBe(true);
    // The profile stays saved; a run through it while the emulator is stopped says how to restart it.
    await expect(call('cloud.start', { profile: DEMO_PROFILE_NAME })).rejects.toMatchObject({
      code: 'DEMO_NOT_RUNNING',
      hint: expect.stringContaining('Try the cloud half offline'),
    });

    // A second start replaces the profile (new ports), not a duplicate; shutdown stops it.
    const again = (await call('demo.start', {})) as DemoStatus;
    const after = (await call('cloud.listProfiles', {})) as { profiles: Array<{ name: string; endpoints: any }> };
    const demo = after.profiles.filter((p) => p.name === DEMO_PROFILE_NAME);
    expect(demo).toHaveLength(1);
    expect(demo[0].endpoints.sfn).toBe(again.endpoints!.sfn);
    await services.shutdown();
    for (const url of Object.values(again.endpoints!)) expect(await refuses(url)).toBe(true);
  }, 120_000);
});
