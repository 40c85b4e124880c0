/** Extracts a zip with yauzl (an independent reader), checking every entry's CRC-32; returns the entries. */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import zlib from 'node:zlib';
import yauzl from 'yauzl';

export interface ExtractedEntry {
  name: string;
  bytes: number;
  /** Unix mode bits from the external attributes. */
  mode: number;
}

export async function extractZip(zipFile: string, dest: string): Promise<ExtractedEntry[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipFile, { lazyEntries: true, strictFileNames: true }, (e, z) => (e ? reject(e) : resolve(z!))),
  );
  const out: ExtractedEntry[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const target = path.join(dest, entry.fileName);
        if (!target.startsWith(dest + path.sep)) return reject(new Error(`entry ${entry.fileName} escapes the folder`));
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err ?? new Error('no stream'));
          let crc = 0;
          const check = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              crc = zlib.crc32(chunk, crc);
              cb(null, chunk);
            },
          });
          mkdir(path.dirname(target), { recursive: true })
            .then(() => pipeline(stream, check, createWriteStream(target)))
            .then(() => {
              if (crc !== entry.crc32) throw new Error(`CRC mismatch in ${entry.fileName}`);
              out.push({
                name: entry.fileName,
                bytes: entry.uncompressedSize,
                mode: (entry.externalFileAttributes >>> 16) & 0o777,
              });
              zip.readEntry();
            })
            .catch(reject);
        });
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return out;
}
