// Replays this branch's file moves on another branch (run from the repo root, once per mapping, in order):
//   node tools/relayout/relayout.mjs tools/relayout/1-layers.txt   (then 2-records.txt, 3-tests.txt)
// Every relative import (from/import()/export from/vi.mock/new URL(..., import.meta.url)) in every tracked
// .ts/.tsx/.mjs/.cjs/.js file is re-pointed at the moved files, then the files are moved with git mv.
// Paths written without a leading ./ or ../ (e.g. new URL('..', import.meta.url)) are not rewritten.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execSync } from 'node:child_process';
import path from 'node:path';
const map = new Map();
for (const line of readFileSync(process.argv[2], 'utf8').split('\n')) {
  const t = line.trim();
  if (!t || t.startsWith('#')) continue;
  const [a, b] = t.split(/\s+/);
  map.set(path.normalize(a), path.normalize(b));
}
const files = execSync('git ls-files', { encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|tsx|mjs|cjs|js)$/.test(f) && !f.startsWith('tests/fixtures/') && !f.startsWith('node_modules'));
const re = /((?:from|import|require|vi\.mock|import\.meta\.resolve)\s*\(?\s*|new URL\(\s*)(['"])(\.{1,2}\/[^'"]*)\2/g;
let changed = 0;
for (const f of files) {
  if (!existsSync(f)) continue;
  const src = readFileSync(f, 'utf8');
  const newF = map.get(f) ?? f;
  const out = src.replace(re, (m, pre, q, spec) => {
    const target = path.normalize(path.join(path.dirname(f), spec));
    const newT = map.get(target) ?? target;
    if (newT === target && newF === f) return m;
    let rel = path.relative(path.dirname(newF), newT);
    if (!rel.startsWith('.')) rel = './' + rel;
    if (spec.endsWith('/') && !rel.endsWith('/')) rel += '/';
    return pre + q + rel + q;
  });
  if (out !== src) {
    writeFileSync(f, out);
    changed++;
  }
}
for (const [a, b] of map) {
  execSync(`mkdir -p ${path.dirname(b)} && git mv ${a} ${b}`);
}
console.log('rewrote', changed, 'files; moved', map.size);
