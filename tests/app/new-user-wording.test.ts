import { describe, expect, it } from 'vitest';
import { profileLocations } from '../../app/common/profile-summary.ts';
import { sortedLabels, sortedNumbers } from '../../app/common/report-settings.ts';
import { DEFAULT_SETTINGS } from '../../app/node/settings-store.ts';
import { CloudRunOptions } from '../../app/common/contract/index.ts';
import { DEFAULT_BATCH_SIZE } from '../../base/options.ts';

describe('wording a new user tripped over', () => {
  it('the profile summary says what each prefix holds (never "data data/")', () => {
    const p = { bucket: 'b', scriptsPrefix: 'scripts/', resultsPrefix: 'results/', dataPrefix: 'data/' };
    expect(profileLocations(p)).toBe('s3://b/ (scripts in scripts/, results in results/, data in data/)');
    expect(profileLocations({ ...p, dataPrefix: '', dataBucket: 'other' })).toBe(
      's3://b/ (scripts in scripts/, results in results/, data in s3://other/)',
    );
    expect(profileLocations({ ...p, dataPrefix: '' })).toContain('data in the bucket root');
  });

  it('report settings list sizes in order, once', () => {
    expect(sortedNumbers([100, 25, 50, 25, null])).toBe('25, 50, 100');
    expect(sortedLabels(['total', '10GB', '2GB', '1GB', null, '2GB'])).toBe('1GB, 2GB, 10GB, total');
  });
});

describe('one default batch size', () => {
  it("is the study's 512 for the app's settings, cloud runs and the engine", () => {
    expect(DEFAULT_BATCH_SIZE).toBe(512);
    expect(DEFAULT_SETTINGS.defaults.batchSize).toBe(DEFAULT_BATCH_SIZE);
    expect(CloudRunOptions.parse({ profile: 'p' }).batchSize).toBe(DEFAULT_BATCH_SIZE);
  });
});
