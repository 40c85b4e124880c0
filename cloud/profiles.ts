import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../engine/atomic-file.ts';
import { withFileLock } from '../engine/file-lock.ts';
import { insecureEndpointMessage, insecureEndpoints } from './endpoint-policy.ts';
import {
  CredentialsInputSchema,
  formatZodIssues,
  ProfileInputSchema,
  ProfilePatchSchema,
  ProfilesFileSchema,
  redactProfile,
  type CredentialsInput,
  type ProfileInput,
  type ProfilePatch,
  type ProfilesFile,
  type RedactedProfile,
  type StoredCredentials,
  type StoredProfile,
} from '../base/profile-schema.ts';
import { encryptKeys, type SecretCipher } from './secret-cipher.ts';

export type { ProfileInput, ProfilePatch, RedactedProfile, StoredProfile } from '../base/profile-schema.ts';

export class ProfileError extends Error {
  constructor(
    message: string,
    readonly code: 'PROFILE_INVALID' | 'PROFILE_NOT_FOUND' | 'PROFILE_EXISTS' | 'PROFILES_FILE_DAMAGED',
  ) {
    super(message);
    this.name = 'ProfileError';
  }
}

export function profilesFile(dataDir: string): string {
  return path.join(dataDir, 'profiles.json');
}

/**
 * The saved AWS profiles, in `<dataDir>/profiles.json` (mode 0600, atomic writes).
 * Everything leaving this class is redacted except `getStored`, which only the cloud layer uses to build clients.
 */
export class ProfileStore {
  private queue: Promise<unknown> = Promise.resolve();
  readonly file: string;

  constructor(
    readonly dataDir: string,
    private readonly cipher?: SecretCipher,
  ) {
    this.file = profilesFile(dataDir);
  }

  async list(): Promise<RedactedProfile[]> {
    return (await this.read()).profiles.map(redactProfile);
  }

  async get(name: string): Promise<RedactedProfile> {
    return redactProfile(await this.getStored(name));
  }

  /** The stored profile, credentials still encrypted. Not for the renderer. */
  async getStored(name: string): Promise<StoredProfile> {
    const file = await this.read();
    const found = file.profiles.find((p) => p.name === name);
    if (!found) {
      const names = file.profiles.map((p) => p.name);
      throw new ProfileError(
        `No profile named '${name}'. ${names.length ? `Saved profiles: ${names.join(', ')}.` : 'No profiles are saved yet: add one first (cosmicai profile add).'}`,
        'PROFILE_NOT_FOUND',
      );
    }
    return found;
  }

  async add(input: ProfileInput): Promise<RedactedProfile> {
    const parsed = parseOrThrow(ProfileInputSchema, input, 'profile');
    return this.mutate((file) => {
      if (file.profiles.some((p) => p.name === parsed.name))
        throw new ProfileError(
          `A profile named '${parsed.name}' already exists; edit it or pick another name.`,
          'PROFILE_EXISTS',
        );
      const now = new Date().toISOString();
      refuseInsecure(parsed);
      const stored: StoredProfile = {
        ...parsed,
        credentials: this.storeCredentials(parsed.credentials),
        createdAt: now,
        updatedAt: now,
      };
      file.profiles.push(stored);
      return redactProfile(stored);
    });
  }

  async update(name: string, patch: ProfilePatch): Promise<RedactedProfile> {
    const parsed = parseOrThrow(ProfilePatchSchema, patch, 'profile');
    return this.mutate((file) => {
      const i = file.profiles.findIndex((p) => p.name === name);
      if (i < 0) throw new ProfileError(`No profile named '${name}'.`, 'PROFILE_NOT_FOUND');
      if (parsed.name && parsed.name !== name && file.profiles.some((p) => p.name === parsed.name)) {
        throw new ProfileError(`A profile named '${parsed.name}' already exists.`, 'PROFILE_EXISTS');
      }
      const { credentials, ...fields } = parsed;
      const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      const next: StoredProfile = {
        ...file.profiles[i],
        ...defined,
        credentials: credentials ? this.storeCredentials(credentials) : file.profiles[i].credentials,
        updatedAt: new Date().toISOString(),
      };
      refuseInsecure(next);
      file.profiles[i] = next;
      return redactProfile(next);
    });
  }

  async remove(name: string): Promise<void> {
    await this.mutate((file) => {
      const before = file.profiles.length;
      file.profiles = file.profiles.filter((p) => p.name !== name);
      if (file.profiles.length === before) throw new ProfileError(`No profile named '${name}'.`, 'PROFILE_NOT_FOUND');
    });
  }

  private storeCredentials(input: CredentialsInput): StoredCredentials {
    const c = CredentialsInputSchema.parse(input);
    if (c.source !== 'static') return c;
    return {
      source: 'static',
      accessKeyIdHint: c.accessKeyId.slice(-4),
      encrypted: encryptKeys(
        { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken },
        this.cipher,
      ),
    };
  }

  private async read(): Promise<ProfilesFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, profiles: [] };
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ProfileError(
        `${this.file} is not valid JSON (${(err as Error).message}). Fix or delete the file to start again.`,
        'PROFILES_FILE_DAMAGED',
      );
    }
    const parsed = ProfilesFileSchema.safeParse(json);
    if (!parsed.success)
      throw new ProfileError(
        `${this.file} is damaged: ${formatZodIssues(parsed.error)}. Fix or delete the file.`,
        'PROFILES_FILE_DAMAGED',
      );
    return parsed.data;
  }

  /** Read-modify-write, one at a time within this process and across processes (profiles.json.lock). */
  private mutate<T>(fn: (file: ProfilesFile) => T): Promise<T> {
    const run = this.queue.then(() =>
      withFileLock(this.file, async () => {
        const file = await this.read();
        const out = fn(file);
        await writeFileAtomic(this.file, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, mkdir: true });
        return out;
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function refuseInsecure(p: {
  name: string;
  endpoints?: StoredProfile['endpoints'];
  allowInsecureEndpoints?: boolean;
}): void {
  const bad = p.allowInsecureEndpoints ? [] : insecureEndpoints(p.endpoints);
  if (bad.length) throw new ProfileError(insecureEndpointMessage(p.name, bad), 'PROFILE_INVALID');
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ProfileError(`Invalid ${what}: ${formatZodIssues(r.error)}`, 'PROFILE_INVALID');
  return r.data;
}
