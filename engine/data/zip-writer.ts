import zlib from 'node:zlib';

/**
 * Lays out a zip archive the way torch's PyTorchStreamWriter (miniz) does: stored records whose data starts on a
 * 64-byte boundary (an "FB" padding extra field), zero-filled local headers followed by data descriptors, and
 * zip64 end records. Matching it byte for byte means torch.load reads our files exactly as its own.
 */

export interface ZipRecord {
  name: string;
  /** The record's bytes, possibly in several pieces (e.g. views over Float32Arrays). */
  parts: Uint8Array[];
}

const ALIGNMENT = 64;
const LIMIT_32 = 0xffffffff;

function le(size: number, fill: (v: DataView) => void): Uint8Array {
  const b = new Uint8Array(size);
  fill(new DataView(b.buffer));
  return b;
}

/** Returns the archive as a list of chunks to write in order; record data is not copied. */
export function torchZipChunks(records: ZipRecord[]): Uint8Array[] {
  const enc = new TextEncoder();
  const out: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let cursor = 0;
  const emit = (b: Uint8Array) => {
    out.push(b);
    cursor += b.length;
  };
  for (const rec of records) {
    const name = enc.encode(rec.name);
    const size = rec.parts.reduce((n, p) => n + p.length, 0);
    if (size >= LIMIT_32 || cursor >= LIMIT_32)
      throw new RangeError('archives of 4 GiB or more are not supported by this writer');
    let crc = 0;
    for (const p of rec.parts) crc = zlib.crc32(p, crc);
    const dataStart = cursor + 30 + name.length + 4;
    const pad = (ALIGNMENT - (dataStart % ALIGNMENT)) % ALIGNMENT;
    const offset = cursor;
    emit(
      le(30, (v) => {
        v.setUint32(0, 0x04034b50, true);
        v.setUint16(6, 0x0808, true); // data descriptor follows; UTF-8 names
        v.setUint16(26, name.length, true);
        v.setUint16(28, pad + 4, true);
      }),
    );
    emit(name);
    const extra = new Uint8Array(pad + 4).fill(0x5a); // 'Z'
    extra[0] = 0x46; // 'F'
    extra[1] = 0x42; // 'B'
    extra[2] = pad & 0xff;
    extra[3] = pad >> 8;
    emit(extra);
    for (const p of rec.parts) emit(p);
    emit(
      le(16, (v) => {
        v.setUint32(0, 0x08074b50, true);
        v.setUint32(4, crc, true);
        v.setUint32(8, size, true);
        v.setUint32(12, size, true);
      }),
    );
    const entry = new Uint8Array(46 + name.length);
    const cv = new DataView(entry.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(8, 0x0808, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, size, true);
    cv.setUint32(24, size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    entry.set(name, 46);
    central.push(entry);
  }
  const cdOffset = cursor;
  for (const e of central) emit(e);
  const cdSize = cursor - cdOffset;
  const z64Offset = cursor;
  const n = records.length;
  emit(
    le(56, (v) => {
      v.setUint32(0, 0x06064b50, true);
      v.setBigUint64(4, 44n, true);
      v.setUint16(12, 0x031e, true);
      v.setUint16(14, 0x002d, true);
      v.setBigUint64(24, BigInt(n), true);
      v.setBigUint64(32, BigInt(n), true);
      v.setBigUint64(40, BigInt(cdSize), true);
      v.setBigUint64(48, BigInt(cdOffset), true);
    }),
  );
  emit(
    le(20, (v) => {
      v.setUint32(0, 0x07064b50, true);
      v.setBigUint64(8, BigInt(z64Offset), true);
      v.setUint32(16, 1, true);
    }),
  );
  emit(
    le(22, (v) => {
      v.setUint32(0, 0x06054b50, true);
      v.setUint16(8, n, true);
      v.setUint16(10, n, true);
      v.setUint32(12, cdSize, true);
      v.setUint32(16, cdOffset, true);
    }),
  );
  return out;
}
