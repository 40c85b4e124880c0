/**
 * `npm run -s emulate -- --stack cai|cosmicai [--handlers DIR] [--name NAME] [--python PATH] [--memory MB]`
 * Starts the emulator (index.ts) on loopback, prints one JSON line {"ready": true, "profile": {…}, "isolation": …}
 * on stdout (feed it to `cosmicai profile import -`), logs to stderr, and runs until SIGTERM/SIGINT, then cleans up.
 */
import { parseArgs } from 'node:util';
import { startEmulator, type EmulatorStack } from './index.ts';

const USAGE =
  'usage: npm run -s emulate -- --stack cai|cosmicai [--handlers DIR] [--name NAME] [--python PATH] [--memory MB]';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        stack: { type: 'string', default: 'cai' },
        handlers: { type: 'string' },
        name: { type: 'string' },
        python: { type: 'string' },
        memory: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const stack = values.stack as EmulatorStack;
  if (stack !== 'cai' && stack !== 'cosmicai') {
    process.stderr.write(`--stack must be "cai" or "cosmicai", got '${values.stack}'\n${USAGE}\n`);
    process.exit(2);
  }
  const memory = values.memory === undefined ? undefined : Number(values.memory);
  if (memory !== undefined && (!Number.isInteger(memory) || memory < 128 || memory > 10240)) {
    process.stderr.write(`--memory must be a whole number of MB from 128 to 10240, got '${values.memory}'\n`);
    process.exit(2);
  }
  const emu = await startEmulator({
    stack,
    handlersDir: values.handlers,
    name: values.name,
    python: values.python,
    memoryMb: memory,
  });
  // Handlers first: whoever reads the ready line may send SIGTERM at once.
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`emulator: ${sig}, stopping…\n`);
    emu.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`emulator: cleanup failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.stdout.write(`${JSON.stringify({ ready: true, profile: emu.profile, isolation: emu.isolation })}\n`);
  process.stderr.write(
    `emulator (${stack}) ready on loopback; ${emu.isolation ? `executor isolation: ${emu.isolation}; ` : ''}stop with SIGTERM or Ctrl-C\n`,
  );
  // `npm run` may exit on SIGTERM without passing it on: an emulator whose parent is gone stops too (no orphans).
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('parent process exited');
  }, 1000);
}

main().catch((err: unknown) => {
  process.stderr.write(`emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
