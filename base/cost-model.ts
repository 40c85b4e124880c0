import { DEFAULT_PRICE_TABLE, type LambdaArch, type PriceTable } from './price-table.ts';

/**
 * Dollar cost of a CAI study: Lambda compute (GB-seconds, volume-tiered), Lambda requests, ephemeral storage above
 * the free size, Step Functions standard state transitions and S3 requests.
 * Lambda GB = MB / 1024, as AWS bills it.
 */

export interface CostLine {
  item: string;
  /** What was counted, e.g. "37,500 GB-s" or "2,506 requests". */
  quantity: string;
  usd: number;
}

export interface CostBreakdown {
  lines: CostLine[];
  totalUsd: number;
  lambdaInvocations: number;
  gbSeconds: number;
  /** Assumptions and anything odd in the input, in plain words. */
  notes: string[];
  priceSource: string;
  priceAsOf: string;
}

export interface LambdaConfig {
  memoryMb: number;
  arch: LambdaArch;
  /** Configured /tmp size; only the part above the free size (512 MB) is billed. Default 512. */
  ephemeralMb?: number;
}

/** Compute charge for `gbSeconds`, starting at `alreadyUsedGbSeconds` of this month's volume (tiers are monthly). */
export function tieredComputeUsd(
  gbSeconds: number,
  arch: LambdaArch,
  prices: PriceTable = DEFAULT_PRICE_TABLE,
  alreadyUsedGbSeconds = 0,
): number {
  let usd = 0;
  let position = alreadyUsedGbSeconds;
  let remaining = gbSeconds;
  for (const tier of prices.lambda.computeTiers[arch]) {
    if (remaining <= 0) break;
    const end = tier.upToGbSeconds ?? Infinity;
    if (position >= end) continue;
    const take = Math.min(remaining, end - position);
    usd += take * tier.usdPerGbSecond;
    position += take;
    remaining -= take;
  }
  return usd;
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** "$0.40", "$12.35"; sub-cent amounts keep two significant digits ("$0.0023"). */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  if (Math.abs(usd) >= 0.01) return `$${usd.toFixed(2)}`;
  return `$${usd.toFixed(1 - Math.floor(Math.log10(Math.abs(usd))))}`;
}

/** "about 2,500": two significant digits above 100. */
export function about(n: number): string {
  if (n < 100) return fmtInt(n);
  const magnitude = 10 ** (Math.floor(Math.log10(n)) - 1);
  return fmtInt(Math.round(n / magnitude) * magnitude);
}

interface Usage {
  invocations: number;
  /** Σ over invocations of billed seconds × memory GB. */
  gbSeconds: number;
  /** Σ over invocations of billed seconds × billable ephemeral GB. */
  ephemeralGbSeconds: number;
  stateTransitions: number;
  s3Writes: number;
  s3Reads: number;
}

function price(
  usage: Usage,
  arch: LambdaArch,
  prices: PriceTable,
  alreadyUsedGbSeconds: number,
  notes: string[],
): CostBreakdown {
  const p = prices;
  const lines: CostLine[] = [
    {
      item: `Lambda compute (${arch})`,
      quantity: `${usage.gbSeconds.toLocaleString('en-US', { maximumFractionDigits: 1 })} GB-s`,
      usd: tieredComputeUsd(usage.gbSeconds, arch, p, alreadyUsedGbSeconds),
    },
    {
      item: 'Lambda requests',
      quantity: `${fmtInt(usage.invocations)} requests`,
      usd: (usage.invocations / 1e6) * p.lambda.usdPerMillionRequests,
    },
  ];
  if (usage.ephemeralGbSeconds > 0)
    lines.push({
      item: `Lambda ephemeral storage above ${p.lambda.freeEphemeralMb} MB`,
      quantity: `${usage.ephemeralGbSeconds.toLocaleString('en-US', { maximumFractionDigits: 1 })} GB-s`,
      usd: usage.ephemeralGbSeconds * p.lambda.usdPerEphemeralGbSecond,
    });
  if (usage.stateTransitions > 0)
    lines.push({
      item: 'Step Functions state transitions (standard)',
      quantity: `${fmtInt(usage.stateTransitions)} transitions`,
      usd: (usage.stateTransitions / 1000) * p.stepFunctions.usdPerThousandStandardTransitions,
    });
  if (usage.s3Writes > 0)
    lines.push({
      item: 'S3 PUT/COPY/POST/LIST requests',
      quantity: `${fmtInt(usage.s3Writes)} requests`,
      usd: (usage.s3Writes / 1000) * p.s3.usdPerThousandWrites,
    });
  if (usage.s3Reads > 0)
    lines.push({
      item: 'S3 GET requests',
      quantity: `${fmtInt(usage.s3Reads)} requests`,
      usd: (usage.s3Reads / 1000) * p.s3.usdPerThousandReads,
    });
  return {
    lines,
    totalUsd: lines.reduce((s, l) => s + l.usd, 0),
    lambdaInvocations: usage.invocations,
    gbSeconds: usage.gbSeconds,
    notes,
    priceSource: p.source,
    priceAsOf: p.asOf,
  };
}

function ephemeralGb(lambda: LambdaConfig, prices: PriceTable): number {
  return Math.max(0, (lambda.ephemeralMb ?? prices.lambda.freeEphemeralMb) - prices.lambda.freeEphemeralMb) / 1024;
}

/** One state-machine configuration run `repeats` times, e.g. 100 MB partitions of 10 GB = 103 ranks. */
export interface PlannedExecution {
  ranks: number;
  partitionMb: number;
  repeats: number;
}

export interface StudyCostPlan {
  executions: PlannedExecution[];
  lambda: LambdaConfig;
  /** Assumed inference throughput of one rank, bits/s of partition data. Default 30 Mbps (the study's 100 MB runs read 17–35 Mbps per rank). */
  rankThroughputBps?: number;
  /** Cold start, model load, download: seconds added to every inference invocation. Default 3. */
  overheadSecondsPerRank?: number;
  /** Initialize and Summarize are Lambdas too; their memory and duration per execution. Defaults 128 MB, 1 s. */
  helperMemoryMb?: number;
  helperSeconds?: number;
  /** State transitions in one Map item's child workflow (one Task state). Default 1. */
  transitionsPerMapItem?: number;
  /** Partition files uploaded before the study (0 when already staged), and objects under scripts/ each rank downloads. */
  stagedUploads?: number;
  codeObjects?: number;
  /** GB-seconds already used this month, for the volume tiers. Default 0. */
  alreadyUsedGbSeconds?: number;
}

export interface StudyCostEstimate extends CostBreakdown {
  /** "This study will invoke about 2,500 Lambdas, about $0.40." */
  sentence: string;
  executions: number;
  expectedSecondsPerRank: Record<number, number>;
}

/**
 * Cost before a run. Per execution: Initialize (1 Lambda) → Map of `ranks` inference Lambdas → Summarize (1 Lambda).
 * Transitions: Initialize + Map + Summarize + items × transitionsPerMapItem.
 * S3, per execution: initializer LIST + PUT payload.json; each rank GETs payload.json, its partition and the code
 * objects and PUTs its result; summarizer LIST + GET per rank + PUT combined_data.json; the app LIST + GET combined.
 */
export function estimateStudyCost(plan: StudyCostPlan, prices: PriceTable = DEFAULT_PRICE_TABLE): StudyCostEstimate {
  const throughput = plan.rankThroughputBps ?? 30e6;
  const overhead = plan.overheadSecondsPerRank ?? 3;
  const helperGb = (plan.helperMemoryMb ?? 128) / 1024;
  const helperSeconds = plan.helperSeconds ?? 1;
  const perItem = plan.transitionsPerMapItem ?? 1;
  const codeObjects = plan.codeObjects ?? 1;
  const memoryGb = plan.lambda.memoryMb / 1024;
  const tmpGb = ephemeralGb(plan.lambda, prices);
  if (!(plan.lambda.memoryMb >= 128 && plan.lambda.memoryMb <= 10240))
    throw new Error(`Lambda memory must be 128–10240 MB, got ${plan.lambda.memoryMb}`);
  if (!(throughput > 0)) throw new Error(`rankThroughputBps must be positive, got ${throughput}`);

  const usage: Usage = {
    invocations: 0,
    gbSeconds: 0,
    ephemeralGbSeconds: 0,
    stateTransitions: 0,
    s3Writes: 0,
    s3Reads: 0,
  };
  const expectedSecondsPerRank: Record<number, number> = {};
  let executions = 0;
  for (const e of plan.executions) {
    if (
      !(Number.isInteger(e.ranks) && e.ranks > 0) ||
      !(Number.isInteger(e.repeats) && e.repeats > 0) ||
      !(e.partitionMb > 0)
    )
      throw new Error(
        `a planned execution needs whole positive ranks and repeats and a positive partition size, got ${JSON.stringify(e)}`,
      );
    const seconds = (e.partitionMb * 2 ** 20 * 8) / throughput + overhead;
    expectedSecondsPerRank[e.partitionMb] = seconds;
    const n = e.repeats;
    executions += n;
    usage.invocations += n * (e.ranks + 2);
    usage.gbSeconds += n * (e.ranks * seconds * memoryGb + 2 * helperSeconds * helperGb);
    usage.ephemeralGbSeconds += n * e.ranks * seconds * tmpGb;
    usage.stateTransitions += n * (3 + e.ranks * perItem);
    usage.s3Writes += n * (2 + e.ranks + 2 + 1);
    usage.s3Reads += n * (e.ranks * (2 + codeObjects) + e.ranks + 1);
  }
  usage.s3Writes += plan.stagedUploads ?? 0;

  const notes = [
    `Each inference Lambda is assumed to take ${Object.entries(expectedSecondsPerRank)
      .map(([mb, s]) => `${s.toFixed(1)} s for ${mb} MB`)
      .join(', ')} (${(throughput / 1e6).toFixed(0)} Mbps per rank plus ${overhead} s start-up).`,
    `Initialize and Summarize add 2 Lambdas per execution (${plan.helperMemoryMb ?? 128} MB, ${helperSeconds} s each).`,
    'Free tiers are not applied; data transfer and CloudWatch Logs are not included.',
  ];
  const breakdown = price(usage, plan.lambda.arch, prices, plan.alreadyUsedGbSeconds ?? 0, notes);
  return {
    ...breakdown,
    executions,
    expectedSecondsPerRank,
    sentence: `This study will invoke about ${about(usage.invocations)} Lambdas, about ${formatUsd(breakdown.totalUsd)}.`,
  };
}

/** What cost needs from one REPORT line (cloud/logs.ts parses them). */
export interface BilledInvocation {
  billedDurationMs: number;
  memorySizeMb?: number;
}

export interface ActualCostExtras {
  ephemeralMb?: number;
  /** From the execution history, when known. */
  stateTransitions?: number;
  s3Writes?: number;
  s3Reads?: number;
  prices?: PriceTable;
  alreadyUsedGbSeconds?: number;
}

/** Cost after a run: Σ billed duration × configured memory, one request per REPORT line. */
export function actualCost(
  reportLines: BilledInvocation[],
  memoryMb: number,
  arch: LambdaArch,
  extras: ActualCostExtras = {},
): CostBreakdown {
  const billedMs = reportLines.reduce((s, r) => s + r.billedDurationMs, 0);
  const mismatched = reportLines.filter((r) => r.memorySizeMb !== undefined && r.memorySizeMb !== memoryMb).length;
  const cost = actualCostFromUsage(
    { invocations: reportLines.length, billedDurationMs: billedMs },
    memoryMb,
    arch,
    extras,
  );
  if (mismatched > 0)
    cost.notes.push(
      `${mismatched} REPORT line(s) show a memory size other than the configured ${memoryMb} MB; the configured size was used.`,
    );
  return cost;
}

/** The same from totals already summed over the REPORT lines (a cloud run record's `lambda` usage). */
export function actualCostFromUsage(
  usageTotals: { invocations: number; billedDurationMs: number },
  memoryMb: number,
  arch: LambdaArch,
  extras: ActualCostExtras = {},
): CostBreakdown {
  const prices = extras.prices ?? DEFAULT_PRICE_TABLE;
  const billedSeconds = usageTotals.billedDurationMs / 1000;
  const notes: string[] = [
    `${fmtInt(usageTotals.invocations)} REPORT lines, ${billedSeconds.toLocaleString('en-US', { maximumFractionDigits: 3 })} billed seconds at ${memoryMb} MB.`,
  ];
  const usage: Usage = {
    invocations: usageTotals.invocations,
    gbSeconds: billedSeconds * (memoryMb / 1024),
    ephemeralGbSeconds: billedSeconds * ephemeralGb({ memoryMb, arch, ephemeralMb: extras.ephemeralMb }, prices),
    stateTransitions: extras.stateTransitions ?? 0,
    s3Writes: extras.s3Writes ?? 0,
    s3Reads: extras.s3Reads ?? 0,
  };
  return price(usage, arch, prices, extras.alreadyUsedGbSeconds ?? 0, notes);
}
