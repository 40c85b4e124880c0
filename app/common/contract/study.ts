import { z } from 'zod';
import { LambdaArchSchema as Arch, PriceTableSchema } from '../../../base/price-table.ts';
import { SweepParamsSchema } from '../../../base/sweep-plan.ts';
import { channel, domain, Empty, method, Ok } from './define.ts';
import { RunId } from './runs.ts';
import { AllCloudRuns, BalancedWeight, RecommendationViewBase, RecommendStrategy } from './study-recommend.ts';

/**
 * The study: sweeps queued as one resumable study, the cost estimate, the price table, the comparison of two runs,
 * Tables 1–3 and chart data (of a study or of History runs), the import of recorded runs, and the report.
 */

const StudyId = z.string().regex(/^[A-Za-z0-9._-]{1,120}$/, 'not a study id');
const ProfileName = z.string().min(1).max(64);

export const TableSchema = z.object({
  title: z.string(),
  columns: z.array(
    z.object({
      key: z.string(),
      label: z.string(),
      unit: z.string().optional(),
      digits: z.number().optional(),
      align: z.enum(['left', 'right']).optional(),
      show: z.enum(['screen', 'export']).optional(),
    }),
  ),
  rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]).optional())),
  note: z.string().optional(),
});

export const StudyChartSchema = z.object({
  id: z.enum(['time-vs-batch', 'throughput-vs-batch', 'time-vs-data', 'throughput-vs-data', 'cost-vs-data']),
  title: z.string(),
  xLabel: z.string(),
  yLabel: z.string(),
  series: z.array(
    z.object({
      label: z.string(),
      points: z.array(
        z.object({
          x: z.number(),
          y: z.number(),
          yErr: z.number().nullable(),
          n: z.number(),
          ci: z.object({ low: z.number(), high: z.number() }).optional(),
        }),
      ),
    }),
  ),
});
export type StudyChartData = z.infer<typeof StudyChartSchema>;

/** The sweep form: SweepParams (defaults are the study's) plus the Lambda setting the estimate prices. */
export const SweepInput = SweepParamsSchema.extend({});
export const CostSettings = z
  .object({ lambdaMemoryMb: z.number().int().min(128).max(10_240).default(10_240), arch: Arch.default('x86_64') })
  .strict();

const JobCounts = z.object({ pending: z.number(), running: z.number(), done: z.number(), failed: z.number() });

export const StudyListItem = z.union([
  z.object({
    id: z.string(),
    name: z.string(),
    updatedAt: z.string(),
    counts: JobCounts,
    total: z.number(),
    running: z.boolean(),
    interrupted: z.boolean(),
  }),
  z.object({ id: z.string(), problem: z.string() }),
]);
export type StudyListItem = z.infer<typeof StudyListItem>;

export const StudyJobView = z.object({
  id: z.string(),
  target: z.enum(['local', 'cloud']),
  sweep: z.enum(['batch-size', 'data-size']),
  batchSize: z.number(),
  partitionMb: z.number().nullable(),
  dataLabel: z.string().nullable(),
  /** A memory sweep's job: the Lambda memory (MB) it runs at; null/absent otherwise. */
  lambdaMemoryMb: z.number().nullable().optional(),
  repeat: z.number(),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  attempts: z.number(),
  runId: z.string().nullable(),
  error: z.string().nullable(),
});

export const StudyProgressEvent = z.object({
  studyId: z.string(),
  event: z.enum(['job-start', 'job-progress', 'job-done', 'job-failed', 'finished', 'cancelled', 'error']),
  counts: JobCounts,
  total: z.number(),
  jobId: z.string().nullable(),
  /** 0..1 within the current local job. */
  jobFraction: z.number().min(0).max(1).nullable(),
  message: z.string(),
});
export type StudyProgressEvent = z.infer<typeof StudyProgressEvent>;

export const StudyView = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  params: z.record(z.string(), z.unknown()),
  profile: z.string().nullable(),
  jobs: z.array(StudyJobView),
  counts: JobCounts,
  running: z.boolean(),
  /** Jobs left "running" by a stopped app: the study can be resumed. */
  interrupted: z.boolean(),
  lastProgress: StudyProgressEvent.nullable(),
});
export type StudyView = z.infer<typeof StudyView>;

export const CostEstimateView = z.object({
  jobs: z.number(),
  localJobs: z.number(),
  cloudJobs: z.number(),
  /** "This study will invoke about 2,500 Lambdas, about $0.40."; null without cloud jobs. */
  sentence: z.string().nullable(),
  lines: z.array(z.object({ item: z.string(), quantity: z.string(), usd: z.number() })),
  totalUsd: z.number(),
  notes: z.array(z.string()),
  priceAsOf: z.string(),
  priceSource: z.string(),
  /** A Lambda memory sweep: the cloud jobs' cost at each memory size (the total is `totalUsd`). */
  byMemory: z
    .array(z.object({ memoryMb: z.number(), jobs: z.number(), lambdas: z.number(), usd: z.number() }))
    .optional(),
});
export type CostEstimateView = z.infer<typeof CostEstimateView>;

/** Which runs the tables, charts and report are built from: a study's finished jobs, or History runs. */
export const RunSelection = z.union([
  z.object({ study: StudyId }).strict(),
  z.object({ runs: z.array(RunId).min(1).max(5000) }).strict(),
]);
export type RunSelection = z.infer<typeof RunSelection>;

export const StudyResults = z.object({
  title: z.string(),
  runs: z.number(),
  tables: z.array(TableSchema),
  charts: z.array(StudyChartSchema),
  findings: z.array(z.string()),
  /** Runs of the selection that could not be used, with the reason. */
  skipped: z.array(z.object({ id: z.string(), problem: z.string() })),
});
export type StudyResults = z.infer<typeof StudyResults>;

export const ComparisonView = z.object({
  table: TableSchema,
  measuredHow: z.array(z.object({ label: z.string(), text: z.string() })),
  /** Same batch size, engine, precision, model and metric definitions: only then does a note say "% faster". */
  comparable: z.boolean(),
  /** Why not, one sentence each; empty when comparable. */
  warnings: z.array(z.string()),
  sides: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string(), label: z.string() })),
});
export type ComparisonView = z.infer<typeof ComparisonView>;

/** The memory recommendation with its table (null when no group could be formed). */
export const RecommendationView = RecommendationViewBase.extend({ table: TableSchema.nullable() });
export type RecommendationView = z.infer<typeof RecommendationView>;

export const PricesView = z.object({ table: PriceTableSchema, custom: z.boolean(), file: z.string() });

export const ImportView = z.object({
  from: z.string(),
  runs: z.array(
    z.object({
      runId: z.string(),
      added: z.boolean(),
      source: z.string(),
      partitionMb: z.number(),
      dataLabel: z.string(),
      sweep: z.string(),
      batchSize: z.number(),
      repeat: z.number(),
      ranks: z.number(),
      cpuTimeSeconds: z.number().nullable(),
      memoryMb: z.number().nullable(),
      throughputMbps: z.number(),
    }),
  ),
  problems: z.array(z.object({ source: z.string(), problem: z.string() })),
  ignored: z.array(z.string()),
  /** The bundled example results: made-up numbers, never measurements. */
  example: z.boolean().optional(),
});
export type ImportView = z.infer<typeof ImportView>;

export const study = domain({
  methods: {
    list: method(Empty, z.object({ studies: z.array(StudyListItem) })),
    get: method(z.object({ id: StudyId }).strict(), z.object({ study: StudyView })),
    /** Jobs and cost of a sweep before it is created. */
    estimate: method(z.object({ params: SweepInput, cost: CostSettings.optional() }).strict(), CostEstimateView),
    /** Creates the study's queue and starts it at once; follow it on `study.progress`. */
    create: method(
      z
        .object({ name: z.string().trim().max(200).optional(), params: SweepInput, profile: ProfileName.optional() })
        .strict(),
      z.object({ id: z.string() }),
    ),
    /** Runs the pending (and interrupted) jobs again; `retryFailed` queues failed ones too. */
    resume: method(
      z.object({ id: StudyId, profile: ProfileName.optional(), retryFailed: z.boolean().optional() }).strict(),
      Ok,
    ),
    /** Stops after the current batch (local) or stops the execution (cloud); the job stays pending. */
    cancel: method(z.object({ id: StudyId }).strict(), Ok),
    results: method(
      z.object({ selection: RunSelection, cost: CostSettings.partial().optional() }).strict(),
      StudyResults,
    ),
    compare: method(z.object({ a: RunId, b: RunId }).strict(), ComparisonView),
    /** The Lambda memory recommendation (cheapest, fastest, balanced) of a study, History runs or all cloud runs. */
    recommend: method(
      z
        .object({
          selection: z.union([RunSelection, AllCloudRuns]),
          strategy: RecommendStrategy.optional(),
          weight: BalancedWeight.optional(),
          arch: Arch.optional(),
        })
        .strict(),
      RecommendationView,
    ),
    prices: method(Empty, PricesView),
    setPrices: method(z.object({ table: z.unknown() }).strict(), PricesView),
    resetPrices: method(Empty, PricesView),
    /** Reads recorded results (a folder, or s3://bucket/prefix with a profile) into History. */
    importRecorded: method(
      z.object({ source: z.string().trim().min(1).max(2048), profile: ProfileName.optional() }).strict(),
      ImportView,
    ),
    /** Imports the bundled example results (made-up numbers, named "Example data · …" in History). */
    importExample: method(Empty, ImportView),
    /** The self-contained HTML report (summary, tables, charts, settings, environment). */
    report: method(
      z
        .object({
          selection: RunSelection,
          compare: z.object({ a: RunId, b: RunId }).strict().optional(),
          cost: CostSettings.partial().optional(),
        })
        .strict(),
      z.object({ title: z.string(), html: z.string(), fileName: z.string() }),
    ),
    /** Saves the report as PDF (Electron's printToPDF); the browser prints the HTML report instead. */
    reportPdf: method(
      z.object({ html: z.string().max(50_000_000), suggestedName: z.string().min(1).max(255) }).strict(),
      z.object({ path: z.string().nullable() }),
    ),
  },
  channels: {
    progress: channel(StudyProgressEvent),
  },
});
