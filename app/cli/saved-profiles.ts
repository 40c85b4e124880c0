import { appDataDir } from '../node/services/system.ts';
import { chooseProfile, profileStore as storeIn } from '../node/services/profiles.ts';
import type { StoredProfile } from '../../base/profile-schema.ts';

export { withProfileClients } from '../node/services/profiles.ts';

/** The saved AWS profiles as the CLI commands reach them, and Ctrl-C handling for their long operations. */

export const profileStore = () => storeIn(appDataDir());

/** What to tell the user when no --profile was given and there is not exactly one saved profile. */
export interface ProfileChoiceHelp {
  /** Follows "Several profiles are saved (a, b): ". */
  several: string;
  none: string;
}

/** The named profile, or the only one saved. */
export async function resolveProfile(name: string | undefined, help: ProfileChoiceHelp): Promise<StoredProfile> {
  const chosen = await chooseProfile(profileStore(), name, {
    several: (names) => `Several profiles are saved (${names.join(', ')}): ${help.several}`,
    none: help.none,
  });
  return chosen!;
}

/** The first Ctrl-C prints `message` and aborts the signal; a second one exits at once. */
export function abortOnSigint(message: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(message.endsWith('\n') ? `\n${message}` : `\n${message}\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}
