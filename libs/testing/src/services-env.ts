/**
 * The real services the integration suites run against, taken from the same
 * variables as the services themselves. Integration suites are only collected
 * when all three are set (see vitest.config.ts).
 */
export function servicesEnv(): { databaseUrl: string; redisUrl: string; kafkaBrokers: string } {
  const { DATABASE_URL, REDIS_URL, KAFKA_BROKERS } = process.env;
  if (!DATABASE_URL || !REDIS_URL || !KAFKA_BROKERS) {
    throw new Error('Integration suites need DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see README: Running the tests)');
  }
  return { databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, kafkaBrokers: KAFKA_BROKERS };
}

/** A name no other test run uses: for databases, Kafka topic prefixes, Redis channel prefixes. */
export function uniqueName(label: string): string {
  return `${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
