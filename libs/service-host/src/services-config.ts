import { env, internalServiceTokenSettings, metricsSettings, namespaceSettings } from '@parley/runtime';
import { z } from 'zod';

/**
 * The environment every service process reads in services mode. Each key is
 * the variable's name, so a start-up error names what to fix.
 */
export const servicesConfigSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: env.logLevel(),
  DATABASE_URL: env.url(['postgres:', 'postgresql:'], 'a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5432/parley'),
  DATABASE_REPLICA_URLS: env.urlList(['postgres:', 'postgresql:'], 'postgres:// URLs'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1, 'must be at least 1').max(200, 'must be at most 200').default(10),
  MIGRATE_ON_START: z.enum(['true', 'false'], { message: 'must be true or false' }).default('true'),
  REDIS_URL: env.url(['redis:', 'rediss:'], 'a redis:// URL, e.g. redis://127.0.0.1:6379'),
  KAFKA_BROKERS: env.hostPortList().refine((brokers) => brokers.length > 0, 'must list at least one broker (host:port)'),
  ...namespaceSettings,
  AUTH_ISSUER: z.string().min(1).default('parley'),
  AUTH_AUDIENCE: z.string().min(1).default('parley-api'),
  USERS_URL: env.url(['http:', 'https:'], 'an http(s) URL of the users service').default('http://127.0.0.1:4001'),
  SHUTDOWN_TIMEOUT_MS: env.milliseconds(15_000),
  ...metricsSettings,
  ...internalServiceTokenSettings,
});

export type ServicesConfig = z.infer<typeof servicesConfigSchema>;
