import { describe, expect, it } from 'vitest';
import { latestGate } from '../../renderer/src/lib/latest-load.ts';

describe('overlapping loads: only the newest lands', () => {
  it('a load is current until a newer one begins, and an older reply arriving last is dropped', async () => {
    const begin = latestGate();
    const landed: string[] = [];
    const load = (name: string, ms: number) => {
      const current = begin();
      return new Promise<void>((r) => setTimeout(r, ms)).then(() => {
        if (current()) landed.push(name);
      });
    };
    // The first (slow) load replies after the second (fast) one: only the second may set state.
    await Promise.all([load('older', 40), load('newer', 5)]);
    expect(landed).toEqual(['newer']);
    const only = begin();
    expect(only()).toBe(true);
    begin();
    expect(only()).toBe(false);
  });

  it('each gate counts on its own (one per component)', () => {
    const a = latestGate();
    const b = latestGate();
    const ca = a();
    b();
    expect(ca()).toBe(true);
  });
});
