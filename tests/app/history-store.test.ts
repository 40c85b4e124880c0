import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../engine/atomic-file.ts';
import { HistoryStore } from '../../app/node/history-store.ts';
import { localRecord } from '../support/run-records.ts';

let dir: string;
let store: HistoryStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cai-history-'));
  store = new HistoryStore(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const allFiles = async (d: string): Promise<string[]> => {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(path.relative(dir, p));
  }
  return out;
};

describe('HistoryStore', () => {
  it('writes a run as "running", then finalises it with its record, partitions and predictions', async () => {
    const e = await store.create({ kind: 'local', name: 'first', params: { batchSize: 8 } });
    expect(e.status).toBe('running');
    expect((await store.list()).map((i) => !i.damaged && i.status)).toEqual(['running']);
    const onDisk = JSON.parse(await readFile(path.join(dir, 'runs', e.id, 'run.json'), 'utf8'));
    expect(onDisk).toMatchObject({ id: e.id, status: 'running', name: 'first' });

    await store.finish(e.id, {
      status: 'completed',
      record: localRecord({ sample_persec: 12.5, samples: 3 }),
      partitions: [
        { partition: 1, samples: 2 },
        { partition: 2, samples: 1 },
      ],
      writePredictions: (f) => writeFile(f, 'index,partition,z_true,z_pred\n0,1,0.1,0.2\n1,1,,0.3\n2,2,0.5,NaN\n'),
      headline: { samples: 3, samplesPerSec: 12.5 },
    });
    const got = await store.get(e.id);
    expect(got.entry).toMatchObject({
      status: 'completed',
      record: { sample_persec: 12.5 },
      headline: { samples: 3, samplesPerSec: 12.5 },
    });
    expect(got.entry.finishedAt).not.toBeNull();
    expect(got.partitions.map((p) => p.partition)).toEqual([1, 2]);
    const preds = await store.predictions(e.id);
    expect(preds.total).toBe(3);
    // The NaN prediction cannot be plotted; the unlabelled one keeps z_true null.
    expect(preds.rows).toEqual([
      { index: 0, partition: 1, z_true: 0.1, z_pred: 0.2 },
      { index: 1, partition: 1, z_true: null, z_pred: 0.3 },
    ]);
    const files = (await allFiles(dir)).sort();
    expect(files).toEqual([
      `runs/${e.id}/partitions/partition-001.json`,
      `runs/${e.id}/partitions/partition-002.json`,
      `runs/${e.id}/predictions.csv`,
      `runs/${e.id}/run.json`,
    ]);
  });

  it('thins predictions evenly when asked for fewer rows', async () => {
    const e = await store.create({ kind: 'local', name: 'many', params: {} });
    const lines = Array.from({ length: 1000 }, (_, i) => `${i},1,${i / 1000},${i / 1000}`);
    await store.finish(e.id, {
      status: 'completed',
      writePredictions: (f) => writeFile(f, 'index,partition,z_true,z_pred\n' + lines.join('\n') + '\n'),
    });
    const p = await store.predictions(e.id, 100);
    expect(p.total).toBe(1000);
    expect(p.rows).toHaveLength(100);
    expect(p.rows[0].index).toBe(0);
    expect(p.rows[1].index).toBe(10);
    expect(p.rows[99].index).toBe(990);
  });

  it('lists damaged entries as damaged and keeps listing the others', async () => {
    const good = await store.create({ kind: 'local', name: 'good', params: {} });
    await store.finish(good.id, { status: 'completed' });
    const runs = path.join(dir, 'runs');
    await mkdir(path.join(runs, '20200101-000000-aaaaaa'));
    await writeFile(path.join(runs, '20200101-000000-aaaaaa', 'run.json'), '{"schema": "cosmicai.run/1", "id": ');
    await mkdir(path.join(runs, '20200101-000000-bbbbbb'));
    await writeFile(
      path.join(runs, '20200101-000000-bbbbbb', 'run.json'),
      JSON.stringify({ schema: 'cosmicai.run/1', id: 'x', status: 'weird' }),
    );
    await mkdir(path.join(runs, '20200101-000000-cccccc'));
    await writeFile(path.join(runs, 'stray-file.txt'), 'not a run');

    const items = await store.list();
    expect(items).toHaveLength(4);
    const byId = Object.fromEntries(items.map((i) => [i.id, i]));
    expect(byId[good.id]).toMatchObject({ damaged: false, name: 'good', status: 'completed' });
    expect(byId['20200101-000000-aaaaaa']).toMatchObject({
      damaged: true,
      problem: expect.stringMatching(/not valid JSON/),
    });
    expect(byId['20200101-000000-bbbbbb']).toMatchObject({
      damaged: true,
      problem: expect.stringMatching(/not a run entry.*status/),
    });
    expect(byId['20200101-000000-cccccc']).toMatchObject({ damaged: true, problem: expect.stringMatching(/missing/) });
    await expect(store.get('20200101-000000-aaaaaa')).rejects.toMatchObject({
      code: 'DAMAGED',
      hint: expect.any(String),
    });
    // A damaged entry can still be deleted.
    await store.delete('20200101-000000-aaaaaa');
    expect((await store.list()).map((i) => i.id)).not.toContain('20200101-000000-aaaaaa');
  });

  it('renames and deletes; unknown or unsafe ids are NOT_FOUND', async () => {
    const e = await store.create({ kind: 'local', name: 'before', params: {} });
    await store.finish(e.id, { status: 'cancelled' });
    await store.rename(e.id, '  after  ');
    expect((await store.get(e.id)).entry.name).toBe('after');
    expect((await new HistoryStore(dir).list())[0]).toMatchObject({ name: 'after', status: 'cancelled' });
    await store.delete(e.id);
    expect(await store.list()).toEqual([]);
    await expect(store.delete(e.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.rename('..', 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.get('../../etc')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.rename('nope', '')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('shows a run whose process died as interrupted', async () => {
    const e = await store.create({ kind: 'local', name: 'crashed', params: {} });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await writeFile(path.join(dir, 'runs', e.id, 'owner.json'), JSON.stringify({ pid: dead }));
    // A fresh store (another process after a restart) sees the dead owner.
    expect((await new HistoryStore(dir).list())[0]).toMatchObject({ id: e.id, status: 'interrupted' });
    // This process still runs it.
    await writeFile(path.join(dir, 'runs', e.id, 'owner.json'), JSON.stringify({ pid: process.pid }));
    expect((await store.list())[0]).toMatchObject({ status: 'running' });
    expect((await new HistoryStore(dir).list())[0]).toMatchObject({ status: 'interrupted' });
  });

  it('serialises a rename racing the end of a run, losing neither', async () => {
    const e = await store.create({ kind: 'local', name: 'race', params: {} });
    await Promise.all([
      store.rename(e.id, 'renamed'),
      store.finish(e.id, { status: 'completed', record: localRecord({ samples: 1 }) }),
    ]);
    const got = (await store.get(e.id)).entry;
    expect(got).toMatchObject({ name: 'renamed', status: 'completed', record: { samples: 1 } });
  });

  it('reads a run whose record is of no known kind as damaged, saying why', async () => {
    const e = await store.create({ kind: 'local', name: 'odd', params: {} });
    await store.finish(e.id, { status: 'completed', record: localRecord() });
    const file = path.join(dir, 'runs', e.id, 'run.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...json, record: { ...json.record, kind: 'mystery' } }));
    const [item] = await store.list();
    expect(item).toMatchObject({ damaged: true, id: e.id });
    expect(!item.damaged || item.problem).toMatch(/record/);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temp files, even with concurrent writers', async () => {
    const f = path.join(dir, 'x.json');
    await writeFileAtomic(f, JSON.stringify({ v: 0 }));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => writeFileAtomic(f, JSON.stringify({ v: i, pad: 'x'.repeat(i * 1000) }))),
    );
    const v = JSON.parse(await readFile(f, 'utf8'));
    expect(v.pad).toHaveLength(v.v * 1000);
    expect(await readdir(dir)).toEqual(['x.json']);
  });

  it('leaves the old content when the write fails', async () => {
    const f = path.join(dir, 'y.txt');
    await writeFileAtomic(f, 'old');
    await expect(writeFileAtomic(path.join(dir, 'missing-folder', 'y.txt'), 'new')).rejects.toThrow();
    expect(await readFile(f, 'utf8')).toBe('old');
  });
});
