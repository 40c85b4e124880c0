import { navigate } from './router.ts';

/**
 * A profile handed to the Cloud run screen by another screen or component (e.g. "Use this profile" after deploying a
 * stack), so components need not import the screen.
 */
let nextProfile: string | null = null;

/** Opens the Cloud run screen with this profile chosen. */
export function openCloudRunWith(profile: string): void {
  nextProfile = profile;
  navigate('cloud');
}

/** The profile handed over since the screen last opened, once. */
export function takeNextCloudProfile(): string | null {
  const p = nextProfile;
  nextProfile = null;
  return p;
}
