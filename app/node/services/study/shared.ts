import type { LambdaArch } from '../../../../base/price-table.ts';
import type { ProfileStore } from '../../../../cloud/profiles.ts';
import { ApiError } from '../../../common/contract/index.ts';

/** What the study services share: the cost settings of a request, the error wrapper, the profile choice. */

export interface CostSettings {
  lambdaMemoryMb?: number;
  arch?: LambdaArch;
}

export const fail = (code: string, err: unknown, hint?: string): ApiError =>
  err instanceof ApiError
    ? err
    : new ApiError({ code, message: err instanceof Error ? err.message : String(err), ...(hint ? { hint } : {}) });

/** The named profile, else the only saved one; null (cloud jobs wait) when none is saved and none is required. */
export async function profileFor(profiles: ProfileStore, name: string | undefined, required: boolean) {
  if (name) return profiles.getStored(name);
  const all = await profiles.list();
  if (all.length === 1) return profiles.getStored(all[0].name);
  if (all.length > 1)
    throw new ApiError({
      code: 'PROFILE_NEEDED',
      message: `Several AWS profiles are saved (${all.map((p) => p.name).join(', ')}).`,
      hint: 'Choose the profile to use.',
    });
  if (required)
    throw new ApiError({
      code: 'PROFILE_NEEDED',
      message: 'Reading from S3 needs an AWS profile.',
      hint: 'Add one on the Profiles screen.',
    });
  return null;
}
