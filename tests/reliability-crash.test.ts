/**
 * kill -9 of the browser host (a separate process) in the middle of a local run: after "restart" (a new store on
 * the same data folder) History is intact, the run is listed as interrupted, and the partitions that finished
 * before the kill are there with their measurements.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../app/node/history-store.ts';
import { generateSampleData } from '../engine/data/sample-data.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
let work: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-crash-'));
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (work) await rm(work, { recursive: true, force: true });
});

function post(port: number, token: string, method: string, body: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: `/api/call/${method}`, headers: { 'content-type': 'application/json', 'x-cosmicai-token': token, host: `127.0.0.1:${port}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(JSON.parse(text)));
      },
    );
    req.on('error', reject).end(JSON.stringify(body));
  });
}

async function startHost(dataDir: string): Promise<{ port: number; token: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin/run-ts.mjs'), path.join(ROOT, 'tests/support/browser-host-child.ts'), dataDir, path.join(work, 'no-ui')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const line = await new Promise<string>((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    proc.on('exit', (code) => reject(new Error(`host exited with ${code}: ${err}`)));
  });
  return { ...JSON.parse(line), proc };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crash safety', () => {
  it('kill -9 of the browser host during a local run: History intact, the run interrupted with its finished partitions', async () => {
    const dataDir = path.join(work, 'data');
    const parts = path.join(work, 'parts');
    // 12 partitions of 48 galaxies through the reference model: long enough to be killed in the middle.
    await generateSampleData({ samples: 12 * 48, outDir: parts, partitionMb: (48 * 20504) / 2 ** 20 });
    const host = await startHost(dataDir);
    child = host.proc;
    const started = await post(host.port, host.token, 'runs.startLocal', { data: [parts], batchSize: 16, threads: 1, name: 'killed local run' });
    expect(started.ok, JSON.stringify(started)).toBe(true);
    const runId: string = started.value.runId;
    const pdir = path.join(dataDir, 'runs', runId, 'partitions');
    let written: string[] = [];
    for (let i = 0; i < 2400 && written.length < 2; i++) {
      await sleep(50);
      written = await readdir(pdir).catch(() => []);
    }
    expect(written.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(await readFile(path.join(dataDir, 'runs', runId, 'run.json'), 'utf8')).status).toBe('running');
    const exited = new Promise((r) => host.proc.on('exit', r));
    host.proc.kill('SIGKILL');
    await exited;

    const history = new HistoryStore(dataDir);
    const items = await history.list();
    expect(items.every((i) => !i.damaged)).toBe(true);
    expect(items.find((i) => !i.damaged && i.id === runId)).toMatchObject({ status: 'interrupted', name: 'killed local run' });
    const { entry, partitions } = await history.get(runId);
    expect(entry.status).toBe('interrupted');
    expect(partitions.length).toBeGreaterThanOrEqual(2);
    expect(partitions.length).toBeLessThan(12);
    for (const p of partitions) expect(p).toMatchObject({ status: 'completed', samples: 48, batch_size: 16 });
  }, 300_000);
});
