import { DefinitionsMapSchema, inferDefinitions, type DefinitionsMap } from '../base/metric-catalogue.ts';
import { measurementFromLocalRecord } from './from-local-record.ts';
import type { StudyMeasurement } from './measurement.ts';
import { LocalRunRecordSchema } from '../base/local-run-record.ts';
import { CloudRunRecordSchema, type CloudRunRecord } from '../base/cloud-run-record.ts';
import { actualCostFromUsage, type CostBreakdown } from '../base/cost-model.ts';
import type { PriceTable } from '../base/price-table.ts';
import {
  COMBINED_FILE,
  measurementFromRecorded,
  parseRecordedPath,
  RecordedRunRecordSchema,
} from './import/recorded-runs.ts';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../base/metric-keys.ts';
import { coldWarmOf } from './cold-warm.ts';

/**
 * Runs from History as study measurements, so the comparison and the tables take local and cloud runs alike.
 * A cloud run's partition, data label and repeat come from its result_path when it follows the study's layout
 * (result-partition-<P>MB/<data>/[Batches/<batch>/]<run>); its durations are the REPORT lines' billed time when known.
 */

/** The study's CAI pipeline (its PyTorch inference.py) or this app's onnxruntime worker, from what the record says. */
export function cloudRecordSource(r: CloudRunRecord): {
  engine: 'pytorch' | 'onnxruntime';
  definitions: DefinitionsMap;
  model: string | undefined;
} {
  const recorded = (r as { definitions?: unknown }).definitions;
  const parsed = DefinitionsMapSchema.safeParse(recorded);
  const script = typeof r.payload.script === 'string' ? r.payload.script : '';
  const study = (r as { pipeline?: unknown }).pipeline === 'cai' || /\.py$/i.test(script.trim());
  const defs =
    parsed.success && recorded ? parsed.data : inferDefinitions(study ? 'study-profiler' : 'cloud-onnx-worker');
  const model = study ? STUDY_CHECKPOINT : /\.onnx$/i.test(script.trim()) ? script.trim().split('/').pop() : undefined;
  return { engine: study ? 'pytorch' : 'onnxruntime', definitions: defs, model };
}

/** The checkpoint the study's inference.py loads (hard-coded in the script). */
export const STUDY_CHECKPOINT = 'Mixed_Inception_z_VITAE_Base_Img_Full_New_Full.pt';

export function measurementFromCloudRecord(r: CloudRunRecord): StudyMeasurement {
  const cpu = r[CPU_TIME];
  if (r.ranks === 0 || cpu === null || r.throughput_bps === null || r[CPU_MEMORY] === null)
    throw new Error(
      `cloud run ${r.id} has no readable rank results${r.error ? ` (${r.error})` : ''}, so it has no metrics to compare`,
    );
  const tags = parseRecordedPath(`${r.result_path.replace(/\/+$/, '')}/${COMBINED_FILE}`);
  const billed = r.lambda && r.lambda.invocations > 0 ? r.lambda.billedDurationMs / 1000 : null;
  const rankCpu = r.rank_results.reduce((s, x) => s + (typeof x[CPU_TIME] === 'number' ? x[CPU_TIME] : 0), 0);
  const coldWarm = coldWarmOf(r);
  const batch =
    r.batch_size ?? (typeof r.payload.batch_size === 'number' ? r.payload.batch_size : Number(r.payload.batch_size));
  return {
    id: r.id,
    target: 'cloud',
    sweep: tags?.sweep,
    batchSize: batch,
    partitionMb: tags?.partition_mb ?? null,
    dataLabel: tags?.data_label ?? null,
    repeat: tags?.repeat ?? 1,
    ranks: r.ranks,
    // A re-run run billed more requests than it has ranks: its failed attempts and their re-runs.
    ...((r.executions?.length ?? 0) > 1 && r.lambda ? { invocations: r.lambda.invocations } : {}),
    ...(r.measured_peak_concurrency !== undefined ? { measuredPeakConcurrency: r.measured_peak_concurrency } : {}),
    secondsPerBatch: r[EXECUTION_TIME] ?? Number.NaN,
    throughputBps: r.throughput_bps,
    memoryMb: r[CPU_MEMORY],
    cpuTimeSeconds: cpu,
    samplesPerSec: r.sample_persec ?? Number.NaN,
    totalBits: r.total_bits ?? 0,
    rankSecondsTotal: billed ?? rankCpu,
    rankSecondsSource: billed !== null ? 'billed' : 'cpu-time',
    ...executionSecondsOf(r),
    ...lambdaMemoryOf(r),
    ...(r.profile.emulated ? { emulated: true } : {}),
    ...(coldWarm ? { coldWarm } : {}),
    ...cloudRecordSource(r),
    // The largest Max Memory Used over the REPORT lines: one worker's physical peak.
    ...(r.lambda && r.lambda.invocations > 0 ? { physicalMemoryMbPerWorker: r.lambda.maxMemoryUsedMb } : {}),
  };
}

/**
 * The execution's wall time from its start and stop dates (Step Functions), when both are known; for a run with
 * several executions (failed ranks re-run) their wall times summed, without the time between them.
 */
function executionSecondsOf(r: CloudRunRecord): { executionSeconds?: number } {
  const spans = r.executions?.length ? r.executions : [{ started: r.started, stopped: r.finished }];
  const s = spans.reduce((a, e) => a + (Date.parse(e.stopped ?? '') - Date.parse(e.started)) / 1000, 0);
  return Number.isFinite(s) && s >= 0 ? { executionSeconds: s } : {};
}

/** A History entry's record (local, cloud or recorded) as a measurement; throws naming the problem for anything else. */
export function measurementFromRunRecord(record: unknown): StudyMeasurement {
  const kind = record && typeof record === 'object' ? (record as { kind?: unknown }).kind : undefined;
  if (kind === 'local') {
    const parsed = LocalRunRecordSchema.safeParse(record);
    if (!parsed.success)
      throw new Error(
        `the local run record is not readable: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`,
      );
    return measurementFromLocalRecord(parsed.data);
  }
  if (kind === 'cloud') {
    const parsed = CloudRunRecordSchema.safeParse(record);
    if (!parsed.success)
      throw new Error(
        `the cloud run record is not readable: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`,
      );
    return measurementFromCloudRecord(parsed.data);
  }
  if (kind === 'recorded') {
    const parsed = RecordedRunRecordSchema.safeParse(record);
    if (!parsed.success)
      throw new Error(
        `the recorded run is not readable: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`,
      );
    return { ...measurementFromRecorded(parsed.data), id: parsed.data.id };
  }
  throw new Error(`not a run record (kind ${JSON.stringify(kind)}); expected "local", "cloud" or "recorded"`);
}

/**
 * The memory a cloud run was billed at: the Memory Size of this execution's REPORT lines (what the function was
 * configured with when the ranks ran; the largest if it changed mid-run), else the profile's value, marked assumed.
 */
export function lambdaMemoryOf(r: CloudRunRecord): {
  lambdaMemoryMb: number;
  lambdaMemorySource: 'report' | 'profile';
} {
  const sizes = (r.lambda_per_rank ?? []).map((x) => x.memorySizeMb).filter((x) => Number.isFinite(x) && x > 0);
  return sizes.length > 0
    ? { lambdaMemoryMb: Math.max(...sizes), lambdaMemorySource: 'report' }
    : { lambdaMemoryMb: r.profile.lambdaMemoryMb, lambdaMemorySource: 'profile' };
}

/** What a finished cloud run cost, from its REPORT-line totals; null when the logs were not readable. */
export function cloudRunCost(r: CloudRunRecord, prices?: PriceTable): CostBreakdown | null {
  if (!r.lambda || r.lambda.invocations === 0) return null;
  return actualCostFromUsage(r.lambda, lambdaMemoryOf(r).lambdaMemoryMb, r.profile.architecture, { prices });
}
