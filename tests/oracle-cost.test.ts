/**
 * Lambda cost against the study's own calculator (../shared/cai/compute_cost.py, run with a stub boto3): its example
 * of 100 requests × 30 s × 5 GB with 2 GB of /tmp, priced by actualCostFromUsage at the same (first-tier) prices.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { actualCostFromUsage, formatUsd } from '../cloud/cost/cost-model.ts';
import { pythonOracle, studyCaiDir } from './support/python-oracle.ts';

const RUN_STUDY_COST = `
import io, json, runpy, sys, types, contextlib
sys.modules["boto3"] = types.SimpleNamespace(client=lambda *a, **k: None)
out = io.StringIO()
with contextlib.redirect_stdout(out):
    g = runpy.run_path(${JSON.stringify(path.join(studyCaiDir(), 'compute_cost.py'))})
print(json.dumps({k: g[k] for k in ["num_requests", "duration", "memory_allocated", "storage", "compute_charges",
                                     "request_charges", "storage_charges", "total_charges"]}))
`;

describe("cost against the study's compute_cost.py", () => {
  it('prices the same requests, GB-seconds and /tmp storage as the study, to the cent fraction', () => {
    const s = pythonOracle<Record<string, number>>(RUN_STUDY_COST, null);
    expect(s).toMatchObject({ num_requests: 100, duration: 30, memory_allocated: 5, storage: 2 });
    const cost = actualCostFromUsage(
      { invocations: s.num_requests, billedDurationMs: s.num_requests * s.duration * 1000 },
      s.memory_allocated * 1024,
      'x86_64',
      { ephemeralMb: s.storage * 1024 },
    );
    const usd = (prefix: string) => cost.lines.find((l) => l.item.startsWith(prefix))!.usd;
    expect(usd('Lambda compute')).toBeCloseTo(s.compute_charges, 12);
    expect(usd('Lambda requests')).toBeCloseTo(s.request_charges, 15);
    expect(usd('Lambda ephemeral storage')).toBeCloseTo(s.storage_charges, 15);
    expect(cost.totalUsd).toBeCloseTo(s.total_charges, 12);
    expect(cost.gbSeconds).toBe(15_000);
    expect(cost.lines.map((l) => l.quantity)).toEqual(['15,000 GB-s', '100 requests', '4,500 GB-s']);
    expect(formatUsd(cost.totalUsd)).toBe('$0.25');
  });
});
