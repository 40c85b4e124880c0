/** S3 keys never become local paths outside the folder they were meant for: one sanitiser, used everywhere. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { folderSource } from '../../study/import/object-source.ts';
import { localPathFor as lambdaLocalPathFor } from '../../cloud/lambda/s3.ts';
import { localPathFor } from '../../cloud/s3-key-path.ts';

const HOSTILE = [
  '../etc/passwd',
  'a/../../b',
  '..',
  'a/..',
  '/etc/passwd',
  '//etc/passwd',
  'a\\..\\b',
  '..\\x',
  'C:/Windows/x',
  'c:x',
  '',
  '.',
  './',
  'a/\0b',
  '///',
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmicai-keys-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('localPathFor: the one key → path sanitiser', () => {
  it('maps ordinary keys below the root, segment by segment', () => {
    expect(localPathFor('/tmp/x', 'data/50MB/1.pt')).toBe(path.join('/tmp/x', 'data', '50MB', '1.pt'));
    expect(localPathFor('/tmp/x', 'a//./b.pt')).toBe(path.join('/tmp/x', 'a', 'b.pt'));
    expect(localPathFor('/tmp/x', 'a..b/..c')).toBe(path.join('/tmp/x', 'a..b', '..c'));
  });

  it.each(HOSTILE)('refuses %j', (key) => {
    expect(() => localPathFor('/tmp/x', key)).toThrow(/refusing S3 key/);
  });

  it('is the sanitiser the Lambda workers download with', () => {
    expect(lambdaLocalPathFor).toBe(localPathFor);
  });

  it('a folder source (import of recorded results) refuses keys that leave its folder', async () => {
    const root = path.join(dir, 'results');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'ok.json'), '{}');
    fs.writeFileSync(path.join(dir, 'secret.json'), '"secret"');
    const src = folderSource(root);
    expect(await src.getObject('ok.json')).toBe('{}');
    for (const key of ['../secret.json', path.join(dir, 'secret.json'), 'a/../../secret.json']) {
      await expect(src.getObject(key)).rejects.toThrow(/refusing S3 key/);
    }
  });
});
