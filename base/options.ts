import { z } from 'zod';

/** The run options every layer validates against, and their limits, declared once. */

/** 'fp32' runs the model as given; 'int8' its dynamically quantized copy. */
export const PRECISIONS = ['fp32', 'int8'] as const;
export const PrecisionSchema = z.enum(PRECISIONS);
export type Precision = z.infer<typeof PrecisionSchema>;

/** onnxruntime graph optimisation levels. */
export const GRAPH_OPTIMIZATIONS = ['disabled', 'basic', 'extended', 'all'] as const;
export const GraphOptimizationSchema = z.enum(GRAPH_OPTIMIZATIONS);
export type GraphOptimization = z.infer<typeof GraphOptimizationSchema>;

export const DEFAULT_BATCH_SIZE = 512;
/** Galaxies per batch, at most. */
export const MAX_BATCH_SIZE = 65536;
/** onnxruntime intra-op threads, at most (the engine's, the contract's and the forms' limit). */
export const MAX_THREADS = 1024;
