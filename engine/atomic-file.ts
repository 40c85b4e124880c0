import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of a new file (e.g. 0o600 for files that must stay private); default: the umask's. */
  mode?: number;
  /** Create the parent folder first. Off by default, so a write into a folder deleted meanwhile fails instead of reviving it. */
  mkdir?: boolean;
}

/**
 * Writes a file so readers see either the old content or the new, never a torn one: write a temp file in the same
 * folder, flush it to disk, then rename it over the target. Concurrent writers each use their own temp file.
 */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  if (opts.mkdir) await mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    const fh = await open(tmp, 'w', opts.mode);
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
