import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: onnxruntime and the browser tests compete for them, so files run two at a time at most.
    maxWorkers: 2,
  },
});
