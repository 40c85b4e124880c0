/**
 * The cloud demo that needs no AWS (#19), as a new user meets it in the browser (Debian Chromium against
 * `cosmicai ui`, offline): Home → "Try the cloud half offline (emulated)" → Cloud run with the demo profile on the
 * bundled sample data → the run finishes, labelled "emulated on this computer" → a local run → Compare shows both,
 * with the label. The emulator runs inside the UI host; Stop ends it and its ports close.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PROFILE_NAME, EMULATED_LABEL } from '../../app/common/contract/index.ts';
import { FIXTURES } from '../support/engine-run-helpers.ts';
import {
  SCREENSHOTS_DIR as SHOTS,
  closeUi,
  launchChromium,
  openPage,
  screenshot,
  startUiHost,
  writeUiSettings,
  type UiHost,
} from '../support/ui-host.ts';

let dataDir: string;
let host: UiHost;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let cloudRunId = '';
let sfnEndpoint = '';
const shot = (name: string) => screenshot(page, `demo-${name}`);

/** Calls the host's API as the renderer does. */
async function call<T>(method: string, input: unknown = {}): Promise<T> {
  const res = await fetch(`${host.origin}/api/call/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-cosmicai-token': host.token },
    body: JSON.stringify(input),
  });
  const env = (await res.json()) as { ok: boolean; value?: T; error?: unknown };
  if (!env.ok) throw new Error(`${method}: ${JSON.stringify(env.error)}`);
  return env.value as T;
}

const refuses = (url: string) =>
  new Promise<boolean>((resolve) => {
    const u = new URL(url);
    const s = net.connect(Number(u.port), u.hostname);
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-demo-'));
  await writeUiSettings(dataDir, 64);
  [host, browser] = await Promise.all([startUiHost(dataDir), launchChromium()]);
  ({ context, page } = await openPage(browser, host.url, pageErrors, { viewport: { width: 1440, height: 900 } }));
}, 400_000);

afterAll(async () => {
  await closeUi({ context, browser, host });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the cloud demo without AWS', () => {
  it('Home → start the emulated demo → Cloud run with its profile → a finished run labelled emulated', async () => {
    await page.getByRole('link', { name: 'Home' }).click();
    const offer = page.getByTestId('demo-start');
    await offer.waitFor();
    expect(await offer.textContent()).toBe('Try the cloud half offline (emulated)');
    await offer.click();
    // Opens Cloud run with the demo profile chosen, and the running indicator with Stop.
    const form = page.getByTestId('cloud-form');
    await form.waitFor({ timeout: 120_000 });
    await page.getByTestId('demo-running').waitFor();
    // The form lists the saved profiles once they load; until then the select has no options (and no value).
    await expect
      .poll(() => form.locator('select[name=profile]').inputValue(), { timeout: 30_000 })
      .toBe(DEMO_PROFILE_NAME);
    const status = await call<{ running: boolean; endpoints: { sfn: string } }>('demo.status');
    expect(status.running).toBe(true);
    sfnEndpoint = status.endpoints.sfn;
    expect(sfnEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await shot('cloud-form');

    // The bundled sample data and the reference model: nothing to fill in but a name.
    await form.locator('input[name=name]').fill('demo in the browser');
    await page.getByTestId('start-cloud-run').click();
    await page.getByTestId('cloud-progress').waitFor({ timeout: 120_000 });
    await page.getByTestId('results-title').waitFor({ timeout: 540_000 });
    expect(await page.getByTestId('results-title').textContent()).toBe(`demo in the browser (${EMULATED_LABEL})`);
    expect(await page.getByTestId('run-status').textContent()).toBe('completed');
    expect(await page.getByText(EMULATED_LABEL, { exact: true }).count()).toBeGreaterThan(0);
    cloudRunId = decodeURIComponent(/#\/results\/([^/?]+)/.exec(page.url())![1]);
    await shot('cloud-results');

    await page.getByRole('link', { name: 'History' }).click();
    await page.getByTestId('history-emulated').first().waitFor();
    expect(await page.getByTestId('history-emulated').first().textContent()).toBe(EMULATED_LABEL);
  }, 700_000);

  it('a local run, then Compare shows both with the emulated label', async () => {
    const { runId: localId } = await call<{ runId: string }>('runs.startLocal', {
      data: [path.join(FIXTURES, 'small-64.pt')],
      batchSize: 16,
      threads: 1,
      name: 'local for the demo',
    });
    for (let i = 0; ; i++) {
      const { items } = await call<{ items: Array<{ id: string; status: string }> }>('history.list');
      const st = items.find((x) => x.id === localId)?.status;
      if (st === 'completed') break;
      expect(st === 'failed' || st === 'cancelled', `local run ${st}`).toBe(false);
      expect(i).toBeLessThan(600);
      await new Promise((r) => setTimeout(r, 500));
    }
    await page.goto(`${host.url}#/compare/${encodeURIComponent(localId)}/${encodeURIComponent(cloudRunId)}`);
    await page.getByTestId('compare-table').waitFor({ timeout: 60_000 });
    const sides = await page.locator('.grid-2').first().textContent();
    expect(sides).toContain('local for the demo');
    expect(sides).toContain(`demo in the browser (${EMULATED_LABEL})`);
    expect(await page.locator('.grid-2 .caveat', { hasText: EMULATED_LABEL }).count()).toBe(1);
    // A local run against an emulated one: labelled, but no AWS-mix warning.
    expect(await page.getByTestId('compare-emulated-warning').count()).toBe(0);
    await shot('compare');

    // Against recorded runs (the example data, standing in for AWS numbers): the warning says they do not mix.
    const example = await call<{ runs: Array<{ runId: string }> }>('study.importExample');
    const recordedId = example.runs[0].runId;
    await page.goto(`${host.url}#/compare/${encodeURIComponent(cloudRunId)}/${encodeURIComponent(recordedId)}`);
    const warning = page.getByTestId('compare-emulated-warning');
    await warning.waitFor({ timeout: 60_000 });
    expect(await warning.textContent()).toMatch(/^Run A was emulated on this computer and run B on AWS/);
    await shot('compare-aws-warning');
  }, 300_000);

  it('Stop ends the emulator: the indicator goes and its ports close', async () => {
    await page.goto(`${host.url}#/home`);
    await page.getByTestId('demo-stop').click();
    await page.getByTestId('demo-start').waitFor({ timeout: 60_000 });
    expect(await refuses(sfnEndpoint)).toBe(true);
    expect(await call<{ running: boolean }>('demo.status')).toMatchObject({ running: false });
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('the emulator stops with the app: SIGTERM to the UI host closes all its ports', async () => {
    const st = await call<{ running: boolean; endpoints: Record<string, string> }>('demo.start');
    expect(st.running).toBe(true);
    for (const url of Object.values(st.endpoints)) expect(await refuses(url)).toBe(false);
    await host.stop();
    expect(host.proc.exitCode).toBe(0);
    for (const url of Object.values(st.endpoints)) expect(await refuses(url)).toBe(true);
  }, 120_000);
});
