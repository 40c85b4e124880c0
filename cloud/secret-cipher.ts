/**
 * Pasted AWS keys are only ever stored encrypted. The cipher is injected: the Electron layer passes
 * `safeStorage`; the CLI and the browser host have none, so pasted keys are refused there. On Linux, safeStorage
 * falls back to a hard-coded password ('basic_text') when no Secret Service keyring (GNOME Keyring, KWallet) is
 * running: that is obfuscation, not protection, so keys are refused then too. docs/security-credentials.md says
 * what protects a stored key on each OS.
 */
export interface SecretCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Electron's safeStorage on Linux: which password store backs the key ('basic_text' = none). */
  getSelectedStorageBackend?(): string;
}

export interface StaticKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const NO_CIPHER_MESSAGE =
  'Pasted access keys can only be saved from the desktop app, which encrypts them with the OS keychain (Electron safeStorage). ' +
  'Here, use a named profile from ~/.aws (credentials source "profile"), SSO ("sso"), or the environment ("env") instead.';

export const BASIC_TEXT_MESSAGE =
  'Pasted access keys are not saved on this Linux desktop: no keyring (Secret Service: GNOME Keyring or KWallet) is running, ' +
  'so Electron would encrypt them with a password built into Chromium (backend "basic_text"), which anyone who can read ' +
  'your files could undo.';

const OTHER_SOURCES_HINT =
  'Use a named profile from ~/.aws (credentials source "profile"), SSO ("sso") or the environment ("env").';

/** Why pasted keys cannot be stored or read here, with what to do instead (code KEYS_NOT_STORABLE, never INTERNAL). */
export class CredentialStorageError extends Error {
  readonly code = 'KEYS_NOT_STORABLE';
  readonly hint: string;

  constructor(message: string, hint: string) {
    super(message);
    this.name = 'CredentialStorageError';
    this.hint = hint;
  }
}

/** Linux backends that are not a real OS password store. */
const WEAK_BACKENDS = new Set(['basic_text', 'unknown']);

/**
 * Whether pasted keys may be stored with this cipher on this platform: null when yes, else the refusal. Pure, so
 * the decision is unit-tested with the backend value injected (there is no Electron binary in CI).
 */
export function cipherRefusal(
  cipher: SecretCipher | undefined,
  platform: NodeJS.Platform = process.platform,
): CredentialStorageError | null {
  if (!cipher || !cipher.isEncryptionAvailable()) {
    return new CredentialStorageError(
      NO_CIPHER_MESSAGE,
      `${OTHER_SOURCES_HINT} Or open the desktop app to paste keys.`,
    );
  }
  if (platform === 'linux' && cipher.getSelectedStorageBackend) {
    const backend = cipher.getSelectedStorageBackend();
    if (WEAK_BACKENDS.has(backend)) {
      return new CredentialStorageError(
        `${BASIC_TEXT_MESSAGE} (backend: ${backend})`,
        `${OTHER_SOURCES_HINT} Or start a keyring (e.g. install gnome-keyring or KWallet and log in again) and restart the app.`,
      );
    }
  }
  return null;
}

/** A cipher that may store new keys; throws CredentialStorageError otherwise. */
export function requireCipher(
  cipher: SecretCipher | undefined,
  platform: NodeJS.Platform = process.platform,
): SecretCipher {
  const refusal = cipherRefusal(cipher, platform);
  if (refusal) throw refusal;
  return cipher!;
}

/** A cipher that can read keys already stored (a weak backend still reads what it wrote before this check existed). */
function readingCipher(cipher: SecretCipher | undefined): SecretCipher {
  if (!cipher || !cipher.isEncryptionAvailable()) {
    throw new CredentialStorageError(
      'This profile uses pasted access keys, which only the desktop app that saved them can decrypt (Electron safeStorage).',
      `Run it from the desktop app, or edit the profile to use ${OTHER_SOURCES_HINT.replace(/^Use /, '')}`,
    );
  }
  return cipher;
}

export function encryptKeys(keys: StaticKeys, cipher: SecretCipher | undefined): string {
  return requireCipher(cipher).encryptString(JSON.stringify(keys)).toString('base64');
}

export function decryptKeys(encrypted: string, cipher: SecretCipher | undefined): StaticKeys {
  const c = readingCipher(cipher);
  let parsed: unknown;
  try {
    parsed = JSON.parse(c.decryptString(Buffer.from(encrypted, 'base64')));
  } catch {
    throw new Error(
      'The saved access keys could not be decrypted (the OS keychain may have changed). Edit the profile and paste the keys again.',
    );
  }
  const k = parsed as Partial<StaticKeys>;
  if (typeof k.accessKeyId !== 'string' || typeof k.secretAccessKey !== 'string') {
    throw new Error('The saved access keys are incomplete. Edit the profile and paste the keys again.');
  }
  return { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey, sessionToken: k.sessionToken };
}
