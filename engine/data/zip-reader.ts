import zlib from 'node:zlib';
import type { ByteSource } from './byte-source.ts';
import { PtFormatError } from './pt-errors.ts';

/**
 * A minimal zip reader for torch archives: it trusts only the central directory (torch writes data
 * descriptors, so local headers carry zero sizes), supports stored and deflated entries and zip64.
 */

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** Inflated records larger than this are refused rather than allocated. */
const MAX_INFLATED = 2 ** 31 - 1;
/**
 * Zip-bomb bound: beyond 64 MiB, a record may not inflate to more than 64× its compressed size. torch.save stores
 * records uncompressed, and float32 data re-zipped by other tools shrinks by a few percent, so only bombs (or
 * all-zero tensors of hundreds of MB) hit it.
 */
export const INFLATE_FREE_BYTES = 64 * 2 ** 20;
export const MAX_INFLATE_RATIO = 64;

export function isZip(head: Uint8Array): boolean {
  return (
    head.length >= 4 &&
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    (head[2] === 3 || head[2] === 5) &&
    (head[3] === 4 || head[3] === 6)
  );
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(view: DataView, at: number, file: string, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER))
    throw new PtFormatError(file, 'zip-corrupt', `zip ${what} ${v} is out of range`);
  return Number(v);
}

export function readCentralDirectory(src: ByteSource, file: string): ZipEntry[] {
  if (src.size < EOCD_SIZE)
    throw new PtFormatError(
      file,
      'zip-corrupt',
      `zip archive is truncated (${src.size} bytes, no end-of-central-directory record)`,
    );
  const tailLen = Math.min(src.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = src.size - tailLen;
  const tail = src.read(tailStart, tailLen);
  const tv = dv(tail);
  let eocd = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + tv.getUint16(i + 20, true) <= tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0)
    throw new PtFormatError(
      file,
      'zip-corrupt',
      'zip archive is truncated or corrupt: no end-of-central-directory record',
    );
  const eocdAbs = tailStart + eocd;
  if (tv.getUint16(eocd + 4, true) !== 0 || tv.getUint16(eocd + 6, true) !== 0) {
    throw new PtFormatError(file, 'unsupported', 'multi-disk zip archives are not supported');
  }
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  let cdLimit = eocdAbs;

  // torch always writes zip64 records; when present they are authoritative.
  const locAbs = eocdAbs - 20;
  if (locAbs >= 0) {
    const loc = src.read(locAbs, 20);
    const lv = dv(loc);
    if (lv.getUint32(0, true) === SIG_ZIP64_LOCATOR) {
      const z64 = u64(lv, 8, file, 'zip64 record offset');
      if (z64 + 56 > locAbs)
        throw new PtFormatError(file, 'zip-corrupt', 'zip64 end-of-central-directory record lies outside the file');
      const rec = src.read(z64, 56);
      const rv = dv(rec);
      if (rv.getUint32(0, true) !== SIG_ZIP64_EOCD)
        throw new PtFormatError(file, 'zip-corrupt', 'zip64 end-of-central-directory record is corrupt');
      count = u64(rv, 32, file, 'entry count');
      cdSize = u64(rv, 40, file, 'central directory size');
      cdOffset = u64(rv, 48, file, 'central directory offset');
      cdLimit = z64;
    }
  }
  if (cdOffset + cdSize > cdLimit) {
    throw new PtFormatError(
      file,
      'zip-corrupt',
      `zip central directory (offset ${cdOffset}, ${cdSize} bytes) extends past the end of the archive; the file is truncated or corrupt`,
    );
  }
  if (count * 46 > cdSize)
    throw new PtFormatError(file, 'zip-corrupt', `zip central directory is too small for ${count} entries`);

  const cd = src.read(cdOffset, cdSize);
  const cv = dv(cd);
  const entries: ZipEntry[] = [];
  const utf8 = new TextDecoder();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cv.getUint32(p, true) !== SIG_CENTRAL) {
      throw new PtFormatError(file, 'zip-corrupt', `zip central directory entry ${i} is corrupt`);
    }
    const method = cv.getUint16(p + 10, true);
    const crc32 = cv.getUint32(p + 16, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let size = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    let localHeaderOffset = cv.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.length) throw new PtFormatError(file, 'zip-corrupt', `zip central directory entry ${i} is truncated`);
    const name = utf8.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field: the 64-bit values appear only for fields saturated at 0xFFFFFFFF, in this order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cv.getUint16(x, true);
      const len = cv.getUint16(x + 2, true);
      if (x + 4 + len > xEnd) break;
      if (id === 1) {
        let q = x + 4;
        const next = (what: string): number => {
          if (q + 8 > x + 4 + len)
            throw new PtFormatError(file, 'zip-corrupt', `zip64 extra field of '${name}' is too short`);
          const v = u64(cv, q, file, what);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next('size');
        if (compressedSize === 0xffffffff) compressedSize = next('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next('header offset');
      }
      x += 4 + len;
    }
    entries.push({ name, method, crc32, compressedSize, size, localHeaderOffset });
    p = end;
  }
  return entries;
}

/** Absolute offset of an entry's data, after checking that the whole record lies inside the file. */
export function entryDataOffset(src: ByteSource, entry: ZipEntry, file: string): number {
  if (entry.localHeaderOffset + 30 > src.size) {
    throw new PtFormatError(
      file,
      'zip-corrupt',
      `zip record '${entry.name}' starts past the end of the file; the file is truncated`,
    );
  }
  const h = dv(src.read(entry.localHeaderOffset, 30));
  if (h.getUint32(0, true) !== SIG_LOCAL)
    throw new PtFormatError(file, 'zip-corrupt', `zip record '${entry.name}' has a corrupt local header`);
  const start = entry.localHeaderOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
  if (start + entry.compressedSize > src.size) {
    throw new PtFormatError(
      file,
      'size-exceeds-file',
      `zip record '${entry.name}' declares ${entry.compressedSize} bytes but the file ends ${Math.max(0, src.size - start)} bytes after its start; the file is truncated`,
    );
  }
  return start;
}

/** The record's bytes: a view for stored entries, an inflated copy for deflated ones. */
export function readEntry(src: ByteSource, entry: ZipEntry, file: string, verifyCrc = true): Uint8Array {
  const start = entryDataOffset(src, entry, file);
  let data: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size)
      throw new PtFormatError(file, 'zip-corrupt', `stored zip record '${entry.name}' has inconsistent sizes`);
    data = src.read(start, entry.size);
  } else if (entry.method === 8) {
    if (entry.size > MAX_INFLATED)
      throw new PtFormatError(
        file,
        'unsupported',
        `deflated zip record '${entry.name}' is too large (${entry.size} bytes)`,
      );
    if (entry.size > Math.max(INFLATE_FREE_BYTES, entry.compressedSize * MAX_INFLATE_RATIO)) {
      throw new PtFormatError(
        file,
        'zip-bomb',
        `deflated zip record '${entry.name}' would inflate ${entry.compressedSize} bytes to ${entry.size} (more than ${MAX_INFLATE_RATIO}× beyond ${INFLATE_FREE_BYTES / 2 ** 20} MiB); refused as a likely zip bomb`,
      );
    }
    try {
      data = zlib.inflateRawSync(src.read(start, entry.compressedSize), { maxOutputLength: Math.max(1, entry.size) });
    } catch (err) {
      throw new PtFormatError(
        file,
        'zip-corrupt',
        `zip record '${entry.name}' does not inflate: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (data.length !== entry.size)
      throw new PtFormatError(
        file,
        'zip-corrupt',
        `zip record '${entry.name}' inflates to ${data.length} bytes, not the declared ${entry.size}`,
      );
  } else {
    throw new PtFormatError(
      file,
      'unsupported',
      `zip record '${entry.name}' uses compression method ${entry.method}; only stored and deflate are supported`,
    );
  }
  if (verifyCrc && zlib.crc32(data) !== entry.crc32) {
    throw new PtFormatError(
      file,
      'crc-mismatch',
      `zip record '${entry.name}' fails its CRC-32 check; the file is corrupt`,
    );
  }
  return data;
}
