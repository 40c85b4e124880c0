// Scores of Stryker's JSON report (mutation-testing-report-schema), as Stryker computes them.

export const slugOf = (file) => file.replace(/\.ts$/, '').replace(/[/\\]/g, '__');

/** Counts per status and the score: (killed + timeout) / (killed + timeout + survived + no coverage). */
export function scoreOf(report) {
  const c = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0 };
  for (const f of Object.values(report.files)) for (const m of f.mutants) c[m.status] = (c[m.status] ?? 0) + 1;
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  return { ...c, score: valid ? (100 * detected) / valid : null };
}
