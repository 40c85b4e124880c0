/**
 * Where the inference worker finds the ONNX model, from the payload's `object_type`, `S3_object_name` and
 * `script` (in `bucket`), read the way the study reads them (it downloads `S3_object_name` to /tmp and runs
 * `script` from there):
 *  - object_type "file": `S3_object_name` is the model object itself (must end in .onnx);
 *  - object_type "folder": `S3_object_name` is the code+model folder. If `script` ends in .onnx it names the
 *    model inside it, as `/tmp/<S3_object_name>/<rel>` (the study's form) or as `<rel>`; otherwise (e.g. the
 *    study's `…/inference.py`) the folder must hold exactly one .onnx object.
 */
import type { CaiPayload } from '../payload-schema.ts';

export type ModelLocationPayload = Pick<CaiPayload, 'bucket' | 'object_type' | 'S3_object_name' | 'script'>;

function checkRel(rel: string, script: string): string {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..'))
    throw new Error(`script '${script}' does not name a model inside the folder (empty or '..' segment)`);
  return parts.join('/');
}

/** The model's key in `bucket`. `listKeys(prefix)` lists the keys under a prefix (used only when needed). */
export async function resolveModelKey(
  p: ModelLocationPayload,
  listKeys: (prefix: string) => Promise<string[]>,
): Promise<string> {
  const name = p.S3_object_name.replace(/\/+$/, '');
  if (p.object_type === 'file') {
    if (!name.toLowerCase().endsWith('.onnx')) {
      throw new Error(
        `object_type is "file" but S3_object_name '${p.S3_object_name}' is not an .onnx model; use object_type "folder" for a code+model folder`,
      );
    }
    return name;
  }
  const script = p.script.trim();
  if (script.toLowerCase().endsWith('.onnx')) {
    const underTmp = `/tmp/${name}/`;
    if (script.startsWith(underTmp)) return `${name}/${checkRel(script.slice(underTmp.length), script)}`;
    if (script.startsWith('/')) {
      throw new Error(
        `script '${script}' is outside the downloaded folder: write it as ${underTmp}<model>.onnx or as a path relative to ${name}/`,
      );
    }
    return `${name}/${checkRel(script, script)}`;
  }
  const models = (await listKeys(`${name}/`)).filter((k) => k.toLowerCase().endsWith('.onnx'));
  if (models.length === 1) return models[0];
  if (models.length === 0)
    throw new Error(`no .onnx model under s3://${p.bucket}/${name}/ (upload the model there, or name it in "script")`);
  throw new Error(
    `several .onnx models under s3://${p.bucket}/${name}/ (${models.join(', ')}); name one in "script", e.g. /tmp/${models[0]}`,
  );
}
