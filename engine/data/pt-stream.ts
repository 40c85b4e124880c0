import fs from 'node:fs';
import zlib from 'node:zlib';
import { fileSource } from './byte-source.ts';
import { batchView, type Batch } from './dataset.ts';
import { PtFormatError } from './pt-errors.ts';
import { type Layout, openPartitionFile, readGalaxyPartition, readLayout, streamable } from './pt-reader.ts';
import { IMAGE_VALUES_PER_SAMPLE, MAGNITUDES_PER_SAMPLE, type GalaxyPartition } from './types.ts';
import { entryDataOffset, type ZipEntry } from './zip-reader.ts';

/**
 * A partition read batch by batch. For the common case (zip-format torch files whose records are stored, float32
 * and contiguous) the file is never held in memory: opening it checks every tensor record's CRC-32 in one pass
 * through a reused chunk buffer, so a corrupt file fails before any of its predictions exist, and each batch is
 * then one positioned read per tensor into buffers the caller allocated once. Memory is O(batch), not
 * O(partition). Everything else (legacy format, deflated records, float64/float16, strided tensors) is read whole
 * by readGalaxyPartition and its batches are views into it.
 *
 * Reads are synchronous: this runs in the inference worker (or a Lambda handler), where nothing else waits on the
 * thread, and a 1 MB read costs less than an async round trip through the libuv pool.
 */

/** Per-batch buffers, allocated once per run and reused for every batch of every streamed partition. */
export interface BatchBuffers {
  readonly capacity: number;
  readonly images: Float32Array;
  readonly magnitudes: Float32Array;
  readonly redshifts: Float32Array;
}

export function allocateBatchBuffers(capacity: number): BatchBuffers {
  if (!Number.isSafeInteger(capacity) || capacity <= 0)
    throw new RangeError(`batch size must be a positive integer, got ${capacity}`);
  return {
    capacity,
    // Written once here so their pages are mapped now, at setup, not during the first batch's timed read.
    images: new Float32Array(capacity * IMAGE_VALUES_PER_SAMPLE).fill(0),
    magnitudes: new Float32Array(capacity * MAGNITUDES_PER_SAMPLE).fill(0),
    redshifts: new Float32Array(capacity).fill(0),
  };
}

export interface PartitionStream {
  readonly path: string;
  readonly samples: number;
  readonly labelled: boolean;
  /** 'streamed': positioned reads per batch; 'in-memory': the whole file was read and parsed. */
  readonly mode: 'streamed' | 'in-memory';
  /**
   * Samples [start, start + count): copied into `into` when streamed (valid until the next read), views into the
   * partition when in memory. Throws PtFormatError when the file changed or cannot be read any more.
   */
  read(start: number, count: number, into: BatchBuffers): Batch;
  /** Releases the file (streamed) or the partition's buffer (in memory); idempotent. */
  close(): void;
}

/** Chunk of the CRC pass: large enough that a read costs little per byte, small enough to stay in cache for the CRC. */
const CRC_CHUNK = 1 << 20;
let chunk: Buffer | null = null;

const PER_SAMPLE = [IMAGE_VALUES_PER_SAMPLE, MAGNITUDES_PER_SAMPLE, 1];

/** Reads exactly `length` bytes at `position`, or throws: the file was truncated or changed after it was checked. */
function readFully(fd: number, path: string, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    let n: number;
    try {
      n = fs.readSync(fd, into, done, into.length - done, position + done);
    } catch (err) {
      throw new PtFormatError(path, 'io', `cannot read the file: ${(err as Error).message}`, { cause: err });
    }
    if (n === 0) {
      throw new PtFormatError(
        path,
        'changed',
        `the file ends at byte ${position + done}, before the ${into.length} bytes at ${position} it held when opened; it was truncated or replaced while being read`,
      );
    }
    done += n;
  }
}

/** One pass over a stored record through the reused chunk buffer; same error as readEntry for a mismatch. */
function verifyCrc(fd: number, path: string, entry: ZipEntry, start: number): void {
  if (entry.compressedSize !== entry.size)
    throw new PtFormatError(path, 'zip-corrupt', `stored zip record '${entry.name}' has inconsistent sizes`);
  chunk ??= Buffer.allocUnsafeSlow(CRC_CHUNK);
  let crc = 0;
  for (let at = 0; at < entry.size; at += CRC_CHUNK) {
    const part = chunk.subarray(0, Math.min(CRC_CHUNK, entry.size - at));
    readFully(fd, path, part, start + at);
    crc = zlib.crc32(part, crc);
  }
  if (crc !== entry.crc32)
    throw new PtFormatError(
      path,
      'crc-mismatch',
      `zip record '${entry.name}' fails its CRC-32 check; the file is corrupt`,
    );
}

function streamedPartition(fd: number, path: string, layout: Layout, dataStart: Map<string, number>): PartitionStream {
  const { samples, labelled } = layout.header;
  // Absolute byte offset of sample 0 of each tensor.
  const base = layout.specs.map((s) => dataStart.get(s.storage.key)! + s.offset * 4);
  let open = true;
  return {
    path,
    samples,
    labelled,
    mode: 'streamed',
    read(start, count, into) {
      if (!open) throw new Error(`${path}: the partition stream is closed`);
      if (!(start >= 0 && count > 0 && start + count <= samples && count <= into.capacity)) {
        throw new RangeError(
          `${path}: samples [${start}, ${start + count}) are outside the partition (${samples}) or the batch buffers (${into.capacity})`,
        );
      }
      const views = [into.images, into.magnitudes, into.redshifts].map((buf, i) => {
        const n = count * PER_SAMPLE[i];
        if (i === 2 && !labelled) return null;
        readFully(fd, path, new Uint8Array(buf.buffer, buf.byteOffset, n * 4), base[i] + start * PER_SAMPLE[i] * 4);
        return buf.subarray(0, n);
      });
      return { start, count, images: views[0]!, magnitudes: views[1]!, redshifts: views[2] };
    },
    close() {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}

function inMemoryPartition(p: GalaxyPartition): PartitionStream {
  let part: GalaxyPartition | null = p;
  return {
    path: p.path,
    samples: p.samples,
    labelled: p.redshifts !== null,
    mode: 'in-memory',
    read(start, count) {
      if (!part) throw new Error(`${p.path}: the partition stream is closed`);
      if (!(start >= 0 && count > 0 && start + count <= part.samples))
        throw new RangeError(
          `${p.path}: samples [${start}, ${start + count}) are outside the partition (${part.samples})`,
        );
      return batchView(part, start, count);
    },
    close() {
      part = null;
    },
  };
}

/**
 * Opens a partition for batch reads, after checking its structure and (when streamed) every record's CRC-32.
 * Throws PtFormatError with the same codes and messages as readGalaxyPartition.
 */
export async function openPartitionStream(path: string): Promise<PartitionStream> {
  const { fd, size } = openPartitionFile(path);
  let handedOver = false;
  try {
    const src = fileSource(fd, size);
    const layout = readLayout(src, path);
    if (!streamable(layout)) return inMemoryPartition(await readGalaxyPartition(path));
    const dataStart = new Map<string, number>();
    for (const [key, loc] of layout.storages) {
      if (loc.kind !== 'zip') continue;
      const start = entryDataOffset(src, loc.entry, path);
      verifyCrc(fd, path, loc.entry, start);
      dataStart.set(key, start);
    }
    handedOver = true;
    return streamedPartition(fd, path, layout, dataStart);
  } catch (err) {
    if (err instanceof PtFormatError) throw err;
    throw new PtFormatError(path, 'io', `cannot read the file: ${(err as Error).message}`, { cause: err });
  } finally {
    if (!handedOver) fs.closeSync(fd);
  }
}
