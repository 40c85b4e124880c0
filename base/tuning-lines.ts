import type { LocalRunRecord } from './local-run-record.ts';

/** The run table's lines for host tuning (tune 'auto'): what was chosen, from where, and each stage's reason. */
export function tuningLines(rec: LocalRunRecord): string[] {
  const t = rec.tuning;
  if (!t) return [];
  const s = t.result.settings;
  const from =
    t.source === 'cache'
      ? `from the cache (calibrated ${t.calibratedAt})`
      : `calibrated now in ${t.result.calibrationSeconds.toFixed(1)} s`;
  const out = [
    `tuned  ${from}: ${s.threads} thread(s) · ${s.slice} galaxies per session run · spinning ${s.spinning ? 'on' : 'off'}` +
      ` (best of ${t.result.rounds} on a ${t.result.galaxies}-galaxy batch)`,
    ...t.result.stages.map((st) => `       ${st.name}: ${st.reason}`),
  ];
  if (t.notCached) out.push(`       not cached: ${t.notCached}`);
  if (t.spinOverheadCpuSeconds !== null)
    out.push(
      `       spinning: about ${t.spinOverheadCpuSeconds.toFixed(2)} s of total_cpu_time is idle spinning ` +
        `(${(t.result.spinOverheadCpuMsPerGalaxy ?? 0).toFixed(2)} CPU-ms per galaxy measured in the calibration)`,
    );
  return out;
}
