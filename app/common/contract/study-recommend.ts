import { z } from 'zod';

/**
 * `study.recommend`: the Lambda memory recommendation (study/recommend.ts) of a study, of History runs, or of every
 * finished cloud run in History: per memory size the mean cost of one execution and the mean rank duration, the
 * cheapest, the fastest and the balanced pick (weight w in [0, 1]), with its table and cost-vs-duration charts.
 */

export const RecommendStrategy = z.enum(['cost', 'speed', 'balanced']);
export const BalancedWeight = z
  .number()
  .min(0, 'the balanced weight is from 0 (fastest) to 1 (cheapest)')
  .max(1, 'the balanced weight is from 0 (fastest) to 1 (cheapest)');

/** Every finished cloud run in History. */
export const AllCloudRuns = z.object({ history: z.literal('cloud') }).strict();

const Pick = z.object({
  strategy: RecommendStrategy,
  memoryMb: z.number(),
  costUsd: z.number(),
  durationS: z.number(),
  executionS: z.number().nullable(),
  balancedScore: z.number(),
  versus: z.array(
    z.object({ memoryMb: z.number(), costPct: z.number().nullable(), durationPct: z.number().nullable() }),
  ),
  tiedWith: z.array(z.number()),
  sentence: z.string(),
});

export const MemoryChartSchema = z.object({
  title: z.string(),
  xLabel: z.string(),
  yLabel: z.string(),
  points: z.array(
    z.object({
      memoryMb: z.number(),
      x: z.number(),
      y: z.number(),
      xErr: z.number().nullable(),
      yErr: z.number().nullable(),
      repeats: z.number(),
      picks: z.array(z.string()),
    }),
  ),
});

export const RecommendationGroupView = z.object({
  label: z.string(),
  memorySizes: z.array(z.number()),
  picks: z.object({ cost: Pick, speed: Pick, balanced: Pick }),
  recommended: Pick,
  notes: z.array(z.string()),
  chart: MemoryChartSchema,
});
export type RecommendationGroupView = z.infer<typeof RecommendationGroupView>;

/** The view without its table; study.ts adds `table` (its TableSchema, the one every study table uses). */
export const RecommendationViewBase = z.object({
  title: z.string(),
  strategy: RecommendStrategy,
  weight: z.number(),
  /** Runs the recommendation was built from (before leaving any out). */
  runs: z.number(),
  groups: z.array(RecommendationGroupView),
  excluded: z.array(z.object({ id: z.string(), reason: z.string() })),
  skipped: z.array(z.object({ id: z.string(), problem: z.string() })),
  notes: z.array(z.string()),
});
