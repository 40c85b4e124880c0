import { createHash } from 'node:crypto';
import { openRegularFile } from '../engine/regular-file.ts';
import { createReadStream } from 'node:fs';

export interface FileDigests {
  sha256: string;
  /** The ETags S3 may report for this content: the md5 (single PUT, and s3rver for multipart too) and, uploaded
   * in parts of `partSize`, md5(concat(part md5s))-N. */
  etags: string[];
  /** md5 (hex) of each `partSize` part: the ETag S3 gives each UploadPart, checked when a multipart upload resumes. */
  partMd5s: string[];
}

/** One pass over the file: its sha256 and the ETags an unencrypted (or SSE-S3) S3 object with this content has. */
export async function digestFile(file: string, partSize: number, signal?: AbortSignal): Promise<FileDigests> {
  const sha = createHash('sha256');
  const whole = createHash('md5');
  const parts: Buffer[] = [];
  let part = createHash('md5');
  let inPart = 0;
  // Opened non-blocking and checked to be a regular file first: a FIFO in a data or code folder cannot hang it.
  const { handle } = await openRegularFile(file);
  for await (const chunk of createReadStream('', { fd: handle, signal, highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    sha.update(buf);
    whole.update(buf);
    let pos = 0;
    while (pos < buf.length) {
      const take = Math.min(partSize - inPart, buf.length - pos);
      part.update(buf.subarray(pos, pos + take));
      inPart += take;
      pos += take;
      if (inPart === partSize) {
        parts.push(part.digest());
        part = createHash('md5');
        inPart = 0;
      }
    }
  }
  if (inPart > 0 || parts.length === 0) parts.push(part.digest());
  const multipart = `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}`;
  return {
    sha256: sha.digest('hex'),
    etags: [whole.digest('hex'), multipart],
    partMd5s: parts.map((p) => p.toString('hex')),
  };
}
