/**
 * Issue #18 case 7 (and the INTERNAL part of 8): pasted keys are refused when Electron's safeStorage would only
 * obfuscate them (Linux 'basic_text'), with what to do instead; a static-key profile reached where it cannot be
 * decrypted (the browser host) answers a typed KEYS_NOT_STORABLE, not INTERNAL. No Electron binary here: the
 * backend value is injected.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProfileStore } from '../../cloud/profiles.ts';
import { CredentialStorageError, cipherRefusal, type SecretCipher } from '../../cloud/secret-cipher.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { startAppApi } from '../support/app-services.ts';

class BackendCipher extends TestCipher {
  constructor(private readonly backend: string) {
    super();
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
}

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const tmp = async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'cai-keys-'));
  dirs.push(d);
  return d;
};

const staticInput = {
  name: 'pasted',
  credentials: { source: 'static' as const, accessKeyId: 'AKIAEXAMPLEKEY123456', secretAccessKey: 'very-secret-value' },
  region: 'us-east-1',
  bucket: 'my-bucket',
  stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:cai',
  inferenceLambdaName: 'cosmic-executor',
};

describe('where pasted keys may be stored', () => {
  it.each([
    ['linux', 'basic_text', false],
    ['linux', 'unknown', false],
    ['linux', 'gnome_libsecret', true],
    ['linux', 'kwallet5', true],
    ['darwin', 'basic_text', true], // the backend query is Linux-only; macOS uses the Keychain
    ['win32', 'basic_text', true], // DPAPI
  ] as const)('%s with backend %s: allowed=%s', (platform, backend, allowed) => {
    const refusal = cipherRefusal(new BackendCipher(backend), platform);
    expect(refusal === null).toBe(allowed);
    if (refusal) {
      expect(refusal.code).toBe('KEYS_NOT_STORABLE');
      expect(refusal.message).toMatch(/no keyring .* "basic_text"/);
      expect(refusal.hint).toMatch(/"profile".*"sso".*"env"/);
      expect(refusal.hint).toMatch(/keyring/);
    }
  });

  it('no cipher, or one that is not available, is refused too', () => {
    expect(cipherRefusal(undefined, 'linux')?.code).toBe('KEYS_NOT_STORABLE');
    const off: SecretCipher = {
      isEncryptionAvailable: () => false,
      encryptString: () => Buffer.alloc(0),
      decryptString: () => '',
    };
    expect(cipherRefusal(off, 'darwin')?.message).toMatch(/only be saved from the desktop app/);
  });

  it.runIf(process.platform === 'linux')(
    'a profile with pasted keys is not saved under basic_text; nothing is written',
    async () => {
      const dir = await tmp();
      const store = new ProfileStore(dir, new BackendCipher('basic_text'));
      const err = await store.add(staticInput).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CredentialStorageError);
      await expect(readFile(path.join(dir, 'profiles.json'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
      // With a keyring it is saved, encrypted.
      const ok = new ProfileStore(dir, new BackendCipher('gnome_libsecret'));
      await ok.add(staticInput);
      expect(await readFile(path.join(dir, 'profiles.json'), 'utf8')).not.toContain('very-secret-value');
    },
  );
});

describe('typed errors through the app API', () => {
  it('the browser host (no cipher): adding pasted keys and testing a static-key profile are KEYS_NOT_STORABLE', async () => {
    const dir = await tmp();
    // A profile saved by the desktop app, then opened by the browser host, which has no safeStorage.
    await new ProfileStore(dir, new TestCipher()).add(staticInput);
    const api = startAppApi({ dataDir: dir, mode: 'browser' });
    try {
      expect(await api.call('cloud.canStoreKeys')).toEqual({ available: false });
      await expect(api.call('cloud.addProfile', { ...staticInput, name: 'again' })).rejects.toMatchObject({
        code: 'KEYS_NOT_STORABLE',
      });
      // Test connection reports it per check; deploying a stack with the profile's keys used to answer INTERNAL.
      const { checks } = await api.call('cloud.testProfile', { name: 'pasted' });
      expect(checks[0].detail).toMatch(/only the desktop app that saved them can decrypt/);
      const err = await api.call('stack.deploy', { profile: 'pasted', stackName: 'cai-test' }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'KEYS_NOT_STORABLE',
        message: expect.stringMatching(/only the desktop app that saved them/),
      });
      expect((err as { hint?: string }).hint).toMatch(/desktop app.*"env"|"env".*desktop app/);
    } finally {
      await api.services.shutdown();
    }
  });
});
