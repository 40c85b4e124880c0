import type { ProfileInput, RedactedProfile, StoredProfile } from '../../../base/profile-schema.ts';
import { stackProfileInput } from '../../../cloud/stack/deploy-flow.ts';
import { outputsToProfile } from '../../../cloud/stack/outputs.ts';
import type { ProfileStore } from '../../../cloud/profiles.ts';
import type { DeployResult } from '../../../cloud/stack/stack-deploy.ts';

/**
 * Saves the profile for a deployed stack, shared by the app's StackService and `cosmicai stack deploy`: a profile of
 * that name is refreshed from the stack's outputs (its credentials kept), else one is added with the deploying
 * profile's credentials (or `credentials`, when the deploying profile holds pasted keys).
 */
export async function saveStackProfile(
  profiles: ProfileStore,
  res: Pick<DeployResult, 'outputs'>,
  base: StoredProfile,
  name: string,
  credentials?: ProfileInput['credentials'],
): Promise<{ profile: RedactedProfile; action: 'updated' | 'created' }> {
  if ((await profiles.list()).some((p) => p.name === name)) {
    const {
      name: _n,
      credentials: _c,
      ...fields
    } = outputsToProfile(res.outputs, { name, credentials: { source: 'env' } });
    return { profile: await profiles.update(name, fields), action: 'updated' };
  }
  return { profile: await profiles.add(stackProfileInput(res, base, name, credentials)), action: 'created' };
}
