import { spawn } from 'node:child_process';

/** Opens the system browser; never throws (a server without a display just has no browser to open). */
export function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () =>
      process.stderr.write(`Could not open a browser (${cmd} is missing); open the URL above yourself.\n`),
    );
    child.unref();
  } catch {
    process.stderr.write('Could not open a browser; open the URL above yourself.\n');
  }
}
