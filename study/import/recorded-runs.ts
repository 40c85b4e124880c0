import { inferDefinitions } from '../../base/metric-catalogue.ts';
import { AGGREGATE_DEFINITIONS, aggregateRanks, RankResultSchema, type CloudAggregate } from '../../cloud/aggregate.ts';
import type { StudyMeasurement } from '../measurement.ts';
import { dataLabelGb } from '../tables.ts';
import type { ObjectSource } from './object-source.ts';
import type { RecordedRunRecord } from '../../base/recorded-run-record.ts';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../../base/metric-keys.ts';

/**
 * Imports results recorded the way the study left them:
 *   result-partition-<P>MB/<data>/<run>/combined_data.json                  (data-size runs)
 *   result-partition-<P>MB/<data>/Batches/<batch>/<run>/combined_data.json  (batch-size runs)
 * <data> is a label such as 1GB, 10GB, total or total100GB; <run> is 1, 2, 3 or "run 1". The layout may sit
 * anywhere under the root. Each file becomes one recorded run, aggregated as the study's stats.py did
 * (cloud/aggregate.ts). Files that cannot be read are reported with the reason and skipped.
 */

export const COMBINED_FILE = 'combined_data.json';
const READ_CONCURRENCY = 8;

export interface RecordedRunPath {
  partition_mb: number;
  data_label: string;
  sweep: 'batch-size' | 'data-size';
  /** From the path for batch-size runs. */
  batch_size: number | null;
  repeat: number;
}

const PARTITION = /^result-partition-(\d+(?:\.\d+)?)MB$/;
const RUN = /^(?:run[ _-]?)?(\d+)$/i;

/** Reads the tags from a combined_data.json key; null when the key is not in the study's layout. */
export function parseRecordedPath(key: string): RecordedRunPath | null {
  const parts = key.split('/');
  if (parts.at(-1) !== COMBINED_FILE) return null;
  const at = parts.findIndex((p) => PARTITION.test(p));
  if (at < 0) return null;
  const rest = parts.slice(at + 1, -1);
  const partition_mb = Number(PARTITION.exec(parts[at])![1]);
  if (rest.length === 2) {
    const run = RUN.exec(rest[1]);
    return run
      ? { partition_mb, data_label: rest[0], sweep: 'data-size', batch_size: null, repeat: Number(run[1]) }
      : null;
  }
  if (rest.length === 4 && rest[1] === 'Batches' && /^\d+$/.test(rest[2])) {
    const run = RUN.exec(rest[3]);
    return run
      ? { partition_mb, data_label: rest[0], sweep: 'batch-size', batch_size: Number(rest[2]), repeat: Number(run[1]) }
      : null;
  }
  return null;
}

/** The study's aggregate of one recorded run (cloud/aggregate.ts). */
type RecordedAggregate = Pick<
  CloudAggregate,
  | 'ranks'
  | typeof CPU_TIME
  | typeof CPU_MEMORY
  | 'throughput_bps'
  | 'total_bits'
  | typeof EXECUTION_TIME
  | 'sample_persec'
  | 'cpu_time_outliers_dropped'
>;

export interface RecordedRun extends RecordedAggregate {
  /** The file's key under the imported root. */
  source: string;
  partition_mb: number;
  data_label: string;
  sweep: 'batch-size' | 'data-size';
  batch_size: number;
  repeat: number;
  /** Σ over ranks of total_cpu_time: the ranks' summed duration when no REPORT lines are known. */
  rank_cpu_seconds_total: number;
  /** The per-rank results as recorded. */
  rank_results: Array<Record<string, unknown>>;
  /** Things worth knowing that did not stop the import (e.g. ranks disagreeing on batch size). */
  warnings: string[];
}

export interface ImportProblem {
  source: string;
  problem: string;
}

export interface ImportResult {
  from: string;
  runs: RecordedRun[];
  /** Files in the layout that could not be imported. */
  problems: ImportProblem[];
  /** combined_data.json files outside the layout (e.g. an extra "timing" folder), not imported. */
  ignored: string[];
}

/** Parses one combined_data.json; throws with the reason when it is not a list of rank results. */
export function parseCombined(text: string, tags: RecordedRunPath, source: string): RecordedRun {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (!Array.isArray(json))
    throw new Error(`expected a JSON array of rank results, found ${json === null ? 'null' : typeof json}`);
  if (json.length === 0) throw new Error('the array of rank results is empty');
  const ranks = json.map((r, i) => {
    const parsed = RankResultSchema.safeParse(r);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`rank ${i + 1} of ${json.length}: ${issue.path.join('.') || '(rank)'}: ${issue.message}`);
    }
    return parsed.data;
  });
  const agg: CloudAggregate = aggregateRanks(ranks);
  const warnings: string[] = [];
  let batch = tags.batch_size;
  const rankBatches = ranks.map((r) => r.batch_size);
  if (batch === null) {
    if (agg.batch_size !== null) batch = agg.batch_size;
    else {
      const counts = new Map<number, number>();
      for (const b of rankBatches) counts.set(b, (counts.get(b) ?? 0) + 1);
      batch = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0][0];
      warnings.push(`ranks disagree on batch_size (${[...counts.keys()].join(', ')}); using the most common, ${batch}`);
    }
  } else if (rankBatches.some((b) => b !== batch)) {
    warnings.push(`the folder says batch size ${batch} but ranks report ${[...new Set(rankBatches)].join(', ')}`);
  }
  return {
    source,
    partition_mb: tags.partition_mb,
    data_label: tags.data_label,
    sweep: tags.sweep,
    batch_size: batch,
    repeat: tags.repeat,
    ranks: agg.ranks,
    [CPU_TIME]: agg[CPU_TIME],
    [CPU_MEMORY]: agg[CPU_MEMORY],
    throughput_bps: agg.throughput_bps,
    total_bits: agg.total_bits,
    [EXECUTION_TIME]: agg[EXECUTION_TIME],
    sample_persec: agg.sample_persec,
    cpu_time_outliers_dropped: agg.cpu_time_outliers_dropped,
    rank_cpu_seconds_total: ranks.reduce((s, r) => s + r[CPU_TIME], 0),
    rank_results: ranks,
    warnings,
  };
}

const byStudyOrder = (a: RecordedRun, b: RecordedRun): number =>
  a.partition_mb - b.partition_mb ||
  (dataLabelGb(a.data_label) ?? Infinity) - (dataLabelGb(b.data_label) ?? Infinity) ||
  a.data_label.localeCompare(b.data_label) ||
  a.sweep.localeCompare(b.sweep) ||
  a.batch_size - b.batch_size ||
  a.repeat - b.repeat;

export async function importRecordedRuns(source: ObjectSource): Promise<ImportResult> {
  const keys = (await source.listObjects()).filter((k) => k === COMBINED_FILE || k.endsWith(`/${COMBINED_FILE}`));
  if (keys.length === 0)
    throw new Error(
      `no ${COMBINED_FILE} files in ${source.label}; expected result-partition-<P>MB/<data>/<run>/${COMBINED_FILE}`,
    );
  const runs: RecordedRun[] = [];
  const problems: ImportProblem[] = [];
  const ignored: string[] = [];
  const todo: Array<{ key: string; tags: RecordedRunPath }> = [];
  for (const key of keys) {
    const tags = parseRecordedPath(key);
    if (tags) todo.push({ key, tags });
    else ignored.push(key);
  }
  // A few reads at a time: an S3 prefix can hold hundreds of runs.
  const outcomes: Array<RecordedRun | ImportProblem> = new Array(todo.length);
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const i = next++;
      const { key, tags } = todo[i];
      try {
        outcomes[i] = parseCombined(await source.getObject(key), tags, key);
      } catch (err) {
        outcomes[i] = { source: key, problem: err instanceof Error ? err.message : String(err) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, todo.length) }, worker));
  for (const o of outcomes)
    if ('problem' in o) problems.push(o);
    else runs.push(o);
  return { from: source.label, runs: runs.sort(byStudyOrder), problems, ignored };
}

/** A recorded run for the tables and the comparison. Durations are the ranks' CPU time (no REPORT lines were kept). */
export function measurementFromRecorded(r: RecordedRun, lambdaMemoryMb?: number): StudyMeasurement {
  return {
    id: r.source,
    target: 'cloud',
    sweep: r.sweep,
    batchSize: r.batch_size,
    partitionMb: r.partition_mb,
    dataLabel: r.data_label,
    repeat: r.repeat,
    ranks: r.ranks,
    secondsPerBatch: r[EXECUTION_TIME] ?? Number.NaN,
    throughputBps: r.throughput_bps,
    memoryMb: r[CPU_MEMORY],
    cpuTimeSeconds: r[CPU_TIME],
    samplesPerSec: r.sample_persec ?? Number.NaN,
    totalBits: r.total_bits,
    rankSecondsTotal: r.rank_cpu_seconds_total,
    rankSecondsSource: 'cpu-time',
    ...(lambdaMemoryMb !== undefined ? { lambdaMemoryMb } : {}),
    // The study's own results: its PyTorch inference.py, the profiler's definitions, its trained checkpoint.
    engine: 'pytorch',
    model: 'Mixed_Inception_z_VITAE_Base_Img_Full_New_Full.pt',
    definitions: inferDefinitions('study-profiler'),
  };
}

/** The CLI's --json object: the study's names for the aggregates. */
export function recordedRunJson(r: RecordedRun): Record<string, unknown> {
  return {
    partition_mb: r.partition_mb,
    data_label: r.data_label,
    batch_size: r.batch_size,
    repeat: r.repeat,
    ranks: r.ranks,
    [CPU_TIME]: r[CPU_TIME],
    [CPU_MEMORY]: r[CPU_MEMORY],
    throughput_bps: r.throughput_bps,
    total_bits: r.total_bits,
    sweep: r.sweep,
    source: r.source,
  };
}

export { RecordedRunRecordSchema, type RecordedRunRecord } from '../../base/recorded-run-record.ts';

export const recordedOrigin = (from: string, r: Pick<RecordedRun, 'source'>): string => `${from}::${r.source}`;

export function recordedRunRecord(id: string, from: string, r: RecordedRun): RecordedRunRecord {
  return { kind: 'recorded', id, origin: recordedOrigin(from, r), ...r, metricDefinitions: AGGREGATE_DEFINITIONS };
}

export function recordedRunName(r: RecordedRun): string {
  return `Recorded ${r.partition_mb} MB / ${r.data_label}${r.sweep === 'batch-size' ? ` / batch ${r.batch_size}` : ''} / run ${r.repeat}`;
}
