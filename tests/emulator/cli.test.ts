/** `npm run emulate`'s entry point: one ready line with a loopback profile, a clear error for a bad --handlers, SIGTERM ends it. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const start = (args: string[]) =>
  spawn(
    process.execPath,
    ['--openssl-legacy-provider', path.join(ROOT, 'bin/run-ts.mjs'), 'emulator/cli.ts', ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );

describe('emulator CLI', () => {
  it('--stack cosmicai prints one ready line with a loopback profile and stops on SIGTERM', async () => {
    const child = start(['--stack', 'cosmicai', '--name', 'emu-test']);
    const first = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout }).once('line', resolve),
    );
    const ready = JSON.parse(first) as {
      ready: boolean;
      profile: Record<string, unknown> & { endpoints: Record<string, string> };
    };
    expect(ready.ready).toBe(true);
    expect(ready.profile).toMatchObject({ name: 'emu-test', target: 'cosmicai', credentials: { source: 'emulator' } });
    for (const url of Object.values(ready.profile.endpoints)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);

  it('--stack cai with a folder lacking the handlers says what --handlers must hold', async () => {
    const child = start(['--stack', 'cai', '--handlers', ROOT]);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /initializer\.py is missing: --handlers must name the folder with the study's initializer\.py/,
    );
  }, 120_000);
});
