#!/usr/bin/env node
// Prints the latest recorded score of every core file (reports/mutation/<file>.json) as a Markdown table, and with
// --survivors each surviving mutant (file:line, mutator, replacement), for docs/mutation-testing.md.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CORE, fileOf } from './core.mjs';
import { ROOT } from './resolve.mjs';
import { scoreOf, slugOf } from './score.mjs';

const rows = [
  '| File | Score | Killed | Timeout | Survived | No coverage | Compile errors | Report date |',
  '|---|---|---|---|---|---|---|---|',
];
const survivors = [];
let detected = 0,
  valid = 0;
for (const entry of CORE) {
  const file = fileOf(entry);
  const report = path.join(ROOT, 'reports', 'mutation', `${slugOf(file)}.json`);
  if (!existsSync(report)) {
    rows.push(`| ${file} | not run | | | | | | |`);
    continue;
  }
  const json = JSON.parse(readFileSync(report, 'utf8'));
  const s = scoreOf(json);
  detected += s.Killed + s.Timeout;
  valid += s.Killed + s.Timeout + s.Survived + s.NoCoverage;
  const when = statSync(report).mtime.toISOString().slice(0, 16).replace('T', ' ');
  rows.push(
    `| ${file} | ${s.score === null ? 'n/a' : `${s.score.toFixed(1)}%`} | ${s.Killed} | ${s.Timeout} | ${s.Survived} | ${s.NoCoverage} | ${s.CompileError} | ${when} |`,
  );
  for (const [name, f] of Object.entries(json.files)) {
    for (const m of f.mutants) {
      if (m.status === 'Survived' || m.status === 'NoCoverage') {
        survivors.push(
          `- ${name}:${m.location.start.line} ${m.status} ${m.mutatorName}: \`${String(m.replacement ?? '')
            .replace(/\s+/g, ' ')
            .slice(0, 90)}\``,
        );
      }
    }
  }
}
rows.push(`| **core** | **${valid ? ((100 * detected) / valid).toFixed(1) : 'n/a'}%** | | | | | | |`);
console.log(rows.join('\n'));
if (process.argv.includes('--survivors')) console.log(`\n${survivors.join('\n')}`);
