import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * package.json's `engines` must agree with what the dependencies declare. The app, the CLI and every production
 * dependency run on the declared minimum; the only packages that declare a newer Node are the dev-only ones listed
 * (and explained) in docs/new-user.md. A new dependency that needs a newer Node fails here until it is decided on.
 */
const ROOT = new URL('../..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; engines?: { node?: string } | string[] }>;
};

/** Dev-only packages that declare Node >= 22 but are not needed to run the app (see docs/new-user.md). */
const DEV_NEEDS_NEWER = ['@electron/rebuild', 'node-abi', 'aws-local-stepfunctions'];
/** Production dependencies that declare a newer Node but run on the minimum through a polyfill (docs/new-user.md). */
const POLYFILLED = new Map([['aws-local-stepfunctions', 'emulator/sfn/promise-polyfill.ts']]);

type V = [number, number, number];
const parse = (s: string): V => {
  const [a = 0, b = 0, c = 0] = s
    .replace(/^v/, '')
    .split('.')
    .map((x) => (x === 'x' || x === '*' ? 0 : Number(x)));
  return [a, b, c];
};
const cmp = (a: V, b: V) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Enough of npm's range syntax for engines fields: "||", ">=", ">", "<", "^", "~", bare "20" / "20.19.0". */
function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split('||').some((alt) =>
    alt
      .trim()
      .replace(/([<>=^~]+)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean)
      .every((term) => {
        const m = /^(>=|<=|>|<|\^|~|=)?(.*)$/.exec(term)!;
        const op = m[1] ?? '';
        const parts = m[2].split('.').filter((x) => x !== 'x' && x !== '*');
        const r = parse(m[2]);
        if (op === '>=') return cmp(v, r) >= 0;
        if (op === '>') return cmp(v, r) > 0;
        if (op === '<') return cmp(v, r) < 0;
        if (op === '<=') return cmp(v, r) <= 0;
        if (op === '^') return v[0] === r[0] && cmp(v, r) >= 0;
        if (op === '~') return v[0] === r[0] && v[1] === r[1] && cmp(v, r) >= 0;
        // bare or "=": "20" means 20.x.x, "20.19" means 20.19.x
        return parts.every((p, i) => v[i] === Number(p));
      }),
  );
}

const minimum = /^>=\s*(\d+\.\d+(\.\d+)?)$/.exec(pkg.engines.node)?.[1];

describe('engines', () => {
  it('declares a ">=" minimum Node version', () => {
    expect(minimum, `engines.node is "${pkg.engines.node}"`).toBeTruthy();
  });

  it('the range checker reads npm ranges', () => {
    expect(satisfies('20.19.0', '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies('20.18.0', '^20.19.0 || >=22.12.0')).toBe(false);
    expect(satisfies('20.19.0', '>=22.12.0')).toBe(false);
    expect(satisfies('20.19.0', '18 || 20 || >=22')).toBe(true);
    expect(satisfies('20.19.0', '>= 20.16.0')).toBe(true);
    expect(satisfies('20.19.0', '^14.21.3 || >=16')).toBe(true);
  });

  it('every dependency runs on the minimum, except the documented dev-only ones', () => {
    const newer: string[] = [];
    for (const [key, p] of Object.entries(lock.packages)) {
      const range = p.engines && !Array.isArray(p.engines) ? p.engines.node : undefined;
      if (!key || !range || satisfies(minimum!, range)) continue;
      const name = key.replace(/^.*node_modules\//, '');
      const polyfill = POLYFILLED.get(name);
      if (polyfill) expect(readFileSync(new URL(`../../${polyfill}`, import.meta.url), 'utf8')).toContain(name);
      else expect(p.dev, `${name}@${p.version} needs Node ${range} and is a production dependency`).toBe(true);
      newer.push(name);
    }
    expect([...new Set(newer)].sort()).toEqual([...DEV_NEEDS_NEWER].sort());
  });

  it('docs/new-user.md states the same minimum and names the dev-only exceptions', () => {
    const doc = readFileSync(fileURLToPath(new URL('docs/new-user.md', ROOT)), 'utf8');
    expect(doc).toContain(`Node ${minimum}`);
    for (const name of DEV_NEEDS_NEWER) expect(doc).toContain(name);
  });
});
