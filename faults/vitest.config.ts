import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: the fault-injection suite, apart from `npm test` (whose include never reaches this
 * folder): it starts its own Redis, PostgreSQL and Kafka and takes many minutes, one scenario after another.
 */
export default defineConfig({
  root: resolve(import.meta.dirname, '..'),
  // As in the root config: one copy of graphql (its CJS build, which Apollo loads).
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['faults/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 900_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    expect: { poll: { timeout: 10_000 } },
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
});
