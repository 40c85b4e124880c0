import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../engine/data/dataset.ts';
import { PtFormatError } from '../../engine/data/pt-errors.ts';
import { readGalaxyPartition, readPartitionHeader } from '../../engine/data/pt-reader.ts';
import { openPartitionStream } from '../../engine/data/pt-stream.ts';
import { torchZipChunks } from '../../engine/data/zip-writer.ts';
import { concat, fixture, rawDataset, tmpDir } from '../support/engine-data-helpers.ts';

let dir: string;
beforeAll(() => {
  dir = tmpDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function put(name: string, bytes: Uint8Array | string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** The full read, the streamed open and the header-only read must all fail with the same clean error. */
async function expectBoth(file: string, code: string, text: RegExp, { headerToo = true } = {}): Promise<void> {
  const checks = [
    () => readGalaxyPartition(file),
    () => openPartitionStream(file),
    ...(headerToo ? [() => readPartitionHeader(file)] : []),
  ];
  for (const attempt of checks) {
    const err = await attempt().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err, `${path.basename(file)} should be refused`).toBeInstanceOf(PtFormatError);
    const e = err as PtFormatError;
    expect(e.file).toBe(file);
    expect(e.message.startsWith(`${file}: `)).toBe(true);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(text);
  }
}

/** A zip with a hand-written data.pkl. */
function zipWithPickle(name: string, pickle: number[] | Uint8Array): string {
  return put(
    name,
    concat(
      torchZipChunks([
        { name: 'x/data.pkl', parts: [Uint8Array.from(pickle)] },
        { name: 'x/version', parts: [Buffer.from('3\n')] },
      ]),
    ),
  );
}

const tiny = () => fs.readFileSync(fixture('tiny-8.pt'));

describe('bad input: clear errors naming the file and the problem', () => {
  it('truncated zip', async () => {
    await expectBoth(
      put('trunc-half.pt', tiny().subarray(0, 100_000)),
      'zip-corrupt',
      /truncated or corrupt: no end-of-central-directory/,
    );
    const b = tiny();
    await expectBoth(put('trunc-tail.pt', b.subarray(0, b.length - 10)), 'zip-corrupt', /end-of-central-directory/);
  });

  it('corrupt zip: damaged central directory, damaged data', async () => {
    const b = tiny();
    const cd = b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    b[cd + 1] ^= 0xff;
    await expectBoth(put('bad-cd.pt', b), 'zip-corrupt', /central directory entry 0 is corrupt/);
    const d = tiny();
    d[600] ^= 0x40; // inside tiny-8/data/0
    await expectBoth(put('bad-data.pt', d), 'crc-mismatch', /'tiny-8\/data\/0' fails its CRC-32 check/, {
      headerToo: false,
    });
    const p = tiny();
    p[80] ^= 0x01; // inside data.pkl
    await expectBoth(put('bad-pickle-crc.pt', p), 'crc-mismatch', /data\.pkl' fails its CRC-32/);
  });

  it('wrong magic, empty file, old tar format', async () => {
    await expectBoth(put('text.pt', 'hello, this is not a tensor file\n'), 'not-pt', /wrong magic bytes 68 65 6c 6c/);
    await expectBoth(put('empty.pt', ''), 'not-pt', /the file is empty/);
    const tar = Buffer.alloc(1024);
    tar.write('ustar', 257);
    tar[0] = 0x73;
    await expectBoth(put('tar.pt', tar), 'unsupported', /tar-based torch\.save format/);
    await expectBoth(
      put('plain-pickle.pt', Buffer.from([0x80, 0x02, 0x4b, 0x05, 0x2e])),
      'not-pt',
      /magic number missing/,
    );
  });

  it('a pickle that uses any other global', async () => {
    await expectBoth(
      fixture('variants/module.pt'),
      'forbidden-global',
      /'torch\.nn\.modules\.linear\.Linear', which is not on the allow-list/,
    );
    await expectBoth(fixture('variants/long-redshifts.pt'), 'forbidden-global', /'torch\.LongStorage'/);
    // builtins.eval('1+1') in data.pkl, and os.system in a legacy stream: refused before anything is called.
    const evil = [
      0x80,
      0x02,
      0x63,
      ...Buffer.from('builtins\neval\n'),
      0x58,
      3,
      0,
      0,
      0,
      ...Buffer.from('1+1'),
      0x85,
      0x52,
      0x2e,
    ];
    await expectBoth(zipWithPickle('eval.pt', evil), 'forbidden-global', /'builtins\.eval'/);
    await expectBoth(
      put('os-system.pt', Uint8Array.from([0x80, 0x02, 0x63, ...Buffer.from('os\nsystem\n'), 0x2e])),
      'forbidden-global',
      /'os\.system'/,
    );
    // STACK_GLOBAL goes through the same allow-list.
    const stacked = [0x80, 0x04, 0x8c, 10, ...Buffer.from('subprocess'), 0x8c, 5, ...Buffer.from('Popen'), 0x93, 0x2e];
    await expectBoth(zipWithPickle('stack-global.pt', stacked), 'forbidden-global', /'subprocess\.Popen'/);
  });

  it('something that is not a TensorDataset', async () => {
    await expectBoth(
      fixture('variants/dict.pt'),
      'bad-structure',
      /holds a dict, not a torch\.utils\.data\.TensorDataset/,
    );
    await expectBoth(
      put('one-tensor.pt', rawDataset('one-tensor.pt', [{ shape: [2, 5, 32, 32] }])),
      'bad-structure',
      /holds 1 tensors; expected 3/,
    );
  });

  it('tensors of the wrong rank or shape', async () => {
    await expectBoth(
      put('rank3.pt', rawDataset('rank3.pt', [{ shape: [8, 5, 32] }, { shape: [8, 5] }, { shape: [8] }])),
      'bad-shape',
      /images has shape \[8,5,32\] \(rank 3\); expected \[N,5,32,32\]/,
    );
    await expectBoth(
      put('bands.pt', rawDataset('bands.pt', [{ shape: [8, 3, 32, 32] }, { shape: [8, 5] }, { shape: [8] }])),
      'bad-shape',
      /images has shape \[8,3,32,32\]/,
    );
    await expectBoth(
      put('mags.pt', rawDataset('mags.pt', [{ shape: [8, 5, 32, 32] }, { shape: [8, 4] }, { shape: [8] }])),
      'bad-shape',
      /magnitudes has shape \[8,4\] \(rank 2\); expected \[N,5\]/,
    );
    await expectBoth(
      put('reds.pt', rawDataset('reds.pt', [{ shape: [8, 5, 32, 32] }, { shape: [8, 5] }, { shape: [8, 2] }])),
      'bad-shape',
      /redshifts has shape \[8,2\] \(rank 2\); expected \[N\]/,
    );
  });

  it('mismatched lengths', async () => {
    await expectBoth(
      put('lengths.pt', rawDataset('lengths.pt', [{ shape: [8, 5, 32, 32] }, { shape: [7, 5] }, { shape: [8] }])),
      'length-mismatch',
      /images has 8 samples but magnitudes has 7/,
    );
    await expectBoth(
      put('lengths2.pt', rawDataset('lengths2.pt', [{ shape: [8, 5, 32, 32] }, { shape: [8, 5] }, { shape: [9] }])),
      'length-mismatch',
      /but redshifts has 9/,
    );
  });

  it('an empty dataset, a folder with no .pt files, a missing path', async () => {
    await expectBoth(
      put('zero.pt', rawDataset('zero.pt', [{ shape: [0, 5, 32, 32] }, { shape: [0, 5] }, { shape: [0] }])),
      'empty',
      /holds 0 samples/,
    );
    const empty = path.join(dir, 'no-pt');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'notes.txt'), 'not a partition');
    await expect(openDataset(empty)).rejects.toMatchObject({
      code: 'no-pt-files',
      file: empty,
      message: `${empty}: the folder holds no .pt files`,
    });
    const missing = path.join(dir, 'nowhere');
    await expect(openDataset(missing)).rejects.toMatchObject({
      code: 'io',
      file: missing,
      message: `${missing}: no such file or folder`,
    });
    await expectBoth(missing, 'io', /cannot (read|open) the file/);
    await expectBoth(empty, 'io', /EISDIR|folder, not a \.pt file/);
    await expect(openDataset([])).rejects.toMatchObject({ code: 'no-pt-files' });
  });

  it('a declared tensor size larger than the file', async () => {
    // The pickle declares 8×5×32×32 floats but the record holds 100.
    const short = rawDataset('short.pt', [
      { shape: [8, 5, 32, 32], values: new Float32Array(100) },
      { shape: [8, 5] },
      { shape: [8] },
    ]);
    await expectBoth(
      put('short.pt', short),
      'size-exceeds-file',
      /storage '0' declares 40960 float32 elements \(163840 bytes\) but its record holds only 400 bytes/,
    );
    // The central directory claims a record far larger than the file.
    const b = tiny();
    const entry = b.indexOf(Buffer.from('tiny-8/data/0'), b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))) - 46;
    b.writeUInt32LE(0x7fff0000, entry + 20);
    b.writeUInt32LE(0x7fff0000, entry + 24);
    await expectBoth(
      put('huge-record.pt', b),
      'size-exceeds-file',
      /'tiny-8\/data\/0' declares 2147418112 bytes but the file ends/,
    );
    // Legacy: the data blocks stop before the declared element count.
    const legacy = fs.readFileSync(fixture('tiny-8.legacy.pt'));
    await expectBoth(
      put('legacy-trunc.pt', legacy.subarray(0, 100_000)),
      'size-exceeds-file',
      /declares 40960 float32 elements \(163840 bytes\) but only \d+ bytes remain/,
    );
    await expectBoth(
      put('legacy-cut-pickle.pt', legacy.subarray(0, 300)),
      'pickle-corrupt',
      /legacy pickle stream is corrupt: pickle ends/,
    );
  });

  it('a tensor that reaches past its storage', async () => {
    // Patch the images storage numel in data.pkl (BININT2 40960 -> 4096) and fix the CRC so only the bound check can catch it.
    const { crc32 } = await import('node:zlib');
    const b = tiny();
    const pkl = b.subarray(64, 64 + 337);
    const at = pkl.indexOf(Buffer.from([0x4d, 0x00, 0xa0])); // BININT2 40960
    pkl.writeUInt16LE(4096, at + 1);
    const crc = crc32(pkl);
    b.writeUInt32LE(crc, 64 + 337 + 4); // data descriptor
    const cd = b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    b.writeUInt32LE(crc, cd + 16);
    await expectBoth(
      put('numel.pt', b),
      'size-exceeds-file',
      /images \[8,5,32,32\].*reaches element 40959 of storage '0', which declares only 4096 elements/,
    );
    // One element short is refused too (the last element's index must be below numel, not equal to it).
    pkl.writeUInt16LE(40959, at + 1);
    const crc2 = crc32(pkl);
    b.writeUInt32LE(crc2, 64 + 337 + 4);
    b.writeUInt32LE(crc2, cd + 16);
    await expectBoth(
      put('numel-1.pt', b),
      'size-exceeds-file',
      /reaches element 40959 of storage '0', which declares only 40959 elements/,
    );
  });

  it('bounded pickle machine: deep marks and huge stacks are refused, not recursed', async () => {
    await expectBoth(
      zipWithPickle('marks.pt', [0x80, 0x02, ...new Array(5000).fill(0x28), 0x2e]),
      'pickle-corrupt',
      /more than 1000 nested MARKs/,
    );
    await expectBoth(
      zipWithPickle('stack.pt', [0x80, 0x02, ...new Array(200_001).fill(0x4e), 0x2e]),
      'pickle-corrupt',
      /stack grows beyond 100000 items/,
    );
    await expectBoth(
      zipWithPickle('long4.pt', [0x80, 0x02, 0x8b, 0xff, 0xff, 0xff, 0x7f, 0x2e]),
      'unsupported',
      /integer of 2147483647 bytes/,
    );
    await expectBoth(
      zipWithPickle('unicode.pt', [0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x2e]),
      'pickle-corrupt',
      /pickle ends inside a 2147483647-byte value/,
    );
  });
});
