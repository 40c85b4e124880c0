/**
 * A re-run of failed ranks that a cloud run started but whose results its record does not hold yet: the app or the
 * CLI stopped following it (quit, crash, Ctrl-C) before it ended. Its ARN is the last of the History entry's
 * `params.reruns` (written when the re-run starts); once recorded it is one of `record.executions`. Re-attaching to
 * that ARN must record into the same run (merged), not as a run of its own, and a second re-run of the same ranks
 * must wait until it is.
 */
export function pendingRerunArn(params: Record<string, unknown>, record: unknown): string | null {
  const reruns = Array.isArray(params.reruns) ? (params.reruns as unknown[]) : [];
  const last = reruns.at(-1) as { executionArn?: unknown } | null | undefined;
  const arn = typeof last?.executionArn === 'string' ? last.executionArn : null;
  if (!arn) return null;
  const rec = (record ?? null) as { executionArn?: unknown; executions?: unknown } | null;
  const recorded = new Set<string>();
  if (typeof rec?.executionArn === 'string') recorded.add(rec.executionArn);
  if (Array.isArray(rec?.executions))
    for (const e of rec.executions as Array<{ executionArn?: unknown } | null>)
      if (typeof e?.executionArn === 'string') recorded.add(e.executionArn);
  return recorded.has(arn) ? null : arn;
}
