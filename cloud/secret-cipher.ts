/**
 * Pasted AWS keys are only ever stored encrypted. The cipher is injected: the Electron layer passes
 * `safeStorage` (OS keychain-backed); the CLI and the browser host have none, so pasted keys are refused there.
 */
export interface SecretCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export interface StaticKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const NO_CIPHER_MESSAGE =
  'Pasted access keys can only be saved from the desktop app, which encrypts them with the OS keychain (Electron safeStorage). ' +
  'Here, use a named profile from ~/.aws (credentials source "profile"), SSO ("sso"), or the environment ("env") instead.';

export function requireCipher(cipher: SecretCipher | undefined): SecretCipher {
  if (!cipher || !cipher.isEncryptionAvailable()) throw new Error(NO_CIPHER_MESSAGE);
  return cipher;
}

export function encryptKeys(keys: StaticKeys, cipher: SecretCipher | undefined): string {
  return requireCipher(cipher).encryptString(JSON.stringify(keys)).toString('base64');
}

export function decryptKeys(encrypted: string, cipher: SecretCipher | undefined): StaticKeys {
  const c = requireCipher(cipher);
  let parsed: unknown;
  try {
    parsed = JSON.parse(c.decryptString(Buffer.from(encrypted, 'base64')));
  } catch {
    throw new Error('The saved access keys could not be decrypted (the OS keychain may have changed). Edit the profile and paste the keys again.');
  }
  const k = parsed as Partial<StaticKeys>;
  if (typeof k.accessKeyId !== 'string' || typeof k.secretAccessKey !== 'string') {
    throw new Error('The saved access keys are incomplete. Edit the profile and paste the keys again.');
  }
  return { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey, sessionToken: k.sessionToken };
}
