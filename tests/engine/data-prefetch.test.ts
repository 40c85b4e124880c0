import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prefetchIntoPageCache } from '../../engine/data/page-cache-prefetch.ts';

describe('page-cache prefetch of the next partition', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosmicai-prefetch-'));

  it('reads a file to its end and settles, leaving the file as it was', async () => {
    const file = path.join(dir, 'p.pt');
    fs.writeFileSync(file, Buffer.alloc(9 << 20, 7)); // more than two chunks
    const p = prefetchIntoPageCache(file);
    expect(p.path).toBe(file);
    await expect(p.done).resolves.toBeUndefined();
    expect(fs.statSync(file).size).toBe(9 << 20);
  });

  it('never rejects: a missing file or a folder is left for the real open to report', async () => {
    await expect(prefetchIntoPageCache(path.join(dir, 'missing.pt')).done).resolves.toBeUndefined();
    await expect(prefetchIntoPageCache(dir).done).resolves.toBeUndefined();
  });

  it('stops between chunks when cancelled, and closes the file', async () => {
    const file = path.join(dir, 'big.pt');
    fs.writeFileSync(file, Buffer.alloc(64 << 20));
    const p = prefetchIntoPageCache(file);
    p.cancel();
    await expect(p.done).resolves.toBeUndefined();
    // The file handle is closed: the file can be removed and the folder listed without it.
    fs.rmSync(file);
    expect(fs.readdirSync(dir)).not.toContain('big.pt');
  });
});
