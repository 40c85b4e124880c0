/**
 * Issue #18 case 2, through the browser host as a separate process: a FIFO given as data (1.pt) or as a model
 * ends in a typed error, and the host's API keeps answering meanwhile (it used to block its event loop in an
 * fs.openSync on the FIFO, so every call timed out).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
let work = '';
let host: ChildProcess | undefined;
afterAll(async () => {
  if (host && host.exitCode === null) host.kill('SIGKILL');
  if (work) await rm(work, { recursive: true, force: true });
});

function post(port: number, token: string, method: string, body: unknown, timeoutMs = 5000): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/call/${method}`,
        timeout: timeoutMs,
        headers: { 'content-type': 'application/json', 'x-cosmicai-token': token, host: `127.0.0.1:${port}` },
      },
      (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (d: string) => (text += d))
          .on('end', () => resolve(JSON.parse(text)));
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} did not answer within ${timeoutMs} ms: the host is stalled`)),
    );
    req.on('error', reject).end(JSON.stringify(body));
  });
}

async function startHost(dataDir: string): Promise<{ port: number; token: string }> {
  host = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin/run-ts.mjs'),
      path.join(ROOT, 'tests/support/browser-host-child.ts'),
      dataDir,
      path.join(work, 'no-ui'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    host!.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
    });
    host!.on('exit', (code) => reject(new Error(`host exited with ${code}`)));
  });
}

describe('a FIFO in the browser host', () => {
  it('data and model FIFOs end in typed errors; the API stays responsive', async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cai-host-fifo-'));
    const data = path.join(work, 'fifo-data');
    await mkdir(data);
    const fifo = path.join(data, '1.pt');
    const modelFifo = path.join(work, 'model.onnx');
    expect(spawnSync('mkfifo', [fifo, modelFifo]).status).toBe(0);
    const { port, token } = await startHost(path.join(work, 'data-dir'));

    const idle = async () => {
      let active: any;
      for (let i = 0; i < 100; i++) {
        active = await post(port, token, 'runs.active', {});
        if (active.ok && active.value.runs.length === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`a run is left hanging on a FIFO: ${JSON.stringify(active)}`);
    };
    // Each is refused up front or starts and fails at once; meanwhile the host answers other calls immediately.
    for (const params of [{ data: [data] }, { model: modelFifo }]) {
      const started = await post(port, token, 'runs.startLocal', { ...params, batchSize: 8, threads: 1 }, 30_000);
      if (!started.ok) expect(started.error.code, JSON.stringify(started)).not.toBe('INTERNAL');
      for (let i = 0; i < 5; i++) expect((await post(port, token, 'system.info', {})).ok).toBe(true);
      await idle();
    }
    const listing = await post(port, token, 'system.listDir', { path: data });
    expect(listing.ok, JSON.stringify(listing)).toBe(true);
    // Nothing ran, so neither left a History entry.
    const history = await post(port, token, 'history.list', {});
    expect(history.value.items).toEqual([]);
  }, 120_000);
});
