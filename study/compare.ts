import { definitionLabel, inferDefinitions, type DefinitionsMap, type MetricKey } from '../base/metric-catalogue.ts';
import { precisionOf, type StudyMeasurement } from './measurement.ts';
import { joinNotes, type StudyTable } from './table.ts';

/** Side-by-side comparison of two runs (local vs cloud, or any two), with notes computed from the numbers. */

export interface ComparisonSide {
  /** Shown as the column header and in the notes: "local", "cloud", "run 3". */
  label: string;
  run: StudyMeasurement;
  /** How this side measured the metrics; defaults to the text for its target. */
  measuredHow?: string;
}

type ComparedMetric = 'seconds_per_batch' | 'throughput_mbps' | 'cpu_time_s' | 'memory_mb' | 'samples_per_sec';

interface MetricDef {
  key: ComparedMetric;
  /** The record field whose definition this row shows. */
  field: MetricKey;
  label: string;
  lowerIsBetter: boolean;
  value: (m: StudyMeasurement) => number;
  /** The value the note compares (memory is compared per worker). */
  compared?: (m: StudyMeasurement) => number;
  /** Phrase after the winner's label: `${pct}% ${better}` or `${ratio}× ${better}`. */
  better: string;
}

export const COMPARISON_METRICS: MetricDef[] = [
  {
    key: 'seconds_per_batch',
    field: 'execution_time (seconds/batch)',
    label: 'Execution Time/Batch (s)',
    lowerIsBetter: true,
    value: (m) => m.secondsPerBatch,
    better: 'faster',
  },
  {
    key: 'throughput_mbps',
    field: 'throughput_bps',
    label: 'Throughput (Mbps)',
    lowerIsBetter: false,
    value: (m) => m.throughputBps / 1e6,
    better: 'higher throughput',
  },
  {
    key: 'cpu_time_s',
    field: 'total_cpu_time (seconds)',
    label: 'CPU Time (s)',
    lowerIsBetter: true,
    value: (m) => m.cpuTimeSeconds,
    better: 'less CPU time',
  },
  {
    key: 'memory_mb',
    field: 'total_cpu_memory (MB)',
    label: 'Memory (MB)',
    lowerIsBetter: true,
    value: (m) => m.memoryMb,
    compared: (m) => m.memoryMb / Math.max(1, m.ranks),
    better: 'less memory per worker',
  },
  {
    key: 'samples_per_sec',
    field: 'sample_persec',
    label: 'Samples/sec',
    lowerIsBetter: false,
    value: (m) => m.samplesPerSec,
    better: 'more samples/sec',
  },
];

/**
 * The note for one metric. Lower-is-better metrics say how much less the winner needs ("cloud 42% faster",
 * "85% less memory per worker"); higher-is-better ones say a ratio from 2× up ("local 4.7× higher throughput"),
 * else a percentage. Within 1% is "about the same".
 */
export function comparisonNote(
  def: Pick<MetricDef, 'lowerIsBetter' | 'better'>,
  a: { label: string; value: number },
  b: { label: string; value: number },
): string {
  if (!Number.isFinite(a.value) || !Number.isFinite(b.value) || a.value < 0 || b.value < 0) return 'not comparable';
  if (a.value === b.value) return 'about the same';
  if (a.value === 0 || b.value === 0) {
    const zero = a.value === 0 ? a : b;
    return `${zero.label} measured 0`;
  }
  const [hi, lo] = a.value > b.value ? [a, b] : [b, a];
  if ((hi.value - lo.value) / hi.value < 0.01) return 'about the same';
  if (def.lowerIsBetter) {
    const pct = Math.round(((hi.value - lo.value) / hi.value) * 100);
    return `${lo.label} ${pct}% ${def.better}`;
  }
  const ratio = hi.value / lo.value;
  if (ratio >= 2) return `${hi.label} ${ratio.toFixed(1)}× ${def.better}`;
  return `${hi.label} ${Math.round((ratio - 1) * 100)}% ${def.better}`;
}

/** Tags an int8 side's label ("local (int8)"), so an fp32 and an int8 run are never confused in a comparison. */
export function precisionLabel(label: string, m: StudyMeasurement): string {
  return precisionOf(m) === 'int8' && !label.includes('int8') ? `${label} (int8)` : label;
}

export function defaultMeasuredHow(m: StudyMeasurement): string {
  const ranks = m.ranks === 1 ? '1 rank' : `${m.ranks} ranks`;
  const agg =
    `Aggregated over ${ranks} as the study did: execution time/batch is the mean over ranks, throughput, memory and samples/sec are summed, ` +
    'CPU time is the mean after dropping values outside 1.5×IQR.';
  if (m.target === 'local')
    return (
      `Local (onnxruntime on this computer's CPU, one process running the partitions one after another${precisionOf(m) === 'int8' ? ', the int8 (dynamically quantized) copy of the model' : ''}): execution time/batch = inference seconds ÷ batches; ` +
      'throughput = bits of the float32 image and magnitude inputs ÷ inference seconds; CPU time = user + system CPU of the inference process; ' +
      'memory = peak resident set (MB = 2^20 bytes); samples/sec = galaxies ÷ inference seconds.' +
      (m.ranks > 1 ? ` ${agg}` : '')
    );
  if (m.emulated)
    return (
      'Cloud pipeline emulated on this computer (our Lambda handlers in one local process, one rank per partition; ' +
      "not AWS, so times, memory and cost are this computer's): each rank reports the study's fields — " +
      'execution_time (seconds/batch), throughput_bps, total_cpu_time (seconds), total_cpu_memory (MB), ' +
      `sample_persec. ${agg}`
    );
  return (
    `Cloud (AWS Lambda, one rank per partition): each rank reports the study's fields from inside its Lambda — execution_time (seconds/batch), ` +
    'throughput_bps, total_cpu_time (seconds), total_cpu_memory (MB), sample_persec. ' +
    agg
  );
}

export interface Comparison {
  table: StudyTable;
  /** One text per side: how it measured each metric. */
  measuredHow: Array<{ label: string; text: string }>;
  /** True when the runs share batch size, engine, precision, model and (for every row) metric definition. */
  comparable: boolean;
  /** Why the runs, or some of their rows, are not like with like; empty when they are. */
  warnings: string[];
}

/** A run's definitions: as recorded, else inferred from where it came from. */
export function definitionsOf(m: StudyMeasurement): DefinitionsMap {
  return m.definitions ?? inferDefinitions(m.target === 'local' ? 'local-onnx-legacy' : 'study-profiler');
}

/** The run-level reasons two runs are not like with like (batch size, engine, precision, model). */
export function setupDifferences(a: ComparisonSide, b: ComparisonSide): string[] {
  const out: string[] = [];
  const A = a.run;
  const B = b.run;
  if (A.batchSize !== B.batchSize)
    out.push(`batch sizes differ (${a.label} ${A.batchSize}, ${b.label} ${B.batchSize})`);
  if (A.engine && B.engine && A.engine !== B.engine)
    out.push(`engines differ (${a.label} ${A.engine}, ${b.label} ${B.engine})`);
  else if (!A.engine || !B.engine) out.push(`the engine of ${!A.engine ? a.label : b.label} is not recorded`);
  if (precisionOf(A) !== precisionOf(B))
    out.push(`precisions differ (${a.label} ${precisionOf(A)}, ${b.label} ${precisionOf(B)})`);
  if (A.model && B.model && A.model !== B.model)
    out.push(`models differ (${a.label} ${A.model}, ${b.label} ${B.model})`);
  else if (!A.model || !B.model) out.push(`the model of ${!A.model ? a.label : b.label} is not recorded`);
  if (A.target === 'cloud' && B.target === 'cloud' && !!A.emulated !== !!B.emulated)
    out.push(
      `${A.emulated ? a.label : b.label} ran on the emulator on this computer, ${A.emulated ? b.label : a.label} on AWS`,
    );
  return out;
}

/** Swaps in a side's study-profiler family when that matches the other side's definitions and its own does not. */
function alignFamilies(
  a: ComparisonSide,
  b: ComparisonSide,
): { a: ComparisonSide; b: ComparisonSide; notes: string[] } {
  const same = (x: StudyMeasurement, y: StudyMeasurement) =>
    COMPARISON_METRICS.filter((d) => definitionsOf(x)[d.field] === definitionsOf(y)[d.field]).length;
  const notes: string[] = [];
  let A = a;
  let B = b;
  if (a.run.studyFamily && same(a.run.studyFamily, b.run) > same(a.run, b.run)) {
    A = { ...a, run: a.run.studyFamily };
    notes.push(`${a.label}: its torch-profiler numbers (the study's definitions) are shown, to match ${b.label}.`);
  } else if (b.run.studyFamily && same(a.run, b.run.studyFamily) > same(a.run, b.run)) {
    B = { ...b, run: b.run.studyFamily };
    notes.push(`${b.label}: its torch-profiler numbers (the study's definitions) are shown, to match ${a.label}.`);
  }
  return { a: A, b: B, notes };
}

/**
 * Two runs side by side. A "% faster" note is written only when the runs are like with like: same batch size,
 * engine, precision and model, and the row's metric has the same definition on both sides; otherwise the table
 * starts with warning rows and the affected notes say why nothing is concluded. Memory is also compared physical
 * to physical (peak RSS against Lambda Max Memory Used, per worker) when both sides measured it.
 */
export function compareRuns(a0: ComparisonSide, b0: ComparisonSide): Comparison {
  if (a0.label === b0.label) throw new Error(`the two sides need different labels, both are "${a0.label}"`);
  const { a, b, notes: familyNotes } = alignFamilies(a0, b0);
  const setup = setupDifferences(a, b);
  const da = definitionsOf(a.run);
  const db = definitionsOf(b.run);
  const definitionWarnings: string[] = [];
  const rows: Array<Record<string, string | number | null>> = COMPARISON_METRICS.map((def) => {
    const compared = def.compared ?? def.value;
    const sameDefinition = da[def.field] !== undefined && da[def.field] === db[def.field];
    let note: string;
    if (!sameDefinition) {
      const why = `${a.label}: ${definitionLabel(da[def.field])}; ${b.label}: ${definitionLabel(db[def.field])}`;
      definitionWarnings.push(`${def.label} is defined differently (${why})`);
      note = `not compared: different definitions (${why})`;
    } else if (setup.length > 0) note = 'not compared: the runs are not like with like (see the warnings above)';
    else
      note = comparisonNote(
        def,
        { label: a.label, value: compared(a.run) },
        { label: b.label, value: compared(b.run) },
      );
    return { metric: def.label, a: def.value(a.run), b: def.value(b.run), note };
  });
  const pa = a.run.physicalMemoryMbPerWorker;
  const pb = b.run.physicalMemoryMbPerWorker;
  if (pa !== undefined && pb !== undefined) {
    const def = { lowerIsBetter: true, better: 'less peak memory per worker' };
    rows.push({
      metric: 'Peak memory per worker (MB, physical)',
      a: pa,
      b: pb,
      note:
        setup.length > 0
          ? 'not compared: the runs are not like with like (see the warnings above)'
          : comparisonNote(def, { label: a.label, value: pa }, { label: b.label, value: pb }),
    });
  }
  const warnings = [...setup, ...definitionWarnings];
  const warningRows = warnings.map((w) => ({ metric: 'Warning', a: null, b: null, note: w }));
  const measuredHow = [a, b].map((s) => ({ label: s.label, text: s.measuredHow ?? defaultMeasuredHow(s.run) }));
  return {
    table: {
      title: `Comparison: ${a.label} vs ${b.label}`,
      columns: [
        { key: 'metric', label: 'Metric', align: 'left' },
        { key: 'a', label: a.label, align: 'right' },
        { key: 'b', label: b.label, align: 'right' },
        { key: 'note', label: 'Notes', align: 'left' },
      ],
      rows: [...warningRows, ...rows],
      note: joinNotes([
        ...(warnings.length > 0
          ? [`Not like with like: ${warnings.join('; ')}. No "% faster" is concluded where they differ.`]
          : []),
        ...familyNotes,
        "Memory is compared per worker (the run's memory ÷ its ranks); lower is better for time, CPU time and memory.",
        ...measuredHow.map((s) => `${s.label}: ${s.text}`),
      ]),
    },
    measuredHow,
    comparable: warnings.length === 0,
    warnings,
  };
}
