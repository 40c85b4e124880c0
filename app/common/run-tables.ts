import { EMULATED_LABEL, type RunEntry } from './contract/index.ts';
import type { Table, CellValue } from '../../base/table.ts';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../../base/metric-keys.ts';
import { definitionLabel, MetricKeySchema } from '../../base/metric-catalogue.ts';
import { recordDefinitions } from '../../base/record-definitions.ts';
import { tuningLines } from '../../base/tuning-lines.ts';

/** The run-results tables (summary, per partition, latency, accuracy, host), built from a stored run entry. */

type Rec = Record<string, unknown>;
const num = (r: Rec | null | undefined, k: string): number | undefined =>
  r && typeof r[k] === 'number' ? (r[k] as number) : undefined;
const str = (r: Rec | null | undefined, k: string): string | undefined =>
  r && typeof r[k] === 'string' ? (r[k] as string) : undefined;
const obj = (r: Rec | null | undefined, k: string): Rec | undefined =>
  r && r[k] && typeof r[k] === 'object' && !Array.isArray(r[k]) ? (r[k] as Rec) : undefined;
const div = (v: number | undefined, d: number) => (v === undefined ? undefined : v / d);
/** A local run's partitions as kept in its record (cloud and imported runs keep theirs beside it). */
const localPartitions = (entry: RunEntry): Rec[] => (entry.record?.kind === 'local' ? entry.record.partitions : []);

export const REFERENCE_MODEL_LABEL = 'reference weights — predictions are not physical';
export const SYNTHETIC_DATA_LABEL = 'synthetic data';
export const INT8_LABEL = 'int8 — quantized model, z differs slightly from fp32';

/** The precision a run used: the record's, else the headline's (kept while the run is going); undefined for cloud runs. */
export function runPrecision(entry: RunEntry): string | undefined {
  return str(obj(entry.record, 'model'), 'precision') ?? entry.headline.precision;
}

/** The caveats to show with a run's results. */
export function runLabels(entry: RunEntry): string[] {
  const rec = entry.record;
  const model = obj(rec, 'model');
  const dataset = obj(rec, 'dataset');
  const out: string[] = [];
  if (model?.reference === true || (!model && entry.headline.referenceModel)) out.push(REFERENCE_MODEL_LABEL);
  if (dataset?.synthetic === true || (!dataset && entry.headline.syntheticData)) out.push(SYNTHETIC_DATA_LABEL);
  if (runPrecision(entry) === 'int8') out.push(INT8_LABEL);
  if (isEmulatedRun(entry)) out.push(EMULATED_LABEL);
  return out;
}

/** A cloud run made through an emulator profile (the demo): its numbers come from this computer, not AWS. */
export function isEmulatedRun(entry: Pick<RunEntry, 'record' | 'params' | 'headline'>): boolean {
  const profile = obj(entry.record, 'profile');
  return profile?.emulated === true || entry.params.emulated === true || entry.headline.emulated === true;
}

/** The warning Compare shows when an emulated run is set against a run on AWS (cloud or recorded). */
export function emulatedMixWarning(a: RunEntry, b: RunEntry): string | null {
  const ea = isEmulatedRun(a);
  const eb = isEmulatedRun(b);
  if (ea === eb) return null;
  const other = ea ? b : a;
  if (other.kind !== 'cloud' && other.kind !== 'recorded') return null;
  return (
    `Run ${ea ? 'A' : 'B'} was ${EMULATED_LABEL} and run ${ea ? 'B' : 'A'} on AWS: ` +
    'the emulator runs the same pipeline on this computer, so its times, memory and cost are not AWS numbers.'
  );
}

interface MetricDef {
  label: string;
  unit: string;
  field: string;
  get: (r: Rec) => number | string | undefined;
  digits?: number;
}

const METRICS: MetricDef[] = [
  { label: 'Precision', unit: '', field: 'model.precision', get: (r) => str(obj(r, 'model'), 'precision') },
  { label: 'Galaxies inferred', unit: '', field: 'samples', get: (r) => num(r, 'samples') },
  { label: 'Batch size', unit: 'galaxies', field: 'batch_size', get: (r) => num(r, 'batch_size') },
  { label: 'Batches', unit: '', field: 'num_batches', get: (r) => num(r, 'num_batches') },
  {
    label: 'Execution time per batch',
    unit: 's/batch',
    field: EXECUTION_TIME,
    get: (r) => num(r, EXECUTION_TIME),
    digits: 4,
  },
  {
    label: 'Samples per second',
    unit: 'galaxies/s',
    field: 'sample_persec',
    get: (r) => num(r, 'sample_persec'),
    digits: 1,
  },
  {
    label: 'Throughput',
    unit: 'Mbit/s',
    field: 'throughput_bps',
    get: (r) => div(num(r, 'throughput_bps'), 1e6),
    digits: 2,
  },
  { label: 'CPU time', unit: 's', field: CPU_TIME, get: (r) => num(r, CPU_TIME), digits: 2 },
  { label: 'Memory', unit: 'MB', field: CPU_MEMORY, get: (r) => num(r, CPU_MEMORY), digits: 1 },
  {
    label: 'Inference time',
    unit: 's',
    field: 'inference_seconds',
    get: (r) => num(r, 'inference_seconds'),
    digits: 3,
  },
  { label: 'Data loading time', unit: 's', field: 'load_seconds', get: (r) => num(r, 'load_seconds'), digits: 3 },
  { label: 'Session creation', unit: 's', field: 'session_seconds', get: (r) => num(r, 'session_seconds'), digits: 3 },
  { label: 'Startup', unit: 's', field: 'startup_seconds', get: (r) => num(r, 'startup_seconds'), digits: 3 },
  { label: 'Wall time', unit: 's', field: 'wall_seconds', get: (r) => num(r, 'wall_seconds'), digits: 2 },
  { label: 'Device', unit: '', field: 'device', get: (r) => str(r, 'device') },
  { label: 'Threads', unit: '', field: 'options.threads', get: (r) => num(obj(r, 'options'), 'threads') },
  {
    label: 'Graph optimisation',
    unit: '',
    field: 'options.graphOptimization',
    get: (r) => str(obj(r, 'options'), 'graphOptimization'),
  },
];

export function summaryTable(entry: RunEntry): Table {
  const rec = entry.record ?? {};
  const defs = recordDefinitions(rec);
  const definitionOf = (field: string) => {
    const key = MetricKeySchema.safeParse(field);
    return key.success ? definitionLabel(defs[key.data]) : undefined;
  };
  const rows = METRICS.map((m) => ({
    metric: m.label,
    value: roundTo(m.get(rec), m.digits),
    unit: m.unit,
    field: m.field,
    definition: definitionOf(m.field),
  })).filter((r) => r.value !== undefined);
  return {
    title: `Summary — ${entry.name}`,
    columns: [
      { key: 'metric', label: 'Metric' },
      { key: 'value', label: 'Value', align: 'right' },
      { key: 'unit', label: 'Unit' },
      { key: 'field', label: 'Study field' },
      { key: 'definition', label: 'Definition' },
    ],
    rows,
    note: runLabels(entry).join('; ') || undefined,
  };
}

const roundTo = (v: number | string | undefined, digits?: number): number | string | undefined =>
  typeof v === 'number' && digits !== undefined ? Number(v.toFixed(digits)) : v;

const basename = (p: string | undefined) =>
  p
    ? p
        .replace(/[\\/]+$/, '')
        .split(/[\\/]/)
        .pop()
    : undefined;

export function partitionsTable(entry: RunEntry, partitions: Rec[]): Table {
  const list = partitions.length ? partitions : localPartitions(entry);
  return {
    title: `Per-partition metrics — ${entry.name}`,
    columns: [
      { key: 'partition', label: 'Partition' },
      { key: 'file', label: 'File' },
      { key: 'status', label: 'Status' },
      { key: 'samples', label: 'Galaxies', align: 'right' },
      { key: 'batches', label: 'Batches', align: 'right' },
      { key: 'spb', label: 'Time/batch', unit: 's', digits: 4, align: 'right' },
      { key: 'sps', label: 'Samples/s', unit: 'galaxies/s', digits: 1, align: 'right' },
      { key: 'mbps', label: 'Throughput', unit: 'Mbit/s', digits: 2, align: 'right' },
      { key: 'cpu', label: 'CPU time', unit: 's', digits: 2, align: 'right' },
      { key: 'mem', label: 'Memory', unit: 'MB', digits: 1, align: 'right' },
      { key: 'load', label: 'Load', unit: 's', digits: 3, align: 'right' },
    ],
    rows: list.map((p) => ({
      partition: num(p, 'partition'),
      file: basename(str(p, 'data_path')),
      status: str(p, 'status'),
      samples: num(p, 'samples'),
      batches: num(p, 'num_batches'),
      spb: num(p, EXECUTION_TIME),
      sps: num(p, 'sample_persec'),
      mbps: div(num(p, 'throughput_bps'), 1e6),
      cpu: num(p, CPU_TIME),
      mem: num(p, CPU_MEMORY),
      load: num(p, 'load_seconds'),
    })),
  };
}

export function latencyTable(entry: RunEntry, partitions: Rec[]): Table | null {
  const run = obj(entry.record, 'latency_ms');
  const list = partitions.length ? partitions : localPartitions(entry);
  const rows: Array<Record<string, CellValue>> = [];
  if (run) rows.push({ scope: 'Whole run', p50: num(run, 'p50'), p90: num(run, 'p90'), p99: num(run, 'p99') });
  for (const p of list) {
    const l = obj(p, 'latency_ms');
    if (l)
      rows.push({
        scope: `Partition ${num(p, 'partition') ?? '?'}`,
        p50: num(l, 'p50'),
        p90: num(l, 'p90'),
        p99: num(l, 'p99'),
      });
  }
  if (!rows.length) return null;
  return {
    title: `Batch latency percentiles — ${entry.name}`,
    columns: [
      { key: 'scope', label: 'Scope' },
      { key: 'p50', label: 'p50', unit: 'ms', digits: 2, align: 'right' },
      { key: 'p90', label: 'p90', unit: 'ms', digits: 2, align: 'right' },
      { key: 'p99', label: 'p99', unit: 'ms', digits: 2, align: 'right' },
    ],
    rows,
  };
}

export function accuracyTable(entry: RunEntry): Table | null {
  const a = obj(entry.record, 'accuracy');
  if (!a) return null;
  const rows: Array<Record<string, CellValue>> = [
    { metric: 'Labelled galaxies', value: num(a, 'count'), meaning: 'galaxies with finite z_true and z_pred' },
    { metric: 'MAE', value: num(a, 'mae'), meaning: 'mean |z_pred − z_true|' },
    { metric: 'MSE', value: num(a, 'mse'), meaning: 'mean (z_pred − z_true)²' },
    { metric: 'Bias', value: num(a, 'bias'), meaning: 'mean (z_pred − z_true)' },
    { metric: 'σ_NMAD', value: num(a, 'sigma_nmad'), meaning: '1.48 × median |Δz − median Δz| / (1 + z_true)' },
    { metric: 'R²', value: num(a, 'r2') ?? null, meaning: 'coefficient of determination' },
    { metric: 'Outlier fraction', value: num(a, 'outlier_fraction'), meaning: 'share with |Δz| / (1 + z_true) > 0.15' },
  ];
  return {
    title: `Accuracy — ${entry.name}`,
    columns: [
      { key: 'metric', label: 'Metric' },
      { key: 'value', label: 'Value', align: 'right' },
      { key: 'meaning', label: 'Definition' },
    ],
    rows,
    note: runLabels(entry).join('; ') || undefined,
  };
}

export function hostTable(entry: RunEntry): Table | null {
  const h = obj(entry.record, 'host');
  if (!h) return null;
  const gb = num(h, 'ramBytes');
  const rows: Array<Record<string, CellValue>> = [
    { item: 'CPU', value: str(h, 'cpuModel') },
    {
      item: 'Cores (physical / logical)',
      value: `${num(h, 'physicalCores') ?? '?'} / ${num(h, 'logicalCores') ?? '?'}`,
    },
    { item: 'Memory', value: gb !== undefined ? `${(gb / 2 ** 30).toFixed(1)} GB` : undefined },
    { item: 'Operating system', value: str(h, 'os') },
    { item: 'Architecture', value: str(h, 'arch') },
    { item: 'Node.js', value: str(h, 'node') },
    { item: 'onnxruntime', value: str(h, 'onnxruntime') },
    { item: 'CPU features', value: Array.isArray(h.cpuFlags) ? (h.cpuFlags as string[]).join(' ') || '—' : undefined },
    // What host tuning (tune 'auto') chose, from where, and each stage's reason: the CLI's lines, one per row.
    ...(entry.record?.kind === 'local'
      ? tuningLines(entry.record).map((line, i) => ({
          item: i === 0 ? 'Host tuning' : '',
          value: line.trim().replace(/\s{2,}/g, ' '),
        }))
      : []),
  ].filter((r) => r.value !== undefined);
  return {
    title: `Host — ${entry.name}`,
    columns: [
      { key: 'item', label: 'Item' },
      { key: 'value', label: 'Value', align: 'left' },
    ],
    rows,
  };
}

/** Two runs side by side: each metric, both values, and B relative to A. */
export function compareTable(a: RunEntry, b: RunEntry): Table {
  const ra = a.record ?? {};
  const rb = b.record ?? {};
  const da = recordDefinitions(ra);
  const db = recordDefinitions(rb);
  let mixed = false;
  const rows: Array<Record<string, CellValue>> = METRICS.map((m) => {
    const va = roundTo(m.get(ra), m.digits);
    const vb = roundTo(m.get(rb), m.digits);
    const key = MetricKeySchema.safeParse(m.field);
    // A metric of the catalogue says its definition; two definitions in one row get no ratio.
    let definition: string | undefined;
    let same = true;
    if (key.success) {
      const [x, y] = [da[key.data], db[key.data]];
      same = x === y;
      definition = same ? definitionLabel(x) : `differs — A: ${definitionLabel(x)}; B: ${definitionLabel(y)}`;
      if (!same) mixed = true;
    }
    const ratio = same && typeof va === 'number' && typeof vb === 'number' && va !== 0 ? vb / va : undefined;
    return {
      metric: m.label,
      unit: m.unit,
      a: va,
      b: vb,
      ratio: ratio === undefined ? undefined : Number(ratio.toFixed(3)),
      definition,
    };
  }).filter((r) => r.a !== undefined || r.b !== undefined);
  const acc = (e: RunEntry) => obj(e.record, 'accuracy');
  for (const [label, key] of [
    ['MAE', 'mae'],
    ['σ_NMAD', 'sigma_nmad'],
  ] as const) {
    const va = num(acc(a), key);
    const vb = num(acc(b), key);
    if (va !== undefined || vb !== undefined)
      rows.push({
        metric: label,
        unit: '',
        a: va,
        b: vb,
        ratio: va && vb !== undefined ? Number((vb / va).toFixed(3)) : undefined,
      });
  }
  return {
    title: `Comparison — ${a.name} vs ${b.name}`,
    columns: [
      { key: 'metric', label: 'Metric' },
      { key: 'unit', label: 'Unit' },
      { key: 'a', label: `A: ${a.name}`, align: 'right' },
      { key: 'b', label: `B: ${b.name}`, align: 'right' },
      { key: 'ratio', label: 'B ÷ A', align: 'right' },
      { key: 'definition', label: 'Definition' },
    ],
    rows,
    ...(mixed
      ? { note: 'Some rows hold numbers of different definitions (see Definition): their B ÷ A is left out.' }
      : {}),
  };
}
