import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.ts';

/**
 * `cosmicai study tables` on recorded results with 3 repeats of 1GB / 25 MB prints the 95% CIs (t and bootstrap),
 * median and CV, and the method in the footnote. Expected values by hand: t(0.975, 2) = 4.302653 (published); for
 * n = 3 the bootstrap percentile interval is [min, max].
 */
const FIXTURE = path.resolve('tests/fixtures/recorded-results/result-partition-25MB/1GB');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-cli-ci-'));
const source = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-cli-ci-src-'));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(source, { recursive: true, force: true });
});

const dir = path.join(source, 'result-partition-25MB', '1GB');
mkdirSync(dir, { recursive: true });
cpSync(path.join(FIXTURE, '1'), path.join(dir, '1'), { recursive: true });
cpSync(path.join(FIXTURE, '2'), path.join(dir, '2'), { recursive: true });
const one = JSON.parse(readFileSync(path.join(FIXTURE, '1', 'combined_data.json'), 'utf8')) as Array<
  Record<string, unknown>
>;
const RUN3 = [2.4, 2.5, 2.3];
mkdirSync(path.join(dir, '3'));
writeFileSync(
  path.join(dir, '3', 'combined_data.json'),
  JSON.stringify(one.map((r, i) => ({ ...r, 'execution_time (seconds/batch)': RUN3[i] }))),
);
const perRepeat = [6.4 / 3, 6.2 / 3, 7.2 / 3];
const mean = 19.8 / 9;
const sd = Math.sqrt(perRepeat.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
const half = (4.302653 * sd) / Math.sqrt(3);

describe('cosmicai study tables with 3 repeats', () => {
  it('prints the CIs in the JSON and the Markdown, with the method', async () => {
    const r = await runCli(['study', 'tables', source, '--format', 'json'], { COSMICAI_DATA_DIR: dataDir });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    const [t2] = JSON.parse(r.stdout) as Array<{ rows: Array<Record<string, number>>; note: string }>;
    const row = t2.rows[0];
    expect(row.repeats).toBe(3);
    expect(row.seconds_per_batch_ci_t_low).toBeCloseTo(mean - half, 6);
    expect(row.seconds_per_batch_ci_t_high).toBeCloseTo(mean + half, 6);
    expect(row.seconds_per_batch_ci_boot_low).toBeCloseTo(Math.min(...perRepeat), 9);
    expect(row.seconds_per_batch_ci_boot_high).toBeCloseTo(Math.max(...perRepeat), 9);
    expect(row.seconds_per_batch_cv).toBeCloseTo(sd / mean, 9);
    expect(t2.note).toContain('B = 10,000');

    const md = await runCli(['study', 'tables', source], { COSMICAI_DATA_DIR: dataDir });
    expect(md.stdout).toContain('| Average execution time 95% CI t low (s/batch) |');
    expect(md.stdout).toContain(` ${(mean - half).toFixed(3)} | ${(mean + half).toFixed(3)} |`);
  }, 120_000);
});
