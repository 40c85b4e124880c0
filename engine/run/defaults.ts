/**
 * Run defaults declared once, dependency-free so the engine, the CLI, the app's services and the renderer all read
 * the same numbers. The study ran its local and cloud inference with 512 galaxies per batch.
 */
export const DEFAULT_BATCH_SIZE = 512;
export const MAX_BATCH_SIZE = 65536;
