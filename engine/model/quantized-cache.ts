import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import { readRegularFile } from '../regular-file.ts';
import { QUANTIZER_VERSION, quantizeModel, QuantizeError, type QuantizeOptions } from './quantize.ts';

export { PRECISIONS, type Precision } from '../../base/options.ts';

const pending = new Map<string, Promise<string>>();

/**
 * The int8 copy's file name carries a key of the fp32 file's size, mtime and the quantizer version (and options),
 * so a changed source or a newer quantizer makes a new copy instead of reusing a stale one.
 */
function cacheKey(size: number, mtimeMs: number, options: QuantizeOptions): string {
  const text = `${size}:${Math.round(mtimeMs)}:${QUANTIZER_VERSION}:${options.reduceRange ? 'r' : ''}:${options.minElements ?? 0}`;
  // The attention-core and conv options join the key only when set, so the default graph keeps its cached copies' names.
  const core =
    (options.attentionCore && options.attentionCore !== 'fused' ? `:core-${options.attentionCore}` : '') +
    (options.convs === 'int8' ? ':convs-int8' : '');
  return createHash('sha256')
    .update(text + core)
    .digest('hex')
    .slice(0, 12);
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch {
    return false;
  }
}

/**
 * The folder beside a model where its int8 copies live. Only files in this folder, which the app made, are ever
 * pruned: a user's own `<stem>.int8-*.onnx` next to the model is neither used as the cache nor deleted.
 */
export const OWN_CACHE_DIR = '.cosmicai-int8';

/** Removes older int8 copies of the same model in our own cache folder `dir` (other keys); ignores vanished ones. */
async function pruneStale(dir: string, stem: string, keep: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const prefix = `${stem}.int8-`;
  await Promise.all(
    names
      .filter((n) => n.startsWith(prefix) && n.endsWith('.onnx') && path.join(dir, n) !== keep)
      .map((n) => rm(path.join(dir, n), { force: true })),
  );
}

export function quantizedModelPaths(
  fp32Path: string,
  key: string,
  fallbackDir: string,
): { beside: string; fallback: string } {
  const stem = path.basename(fp32Path).replace(/\.onnx$/i, '');
  const dirHash = createHash('sha256').update(path.resolve(fp32Path)).digest('hex').slice(0, 8);
  return {
    beside: path.join(path.dirname(fp32Path), OWN_CACHE_DIR, `${stem}.int8-${key}.onnx`),
    fallback: path.join(fallbackDir, `${stem}-${dirHash}.int8-${key}.onnx`),
  };
}

async function build(fp32Path: string, fallbackDir: string, options: QuantizeOptions): Promise<string> {
  const info = await stat(fp32Path);
  const key = cacheKey(info.size, info.mtimeMs, options);
  const { beside, fallback } = quantizedModelPaths(fp32Path, key, fallbackDir);
  if (await exists(beside)) return beside;
  if (await exists(fallback)) return fallback;
  let bytes: Uint8Array;
  try {
    bytes = quantizeModel(await readRegularFile(fp32Path), options).bytes;
  } catch (err) {
    if (err instanceof QuantizeError) throw new QuantizeError(`${fp32Path}: cannot make an int8 model: ${err.message}`);
    throw err;
  }
  const stem = path.basename(fp32Path).replace(/\.onnx$/i, '');
  try {
    await writeFileAtomic(beside, bytes, { mkdir: true });
    await pruneStale(path.dirname(beside), stem, beside);
    return beside;
  } catch {
    // The model's folder is read-only (an imported model on a shared or packaged path): cache in the data folder.
    await writeFileAtomic(fallback, bytes, { mkdir: true });
    return fallback;
  }
}

/**
 * Path of the int8 copy of an fp32 ONNX model, quantized on first use (a second or two for AstroMAE) and cached
 * beside it as `.cosmicai-int8/<name>.int8-<key>.onnx` (a folder only the app writes), or in `fallbackDir` when that folder is not writable.
 * Throws QuantizeError naming the file when the model has nothing to quantize.
 */
export function ensureQuantizedModel(
  fp32Path: string,
  fallbackDir: string,
  options: QuantizeOptions = {},
): Promise<string> {
  const id = `${path.resolve(fp32Path)}\0${JSON.stringify(options)}`;
  let job = pending.get(id);
  if (!job) {
    job = build(fp32Path, fallbackDir, options).finally(() => pending.delete(id));
    pending.set(id, job);
  }
  return job;
}
