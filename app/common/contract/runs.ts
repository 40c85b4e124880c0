import { z } from 'zod';
import { ApiErrorData } from './errors.ts';
import { channel, domain, Empty, method, Ok } from './define.ts';
import { GraphOptimizationSchema, MAX_BATCH_SIZE, MAX_THREADS, PrecisionSchema } from '../../../base/options.ts';
import { TuneModeSchema } from '../../../base/tuning-record.ts';

export const GraphOptimization = GraphOptimizationSchema;
/** fp32 runs the model as given; int8 runs its dynamically quantized copy (made on first use and cached). */
export const Precision = PrecisionSchema;
export type Precision = z.infer<typeof Precision>;

/** onnxruntime (default) or PyTorch through the workstation's Python (engine/run/pytorch_runner.py). */
export const LocalEngine = z.enum(['onnxruntime', 'pytorch']);

export const LocalRunParams = z
  .object({
    /** Default onnxruntime. */
    engine: LocalEngine.optional(),
    /** PyTorch: the model's code folder put on sys.path (default: the checkpoint's folder). */
    code: z.string().trim().max(4096).optional(),
    /** PyTorch: the interpreter with torch (default python3). */
    python: z.string().trim().max(4096).optional(),
    /** A .onnx file (a whole-model .pt checkpoint for PyTorch); empty means the bundled reference model. */
    model: z.string().trim().optional(),
    /** .pt files and/or folders of them; empty means the bundled sample data. */
    data: z.array(z.string().trim().min(1)).max(10_000).optional(),
    batchSize: z.number().int().min(1).max(MAX_BATCH_SIZE).optional(),
    threads: z.number().int().min(1).max(MAX_THREADS).optional(),
    graphOptimization: GraphOptimization.optional(),
    /** Default fp32. */
    precision: Precision.optional(),
    /** Host tuning: 'auto' calibrates threads, slice and spinning on this host (cached); default 'off'. */
    tune: TuneModeSchema.optional(),
    /** A name for History; a default is made from the inputs. */
    name: z.string().trim().max(200).optional(),
  })
  .strict();
export type LocalRunParams = z.infer<typeof LocalRunParams>;

export const RunId = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'not a run id');

export const RunProgress = z.object({
  runId: RunId,
  /** 'preparing' covers making sample data / the reference model and loading the session. */
  phase: z.enum(['preparing', 'running']),
  message: z.string().optional(),
  partition: z.object({ index: z.number(), count: z.number() }).optional(),
  batches: z.object({ done: z.number(), total: z.number() }).optional(),
  samples: z.object({ done: z.number(), total: z.number() }).optional(),
  samplesPerSec: z.number().optional(),
  etaSeconds: z.number().nullable().optional(),
  elapsedSeconds: z.number(),
  /** 0..1 over the whole run. */
  fraction: z.number().min(0).max(1),
});
export type RunProgress = z.infer<typeof RunProgress>;

export const RunFinished = z.object({
  runId: RunId,
  status: z.enum(['completed', 'cancelled', 'failed']),
  error: ApiErrorData.optional(),
});
export type RunFinished = z.infer<typeof RunFinished>;

export const ActiveRun = z.object({
  runId: RunId,
  name: z.string(),
  startedAt: z.string(),
  params: LocalRunParams,
  progress: RunProgress.nullable(),
});
export type ActiveRun = z.infer<typeof ActiveRun>;

export const runs = domain({
  methods: {
    /** Starts a local run in the background and returns at once; follow it on `runs.progress` / `runs.finished`. */
    startLocal: method(LocalRunParams, z.object({ runId: RunId })),
    cancel: method(z.object({ runId: RunId }).strict(), Ok),
    /** Runs still going, so a reloaded window can re-attach to them. */
    active: method(Empty, z.object({ runs: z.array(ActiveRun) })),
  },
  channels: {
    progress: channel(RunProgress),
    finished: channel(RunFinished),
  },
});
