import { appDataDir } from '../../engine/data-dir.ts';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { ProfileStore } from '../../cloud/profiles.ts';
import type { StoredProfile } from '../../base/profile-schema.ts';

/** The saved AWS profiles as the CLI commands reach them, and Ctrl-C handling for their long operations. */

export const profileStore = () => new ProfileStore(appDataDir());

/** What to tell the user when no --profile was given and there is not exactly one saved profile. */
export interface ProfileChoiceHelp {
  /** Follows "Several profiles are saved (a, b): ". */
  several: string;
  none: string;
}

/** The named profile, or the only one saved. */
export async function resolveProfile(name: string | undefined, help: ProfileChoiceHelp): Promise<StoredProfile> {
  const s = profileStore();
  if (name) return s.getStored(name);
  const all = await s.list();
  if (all.length === 1) return s.getStored(all[0].name);
  throw new Error(
    all.length ? `Several profiles are saved (${all.map((p) => p.name).join(', ')}): ${help.several}` : help.none,
  );
}

/** Runs `fn` with the profile's AWS clients, destroyed afterwards. */
export async function withProfileClients<T>(profile: StoredProfile, fn: (c: AwsClients) => Promise<T>): Promise<T> {
  const clients = makeClients(profile);
  try {
    return await fn(clients);
  } finally {
    clients.destroy();
  }
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
