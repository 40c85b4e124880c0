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

type MetricKey = 'seconds_per_batch' | 'throughput_mbps' | 'cpu_time_s' | 'memory_mb' | 'samples_per_sec';

interface MetricDef {
  key: MetricKey;
  label: string;
  lowerIsBetter: boolean;
  value: (m: StudyMeasurement) => number;
  /** The value the note compares (memory is compared per worker). */
  compared?: (m: StudyMeasurement) => number;
  /** Phrase after the winner's label: `${pct}% ${better}` or `${ratio}× ${better}`. */
  better: string;
}

export const COMPARISON_METRICS: MetricDef[] = [
  { key: 'seconds_per_batch', label: 'Execution Time/Batch (s)', lowerIsBetter: true, value: (m) => m.secondsPerBatch, better: 'faster' },
  { key: 'throughput_mbps', label: 'Throughput (Mbps)', lowerIsBetter: false, value: (m) => m.throughputBps / 1e6, better: 'higher throughput' },
  { key: 'cpu_time_s', label: 'CPU Time (s)', lowerIsBetter: true, value: (m) => m.cpuTimeSeconds, better: 'less CPU time' },
  {
    key: 'memory_mb',
    label: 'Memory (MB)',
    lowerIsBetter: true,
    value: (m) => m.memoryMb,
    compared: (m) => m.memoryMb / Math.max(1, m.ranks),
    better: 'less memory per worker',
  },
  { key: 'samples_per_sec', label: 'Samples/sec', lowerIsBetter: false, value: (m) => m.samplesPerSec, better: 'more samples/sec' },
];

/**
 * The note for one metric. Lower-is-better metrics say how much less the winner needs ("cloud 42% faster",
 * "85% less memory per worker"); higher-is-better ones say a ratio from 2× up ("local 4.7× higher throughput"),
 * else a percentage. Within 1% is "about the same".
 */
export function comparisonNote(def: Pick<MetricDef, 'lowerIsBetter' | 'better'>, a: { label: string; value: number }, b: { label: string; value: number }): string {
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
}

export function compareRuns(a: ComparisonSide, b: ComparisonSide): Comparison {
  if (a.label === b.label) throw new Error(`the two sides need different labels, both are "${a.label}"`);
  const rows = COMPARISON_METRICS.map((def) => {
    const compared = def.compared ?? def.value;
    return {
      metric: def.label,
      a: def.value(a.run),
      b: def.value(b.run),
      note: comparisonNote(def, { label: a.label, value: compared(a.run) }, { label: b.label, value: compared(b.run) }),
    };
  });
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
      rows,
      note: joinNotes([
        'Memory is compared per worker (the run\'s memory ÷ its ranks); lower is better for time, CPU time and memory.',
        ...measuredHow.map((s) => `${s.label}: ${s.text}`),
      ]),
    },
    measuredHow,
  };
}
