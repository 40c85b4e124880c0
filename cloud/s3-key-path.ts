import path from 'node:path';

/**
 * The one place an S3 key (from a listing, a payload or a record) becomes a local path: the key's segments below
 * `root`. Keys that would leave the root — "..", absolute paths, drive letters, backslashes, NUL — are refused
 * rather than rewritten, so a hostile bucket can never write or read outside the folder it was given.
 */
export function localPathFor(root: string, key: string): string {
  if (key === '' || key.includes('\0') || key.includes('\\') || key.startsWith('/') || /^[A-Za-z]:/.test(key)) {
    throw new Error(`refusing S3 key '${key}': it is empty, absolute or contains a backslash or NUL`);
  }
  const parts = key.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..') || parts.length === 0)
    throw new Error(`refusing S3 key '${key}': it contains a '..' segment`);
  const file = path.join(root, ...parts);
  const rel = path.relative(root, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel))
    throw new Error(`refusing S3 key '${key}': it resolves outside ${root}`);
  return file;
}
