import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { findProjectRoot } from '../project-root.ts';
import { ApiError, type DirEntry, type SystemInfo } from '../../common/contract/index.ts';

export { appDataDir } from '../../../engine/data-dir.ts';

const MAX_ENTRIES = 5000;

let cachedVersion: string | undefined;
export function appVersion(): string {
  if (cachedVersion) return cachedVersion;
  try {
    const pkg = JSON.parse(readFileSync(path.join(findProjectRoot(), 'package.json'), 'utf8'));
    cachedVersion = String(pkg.version);
  } catch {
    cachedVersion = process.env.npm_package_version ?? '0.0.0';
  }
  return cachedVersion;
}

export function systemInfo(mode: SystemInfo['mode'], dataDir: string, nativeDialogs: boolean): SystemInfo {
  const cpus = os.cpus();
  return {
    app: 'CosmicAI Bench',
    version: appVersion(),
    mode,
    dataDir,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    node: process.versions.node,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memoryMB: Math.round(os.totalmem() / (1 << 20)),
    homeDir: os.homedir(),
    nativeDialogs,
  };
}

/** One folder's listing for the in-app file browser: folders first, hidden entries left out. */
export async function listDir(
  dir: string | undefined,
): Promise<{ path: string; parent: string | null; entries: DirEntry[] }> {
  const target = path.resolve(dir && dir.trim() ? expandHome(dir.trim()) : os.homedir());
  let names;
  try {
    names = await readdir(target, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'ENOTDIR'
          ? 'is not a folder'
          : code === 'EACCES' || code === 'EPERM'
            ? 'cannot be read (permission denied)'
            : `cannot be read (${code ?? (err as Error).message})`;
    throw new ApiError({
      code: 'io',
      message: `${target} ${why}.`,
      file: target,
      hint: 'Type another folder or go up one level.',
    });
  }
  const entries: DirEntry[] = [];
  for (const d of names) {
    if (d.name.startsWith('.')) continue;
    const full = path.join(target, d.name);
    let isDir = d.isDirectory();
    let size: number | null = null;
    if (d.isSymbolicLink() || d.isFile()) {
      const s = await stat(full).catch(() => null);
      if (!s) continue;
      isDir = s.isDirectory();
      size = s.isFile() ? s.size : null;
    }
    if (!isDir && size === null) continue;
    entries.push({ name: d.name, path: full, kind: isDir ? 'dir' : 'file', size: isDir ? null : size });
    if (entries.length >= MAX_ENTRIES) break;
  }
  entries.sort((a, b) =>
    a.kind !== b.kind ? (a.kind === 'dir' ? -1 : 1) : a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
  const parent = path.dirname(target);
  return { path: target, parent: parent === target ? null : parent, entries };
}

export function expandHome(p: string): string {
  return p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}
