import type { CloudRunRecord } from '../../base/cloud-run-record.ts';
import type { RedactedProfile } from '../../base/profile-schema.ts';
import type { ConnectionCheck, ExecutionSnapshot, RunResults, StageProgress } from '../node/services/cloud-ops.ts';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../../base/metric-keys.ts';
import { measuredPeakText } from '../../base/timeline-table.ts';
import { executionLabel, executionsSummary } from '../../base/run-executions.ts';

/** Plain-text views of cloud objects for the CLI. */

const mib = (b: number) => `${(b / (1 << 20)).toFixed(1)} MiB`;
const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '–'
    : Number(v.toPrecision(digits + 3)).toLocaleString('en-US', { maximumFractionDigits: digits });

export function formatProfile(p: RedactedProfile): string {
  const c = p.credentials;
  const creds =
    c.source === 'static'
      ? `pasted keys (…${c.accessKeyIdHint ?? ''}, encrypted)`
      : c.source === 'env'
        ? 'environment'
        : c.source === 'emulator'
          ? "the local emulator's keys (loopback only)"
          : `${c.source} '${c.profile}'`;
  const ep = Object.entries(p.endpoints ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    `${p.name}`,
    `  credentials    ${creds}`,
    `  region         ${p.region}`,
    `  bucket         ${p.bucket}${p.dataBucket && p.dataBucket !== p.bucket ? ` (data in ${p.dataBucket})` : ''}`,
    `  prefixes       scripts '${p.scriptsPrefix}', results '${p.resultsPrefix}', data '${p.dataPrefix}'`,
    `  state machine  ${p.stateMachineArn}`,
    `  lambda         ${p.inferenceLambdaName} (${p.lambdaMemoryMb} MB, ${p.architecture})`,
    `  pipeline       ${p.target === 'cai' ? "the study's CAI pipeline" : p.target === 'cosmicai' ? 'the CosmicAI Bench stack' : 'detected from the state machine'}`,
    ...(ep ? [`  endpoints      ${ep}`] : []),
  ].join('\n');
}

/** PASS, FAIL, or WARN for a failed check that only one feature needs (it does not fail `profile test`). */
export const checkWord = (c: Pick<ConnectionCheck, 'ok' | 'optional'>): 'PASS' | 'FAIL' | 'WARN' =>
  c.ok ? 'PASS' : c.optional ? 'WARN' : 'FAIL';

export function formatChecks(checks: ConnectionCheck[]): string {
  return checks.map((c) => `${checkWord(c)}  ${c.label}: ${c.detail}${c.hint ? `\n      → ${c.hint}` : ''}`).join('\n');
}

export function formatStageProgress(step: string, p: StageProgress): string {
  return `${step}: ${p.filesDone}/${p.filesTotal} files, ${mib(p.bytesDone)} / ${mib(p.bytesTotal)} (${p.phase} ${p.key})`;
}

export function formatSnapshot(s: ExecutionSnapshot): string {
  const i = s.items;
  const items = i
    ? `  ranks: ${i.succeeded}/${i.total} succeeded, ${i.running} running, ${i.pending} pending, ${i.failed + i.timedOut} failed${i.aborted ? `, ${i.aborted} aborted` : ''}`
    : '';
  return `${s.status}${items}`;
}

export function formatSnapshotDetail(s: ExecutionSnapshot): string {
  const lines = [
    `execution   ${s.executionArn}`,
    `status      ${formatSnapshot(s)}`,
    `started     ${s.startDate ?? '–'}${s.stopDate ? `   stopped ${s.stopDate}` : ''}`,
  ];
  const input = s.input as Record<string, unknown> | null;
  if (input && typeof input.result_path === 'string') lines.push(`result_path ${input.result_path}`);
  if (s.mapDurationSeconds !== null) lines.push(`map state   ${fmt(s.mapDurationSeconds)} s`);
  if (s.error || s.cause) lines.push(`error       ${s.error ?? ''}${s.cause ? `: ${s.cause.slice(0, 500)}` : ''}`);
  for (const f of s.failedRanks)
    lines.push(
      `failed rank ${f.rank ?? `#${f.index ?? '?'}`}: ${f.error}${f.cause ? ` — ${f.cause.slice(0, 300)}` : ''}`,
    );
  return lines.join('\n');
}

export function formatResults(
  r: Pick<RunResults, 'resultPath' | 'aggregate' | 'problems' | 'source' | 'ranks'>,
): string {
  const a = r.aggregate;
  const lines = [`results under ${r.resultPath} (${r.ranks.length} rank file(s); aggregated from ${r.source})`];
  if (a) {
    lines.push(
      `  ranks                            ${a.ranks}`,
      `  total_cpu_time (seconds)         ${fmt(a[CPU_TIME])}   (mean, 1.5×IQR outliers dropped: ${a.cpu_time_outliers_dropped})`,
      `  total_cpu_memory (MB)            ${fmt(a[CPU_MEMORY])}   (sum)`,
      `  throughput_bps                   ${fmt(a.throughput_bps)}   (sum over ranks)`,
      `  total_bits                       ${fmt(a.total_bits)}`,
      `  execution_time (seconds/batch)   ${fmt(a[EXECUTION_TIME])}   (mean)`,
      `  sample_persec                    ${fmt(a.sample_persec)}   (sum)`,
      `  wall throughput (bps)            ${fmt(a.wall_throughput_bps)}   (total_bits ÷ Map state ${fmt(a.map_duration_seconds)} s)`,
    );
  } else lines.push('  no readable rank results');
  for (const p of r.problems) lines.push(`  problem: ${p.key}: ${p.problem}`);
  return lines.join('\n');
}

export function formatRecord(r: CloudRunRecord): string {
  const lines = [
    `cloud run ${r.id}: ${r.status}`,
    `  execution ${r.executionArn}`,
    ...executionLines(r),
    formatResults({
      resultPath: r.result_path,
      problems: r.result_problems,
      source: r.results_source,
      ranks: r.rank_results,
      aggregate: r.ranks
        ? {
            ranks: r.ranks,
            [CPU_TIME]: r[CPU_TIME] ?? NaN,
            [CPU_MEMORY]: r[CPU_MEMORY] ?? NaN,
            throughput_bps: r.throughput_bps ?? NaN,
            total_bits: r.total_bits ?? NaN,
            [EXECUTION_TIME]: r[EXECUTION_TIME],
            sample_persec: r.sample_persec,
            num_batches: r.num_batches,
            batch_size: r.batch_size,
            cpu_time_outliers_dropped: r.cpu_time_outliers_dropped,
            map_duration_seconds: r.map_duration_seconds,
            wall_throughput_bps: r.wall_throughput_bps,
          }
        : null,
    }),
  ];
  for (const f of r.failed_ranks)
    lines.push(
      `  failed rank ${f.rank ?? `#${f.index ?? '?'}`}: ${f.error}${f.cause ? ` — ${f.cause.slice(0, 300)}` : ''}`,
    );
  if (r.error && !r.failed_ranks.length)
    lines.push(`  error: ${r.error}${r.cause ? `: ${r.cause.slice(0, 500)}` : ''}`);
  if (r.lambda)
    lines.push(
      `  lambda: ${r.lambda.invocations} invocation(s), ${fmt(r.lambda.billedDurationMs / 1000)} billed s, max memory used ${r.lambda.maxMemoryUsedMb} MB, ${r.lambda.coldStarts} cold start(s)` +
        (r.executions && r.executions.length > 1 ? ` (all ${r.executions.length} executions)` : ''),
    );
  lines.push(`  ${measuredPeakText(r)} (per rank: cosmicai history show RUN_ID)`);
  return lines.join('\n');
}

/** A run whose failed ranks were re-run: "2 executions (original + re-run of rank 1)" and each one's ARN. */
function executionLines(r: CloudRunRecord): string[] {
  const summary = executionsSummary(r);
  if (!summary || !r.executions) return [];
  return [`  ${summary}:`, ...r.executions.map((e, i) => `    ${executionLabel(r.executions!, i)}: ${e.executionArn}`)];
}
