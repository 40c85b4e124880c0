import { makeClients, type AwsClients } from '../../../cloud/aws-clients.ts';
import { ProfileStore } from '../../../cloud/profiles.ts';
import type { StoredProfile } from '../../../base/profile-schema.ts';

/** The saved AWS profiles for callers in this process (the CLI): the store, the choice of one, its AWS clients. */

export type { AwsClients };
export { ProfileStore };

/** `<dataDir>/profiles.json`; without a cipher, pasted keys are refused (only the desktop app can encrypt them). */
export const profileStore = (dataDir: string) => new ProfileStore(dataDir);

/** What to say when no name was given and there is not exactly one saved profile; `none: null` means "none is fine". */
export interface ProfileChoice {
  several: (names: string[]) => string;
  none: string | null;
}

/** The named profile, else the only one saved; with none saved, null when `none` is null, else an error. */
export async function chooseProfile(
  store: ProfileStore,
  name: string | undefined,
  say: ProfileChoice,
): Promise<StoredProfile | null> {
  if (name) return store.getStored(name);
  const all = await store.list();
  if (all.length === 1) return store.getStored(all[0].name);
  if (all.length > 1) throw new Error(say.several(all.map((p) => p.name)));
  if (say.none === null) return null;
  throw new Error(say.none);
}

/** The profile's AWS clients; the caller destroys them. */
export const clientsOf = (profile: StoredProfile): AwsClients => makeClients(profile);

/** Runs `fn` with the profile's AWS clients, destroyed afterwards. */
export async function withProfileClients<T>(profile: StoredProfile, fn: (c: AwsClients) => Promise<T>): Promise<T> {
  const clients = makeClients(profile);
  try {
    return await fn(clients);
  } finally {
    clients.destroy();
  }
}
