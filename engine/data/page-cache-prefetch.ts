import fs from 'node:fs';

/**
 * Reads a file once, in the background, only so that the OS has it in its page cache when it is opened for real:
 * the worker warms the next partition while the current one is inferring, so its CRC pass and batch reads meet
 * memory instead of the disk. Nothing is kept (one reused chunk; the page cache is not the process's RSS), every
 * error is ignored (the real open reports it), and `cancel` stops it between chunks.
 */
export interface Prefetch {
  readonly path: string;
  cancel(): void;
  /** Settles when the read ends, is cancelled or fails; never rejects. */
  readonly done: Promise<void>;
}

const CHUNK = 4 << 20;

export function prefetchIntoPageCache(path: string): Prefetch {
  let cancelled = false;
  const done = (async () => {
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(path, 'r');
      const chunk = Buffer.allocUnsafeSlow(CHUNK);
      for (let at = 0; !cancelled; at += CHUNK) {
        const { bytesRead } = await handle.read(chunk, 0, CHUNK, at);
        if (bytesRead < CHUNK) break;
      }
    } catch {
      // The real open of this file reports what is wrong with it.
    } finally {
      await handle?.close().catch(() => undefined);
    }
  })();
  return { path, cancel: () => void (cancelled = true), done };
}
