import { z } from 'zod';
import { RunRecordSchema } from '../../../base/run-record.ts';
import { ApiErrorData } from './errors.ts';
import { domain, Empty, method, Ok } from './define.ts';
import { Precision, RunId } from './runs.ts';

export const RunStatus = z.enum(['running', 'completed', 'cancelled', 'failed', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatus>;

/** A few headline numbers kept beside the entry so History lists fast without reading every record. */
export const RunHeadline = z.object({
  samples: z.number().optional(),
  samplesPerSec: z.number().optional(),
  batchSize: z.number().optional(),
  partitions: z.number().optional(),
  model: z.string().optional(),
  data: z.string().optional(),
  referenceModel: z.boolean().optional(),
  syntheticData: z.boolean().optional(),
  /** Which precision a local run used; absent for cloud runs and for entries made before the option existed. */
  precision: Precision.optional(),
  /** A cloud run made on the local emulator (the demo), not on AWS; shown as "emulated on this computer". */
  emulated: z.boolean().optional(),
});
export type RunHeadline = z.infer<typeof RunHeadline>;

export const HistoryItem = z.discriminatedUnion('damaged', [
  z.object({
    damaged: z.literal(false),
    id: RunId,
    name: z.string(),
    kind: z.string(),
    status: RunStatus,
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    headline: RunHeadline,
  }),
  z.object({ damaged: z.literal(true), id: z.string(), problem: z.string() }),
]);
export type HistoryItem = z.infer<typeof HistoryItem>;

/** The whole stored run. `record` is the engine's, the cloud's or an imported run's record (base/run-record.ts). */
export const RunEntry = z.object({
  schema: z.literal('cosmicai.run/1'),
  id: RunId,
  name: z.string(),
  kind: z.string(),
  status: RunStatus,
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
  headline: RunHeadline,
  error: ApiErrorData.nullable(),
  record: RunRecordSchema.nullable(),
});
export type RunEntry = z.infer<typeof RunEntry>;

export const PredictionRow = z.object({
  index: z.number(),
  partition: z.number(),
  z_true: z.number().nullable(),
  z_pred: z.number(),
});
export type PredictionRow = z.infer<typeof PredictionRow>;

export const history = domain({
  methods: {
    list: method(Empty, z.object({ items: z.array(HistoryItem) })),
    get: method(
      z.object({ id: RunId }).strict(),
      z.object({ entry: RunEntry, partitions: z.array(z.record(z.string(), z.unknown())) }),
    ),
    /** Predictions for the scatter plot; `limit` thins them evenly so a huge run stays drawable. */
    predictions: method(
      z.object({ id: RunId, limit: z.number().int().min(1).max(1_000_000).optional() }).strict(),
      z.object({ rows: z.array(PredictionRow), total: z.number() }),
    ),
    rename: method(z.object({ id: RunId, name: z.string().trim().min(1).max(200) }).strict(), Ok),
    delete: method(z.object({ id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/) }).strict(), Ok),
  },
});
