import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** One galaxy's prediction. `index` is its 0-based position in the whole dataset (partitions in order). */
export interface PredictionRow {
  index: number;
  /** 1-based partition number. */
  partition: number;
  /** null when the partition has no labels. */
  z_true: number | null;
  z_pred: number;
}

/** Predictions kept column-wise in typed arrays; z_true is NaN where there is no label. */
export class PredictionTable {
  readonly index: Int32Array;
  readonly partition: Int32Array;
  readonly zTrue: Float32Array;
  readonly zPred: Float32Array;

  constructor(columns: { index: Int32Array; partition: Int32Array; zTrue: Float32Array; zPred: Float32Array }) {
    const n = columns.index.length;
    if (columns.partition.length !== n || columns.zTrue.length !== n || columns.zPred.length !== n) {
      throw new RangeError('prediction columns differ in length');
    }
    this.index = columns.index;
    this.partition = columns.partition;
    this.zTrue = columns.zTrue;
    this.zPred = columns.zPred;
  }

  /** Joins per-partition pieces, in the order given. */
  static concat(parts: PredictionTable[]): PredictionTable {
    const n = parts.reduce((s, p) => s + p.length, 0);
    const out = {
      index: new Int32Array(n),
      partition: new Int32Array(n),
      zTrue: new Float32Array(n),
      zPred: new Float32Array(n),
    };
    let at = 0;
    for (const p of parts) {
      out.index.set(p.index, at);
      out.partition.set(p.partition, at);
      out.zTrue.set(p.zTrue, at);
      out.zPred.set(p.zPred, at);
      at += p.length;
    }
    return new PredictionTable(out);
  }

  get length(): number {
    return this.index.length;
  }

  row(i: number): PredictionRow {
    const t = this.zTrue[i];
    return {
      index: this.index[i],
      partition: this.partition[i],
      z_true: Number.isNaN(t) ? null : t,
      z_pred: this.zPred[i],
    };
  }

  toRows(): PredictionRow[] {
    const rows = new Array<PredictionRow>(this.length);
    for (let i = 0; i < this.length; i++) rows[i] = this.row(i);
    return rows;
  }

  /** The labelled rows only, as parallel arrays (for accuracy metrics). */
  labelled(): { zTrue: Float32Array; zPred: Float32Array } {
    const keep: number[] = [];
    for (let i = 0; i < this.length; i++) if (!Number.isNaN(this.zTrue[i])) keep.push(i);
    return {
      zTrue: Float32Array.from(keep, (i) => this.zTrue[i]),
      zPred: Float32Array.from(keep, (i) => this.zPred[i]),
    };
  }
}

export const PREDICTIONS_CSV_HEADER = 'index,partition,z_true,z_pred';

/** A float32 value in at most 9 significant digits, which is enough to read it back exactly. */
export function formatFloat32(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(9)));
}

function csvLine(t: PredictionTable, i: number): string {
  const zt = t.zTrue[i];
  return `${t.index[i]},${t.partition[i]},${Number.isNaN(zt) ? '' : formatFloat32(zt)},${formatFloat32(t.zPred[i])}\n`;
}

export function predictionsToCsv(t: PredictionTable): string {
  let out = PREDICTIONS_CSV_HEADER + '\n';
  for (let i = 0; i < t.length; i++) out += csvLine(t, i);
  return out;
}

/** Writes the CSV in chunks, so a large run does not build one huge string. */
export async function writePredictionsCsv(file: string, t: PredictionTable): Promise<void> {
  function* chunks(): Generator<string> {
    yield PREDICTIONS_CSV_HEADER + '\n';
    const CHUNK = 4096;
    for (let start = 0; start < t.length; start += CHUNK) {
      let chunk = '';
      for (let i = start; i < Math.min(t.length, start + CHUNK); i++) chunk += csvLine(t, i);
      yield chunk;
    }
  }
  try {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await pipeline(Readable.from(chunks()), createWriteStream(file));
  } catch (err) {
    throw new Error(`cannot write predictions to ${file}: ${(err as Error).message}`, { cause: err });
  }
}
