import { defineConfig } from 'vitest/config';

/**
 * `npm test` runs the unit and embedded end-to-end suites anywhere. The
 * integration suites (*.integration.test.ts) need real PostgreSQL, Redis and
 * Kafka and are collected only when DATABASE_URL, REDIS_URL and KAFKA_BROKERS
 * are all set, as in CI (.ci/run).
 */
const realServices = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL && process.env.KAFKA_BROKERS);

export default defineConfig({
  resolve: {
    // graphql ships ESM (.mjs) and CJS builds; Node (and so Apollo, which is
    // CJS) loads the CJS one. Vite would pick the ESM one for our sources, and two
    // copies of graphql refuse each other's schema objects.
    alias: { graphql: 'graphql/index.js' },
  },
  test: {
    include: ['{libs,subgraphs,gateway,platform}/**/test/**/*.test.ts', 'scripts/test/**/*.test.ts', 'web/test/**/*.test.{ts,tsx}'],
    exclude: ['**/node_modules/**', ...(realServices ? [] : ['**/*.integration.test.ts'])],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // expect.poll waits for a condition; it should fail only when the condition never holds. Its 1 s default
    // fails on a busy machine where a usage record or a relayed event takes a moment longer to land.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    // Two cores: suites that start whole platforms should not all start at once.
    maxWorkers: 2,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
});
