/**
 * A minimal zip writer for the Lambda package: deflated entries (zlib, raw deflate), CRC-32 from zlib.crc32,
 * Unix permissions (Lambda needs files readable by the runtime's user), a fixed timestamp so the same inputs
 * give the same bytes (and the same content hash, which names the S3 key). No zip64: the package is far under 4 GiB.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const deflateRaw = promisify(zlib.deflateRaw);

export interface ZipInput {
  /** Path inside the archive, with "/" separators. */
  name: string;
  data: Uint8Array;
  /** Unix mode bits, default 0o644. */
  mode?: number;
}

export interface ZipOutput {
  chunks: Buffer[];
  zippedBytes: number;
  unzippedBytes: number;
}

// 2020-01-01 00:00, DOS format.
const DOS_TIME = 0;
const DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1;
const LIMIT_32 = 0xffffffff;

export async function writeZip(entries: ZipInput[], level = 6): Promise<ZipOutput> {
  const seen = new Set<string>();
  for (const e of entries) {
    if (!e.name || e.name.startsWith('/') || e.name.includes('\\') || e.name.split('/').includes('..'))
      throw new Error(`zip entry name '${e.name}' must be a relative path with "/" separators`);
    if (seen.has(e.name)) throw new Error(`zip entry '${e.name}' appears twice`);
    seen.add(e.name);
  }
  const compressed = await Promise.all(entries.map((e) => deflateRaw(e.data, { level })));
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  let unzipped = 0;
  entries.forEach((e, i) => {
    const name = Buffer.from(e.name, 'utf8');
    const body = compressed[i];
    // Stored when deflate does not help (already-compressed data).
    const stored = body.length >= e.data.length;
    const data = stored ? Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength) : body;
    if (offset + 30 + name.length + data.length >= LIMIT_32 || e.data.length >= LIMIT_32)
      throw new RangeError('the archive would need zip64, which this writer does not write');
    const crc = zlib.crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    chunks.push(local, name, data);

    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, spec 2.0
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(stored ? 0 : 8, 10);
    cd.writeUInt16LE(DOS_TIME, 12);
    cd.writeUInt16LE(DOS_DATE, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(e.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(((0o100000 | (e.mode ?? 0o644)) << 16) >>> 0, 38); // regular file + permissions
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);

    offset += 30 + name.length + data.length;
    unzipped += e.data.length;
  });
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  chunks.push(...central, end);
  return { chunks, zippedBytes: offset + cdSize + 22, unzippedBytes: unzipped };
}
