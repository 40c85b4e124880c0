import fs from 'node:fs';

/**
 * Opening a FIFO for reading blocks until a writer appears, and reading a device never ends; either would hang the
 * CLI or stall the browser host. Every reader of user-named files (datasets, models, imports, code folders) opens
 * through here: O_NONBLOCK makes the open itself return at once whatever the path is, and fstat on the opened
 * descriptor (no race with a swapped path) refuses anything that is not a regular file before a byte is read.
 * O_NONBLOCK has no effect on reads of regular files.
 */

export class NotRegularFileError extends Error {
  readonly code = 'not-regular-file';
  readonly file: string;
  /** What the path is instead: 'folder', 'FIFO', 'socket', 'character device', 'block device', 'special file'. */
  readonly kind: string;

  constructor(file: string, kind: string) {
    super(`${file}: this is a ${kind}, not a regular file; refusing to read it (point at the file itself)`);
    this.name = 'NotRegularFileError';
    this.file = file;
    this.kind = kind;
  }
}

export function fileKind(st: fs.Stats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'folder';
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}

const FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** Opens a regular file for reading without ever blocking on a FIFO or device; returns the fd and its size. */
export function openRegularFileSync(file: string): { fd: number; size: number } {
  const fd = fs.openSync(file, FLAGS);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError(file, fileKind(st));
    return { fd, size: st.size };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** Async twin of openRegularFileSync. */
export async function openRegularFile(file: string): Promise<{ handle: fs.promises.FileHandle; size: number }> {
  const handle = await fs.promises.open(file, FLAGS);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new NotRegularFileError(file, fileKind(st));
    return { handle, size: st.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** fs.promises.readFile for user-named files: refuses FIFOs, devices and folders instead of hanging on them. */
export async function readRegularFile(file: string): Promise<Buffer>;
export async function readRegularFile(file: string, encoding: 'utf8'): Promise<string>;
export async function readRegularFile(file: string, encoding?: 'utf8'): Promise<Buffer | string> {
  const { handle } = await openRegularFile(file);
  try {
    return encoding ? await handle.readFile({ encoding }) : await handle.readFile();
  } finally {
    await handle.close();
  }
}
