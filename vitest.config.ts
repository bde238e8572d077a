import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts', 'tests/native-models/**/*.test.ts'],
    environment: 'node',
    // Cores made by tests start no background work unless a test asks for it (autoMeasure / prewarm options).
    env: { EMMA_AUTO_MEASURE: '0', EMMA_PREWARM: '0' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
