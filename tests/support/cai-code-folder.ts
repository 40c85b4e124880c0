import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { caiReferenceDir, defaultHandlersDir } from '../../emulator/reference-dir.ts';

/**
 * The study's CAI code folder as the conformance suite and the CAI browser test build it: the study's REAL
 * Inference/inference.py (from ../shared/cai/lambda, or CAI_REFERENCE_DIR), astromae_ref.py at the folder's root
 * (the stand-in for the model classes timm would provide) and the `cai-checkpoint` model where the script loads it;
 * plus partitions made by `astromae_ref.py make-pt --mag-dtype float64`. Python runs the reference; nothing of the
 * study's code is copied into the project, only into the test's temporary folder.
 */

export const CAI_REF = caiReferenceDir();
export const CAI_HANDLERS = defaultHandlersDir();
export const CAI_PYTHON = process.env.COSMICAI_PYTHON || '/usr/bin/python3';
export const CAI_MODEL_REL = 'Fine_Tune_Model/Mixed_Inception_z_VITAE_Base_Img_Full_New_Full.pt';
const ASTROMAE_REF = path.join(CAI_REF, 'reference', 'astromae_ref.py');

/** Why the CAI tests cannot run here (no study handlers, no reference, no torch/boto3/numpy), or null. */
export function caiSkipReason(): string | null {
  if (!existsSync(path.join(CAI_HANDLERS, 'initializer.py')))
    return `no study handlers at ${CAI_HANDLERS} (set CAI_REFERENCE_DIR)`;
  if (!existsSync(ASTROMAE_REF)) return `no ${ASTROMAE_REF}`;
  const py = spawnSync(CAI_PYTHON, ['-c', 'import torch, boto3, numpy'], { encoding: 'utf8' });
  if (py.status !== 0)
    return (
      `${CAI_PYTHON} cannot import torch, boto3 and numpy (apt-get install python3-torch python3-boto3 ` +
      `python3-numpy): ${(py.stderr || String(py.error)).trim().split('\n').pop()}`
    );
  return null;
}

function astromaeRef(args: string[]): void {
  const r = spawnSync(CAI_PYTHON, [ASTROMAE_REF, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`astromae_ref.py ${args[0]} failed: ${r.stderr}`);
}

/** Builds the code folder at `codeDir` (made if missing). */
export async function buildCaiCodeFolder(codeDir: string): Promise<void> {
  await mkdir(path.join(codeDir, 'Inference'), { recursive: true });
  await mkdir(path.join(codeDir, path.dirname(CAI_MODEL_REL)), { recursive: true });
  await copyFile(path.join(CAI_HANDLERS, 'inference.py'), path.join(codeDir, 'Inference', 'inference.py'));
  await writeFile(path.join(codeDir, 'Inference', '__init__.py'), '');
  await copyFile(ASTROMAE_REF, path.join(codeDir, 'astromae_ref.py'));
  astromaeRef(['cai-checkpoint', path.join(codeDir, CAI_MODEL_REL)]);
}

/** Writes `p1.pt` … `p<count>.pt` into `partsDir` (made if missing), `samples` galaxies each, seeds 1…count. */
export async function writeCaiPartitions(partsDir: string, count = 3, samples = 16): Promise<string[]> {
  await mkdir(partsDir, { recursive: true });
  const files: string[] = [];
  for (let i = 1; i <= count; i++) {
    const f = path.join(partsDir, `p${i}.pt`);
    astromaeRef(['make-pt', f, '--samples', String(samples), '--seed', String(i), '--mag-dtype', 'float64']);
    files.push(f);
  }
  return files;
}
