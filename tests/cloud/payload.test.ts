import { describe, expect, it } from 'vitest';
import {
  buildPayload,
  dataPrefixFor,
  DEFAULT_CODE_FOLDER,
  newResultPath,
  parsePayloadText,
  payloadToText,
  validatePayload,
} from '../../cloud/payload.ts';

const profile = {
  bucket: 'code-bucket',
  dataBucket: 'data-bucket',
  scriptsPrefix: 'scripts/',
  resultsPrefix: 'results/',
  dataPrefix: 'data/',
};

describe('buildPayload: where the data is read from (data_bucket / data_prefix)', () => {
  it('an explicit dataPrefix wins over partitionMb and over the profile', () => {
    const p = buildPayload(profile, {
      batchSize: 32,
      fileLimit: 3,
      partitionMb: 25,
      dataPrefix: 'mine/75MB/',
      resultPath: 'r/1',
    });
    expect(p.data_prefix).toBe('mine/75MB/');
    const q = buildPayload(profile, { batchSize: 32, fileLimit: 3, dataPrefix: 'other/', resultPath: 'r/1' });
    expect(q.data_prefix).toBe('other/');
  });

  it('partitionMb gives <profile prefix><N>MB/; neither gives the profile prefix', () => {
    expect(buildPayload(profile, { batchSize: 32, fileLimit: 3, partitionMb: 25, resultPath: 'r/1' }).data_prefix).toBe(
      'data/25MB/',
    );
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
    const file = buildPayload(profile, {
      batchSize: 8,
      fileLimit: 2,
      objectType: 'file',
      s3ObjectName: 'scripts/m.onnx',
      resultPath: 'r/1',
    });
    expect(file).toMatchObject({
      object_type: 'file',
      S3_object_name: 'scripts/m.onnx',
      script: '/tmp/scripts/m.onnx',
    });
    const own = buildPayload(profile, {
      batchSize: 8,
      fileLimit: 2,
      script: '/tmp/x/run.py',
      worldSize: 5,
      resultPath: 'r/1',
    });
    expect(own).toMatchObject({ script: '/tmp/x/run.py', world_size: 5 });
  });
});

describe('payload text: parse, validate, print', () => {
  const profileP = { bucket: 'bkt', dataBucket: 'dat', scriptsPrefix: 's/', resultsPrefix: 'r/', dataPrefix: 'p/' };
  const good = buildPayload(profileP, { batchSize: 4, fileLimit: 2, resultPath: 'r/x', worldSize: 3 });

  it('prints the study field order, two-space indented, with a final newline; unknown fields are kept last', () => {
    const text = payloadToText({ extra: 1, ...good } as never);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "bucket": "bkt",');
    expect(Object.keys(JSON.parse(text))).toEqual([
      'bucket',
      'file_limit',
      'batch_size',
      'object_type',
      'S3_object_name',
      'script',
      'result_path',
      'data_bucket',
      'data_prefix',
      'world_size',
      'extra',
    ]);
    const parsed = parsePayloadText(text);
    expect(parsed.ok && Object.keys(parsed.payload).at(-1)).toBe('extra');
  });

  it('refuses what is not a JSON object, with the reason', () => {
    for (const text of ['[]', 'null', '7', '"x"']) {
      expect(parsePayloadText(text), text).toEqual({
        ok: false,
        issues: [{ path: '', message: 'the payload must be a JSON object' }],
      });
    }
    const syntax = parsePayloadText('{"bucket": ');
    expect(syntax.ok).toBe(false);
    expect(!syntax.ok && syntax.issues).toEqual([{ path: '', message: expect.stringMatching(/^not valid JSON: /) }]);
  });

  it('validatePayload names each bad field, or (root)', () => {
    expect(validatePayload(good)).toEqual(good);
    expect(() => validatePayload({ ...good, batch_size: 0 })).toThrow(/^Invalid payload: batch_size: /);
    expect(() => validatePayload({ ...good, batch_size: 0, object_type: 'zip' })).toThrow(
      /^Invalid payload: batch_size: [^;]+; object_type: /,
    );
    expect(() => validatePayload([1])).toThrow('Invalid payload: (root): the payload must be a JSON object');
  });

  it('a fresh result path is <prefix><UTC yyyymmdd-hhmmss>-<6 hex>, zero-padded', () => {
    const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(newResultPath('res/', now)).toMatch(/^res\/20260102-030405-[0-9a-f]{6}$/);
    expect(newResultPath('', new Date(Date.UTC(2026, 11, 31, 23, 59, 59)))).toMatch(/^20261231-235959-[0-9a-f]{6}$/);
  });
});
