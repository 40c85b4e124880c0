import { definitionNotes } from './definition-notes.ts';
import { MEASURED_CONCURRENCY_DEFINITION } from '../base/rank-timeline.ts';
import { tieredComputeUsd } from '../base/cost-model.ts';
import { DEFAULT_PRICE_TABLE, type LambdaArch, type PriceTable } from '../base/price-table.ts';
import { precisionOf, type StudyMeasurement } from './measurement.ts';
import { CI_NOTE, statColumns, statPutter, wantsCi } from './stat-columns.ts';
import { coldWarmColumns, coldWarmNote, putColdWarm } from './cold-warm.ts';
import { joinNotes, type StudyTable, type TableCell, type TableColumn } from './table.ts';
import { memoryKeyOf, memorySwept } from './memory-key.ts';

/**
 * The study's Tables 1–3 from runs. Each row is one configuration; its numbers are the mean over the repeats, with
 * the sample standard deviation (n − 1) in the "± sd" column (empty with one repeat).
 * Units: Mbps = 10^6 bit/s, Gbps = 10^9 bit/s; MB = 2^20 bytes; memory GB = the per-rank MB summed over ranks ÷ 1024,
 * as the study computed it.
 */

const SD_NOTE =
  'Values are means over repeats; "± sd" is the sample standard deviation (n − 1), blank with one repeat.';

export const DATA_LABEL_NOTE =
  'Data labels are the recorded folder names: "<n>GB" is that much data, "total" the whole 12.6 GB set, "total<n>GB" a scaled run.';

/** Orders data labels by size: 1GB < 2GB < … < total (12.6 GB) < total100GB. Unknown labels sort last, by name. */
export function dataLabelGb(label: string | null): number | null {
  if (label === null) return null;
  if (label === 'total') return 12.6;
  const m = /^(?:total)?(\d+(?:\.\d+)?)GB$/i.exec(label);
  return m ? Number(m[1]) : null;
}

function compareLabels(a: string | null, b: string | null): number {
  const ga = dataLabelGb(a) ?? Infinity;
  const gb = dataLabelGb(b) ?? Infinity;
  return ga !== gb ? ga - gb : String(a).localeCompare(String(b));
}

function group<K>(
  items: StudyMeasurement[],
  key: (m: StudyMeasurement) => K,
  keyId: (k: K) => string,
): Array<{ key: K; runs: StudyMeasurement[] }> {
  const groups = new Map<string, { key: K; runs: StudyMeasurement[] }>();
  for (const m of items) {
    const k = key(m);
    const id = keyId(k);
    if (!groups.has(id)) groups.set(id, { key: k, runs: [] });
    groups.get(id)!.runs.push(m);
  }
  return [...groups.values()];
}

/** A mean column plus its "± sd" column; with `ci`, the CI, median and CV columns too (study/stat-columns.ts). */
const stat = statColumns;

const targetsIn = (runs: StudyMeasurement[]): Set<string> => new Set(runs.map((r) => r.target));

/**
 * fp32 and int8 runs are never averaged together: precision is part of every row's key. The "Precision" column is
 * shown as soon as one run is int8, so an all-int8 table says so too; an all-fp32 table looks as it always did.
 */
const showPrecision = (runs: StudyMeasurement[]): boolean => runs.some((r) => precisionOf(r) === 'int8');
const PRECISION_COLUMN: TableColumn = { key: 'precision', label: 'Precision', unit: '' };
const PRECISION_NOTE =
  'Precision: int8 rows ran the dynamically quantized copy of the model, fp32 rows the model as exported (cloud runs are fp32).';
/**
 * A Lambda memory sweep runs the same configuration at several memory sizes: those are different rows, never one
 * average. The memory column and key appear only when the cloud runs of a table recorded more than one size, so a
 * table of one size looks as it always did.
 */
const MEMORY_COLUMN: TableColumn = { key: 'lambda_memory_mb', label: 'Lambda memory', unit: 'MB' };
const MEMORY_NOTE =
  "Lambda memory: the runs were made at several memory sizes (a memory sweep); each size is its own row (MB as configured, from the REPORT lines' Memory Size where recorded).";
/** Smaller memory first; runs without a recorded size last. */
const byMemory = (a: number | null, b: number | null): number => (a ?? Infinity) - (b ?? Infinity) || 0;

/** fp32 before int8 within a target or data label. */
const byPrecision = (a: string, b: string): number => (a === b ? 0 : a === 'fp32' ? -1 : 1);

export interface TableOptions {
  /** Keep only runs on this target. */
  target?: 'local' | 'cloud';
  /** Keep only runs with this data label (Tables 2 and 3). */
  dataLabel?: string;
}

function select(runs: StudyMeasurement[], opts: TableOptions, sweep: 'batch-size' | 'data-size'): StudyMeasurement[] {
  const other = sweep === 'batch-size' ? 'data-size' : 'batch-size';
  return runs.filter(
    (r) =>
      r.sweep !== other &&
      (!opts.target || r.target === opts.target) &&
      (opts.dataLabel === undefined || r.dataLabel === opts.dataLabel),
  );
}

/** Table 1, "Execution Time vs Batch Size": one row per batch size (and per target when both are present). */
export function table1(runs: StudyMeasurement[], opts: TableOptions = {}): StudyTable {
  const chosen = select(runs, opts, 'batch-size');
  const mixed = targetsIn(chosen).size > 1;
  const withPrecision = showPrecision(chosen);
  const withMemory = memorySwept(chosen);
  const groups = group(
    chosen,
    (m) => ({ target: m.target, precision: precisionOf(m), batch: m.batchSize, memory: memoryKeyOf(m, withMemory) }),
    (k) => `${k.target}|${k.precision}|${k.batch}|${k.memory}`,
  ).sort(
    (a, b) =>
      a.key.target.localeCompare(b.key.target) ||
      byPrecision(a.key.precision, b.key.precision) ||
      a.key.batch - b.key.batch ||
      byMemory(a.key.memory, b.key.memory),
  );
  const ci = wantsCi(groups);
  const put = statPutter(ci);
  const coldWarm = coldWarmColumns(chosen, 'secondsPerBatch');
  const columns: TableColumn[] = [
    ...(mixed ? [{ key: 'target', label: 'Run on', unit: '' }] : []),
    ...(withPrecision ? [PRECISION_COLUMN] : []),
    { key: 'batch_size', label: 'Batch size', unit: '' },
    ...(withMemory ? [MEMORY_COLUMN] : []),
    ...stat('seconds_per_batch', 'Execution time', 's/batch', 3, ci),
    ...stat('throughput_mbps', 'Throughput', 'Mbps', 2, ci),
    ...stat('memory_gb', 'Memory', 'GB', 2, ci),
    ...coldWarm,
    { key: 'repeats', label: 'Repeats', unit: '' },
  ];
  const rows = groups.map(({ key, runs: g }) => {
    const row: Record<string, TableCell> = mixed ? { target: key.target } : {};
    if (withPrecision) row.precision = key.precision;
    row.batch_size = key.batch;
    if (withMemory) row.lambda_memory_mb = key.memory;
    put(row, 'seconds_per_batch', 3, g, (r) => r.secondsPerBatch);
    put(row, 'throughput_mbps', 2, g, (r) => r.throughputBps / 1e6);
    put(row, 'memory_gb', 2, g, (r) => r.memoryMb / 1024);
    if (coldWarm.length) putColdWarm(row, g, 'secondsPerBatch');
    row.repeats = g.length;
    return row;
  });
  return {
    title: 'Table 1. Execution Time vs Batch Size',
    columns,
    rows,
    note: joinNotes([
      SD_NOTE,
      "Execution time is the mean over ranks of each rank's seconds per batch. Throughput is summed over ranks; Mbps = 10^6 bit/s.",
      'Memory GB = the ranks\' "total_cpu_memory (MB)" summed over ranks ÷ 1024 (MB = 2^20 bytes).',
      ...definitionNotes(chosen),
      ...(withPrecision ? [PRECISION_NOTE] : []),
      ...(withMemory ? [MEMORY_NOTE] : []),
      ...(ci ? [CI_NOTE] : []),
      ...[coldWarmNote(chosen, 'secondsPerBatch')].filter((n) => n !== null),
    ]),
  };
}

/** Table 2, "Execution Time vs Input Partitions": one row per data label and partition size. */
export function table2(runs: StudyMeasurement[], opts: TableOptions = {}): StudyTable {
  const chosen = select(runs, opts, 'data-size').filter((r) => r.partitionMb !== null);
  const withPrecision = showPrecision(chosen);
  const withMemory = memorySwept(chosen);
  const groups = sortByDataAndPartition(
    group(
      chosen,
      (m) => ({
        data: m.dataLabel,
        partition: m.partitionMb!,
        precision: precisionOf(m),
        memory: memoryKeyOf(m, withMemory),
      }),
      (k) => `${k.data}|${k.partition}|${k.precision}|${k.memory}`,
    ),
  );
  const ci = wantsCi(groups);
  const put = statPutter(ci);
  const coldWarm = coldWarmColumns(chosen, 'secondsPerBatch');
  const columns: TableColumn[] = [
    { key: 'data_label', label: 'Data', unit: '' },
    { key: 'partition_mb', label: 'Partition', unit: 'MB' },
    ...(withPrecision ? [PRECISION_COLUMN] : []),
    ...(withMemory ? [MEMORY_COLUMN] : []),
    ...stat('seconds_per_batch', 'Average execution time', 's/batch', 3, ci),
    ...stat('throughput_gbps', 'Throughput', 'Gbps', 3, ci),
    ...stat('memory_gb', 'Memory', 'GB', 1, ci),
    { key: 'concurrent_jobs', label: 'Concurrent jobs', unit: '' },
    { key: 'ranks', label: 'Ranks', unit: '' },
    ...coldWarm,
    { key: 'repeats', label: 'Repeats', unit: '' },
  ];
  const rows = groups.map(({ key, runs: g }) => {
    const row: Record<string, TableCell> = { data_label: key.data, partition_mb: key.partition };
    if (withPrecision) row.precision = key.precision;
    if (withMemory) row.lambda_memory_mb = key.memory;
    put(row, 'seconds_per_batch', 3, g, (r) => r.secondsPerBatch);
    put(row, 'throughput_gbps', 3, g, (r) => r.throughputBps / 1e9);
    put(row, 'memory_gb', 1, g, (r) => r.memoryMb / 1024);
    row.concurrent_jobs = measuredPeak(g);
    row.ranks = Math.max(...g.map((r) => r.ranks));
    if (coldWarm.length) putColdWarm(row, g, 'secondsPerBatch');
    row.repeats = g.length;
    return row;
  });
  return {
    title: 'Table 2. Execution Time vs Input Partitions',
    columns,
    rows,
    note: joinNotes([
      SD_NOTE,
      'Average execution time is the mean over ranks of seconds per batch. Throughput is summed over ranks; Gbps = 10^9 bit/s.',
      'Memory GB = the ranks\' "total_cpu_memory (MB)" summed over ranks ÷ 1024 (MB = 2^20 bytes).',
      ...concurrencyNotes(chosen),
      ...definitionNotes(chosen),
      ...(withPrecision ? [PRECISION_NOTE] : []),
      ...(withMemory ? [MEMORY_NOTE] : []),
      ...(ci ? [CI_NOTE] : []),
      ...[coldWarmNote(chosen, 'secondsPerBatch')].filter((n) => n !== null),
      DATA_LABEL_NOTE,
    ]),
  };
}

/** The largest measured peak over the repeats that have a rank timeline; null (shown "—") when none has. */
function measuredPeak(g: StudyMeasurement[]): number | null {
  const peaks = g.flatMap((r) => (r.measuredPeakConcurrency === undefined ? [] : [r.measuredPeakConcurrency]));
  return peaks.length ? Math.max(...peaks) : null;
}

function concurrencyNotes(runs: StudyMeasurement[]): string[] {
  const without = runs.filter((r) => r.measuredPeakConcurrency === undefined).length;
  return [
    `Concurrent jobs = the measured peak: ${MEASURED_CONCURRENCY_DEFINITION} The largest over the repeats. ` +
      'Ranks = the ranks the run was given (the study\'s "concurrent jobs", one Lambda per partition).',
    ...(without
      ? [
          `${without} of ${runs.length} run(s) have no rank timeline (local or imported results, cloud runs ` +
            'recorded before timelines, or whose execution history was unreadable): their concurrent jobs are not ' +
            'known and show "—" when no repeat has one.',
        ]
      : []),
  ];
}

export interface CostTableOptions extends TableOptions {
  /** Lambda memory for runs that do not record it. Default 10240 MB (the maximum), which the notes then say. */
  lambdaMemoryMb?: number;
  arch?: LambdaArch;
  prices?: PriceTable;
}

/**
 * Cost of one execution's inference Lambdas: compute (Σ rank duration × memory GB, tiered) + one request per rank
 * (per invocation for a run whose failed ranks were re-run: all its executions).
 * Memory is the run's recorded Lambda memory, else `lambdaMemoryMb` (default 10240).
 */
export function executionCostUsd(
  m: StudyMeasurement,
  opts: Pick<CostTableOptions, 'lambdaMemoryMb' | 'arch' | 'prices'> = {},
): number {
  const prices = opts.prices ?? DEFAULT_PRICE_TABLE;
  const gb = (m.lambdaMemoryMb ?? opts.lambdaMemoryMb ?? 10240) / 1024;
  return (
    tieredComputeUsd(m.rankSecondsTotal * gb, opts.arch ?? 'x86_64', prices) +
    ((m.invocations ?? m.ranks) / 1e6) * prices.lambda.usdPerMillionRequests
  );
}

/** Table 3, "Lambda Cost Summary": cost of one execution per data label and partition size (cloud runs only). */
export function table3(runs: StudyMeasurement[], opts: CostTableOptions = {}): StudyTable {
  const prices = opts.prices ?? DEFAULT_PRICE_TABLE;
  const arch = opts.arch ?? 'x86_64';
  const fallbackMb = opts.lambdaMemoryMb ?? 10240;
  const chosen = select(runs, { ...opts, target: 'cloud' }, 'data-size').filter((r) => r.partitionMb !== null);
  let assumedMemory = false;
  let profileMemory = false;
  let cpuTimeDurations = false;
  const withMemory = memorySwept(chosen);
  const groups = sortByDataAndPartition(
    group(
      chosen,
      (m) => ({ data: m.dataLabel, partition: m.partitionMb!, memory: memoryKeyOf(m, withMemory) }),
      (k) => `${k.data}|${k.partition}|${k.memory}`,
    ),
  );
  const ci = wantsCi(groups);
  const put = statPutter(ci);
  const coldWarm = coldWarmColumns(chosen, 'durationSeconds');
  const columns: TableColumn[] = [
    { key: 'data_label', label: 'Data', unit: '' },
    { key: 'partition_mb', label: 'Partition', unit: 'MB' },
    { key: 'invocations', label: 'Invocations', unit: '' },
    ...stat('total_duration_s', 'Total duration', 's', 1, ci),
    { key: 'duration_source', label: 'Duration from', unit: '' },
    { key: 'memory_gb', label: 'Lambda memory', unit: 'GB', digits: 2 },
    ...stat('cost_usd', 'Cost', '$', 6, ci),
    ...coldWarm,
    { key: 'repeats', label: 'Repeats', unit: '' },
  ];
  const rows = groups.map(({ key, runs: g }) => {
    const costs = g.map((r) => {
      if (r.lambdaMemoryMb === undefined) assumedMemory = true;
      if (r.lambdaMemorySource === 'profile') profileMemory = true;
      if (r.rankSecondsSource === 'cpu-time') cpuTimeDurations = true;
      return executionCostUsd(r, { lambdaMemoryMb: fallbackMb, arch, prices });
    });
    const memories = new Set(g.map((r) => r.lambdaMemoryMb ?? fallbackMb));
    const row: Record<string, TableCell> = { data_label: key.data, partition_mb: key.partition };
    row.invocations = Math.max(...g.map((r) => r.invocations ?? r.ranks));
    put(row, 'total_duration_s', 1, g, (r) => r.rankSecondsTotal);
    const sources = new Set(g.map((r) => r.rankSecondsSource));
    row.duration_source =
      sources.size > 1
        ? 'mixed: billed and estimated from CPU time'
        : sources.has('billed')
          ? 'billed (REPORT lines)'
          : 'estimated from CPU time';
    row.memory_gb =
      memories.size === 1 ? [...memories][0] / 1024 : `${Math.min(...memories) / 1024}–${Math.max(...memories) / 1024}`;
    put(row, 'cost_usd', 6, costs, (v) => v);
    if (coldWarm.length) putColdWarm(row, g, 'durationSeconds');
    row.repeats = g.length;
    return row;
  });
  const notes = [
    SD_NOTE,
    'One row = one state-machine execution: invocations = inference Lambdas (ranks); Initialize and Summarize are not counted.',
    `Cost = Lambda compute (total duration × memory GB at the ${arch} tier prices) + $${prices.lambda.usdPerMillionRequests.toFixed(2)} per million requests. Prices: ${prices.source} (as of ${prices.asOf}).`,
  ];
  if (chosen.some((m) => m.invocations !== undefined))
    notes.push(
      'A run whose failed ranks were re-run counts the invocations and billed duration of all its executions ' +
        '(failed attempts included: AWS bills them).',
    );
  if (cpuTimeDurations)
    notes.push(
      "Where no REPORT lines were recorded, total duration is estimated from CPU time: the ranks' \"total_cpu_time (seconds)\" summed (the torch profiler's operator CPU sum for the study's ranks), not billed duration.",
    );
  if (profileMemory)
    notes.push(
      "Lambda memory is the REPORT lines' Memory Size where they were found; for runs without them it is the profile's setting, assumed.",
    );
  if (assumedMemory)
    notes.push(`Lambda memory was not recorded for some runs; ${fallbackMb} MB was assumed (GB = MB ÷ 1024).`);
  if (withMemory) notes.push(MEMORY_NOTE);
  if (ci) notes.push(CI_NOTE);
  const cwNote = coldWarmNote(chosen, 'durationSeconds');
  if (cwNote) notes.push(cwNote);
  notes.push(DATA_LABEL_NOTE);
  return { title: 'Table 3. Lambda Cost Summary', columns, rows, note: joinNotes(notes) };
}

function sortByDataAndPartition<
  T extends { key: { data: string | null; partition: number; precision?: string; memory: number | null } },
>(groups: T[]): T[] {
  return groups.sort(
    (a, b) =>
      compareLabels(a.key.data, b.key.data) ||
      a.key.partition - b.key.partition ||
      byPrecision(a.key.precision ?? 'fp32', b.key.precision ?? 'fp32') ||
      byMemory(a.key.memory, b.key.memory),
  );
}
