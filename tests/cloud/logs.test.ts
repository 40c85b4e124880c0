/** The Lambda log tail against the local CloudWatch Logs endpoint: pagination, de-duplication, a group that appears late. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { collectReportLines, fetchLogLines, tailLogs, type LogLine } from '../../cloud/logs.ts';
import { localProfile, TestCipher } from '../support/cloud-helpers.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { localAwsEndpoints } from '../support/local-aws-profile.ts';

let aws: LocalAws;
let clients: AwsClients;
const GROUP = '/aws/lambda/late-function';
const report = (i: number, init = false) =>
  `REPORT RequestId: 00000000-0000-0000-0000-${String(i).padStart(12, '0')}\tDuration: ${i}.5 ms\tBilled Duration: ${i + 1} ms\tMemory Size: 2048 MB\tMax Memory Used: ${100 + i} MB\t${init ? 'Init Duration: 200.25 ms\t' : ''}`;

beforeAll(async () => {
  aws = await startLocalAws();
  const cipher = new TestCipher();
  clients = makeClients(localProfile(cipher, localAwsEndpoints(aws), { keys: aws.credentials }), {
    cipher,
    maxAttempts: 2,
  });
});
afterAll(async () => {
  clients?.destroy();
  await aws?.close();
});

describe('log tail', () => {
  it('reads every page once, parses REPORT lines, and returns nothing new on a second read', async () => {
    const t0 = Date.now() - 10_000;
    for (let i = 0; i < 1200; i++)
      aws.logs.append('/aws/lambda/many', `stream-${i % 3}`, i % 2 ? report(i, i === 1) : `line ${i}`, t0 + i);
    const seen = new Set<string>();
    const first = await fetchLogLines(
      clients.logs,
      { logGroupName: '/aws/lambda/many', startTime: t0, pageSize: 100 },
      seen,
    ); // 12 pages
    expect(first).toHaveLength(1200);
    expect(new Set(first.map((l) => l.eventId)).size).toBe(1200);
    expect(first[1].report).toEqual({
      requestId: '00000000-0000-0000-0000-000000000001',
      durationMs: 1.5,
      billedDurationMs: 2,
      memorySizeMb: 2048,
      maxMemoryUsedMb: 101,
      initDurationMs: 200.25,
    });
    expect(await fetchLogLines(clients.logs, { logGroupName: '/aws/lambda/many', startTime: t0 }, seen)).toEqual([]);
    const reports = await collectReportLines(clients.logs, '/aws/lambda/many', t0, t0 + 2000);
    expect(reports).toHaveLength(600);
    expect(reports.reduce((a, r) => a + r.billedDurationMs, 0)).toBe(
      Array.from({ length: 600 }, (_, k) => 2 * k + 2).reduce((a, b) => a + b, 0),
    );
  });

  it('waits for a log group that does not exist yet, then streams each line once until aborted', async () => {
    const ac = new AbortController();
    const got: LogLine[] = [];
    const notices: string[] = [];
    const start = Date.now() - 1000;
    const tail = tailLogs(clients.logs, {
      logGroupName: GROUP,
      startTime: start,
      intervalMs: 30,
      signal: ac.signal,
      onLines: (lines) => got.push(...lines),
      onNotice: (m) => notices.push(m),
    });
    // Wait for the first poll to have happened (a fixed sleep lost that race under load), then two more polls.
    for (let i = 0; i < 500 && notices.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 90));
    expect(notices).toEqual([`Waiting for ${GROUP}: it appears when the Lambda first runs.`]);
    const ts = Date.now();
    aws.logs.append(GROUP, 's1', 'START RequestId: a', ts);
    aws.logs.append(GROUP, 's1', report(7), ts); // same millisecond: both must arrive, once
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    aws.logs.append(GROUP, 's2', 'later line', ts + 5);
    for (let i = 0; i < 100 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 150)); // several more polls re-read from the last timestamp
    ac.abort();
    await tail;
    expect(got.map((l) => l.message)).toEqual(['START RequestId: a', report(7), 'later line']);
    expect(got[1].report?.billedDurationMs).toBe(8);
  });
});
