/**
 * Rank planning against the study's own initializer (../shared/cai/lambda/initializer.py), run with a stub boto3
 * that lists the given keys: for every file count and world size up to 12, each rank's files must be the study's.
 * Where the study gives a rank no file (more ranks than files) we share files round-robin instead, by design.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignFiles, orderPartitionKeys } from '../../cloud/lambda/rank-plan.ts';
import { findStudyCaiDir, noStudyCai, pythonOracle } from '../support/python-oracle.ts';

const STUDY_LAMBDA_DIR = path.join(findStudyCaiDir() ?? '', 'lambda');

// Stub boto3 so the study's module imports and lists exactly our keys; then call its handler per case.
const RUN_STUDY_INITIALIZER = `
import json, sys, types
cases = json.load(sys.stdin)
listed = {"keys": []}
class Client:
    def list_objects_v2(self, Bucket, Prefix):
        return {"Contents": [{"Key": k} for k in listed["keys"]]} if listed["keys"] else {}
    def put_object(self, **kw):
        pass
sys.modules["boto3"] = types.SimpleNamespace(client=lambda *a, **k: Client())
sys.path.insert(0, ${JSON.stringify(STUDY_LAMBDA_DIR)})
import initializer
out = []
for c in cases:
    listed["keys"] = c["keys"]
    event = {"bucket": "b", "object_type": "folder", "script": "s", "S3_object_name": "o", "result_path": "r",
             "file_limit": str(len(c["keys"])), "batch_size": "8", "world_size": str(c["world"]),
             "data_bucket": "d", "data_prefix": "p/"}
    out.append([item["DATA_PATH"] for item in initializer.lambda_handler(event, None)["body"]])
print(json.dumps(out))
`;

describe.skipIf(noStudyCai('assignFiles against initializer.py'))('assignFiles against the study initializer', () => {
  it('gives every rank the study’s files for 1..12 files and 1..12 ranks (ranks ≤ files)', () => {
    const cases: Array<{ keys: string[]; world: number }> = [];
    for (let n = 1; n <= 12; n++)
      for (let w = 1; w <= n; w++) cases.push({ keys: Array.from({ length: n }, (_, i) => `${i + 1}.pt`), world: w });
    const study = pythonOracle<Array<Array<string | string[] | null>>>(RUN_STUDY_INITIALIZER, cases);
    expect(study).toHaveLength(cases.length);
    cases.forEach((c, i) => {
      // The study writes a single file as a string and several as a list.
      const want = study[i].map((p) => (Array.isArray(p) ? p : [p]));
      expect(assignFiles(c.keys, c.world), `${c.keys.length} files, ${c.world} ranks`).toEqual(want);
    });
  });

  it('with more ranks than files the study leaves ranks without data, and so does our stack', () => {
    const keys = ['1.pt', '2.pt', '3.pt'];
    const [study] = pythonOracle<Array<Array<string | null>>>(RUN_STUDY_INITIALIZER, [{ keys, world: 5 }]);
    expect(study).toEqual(['1.pt', '2.pt', '3.pt', null, null]);
    // No file is read twice: ranks beyond the files get none (a shared file would inflate the summed throughput).
    expect(assignFiles(keys, 5)).toEqual(study.map((p) => (p === null ? [] : [p])));
  });

  it('defaults to one rank per file and refuses no files or a world size that is not a positive integer', () => {
    expect(assignFiles(['a.pt', 'b.pt'])).toEqual([['a.pt'], ['b.pt']]);
    expect(() => assignFiles([])).toThrow('no partition files to assign');
    for (const w of [0, -1, 1.5, Number.NaN])
      expect(() => assignFiles(['a.pt'], w), String(w)).toThrow(`world_size must be a positive integer, got ${w}`);
  });
});

describe('orderPartitionKeys', () => {
  it('numeric by file name whatever the folder, .pt in any case only, ties by the whole key', () => {
    expect(orderPartitionKeys(['z/2.pt', 'a/10.pt', 'b/1.pt', 'a/1.pt', 'x.pt.txt', 'c/3.PT', 'notes'])).toEqual([
      'a/1.pt',
      'b/1.pt',
      'z/2.pt',
      'c/3.PT',
      'a/10.pt',
    ]);
    expect(orderPartitionKeys(['b/1.pt', 'a/1.pt'])).toEqual(['a/1.pt', 'b/1.pt']);
    // Ties on the file name, in every starting order: always ordered by the whole key.
    const tied = ['a/1.pt', 'b/1.pt', 'c/1.pt', 'd/1.pt'];
    for (let i = 0; i < 24; i++) {
      const rest = [...tied];
      const perm: string[] = [];
      for (let f = 4, n = i; f >= 1; n = Math.floor(n / f), f--) perm.push(rest.splice(n % f, 1)[0]);
      expect(orderPartitionKeys(perm), perm.join(' ')).toEqual(tied);
    }
    expect(orderPartitionKeys(['1.pt'])).toEqual(['1.pt']);
    expect(orderPartitionKeys([])).toEqual([]);
  });
});
