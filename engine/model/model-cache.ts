import { stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import {
  buildReferenceModel,
  REFERENCE_FILE_NAME,
  REFERENCE_STANDARD_FILE_NAME,
  type ReferenceVariant,
} from './reference-model.ts';

const pending = new Map<string, Promise<string>>();

export function referenceModelPath(dataDir: string, variant: ReferenceVariant = 'fused'): string {
  return path.join(dataDir, 'models', variant === 'fused' ? REFERENCE_FILE_NAME : REFERENCE_STANDARD_FILE_NAME);
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch {
    return false;
  }
}

async function build(file: string, variant: ReferenceVariant): Promise<string> {
  if (await exists(file)) return file;
  // Concurrent builders (other processes) produce identical bytes, so whichever rename lands last is as good as the first.
  await writeFileAtomic(file, buildReferenceModel({ variant }), { mkdir: true });
  return file;
}

/**
 * Path of the cached reference model in `${dataDir}/models`, built on first use (about a second, 63 MB).
 * The default is the fused variant (onnxruntime's com.microsoft Attention: ~10% less CPU per galaxy, measured);
 * 'standard' gives the opset-17-only graph with the same weights and outputs.
 */
export function ensureReferenceModel(dataDir: string, variant: ReferenceVariant = 'fused'): Promise<string> {
  const file = referenceModelPath(dataDir, variant);
  let job = pending.get(file);
  if (!job) {
    job = build(file, variant).finally(() => pending.delete(file));
    pending.set(file, job);
  }
  return job;
}
