import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Checks a study code folder and its entry script before staging for the study's pipeline. The executor downloads
 * the folder to `/tmp/<S3_object_name>/` and runs `/tmp/<S3_object_name>/<entry>`; the study's script hard-codes
 * `/tmp/Anomaly Detection/` for its imports and model, so a folder staged under another name (or under a prefix)
 * makes every rank fail: say so before anything starts.
 */
export class CodeFolderError extends Error {
  override name = 'CodeFolderError';
}

export async function checkEntry(codeDir: string, entry: string): Promise<string> {
  const rel = entry.replace(/^\/+/, '');
  if (!rel || rel.split('/').includes('..'))
    throw new CodeFolderError(
      `--entry must be a path inside the code folder (e.g. Inference/inference.py), got '${entry}'.`,
    );
  const file = path.join(codeDir, rel);
  const s = await stat(file).catch(() => null);
  if (!s?.isFile())
    throw new CodeFolderError(
      `${file} does not exist: --entry names the script inside ${codeDir} that the executor runs (e.g. Inference/inference.py).`,
    );
  return rel;
}

/** Warnings about where the entry script expects its folder, compared with where it will land. */
export async function entryPathWarnings(codeDir: string, entry: string, s3ObjectName: string): Promise<string[]> {
  const text = await readFile(path.join(codeDir, entry), 'utf8').catch(() => '');
  const expected = new Set([...text.matchAll(/['"]\/tmp\/([^/'"]+)\/?/g)].map((m) => m[1]));
  const lands = s3ObjectName.replace(/\/+$/, '');
  const out: string[] = [];
  for (const folder of expected) {
    if (folder !== lands) {
      out.push(
        `${entry} hard-codes /tmp/${folder}/, but the code folder lands at /tmp/${lands}/ in the executor: rename the folder to '${folder}' (and stage it at the bucket root), or every rank may fail.`,
      );
    }
  }
  return out;
}
