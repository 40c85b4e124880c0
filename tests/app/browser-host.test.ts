import http from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserHost, tokenMatches, type BrowserHost } from '../../app/node/browser-host.ts';

let dir: string;
let host: BrowserHost;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cai-host-'));
  const ui = path.join(dir, 'ui');
  await mkdir(path.join(ui, 'assets'), { recursive: true });
  await writeFile(path.join(ui, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(path.join(ui, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(dir, 'secret.txt'), 'outside the renderer folder');
  host = await startBrowserHost({ dataDir: path.join(dir, 'data'), rendererDir: ui, port: 0 });
});
afterAll(async () => {
  await host?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Raw request, so the test can set Host and Origin as a hostile page or a rebinding attack would. */
function request(opts: {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: host.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
          if (res.headers['content-type']?.startsWith('text/event-stream')) res.destroy();
        });
        res.on('close', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const api = (method: string, headers: Record<string, string>, body = '{}') =>
  request({
    method: 'POST',
    path: `/api/call/${method}`,
    headers: { host: `127.0.0.1:${host.port}`, 'content-type': 'application/json', ...headers },
    body,
  });

describe('browser host', () => {
  it('binds to 127.0.0.1 and prints a URL carrying the token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses API calls and the event stream without the right token', async () => {
    const none = await api('system.info', {});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error).toMatchObject({ code: 'UNAUTHORIZED', hint: expect.stringContaining('token') });
    expect((await api('system.info', { 'x-cosmicai-token': 'wrong' })).status).toBe(401);
    expect((await api('system.info', { 'x-cosmicai-token': host.token + 'x' })).status).toBe(401);
    expect((await request({ path: '/api/events', headers: { host: `127.0.0.1:${host.port}` } })).status).toBe(401);
    expect(
      (await request({ path: `/api/events?token=${host.token}`, headers: { host: `127.0.0.1:${host.port}` } })).status,
    ).toBe(200);
    const ok = await api('system.info', { 'x-cosmicai-token': host.token });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).value.mode).toBe('browser');
  });

  it('refuses foreign Host headers (DNS rebinding) and foreign origins', async () => {
    const rebinding = await request({ path: '/', headers: { host: `evil.example:${host.port}` } });
    expect(rebinding.status).toBe(421);
    const rebindingApi = await api('system.info', {
      host: `evil.example:${host.port}`,
      'x-cosmicai-token': host.token,
    });
    expect(rebindingApi.status).toBe(421);
    const crossSite = await api('system.info', { origin: 'https://evil.example', 'x-cosmicai-token': host.token });
    expect(crossSite.status).toBe(403);
    expect(
      (
        await api('system.info', {
          origin: `http://localhost:${host.port}`,
          host: `localhost:${host.port}`,
          'x-cosmicai-token': host.token,
        })
      ).status,
    ).toBe(200);
  });

  it('takes JSON only, validates input and rejects unknown methods', async () => {
    const t = { 'x-cosmicai-token': host.token };
    expect((await api('system.info', { ...t, 'content-type': 'text/plain' })).status).toBe(415);
    expect(JSON.parse((await api('system.nope', t)).body).error.code).toBe('UNKNOWN_METHOD');
    expect(JSON.parse((await api('history.get', t, '{"id": 5}')).body).error.code).toBe('INVALID_INPUT');
    expect(JSON.parse((await api('history.get', t, '{not json')).body).error.code).toBe('INVALID_INPUT');
    expect(
      JSON.parse((await api('system.saveFile', t, '{"suggestedName":"a.csv","content":"x","encoding":"utf8"}')).body)
        .error,
    ).toMatchObject({ code: 'UNSUPPORTED', hint: expect.any(String) });
  });

  it('serves the UI with a strict CSP and nothing outside its folder', async () => {
    const h = { host: `127.0.0.1:${host.port}` };
    const index = await request({ path: '/', headers: h });
    expect(index.status).toBe(200);
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect((await request({ path: '/assets/app.js', headers: h })).headers['content-type']).toMatch(/javascript/);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const r = await request({ path: p, headers: h });
      expect(r.body).not.toContain('outside the renderer folder');
    }
  });

  it('compares tokens in constant time over digests', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
  });
});
