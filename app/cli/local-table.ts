import { tuningLines } from '../../base/tuning-lines.ts';
import type { LocalRunProgress } from '../node/services/local-foreground.ts';
import type { LocalRunRecord, PartitionRecord } from '../../base/local-run-record.ts';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../../base/metric-keys.ts';
import { definitionLabel, inferDefinitions } from '../../base/metric-catalogue.ts';

/** Left-aligned text columns, right-aligned numbers, two spaces between columns. */
export function formatTable(headers: string[], rows: string[][], numeric: boolean[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const thousands = (n: number) => n.toLocaleString('en-US');
const mb = (bytes: number) => (bytes / (1 << 20)).toFixed(1);

type Row = Pick<
  PartitionRecord,
  | 'status'
  | 'samples'
  | 'num_batches'
  | 'load_seconds'
  | 'inference_seconds'
  | typeof EXECUTION_TIME
  | 'sample_persec'
  | 'throughput_bps'
  | typeof CPU_TIME
  | typeof CPU_MEMORY
  | 'latency_ms'
  | 'nan_inputs'
  | 'inf_inputs'
>;

function metricCells(r: Row): string[] {
  const lat = r.latency_ms;
  return [
    r.status,
    thousands(r.samples),
    String(r.num_batches),
    fixed(r.load_seconds, 3),
    fixed(r.inference_seconds, 3),
    fixed(r[EXECUTION_TIME], 4),
    fixed(r.sample_persec, 1),
    fixed(r.throughput_bps / 1e6, 2),
    fixed(r[CPU_TIME], 2),
    fixed(r[CPU_MEMORY], 1),
    lat ? `${fixed(lat.p50, 1)}/${fixed(lat.p90, 1)}/${fixed(lat.p99, 1)}` : '-',
    `${r.nan_inputs}/${r.inf_inputs}`,
  ];
}

const HEADERS = [
  'partition',
  'status',
  'samples',
  'batches',
  'load (s)',
  'inference (s)',
  'execution_time (s/batch)',
  'sample_persec (galaxies/s)',
  'throughput (Mbit/s)',
  'cpu time (s)',
  'peak RSS (MB)',
  'latency p50/p90/p99 (ms)',
  'NaN/Inf inputs',
];
const NUMERIC = [false, false, true, true, true, true, true, true, true, true, true, true, true];

/** The human-readable summary `cosmicai local` prints: what ran, on what, and the metrics table. */
export function formatLocalRun(rec: LocalRunRecord): string {
  const out: string[] = [];
  const m = rec.model;
  const d = rec.dataset;
  const h = rec.host;
  out.push(`local run ${rec.id}: ${rec.status}`);
  out.push(
    `model  ${m.path}` +
      (m.reference ? ` (${m.label})` : '') +
      ` · ${thousands(m.parameters)} parameters` +
      (m.flopsPerSample !== null ? ` · ${fixed(m.flopsPerSample / 1e6, 1)} MFLOP/galaxy` : '') +
      ` · ${m.precision}`,
  );
  out.push(
    `data   ${d.spec.join(', ')}` +
      (d.synthetic ? ' (synthetic data)' : '') +
      ` · ${d.files.length} partition(s) · ${thousands(d.samples)} galaxies · ${mb(d.bytes)} MB`,
  );
  out.push(
    `host   ${h.cpuModel} · ${h.physicalCores} physical / ${h.logicalCores} logical cores · ${fixed(h.ramBytes / 2 ** 30, 1)} GB RAM · ` +
      `${h.os} · Node ${h.node} · onnxruntime ${h.onnxruntime}`,
  );
  out.push(
    `run    batch_size ${rec.batch_size} · ${rec.options.threads} thread(s) · ` +
      (rec.engine === 'pytorch' ? '' : `graph optimisation ${rec.options.graphOptimization} · `) +
      `engine ${rec.engine ?? 'onnxruntime'}` +
      (rec.runtime ? ` (Python ${rec.runtime.pythonVersion}, torch ${rec.runtime.torch})` : '') +
      ` · device ${rec.device} · session ${fixed(rec.session_seconds, 2)} s · wall ${fixed(rec.wall_seconds, 2)} s · max RSS ${fixed(rec.max_rss_mb, 1)} MB`,
  );
  out.push(...tuningLines(rec));
  out.push('');
  const rows = rec.partitions.map((p) => [String(p.partition), ...metricCells(p)]);
  rows.push(['run', ...metricCells(rec)]);
  out.push(formatTable(HEADERS, rows, NUMERIC));
  out.push(...definitionLines(rec));
  const failed = rec.partitions.filter((p) => p.error);
  for (const p of failed) out.push(`partition ${p.partition} (${p.data_path}) failed: ${p.error}`);
  if (rec.error && failed.length === 0) out.push(`error: ${rec.error}`);
  out.push('');
  const a = rec.accuracy;
  if (a) {
    out.push(
      `accuracy over ${thousands(a.count)} labelled galaxies (Δz = z_pred − z_true): MAE ${fixed(a.mae, 4)} · MSE ${fixed(a.mse, 5)} · ` +
        `bias ${fixed(a.bias, 4)} · σ_NMAD ${fixed(a.sigma_nmad, 4)} · R² ${a.r2 === null ? '-' : fixed(a.r2, 4)} · ` +
        `outliers (|Δz|/(1+z) > 0.15) ${fixed(a.outlier_fraction * 100, 1)}%`,
    );
  } else out.push('accuracy: no labels, not computed');
  if (m.reference) out.push(`note: ${m.label}`);
  if (d.synthetic) out.push('note: synthetic data — made on first use, not real galaxies');
  return out.join('\n') + '\n';
}

/** One progress line for stderr. */
export function formatProgress(p: LocalRunProgress): string {
  if (p.phase === 'session') return 'creating the onnxruntime session…';
  const eta = p.etaSeconds === null ? '' : ` · ETA ${fixed(p.etaSeconds, 0)} s`;
  const rate = p.samplesPerSec > 0 ? ` · ${fixed(p.samplesPerSec, 1)} galaxies/s` : '';
  return `partition ${p.partition}/${p.partitions} ${p.phase} · batch ${p.batchesDone}/${p.batchesTotal} · ${thousands(p.samplesDone)}/${thousands(p.samplesTotal)} galaxies${rate}${eta}`;
}

/** The definitions under the table: what each column's numbers mean, the study's formulas alongside. */
export function definitionLines(rec: LocalRunRecord): string[] {
  const d = rec.definitions ?? inferDefinitions('local-onnx-legacy');
  const lines = [
    `definitions: cpu time = ${definitionLabel(d['total_cpu_time (seconds)'])} · peak RSS = ${definitionLabel(d['total_cpu_memory (MB)'])}` +
      ` · execution_time = ${definitionLabel(d['execution_time (seconds/batch)'])} · throughput = ${definitionLabel(d.throughput_bps)}`,
  ];
  if (rec.total_bits !== undefined) {
    lines.push(
      `bits read: ${thousands(rec.total_bits)} (${thousands(Math.round(rec.bits_per_sample ?? 0))} per galaxy, from the stored dtypes)`,
    );
  }
  if (rec.study_formula) {
    lines.push(
      `study formula over wall time: execution_time = inference ÷ (samples ÷ batch size) = ${fixed(rec.study_formula['execution_time (seconds/batch)'], 4)} s/batch`,
    );
  }
  const sp = rec.study_profiler;
  if (sp) {
    lines.push(
      `study's profiler fields (as its lambda/inference.py): total_cpu_time ${fixed(sp['total_cpu_time (seconds)'], 3)} s (operator CPU sum) · ` +
        `total_cpu_memory ${fixed(sp['total_cpu_memory (MB)'], 1)} MB (allocation sum ÷ 1e6, not a peak) · ` +
        `execution_time ${fixed(sp['execution_time (seconds/batch)'], 4)} s/batch · throughput ${fixed(sp.throughput_bps / 1e6, 2)} Mbit/s · ` +
        `sample_persec ${fixed(sp.sample_persec, 1)}`,
    );
  }
  return lines;
}
