/**
 * How much memory the reader may allocate for one partition held in memory (the legacy format, deflated records,
 * float64/float16 or strided tensors; streamed files need only their batch buffers). Sizes are computed from the
 * tensors' own shapes before anything is allocated, so a 21 KB file declaring a zero-stride 4 GB tensor is refused
 * in microseconds instead of exhausting memory.
 *
 * Default 1 GiB; set COSMICAI_MEMORY_BUDGET_MB (a positive integer of MiB) to change it for a process.
 */
export const DEFAULT_MEMORY_BUDGET_BYTES = 1024 * 2 ** 20;
export const MEMORY_BUDGET_ENV = 'COSMICAI_MEMORY_BUDGET_MB';

export function memoryBudgetBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[MEMORY_BUDGET_ENV];
  if (raw === undefined || raw === '') return DEFAULT_MEMORY_BUDGET_BYTES;
  const mb = Number(raw);
  if (!Number.isSafeInteger(mb) || mb <= 0) {
    throw new RangeError(
      `${MEMORY_BUDGET_ENV}=${JSON.stringify(raw)} is not a positive whole number of MiB (default ${DEFAULT_MEMORY_BUDGET_BYTES / 2 ** 20})`,
    );
  }
  return mb * 2 ** 20;
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}
