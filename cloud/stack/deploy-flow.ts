/**
 * "Deploy CAI stack" in one call, for the CLI and the desktop app: package the Lambda zip (unless one is given),
 * take the model (the reference model unless one is given), deploy, and turn the outputs into a profile input.
 */
import path from 'node:path';
import { ensureReferenceModel } from '../../engine/model/model-cache.ts';
import type { ProfileInput, StoredProfile } from '../../base/profile-schema.ts';
import { outputsToProfile } from './outputs.ts';
import { packageLambda, type PackageResult } from './package-lambda.ts';
import {
  deployStack,
  type DeployOptions,
  type DeployResult,
  type StackClients,
  type StackProgress,
} from './stack-deploy.ts';

export type DeployFlowProgress =
  | StackProgress
  | { kind: 'package'; step: 'native' | 'bundle' | 'zip' | 'write' }
  | { kind: 'packaged'; result: PackageResult };

export interface DeployFlowOptions extends Omit<DeployOptions, 'zipFile' | 'modelFile' | 'onProgress'> {
  /** The app's data folder: the zip is written to `<dataDir>/stack/`, the reference model comes from it. */
  dataDir: string;
  zipFile?: string;
  modelFile?: string;
  onProgress?: (p: DeployFlowProgress) => void;
}

export interface DeployFlowResult extends DeployResult {
  package?: PackageResult;
}

export async function packageAndDeploy(clients: StackClients, o: DeployFlowOptions): Promise<DeployFlowResult> {
  let zipFile = o.zipFile;
  let pkg: PackageResult | undefined;
  if (!zipFile) {
    pkg = await packageLambda({
      arch: o.arch,
      outFile: path.join(o.dataDir, 'stack', `cosmicai-lambda-${o.arch}.zip`),
      onProgress: (step) => o.onProgress?.({ kind: 'package', step }),
    });
    o.onProgress?.({ kind: 'packaged', result: pkg });
    zipFile = pkg.file;
  }
  const modelFile = o.modelFile ?? (await ensureReferenceModel(o.dataDir));
  const res = await deployStack(clients, { ...o, zipFile, modelFile, onProgress: o.onProgress });
  return { ...res, ...(pkg ? { package: pkg } : {}) };
}

/**
 * The profile for a deployed stack, with the deploying profile's credentials source and endpoints. Pasted keys
 * (source "static") are stored encrypted and cannot be copied here: the caller supplies them decrypted as `credentials`.
 */
export function stackProfileInput(
  res: Pick<DeployResult, 'outputs'>,
  base: StoredProfile,
  name: string,
  credentials?: ProfileInput['credentials'],
): ProfileInput {
  const creds = credentials ?? (base.credentials.source === 'static' ? undefined : base.credentials);
  if (!creds)
    throw new Error(
      `profile '${base.name}' holds pasted keys, which are stored encrypted: pass them again for the new profile '${name}', or deploy with a ~/.aws, SSO or environment profile`,
    );
  return outputsToProfile(res.outputs, { name, credentials: creds, endpoints: base.endpoints });
}
