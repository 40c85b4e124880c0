import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HistoryStore } from '../../../app/node/history-store.ts';
import { resolveRunId } from '../../../app/node/run-ref.ts';
import { FIXTURES, referenceModel } from '../../support/engine-run-helpers.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'cosmicai.mjs');
const tiny = path.join(FIXTURES, 'tiny-8.pt');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'cosmicai-cli-history-'));

function cli(args: string[], dataDir: string) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, COSMICAI_DATA_DIR: dataDir },
    timeout: 240_000,
  });
}

describe('cosmicai --version', () => {
  it('prints the version in package.json', () => {
    const r = cli(['--version'], tmp());
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`cosmicai ${pkg.version} (CosmicAI Bench)`);
  });
});

describe('cosmicai history', () => {
  it('lists and shows a `cosmicai local` run, and its id works in `study compare`', async () => {
    const model = await referenceModel();
    const dir = tmp();
    const saved = (r: ReturnType<typeof cli>) => {
      expect(r.status, r.stderr).toBe(0);
      const m = /saved in History as (\S+)/.exec(r.stderr);
      expect(m).not.toBeNull();
      return m![1];
    };
    const a = saved(cli(['local', '--model', model, '--data', tiny, '--batch-size', '4', '--threads', '1'], dir));
    const b = saved(cli(['local', '--model', model, '--data', tiny, '--batch-size', '8', '--threads', '1'], dir));
    const none = cli(['local', '--model', model, '--data', tiny, '--threads', '1', '--no-save'], dir);
    expect(none.status).toBe(0);
    expect(none.stderr).not.toMatch(/saved in History/);

    const list = cli(['history', 'list'], dir);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^${a}\\s+completed\\s+local\\s+.*\\s8\\s+[\\d.]+\\s+4\\s+\\S+ · tiny-8\\.pt · batch 4$`, 'm'),
    );
    expect(list.stdout).toMatch(new RegExp(`^${b}\\s+completed\\s+local\\s`, 'm'));
    expect(list.stdout).toContain('2 run(s)');
    const items = JSON.parse(cli(['history', 'list', '--json'], dir).stdout) as Array<{ id: string; status: string }>;
    expect(items.map((i) => i.id)).toEqual([b, a]);

    const show = cli(['history', 'show', a], dir);
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/^kind\s+local \(from CLI\)$/m);
    expect(show.stdout).toMatch(/^batch size\s+4$/m);
    const full = JSON.parse(cli(['history', 'show', a, '--json'], dir).stdout) as {
      entry: { id: string; record: { samples: number; batch_size: number; partitions: unknown[] } };
      partitions: unknown[];
    };
    expect(full.entry.id).toBe(a);
    expect(full.entry.record).toMatchObject({ samples: 8, batch_size: 4 });
    expect(full.entry.record.partitions).toHaveLength(1);
    expect(full.partitions).toHaveLength(1);
    // "latest" names the newest run; a full id the other.
    const latest = JSON.parse(cli(['history', 'show', 'latest', '--json'], dir).stdout) as { entry: { id: string } };
    expect(latest.entry.id).toBe(b);

    const cmp = cli(['study', 'compare', a, 'latest', '--format', 'md'], dir);
    // Two batch sizes: the comparison says so instead of calling one faster (like with like, docs/metrics-and-comparison.md).
    expect(cmp.stderr).toMatch(/not like with like: batch sizes differ/);
    expect(cmp.status).toBe(0);
    expect(cmp.stdout).toMatch(/batch 4/);

    const missing = cli(['history', 'show', 'nope'], dir);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error: No run "nope" in .*runs\.$/m);
    expect(missing.stderr).toMatch(/^hint: List the runs with `cosmicai history list`\.$/m);
  }, 300_000);

  it('resolves ids by full id, unique prefix, "latest" and unique name; ambiguity is a clear error', async () => {
    const store = new HistoryStore(tmp());
    const x = await store.create({ kind: 'local', name: 'first', params: {} });
    const y = await store.create({ kind: 'local', name: 'second', params: {} });
    expect(await resolveRunId(store, x.id)).toBe(x.id);
    expect(await resolveRunId(store, 'second')).toBe(y.id);
    expect(await resolveRunId(store, 'latest')).toBe([x.id, y.id].sort()[1]);
    const common = x.id.slice(0, 8); // the same UTC date
    await expect(resolveRunId(store, common)).rejects.toThrow(/matches 2 runs/);
    expect(await resolveRunId(store, y.id.slice(0, -1))).toBe(y.id);
  });
});
