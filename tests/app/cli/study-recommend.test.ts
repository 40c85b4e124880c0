import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.ts';
import { SWEEP_3X3, saveSweepRuns } from '../../support/memory-sweep-runs.ts';

/** `cosmicai study recommend` on a History holding the shared 3 sizes × 3 repeats memory sweep. */

let dataDir: string;
let ids: string[];
const cli = (...args: string[]) => runCli(['study', 'recommend', ...args], { COSMICAI_DATA_DIR: dataDir });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-cli-recommend-'));
  ids = await saveSweepRuns(dataDir, SWEEP_3X3);
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('cosmicai study recommend', () => {
  it('prints the picks and the table (Markdown) from every cloud run in History', async () => {
    const r = await cli();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Recommended \(balanced, w = 0\.5\): 2048 MB — 1GB · 25 MB partitions · batch 512/);
    expect(r.stdout).toContain('Cheapest: 2048 MB, $0.000667 per execution, mean rank duration 5 s');
    expect(r.stdout).toContain('Fastest: 4096 MB');
    expect(r.stdout).toContain('Balanced (w = 0.5): 2048 MB');
    expect(r.stdout).toContain('**Lambda memory recommendation**');
    expect(r.stdout).toMatch(/\| 4096 \| 3 \| 0\.0009341 \|/); // 56 GB-s × $0.0000166667 + 4 × $0.0000002 = $0.000934135
  });

  it('--strategy speed and --weight 0 pick the fastest; --format json carries the picks and the table', async () => {
    const r = await cli('--strategy', 'speed', '--weight', '0', '--format', 'json');
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({ strategy: 'speed', weight: 0, runs: 9 });
    expect(v.groups[0].recommended.memoryMb).toBe(4096);
    expect(v.groups[0].picks.balanced.memoryMb).toBe(4096);
    expect(v.table.rows.map((x: { memory_mb: number }) => x.memory_mb)).toEqual([1024, 2048, 4096]);
    expect(v.table.columns.find((c: { key: string }) => c.key === 'cost_usd').unit).toBe('$');
  });

  it('--format csv is a clean file on stdout, the picks on stderr; --runs takes chosen runs', async () => {
    const r = await cli('--format', 'csv', '--weight', '1', '--runs', ids.slice(3).join(','));
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\r\n');
    expect(rows[0]).toMatch(/^Lambda memory \(MB\),Repeats,Cost per execution \(\$\)/);
    expect(rows.slice(1).map((x) => x.split(',')[0])).toEqual(['2048', '4096']);
    expect(rows[1].endsWith(',"cheapest, balanced"')).toBe(true);
    expect(r.stderr).toContain('Recommended (balanced, w = 1): 2048 MB');
    const tex = await cli('--format', 'tex');
    expect(tex.stdout).toContain('\\begin{tabular}');
  });

  it('refuses a weight outside [0, 1] and says why when there is nothing to recommend', async () => {
    const bad = await cli('--weight', '1.5');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("the weight must be a number from 0 (fastest) to 1 (cheapest), got '1.5'");
    const empty = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-cli-recommend-empty-'));
    try {
      const none = await runCli(['study', 'recommend'], { COSMICAI_DATA_DIR: empty });
      expect(none.status).toBe(1);
      expect(none.stderr).toContain('no finished cloud runs to recommend from');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
