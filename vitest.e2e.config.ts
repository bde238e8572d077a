import { defineConfig } from 'vitest/config';

// End-to-end tests drive the built app in a real browser (and Electron where installed); one file at a time.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    environment: 'node',
    // Cores made by tests start no background work unless a test asks for it (autoMeasure / prewarm options).
    env: { EMMA_AUTO_MEASURE: '0', EMMA_PREWARM: '0' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
