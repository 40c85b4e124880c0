#!/usr/bin/env node
// `npm run mutate [-- file.ts ...]`: Stryker over the mutation-testing core (tools/stryker/core.mjs),
// one core file per Stryker run (each with only its own test files), then one score line per file and in total.
// STRYKER_INCREMENTAL=1 reuses a file's earlier result (reports/mutation/<file>.incremental.json) for unchanged code
// and tests. Reports: reports/mutation/<file>.json, summary in reports/mutation/summary.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileOf } from './core.mjs';
import { ROOT, selectCore } from './resolve.mjs';
import { scoreOf, slugOf } from './score.mjs';

const args = process.argv.slice(2);
const strykerArgs = args.filter((a) => a.startsWith('--'));
const files = args.filter((a) => !a.startsWith('--'));
const entries = selectCore(files);
const reportDir = path.join(ROOT, 'reports', 'mutation');
mkdirSync(reportDir, { recursive: true });

const results = [];
for (const entry of entries) {
  const file = fileOf(entry);
  const slug = slugOf(file);
  const t0 = Date.now();
  console.log(`mutate: ${file} (tests: ${entry.tests.join(', ')})`);
  const run = spawnSync('npx', ['stryker', 'run', ...strykerArgs], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      STRYKER_CORE_FILES: file,
      STRYKER_REPORT_NAME: slug,
      NODE_OPTIONS: '--openssl-legacy-provider',
    },
  });
  const reportFile = path.join(reportDir, `${slug}.json`);
  if (run.status !== 0 || !existsSync(reportFile)) {
    results.push({ file, error: `stryker exited with ${run.status}`, seconds: (Date.now() - t0) / 1000 });
    continue;
  }
  results.push({ file, ...scoreOf(JSON.parse(readFileSync(reportFile, 'utf8'))), seconds: (Date.now() - t0) / 1000 });
}

let detected = 0,
  valid = 0;
for (const r of results) {
  if (r.error) {
    console.log(`mutate: ${r.file}: FAILED (${r.error})`);
    continue;
  }
  detected += r.Killed + r.Timeout;
  valid += r.Killed + r.Timeout + r.Survived + r.NoCoverage;
  console.log(
    `mutate: ${r.file}: ${r.score?.toFixed(1)}% (killed ${r.Killed}, timeout ${r.Timeout}, survived ${r.Survived}, ` +
      `no coverage ${r.NoCoverage}, compile errors ${r.CompileError}) in ${r.seconds.toFixed(0)} s`,
  );
}
const total = valid ? (100 * detected) / valid : null;
console.log(
  `mutate: core score ${total === null ? 'n/a' : `${total.toFixed(1)}%`} (${detected}/${valid} mutants detected)`,
);
writeFileSync(path.join(reportDir, 'summary.json'), `${JSON.stringify({ results, total }, null, 2)}\n`);
process.exit(results.some((r) => r.error) ? 1 : 0);
