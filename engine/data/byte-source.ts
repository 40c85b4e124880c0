import fs from 'node:fs';

/**
 * Random access to a file's bytes, either already in memory (views, no copies) or read on demand from an open
 * file (only the headers of a partition, so a dataset can be opened without loading its tensors).
 */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset`; callers check bounds against `size` first. */
  read(offset: number, length: number): Uint8Array;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) => bytes.subarray(offset, offset + length),
  };
}

/** Sync positioned reads: header reads are a few kilobytes, so blocking briefly is cheaper than async plumbing. */
export function fileSource(fd: number, size: number): ByteSource {
  return {
    size,
    read(offset, length) {
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, buf, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done === length ? buf : buf.subarray(0, done);
    },
  };
}
