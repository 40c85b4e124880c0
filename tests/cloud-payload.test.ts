import { describe, expect, it } from 'vitest';
import { buildPayload, dataPrefixFor, DEFAULT_CODE_FOLDER } from '../cloud/payload.ts';

const profile = {
  bucket: 'code-bucket',
  dataBucket: 'data-bucket',
  scriptsPrefix: 'scripts/',
  resultsPrefix: 'results/',
  dataPrefix: 'data/',
};

describe('buildPayload: where the data is read from (data_bucket / data_prefix)', () => {
  it('an explicit dataPrefix wins over partitionMb and over the profile', () => {
    const p = buildPayload(profile, { batchSize: 32, fileLimit: 3, partitionMb: 25, dataPrefix: 'mine/75MB/', resultPath: 'r/1' });
    expect(p.data_prefix).toBe('mine/75MB/');
    const q = buildPayload(profile, { batchSize: 32, fileLimit: 3, dataPrefix: 'other/', resultPath: 'r/1' });
    expect(q.data_prefix).toBe('other/');
  });

  it('partitionMb gives <profile prefix><N>MB/; neither gives the profile prefix', () => {
    expect(buildPayload(profile, { batchSize: 32, fileLimit: 3, partitionMb: 25, resultPath: 'r/1' }).data_prefix)
      .toBe('data/25MB/');
    expect(dataPrefixFor({ dataPrefix: 'x/' }, 100)).toBe('x/100MB/');
    expect(buildPayload(profile, { batchSize: 32, fileLimit: 3, resultPath: 'r/1' }).data_prefix).toBe('data/');
  });

  it('the data bucket defaults to the code bucket when the profile names none', () => {
    const { dataBucket: _omit, ...noData } = profile;
    expect(buildPayload(noData, { batchSize: 1, fileLimit: 1, resultPath: 'r/1' }).data_bucket).toBe('code-bucket');
    expect(buildPayload(profile, { batchSize: 1, fileLimit: 1, resultPath: 'r/1' }).data_bucket).toBe('data-bucket');
  });

  it('the code location: folder by default, a single file runs from /tmp/<key>', () => {
    const folder = buildPayload(profile, { batchSize: 8, fileLimit: 2, resultPath: 'r/1' });
    expect(folder).toMatchObject({
      bucket: 'code-bucket',
      object_type: 'folder',
      S3_object_name: `scripts/${DEFAULT_CODE_FOLDER}`,
      script: `/tmp/scripts/${DEFAULT_CODE_FOLDER}/model.onnx`,
      result_path: 'r/1',
      batch_size: 8,
      file_limit: 2,
    });
    expect(folder).not.toHaveProperty('world_size');
    const file = buildPayload(profile, { batchSize: 8, fileLimit: 2, objectType: 'file', s3ObjectName: 'scripts/m.onnx', resultPath: 'r/1' });
    expect(file).toMatchObject({ object_type: 'file', S3_object_name: 'scripts/m.onnx', script: '/tmp/scripts/m.onnx' });
    const own = buildPayload(profile, { batchSize: 8, fileLimit: 2, script: '/tmp/x/run.py', worldSize: 5, resultPath: 'r/1' });
    expect(own).toMatchObject({ script: '/tmp/x/run.py', world_size: 5 });
  });
});
