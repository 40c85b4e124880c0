#!/usr/bin/env node
// CI step: mutation-test only the core files (tools/stryker/core.mjs) that this branch changed since its merge base
// with main — a core file whose source or whose listed tests changed — reusing earlier results incrementally, within
// a time budget. With no such change it does nothing but print one line. It reports the score; it never fails the
// build (the score is for the reviewer; `npm run mutate` is the full run, see docs/mutation-testing.md).
//   MUTATE_BASE      the ref to compare with (default: main, then origin/main)
//   MUTATE_BUDGET_S  the time budget in seconds (default 420); the run is stopped when it is spent
import { spawn, spawnSync } from 'node:child_process';
import { CORE, fileOf } from './core.mjs';
import { ROOT } from './resolve.mjs';

const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
const say = (msg) => console.log(`mutate-changed: ${msg}`);

function mergeBase() {
  const candidates = process.env.MUTATE_BASE ? [process.env.MUTATE_BASE] : ['main', 'origin/main'];
  for (const ref of candidates) {
    const r = git('merge-base', 'HEAD', ref);
    if (r.status === 0) return r.stdout.trim();
  }
  return null;
}

const base = mergeBase();
if (!base) {
  say(`no merge base with ${process.env.MUTATE_BASE ?? 'main'}; skipped`);
  process.exit(0);
}
const diff = git('diff', '--name-only', base);
if (diff.status !== 0) {
  say(`git diff failed (${diff.stderr.trim()}); skipped`);
  process.exit(0);
}
const changed = new Set(diff.stdout.split('\n').filter(Boolean));
const files = CORE.filter((e) => changed.has(fileOf(e)) || e.tests.some((t) => changed.has(t))).map(fileOf);
if (files.length === 0) {
  say(`no mutation-testing core file or its tests changed since ${base.slice(0, 12)}; nothing to mutate`);
  process.exit(0);
}

const budget = Number(process.env.MUTATE_BUDGET_S ?? 420);
say(`${files.join(', ')} changed since ${base.slice(0, 12)}; running Stryker incrementally (budget ${budget} s)`);
const child = spawn(process.execPath, ['tools/stryker/mutate.mjs', ...files], {
  cwd: ROOT,
  stdio: 'inherit',
  detached: true,
  env: { ...process.env, STRYKER_INCREMENTAL: '1' },
});
const timer = setTimeout(() => {
  say(`time budget of ${budget} s spent; stopping Stryker (run \`npm run mutate -- ${files.join(' ')}\` locally)`);
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}, budget * 1000);
child.on('exit', (code, signal) => {
  clearTimeout(timer);
  say(signal ? `stopped (${signal})` : `done (exit ${code})`);
  process.exit(0);
});
