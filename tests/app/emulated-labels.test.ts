/** Runs through an emulator profile are labelled, and Compare warns when one meets an AWS run. */
import { describe, expect, it } from 'vitest';
import { EMULATED_LABEL, type RunEntry } from '../../app/common/contract/index.ts';
import { emulatedMixWarning, isEmulatedRun, runLabels } from '../../app/common/run-tables.ts';

const entry = (kind: string, over: Partial<RunEntry> = {}): RunEntry =>
  ({
    id: `${kind}-1`,
    name: kind,
    kind,
    status: 'completed',
    createdAt: '2026-12-06T00:00:00.000Z',
    finishedAt: null,
    params: {},
    headline: {},
    record: null,
    ...over,
  }) as unknown as RunEntry;

const emulated = entry('cloud', { record: { profile: { name: 'demo', emulated: true } } as never });
const aws = entry('cloud', { record: { profile: { name: 'prod' } } as never });

describe('emulated runs', () => {
  it('is known from the record, the params or the headline', () => {
    expect(isEmulatedRun(emulated)).toBe(true);
    expect(isEmulatedRun(entry('cloud', { params: { emulated: true } }))).toBe(true);
    expect(isEmulatedRun(entry('cloud', { headline: { emulated: true } }))).toBe(true);
    expect(isEmulatedRun(aws)).toBe(false);
    expect(runLabels(emulated)).toContain(EMULATED_LABEL);
    expect(runLabels(aws)).not.toContain(EMULATED_LABEL);
  });

  it('warns for emulated vs AWS (cloud or recorded), either way round, and not otherwise', () => {
    expect(emulatedMixWarning(emulated, aws)).toMatch(/^Run A was emulated on this computer and run B on AWS/);
    expect(emulatedMixWarning(entry('recorded'), emulated)).toMatch(/^Run B was emulated .* run A on AWS/);
    expect(emulatedMixWarning(emulated, entry('local'))).toBeNull();
    expect(emulatedMixWarning(emulated, emulated)).toBeNull();
    expect(emulatedMixWarning(aws, aws)).toBeNull();
  });
});
