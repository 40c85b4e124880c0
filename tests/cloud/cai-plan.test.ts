/** The pure parts of driving the study's CAI pipeline: the initializer's rank plan, REPORT attribution, target detection. */
import { describe, expect, it } from 'vitest';
import { caiRankPlan } from '../../cloud/cai-rank-plan.ts';
import { detectTarget } from '../../cloud/pipeline-target.ts';
import { attributeReports } from '../../cloud/report-attribution.ts';
import type { LogLine } from '../../cloud/logs.ts';
import { renderStateMachine } from '../../cloud/state-machine.ts';
import { caiStateMachineDefinition } from '../../emulator/cai-state-machine.ts';

const keys = (n: number, prefix = 'd/') => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}.pt`).sort();

describe('caiRankPlan (as initializer.py assigns files)', () => {
  it('takes the first file_limit keys of the lexicographic listing, not 1..N', () => {
    const plan = caiRankPlan({ dataBucket: 'b', dataPrefix: 'd/', listed: keys(12), truncated: false, fileLimit: 3 });
    expect(plan.files).toEqual(['d/1.pt', 'd/10.pt', 'd/11.pt']);
    expect(plan.worldSize).toBe(3);
    expect(plan.ranks.map((r) => r.dataPath)).toEqual(['d/1.pt', 'd/10.pt', 'd/11.pt']);
    expect(plan.warnings).toEqual([]);
  });

  it('gives lists to ranks when fewer ranks than files, null beyond the files, and warns', () => {
    expect(
      caiRankPlan({ dataBucket: 'b', dataPrefix: 'd/', listed: keys(5), truncated: false, fileLimit: 5, worldSize: 2 })
        .ranks,
    ).toEqual([
      { rank: 0, dataPath: ['d/1.pt', 'd/2.pt', 'd/3.pt'] },
      { rank: 1, dataPath: ['d/4.pt', 'd/5.pt'] },
    ]);
    const more = caiRankPlan({
      dataBucket: 'b',
      dataPrefix: 'd/',
      listed: keys(2),
      truncated: false,
      fileLimit: 2,
      worldSize: 4,
    });
    expect(more.ranks.map((r) => r.dataPath)).toEqual(['d/1.pt', 'd/2.pt', null, null]);
    expect(more.warnings).toEqual([expect.stringMatching(/4 ranks for 2 file\(s\): ranks 2–3 get no data/)]);
  });

  it('world_size defaults to file_limit, not to the files found', () => {
    const plan = caiRankPlan({ dataBucket: 'b', dataPrefix: 'd/', listed: keys(2), truncated: false, fileLimit: 4 });
    expect(plan.worldSize).toBe(4);
    expect(plan.warnings.join(' ')).toMatch(/only 2 \.pt file/);
  });

  it('warns about a truncated listing and about files other than those staged', () => {
    const plan = caiRankPlan({
      dataBucket: 'b',
      dataPrefix: 'd/',
      listed: keys(1000),
      truncated: true,
      fileLimit: 2,
      staged: ['d/1.pt', 'd/2.pt'],
    });
    expect(plan.files).toEqual(['d/1.pt', 'd/10.pt']);
    expect(plan.warnings.join(' ')).toMatch(/more than the 1,000 keys/);
    expect(plan.warnings.join(' ')).toMatch(/not staged by this run: d\/10\.pt.*staged but left out: d\/2\.pt/);
  });
});

const line = (stream: string, t: number, message: string): LogLine => ({
  eventId: `${stream}-${t}`,
  timestamp: t,
  logStream: stream,
  message,
});
const report = (id: string, ms: number, init = '') =>
  `REPORT RequestId: ${id}\tDuration: ${ms}.00 ms\tBilled Duration: ${ms} ms\tMemory Size: 10240 MB\tMax Memory Used: 400 MB\t${init}`;

describe('attributeReports (REPORT lines by request id)', () => {
  const rid = (n: number) => `00000000-0000-0000-0000-00000000000${n}`;
  const lines = [
    // stream a: this run's rank 0, then another run's rank 0 (same container, warm)
    line('a', 1, `START RequestId: ${rid(1)} Version: $LATEST`),
    line('a', 2, "received:  {'RANK': '0', 'RESULT_PATH': 'results/mine', 'DATA_PATH': 'd/1.pt'}"),
    line('a', 3, report(rid(1), 100, 'Init Duration: 5.00 ms')),
    line('a', 4, `START RequestId: ${rid(2)} Version: $LATEST`),
    line('a', 5, "received:  {'RANK': '0', 'RESULT_PATH': 'results/other'}"),
    line('a', 6, report(rid(2), 200)),
    // stream b: this run's rank 1 as our Node worker logs it
    line('b', 2, `START RequestId: ${rid(3)} Version: $LATEST`),
    line('b', 3, `2026-01-01T00:00:00.000Z\t${rid(3)}\tINFO\treceived: {"rank":1,"result_path":"results/mine"}`),
    line('b', 9, report(rid(3), 300)),
  ];

  it("counts only this execution's ranks, per rank, and lists the missing ones", () => {
    const got = attributeReports(lines, 'results/mine', [0, 1, 2]);
    expect(got.perRank.map((u) => [u.rank, u.requestId, u.durationMs, u.initDurationMs])).toEqual([
      [0, rid(1), 100, 5],
      [1, rid(3), 300, undefined],
    ]);
    expect(got.missing).toEqual([2]);
    expect(got.ignored).toBe(1);
  });

  it('a REPORT line whose request logged no rank payload is never counted', () => {
    const got = attributeReports(
      [line('c', 1, `START RequestId: ${rid(4)} Version: $LATEST`), line('c', 2, report(rid(4), 50))],
      'results/mine',
      [0],
    );
    expect(got.perRank).toEqual([]);
    expect(got.missing).toEqual([0]);
  });
});

describe('detectTarget', () => {
  it("tells the study's CAI state machine from ours", () => {
    expect(detectTarget(JSON.stringify(caiStateMachineDefinition())).target).toBe('cai');
    const ours = renderStateMachine({ initializerArn: 'init', inferenceArn: 'infer', summarizerArn: 'sum' });
    expect(detectTarget(ours).target).toBe('cosmicai');
    expect(detectTarget('{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}')).toMatchObject({
      target: null,
      reason: expect.stringMatching(/no Map state/),
    });
    expect(detectTarget('nope').target).toBeNull();
  });
});
