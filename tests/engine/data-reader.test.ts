import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGalaxyPartition, readGalaxyPartition, readPartitionHeader } from '../../engine/data/pt-reader.ts';
import { PtFormatError } from '../../engine/data/pt-errors.ts';
import { fixture, plainZip, sum64, zipRecords } from '../support/engine-data-helpers.ts';

const expected = JSON.parse(fs.readFileSync(fixture('tiny-8.expected.json'), 'utf8'));
const variants = JSON.parse(fs.readFileSync(fixture('variants/expected.json'), 'utf8')) as Record<
  string,
  Array<{ shape: number[]; sum: number; first: number[] }>
>;

describe('reading the PyTorch-written fixtures', () => {
  for (const name of ['tiny-8.pt', 'tiny-8.legacy.pt']) {
    it(`${name} has exactly the values of tiny-8.expected.json`, async () => {
      const p = await readGalaxyPartition(fixture(name));
      expect(p.samples).toBe(8);
      expect(p.images.length).toBe(8 * 5 * 32 * 32);
      expect(Array.from(p.images.subarray(0, 16))).toEqual(expected.image.first16_c_order);
      expect(sum64(p.images)).toBeCloseTo(expected.image.sum, 9);
      expect(Math.min(...p.images)).toBe(expected.image.min);
      expect(Math.max(...p.images)).toBe(expected.image.max);
      expect(Array.from(p.magnitudes)).toEqual(expected.magnitude.values.flat());
      expect(sum64(p.magnitudes)).toBeCloseTo(expected.magnitude.sum, 10);
      expect(Array.from(p.redshifts!)).toEqual(expected.redshift.values);
      expect(sum64(p.redshifts!)).toBeCloseTo(expected.redshift.sum, 12);
    });
  }

  it('small-64.pt matches the sums, first values and extremes of the fixtures README', async () => {
    const p = await readGalaxyPartition(fixture('small-64.pt'));
    expect(p.samples).toBe(64);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    expect(rel(sum64(p.images), 7736.802377589047)).toBeLessThan(1e-9);
    expect(rel(sum64(p.magnitudes), 6363.112309455872)).toBeLessThan(1e-9);
    expect(rel(sum64(p.redshifts!), 11.499887841157033)).toBeLessThan(1e-9);
    expect(Array.from(p.images.subarray(0, 3))).toEqual([
      0.012081602588295937, 0.011833207681775093, 0.012608380988240242,
    ]);
    expect(Array.from(p.magnitudes.subarray(0, 3))).toEqual([
      15.225981712341309, 17.447547912597656, 16.883132934570313,
    ]);
    expect(Array.from(p.redshifts!.subarray(0, 3))).toEqual([
      0.07805623859167099, 0.22499214112758636, 0.16592197120189667,
    ]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of p.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeCloseTo(0.0100000175, 10);
    expect(max).toBeCloseTo(0.506566763, 9);
  });

  it('returns float32 views into the file buffer for aligned zip records (no extra copy)', () => {
    const bytes = fs.readFileSync(fixture('small-64.pt'));
    const p = parseGalaxyPartition(bytes, 'small-64.pt');
    expect(p.images.buffer).toBe(bytes.buffer);
    expect(p.magnitudes.buffer).toBe(bytes.buffer);
    expect(p.redshifts!.buffer).toBe(bytes.buffer);
  });

  it('copies when the bytes are not 4-byte aligned, with the same values', () => {
    const raw = fs.readFileSync(fixture('tiny-8.pt'));
    const shifted = new Uint8Array(raw.length + 1).subarray(1);
    shifted.set(raw);
    const p = parseGalaxyPartition(shifted, 'tiny-8.pt');
    expect(p.images.buffer).not.toBe(shifted.buffer);
    expect(Array.from(p.images.subarray(0, 16))).toEqual(expected.image.first16_c_order);
  });

  it('reads headers only: samples, format, labels and dtypes', async () => {
    expect(await readPartitionHeader(fixture('tiny-8.pt'))).toEqual({
      path: fixture('tiny-8.pt'),
      format: 'zip',
      bytes: 165214,
      samples: 8,
      labelled: true,
      dtypes: ['float32', 'float32', 'float32'],
    });
    const legacy = await readPartitionHeader(fixture('tiny-8.legacy.pt'));
    expect(legacy).toMatchObject({ format: 'legacy', samples: 8, bytes: 164613, labelled: true });
    expect((await readPartitionHeader(fixture('variants/unlabelled.pt'))).labelled).toBe(false);
  });
});

describe('dtypes, strides and offsets written by real PyTorch', () => {
  it('expected.json lists every variant (an empty list must not become zero tests)', () => {
    const pts = fs.readdirSync(path.dirname(fixture('variants/expected.json'))).filter((f) => f.endsWith('.pt'));
    // The rest are refused on purpose and checked in engine-data-errors.test.ts.
    const refused = ['dict.pt', 'long-redshifts.pt', 'module.pt'];
    expect(Object.keys(variants).sort()).toEqual(pts.filter((f) => !refused.includes(f)).sort());
    expect(Object.keys(variants)).toHaveLength(6);
  });
  for (const [name, tensors] of Object.entries(variants)) {
    it(`${name}: float32 values equal torch's .float() in C order`, async () => {
      const p = await readGalaxyPartition(fixture(`variants/${name}`));
      const arrays = [p.images, p.magnitudes, ...(p.redshifts ? [p.redshifts] : [])];
      expect(arrays.length).toBe(tensors.length);
      tensors.forEach((t, i) => {
        expect(arrays[i].length).toBe(t.shape.reduce((a, b) => a * b, 1));
        expect(Array.from(arrays[i].subarray(0, 4))).toEqual(t.first);
        expect(Math.abs(sum64(arrays[i]) - t.sum)).toBeLessThan(1e-9 * Math.abs(t.sum));
      });
      if (name === 'unlabelled.pt') expect(p.redshifts).toBeNull();
    });
  }

  it('reads the header of a legacy float64 file without loading its data', async () => {
    expect(await readPartitionHeader(fixture('variants/float64.legacy.pt'))).toMatchObject({
      format: 'legacy',
      samples: 3,
      dtypes: ['float64', 'float64', 'float64'],
    });
  });
});

describe('zip archives written by other tools', () => {
  it('reads deflated and stored records without zip64 or data descriptors (unaligned data is copied)', () => {
    const records = zipRecords(fixture('tiny-8.pt'));
    for (const deflate of [true, false]) {
      const bytes = plainZip(records.map((r) => ({ ...r, deflate })));
      const p = parseGalaxyPartition(bytes, 'repacked.pt');
      expect(Array.from(p.images.subarray(0, 16))).toEqual(expected.image.first16_c_order);
      expect(Array.from(p.magnitudes)).toEqual(expected.magnitude.values.flat());
      expect(Array.from(p.redshifts!)).toEqual(expected.redshift.values);
    }
  });

  it('bounds inflation by the declared size: a record that inflates beyond it is refused', () => {
    const records = zipRecords(fixture('tiny-8.pt'));
    const bytes = plainZip(
      records.map((r) => ({ ...r, deflate: true, declaredSize: r.name.endsWith('data/0') ? 1000 : undefined })),
    );
    expect(() => parseGalaxyPartition(bytes, 'bomb.pt')).toThrow(PtFormatError);
    expect(() => parseGalaxyPartition(bytes, 'bomb.pt')).toThrow(
      /^bomb\.pt: (storage '0' declares 40960 float32 elements \(163840 bytes\) but its record holds only 1000 bytes|zip record 'tiny-8\/data\/0' does not inflate)/,
    );
    const zeros = new Uint8Array(50 << 20); // 50 MB of zeros deflates to ~50 KB
    const bomb = plainZip([
      ...records.filter((r) => !r.name.endsWith('data/0')).map((r) => ({ ...r, deflate: false })),
      { name: 'tiny-8/data/0', data: zeros, deflate: true, declaredSize: 163840 },
    ]);
    expect(() => parseGalaxyPartition(bomb, 'bomb2.pt')).toThrow(
      /^bomb2\.pt: zip record 'tiny-8\/data\/0' (does not inflate|inflates to)/,
    );
  });
});
