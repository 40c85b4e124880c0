import { Command, InvalidArgumentError } from 'commander';
import { appDataDir } from '../node/services/system.ts';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks a free one)');
  return n;
}

export function register(program: Command): void {
  program
    .command('ui')
    .description('serve the app to a browser on 127.0.0.1 (for workstations without a display: use an SSH tunnel)')
    .option('--port <n>', 'port to listen on (0 = any free port)', parsePort, 0)
    .option('--no-open', 'do not open the system browser')
    .action(async (o: { port: number; open: boolean }) => {
      const { serveUi } = await import('../node/serve-ui.ts');
      await serveUi({ port: o.port, open: o.open, dataDir: appDataDir() });
    });
}
