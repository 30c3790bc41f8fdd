import { admissionLimitsFrom, httpServiceSettings, subgraphAdmissionSettings } from '@parley/runtime';
import { z } from 'zod';
import { builtinConfig, loadModelsConfig, type ModelsConfig } from './catalog/models-config';

const nonNegative = (fallback: number, what: string) =>
  z.coerce
    .number({ message: `must be ${what}` })
    .min(0, `must be ${what}`)
    .default(fallback);

/**
 * What the models service reads from the environment. The models file is read
 * and checked here, once, with the API keys it names resolved from the same
 * environment (and kept out of every log).
 */
export const modelsSettingsSchema = z
  .object({
    /** Path of a YAML or JSON models file; without it only the built-in development model is served. */
    MODELS_CONFIG: z.string().optional(),
    /** Pace of the built-in dev model (when no MODELS_CONFIG overrides it). */
    DEV_MODEL_FIRST_TOKEN_DELAY_MS: nonNegative(0, 'a number of milliseconds'),
    DEV_MODEL_TOKEN_DELAY_MS: nonNegative(0, 'a number of milliseconds'),
    DEFAULT_DAILY_BUDGET_USD: nonNegative(10, 'a number of US dollars'),
    DEFAULT_MONTHLY_BUDGET_USD: nonNegative(100, 'a number of US dollars'),
    RESPONSE_CACHE_TTL_SECONDS: nonNegative(3_600, 'a number of seconds'),
    HEALTH_CHECK_INTERVAL_MS: nonNegative(30_000, 'a number of milliseconds'),
    ROUTER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(4),
    ROUTER_BASE_DELAY_MS: nonNegative(100, 'a number of milliseconds'),
    /** A deployment's circuit opens after this many failures (and at least half of its recent requests) … */
    CIRCUIT_MIN_FAILURES: z.coerce.number().int().min(1).default(5),
    /** … counted over this window … */
    CIRCUIT_WINDOW_MS: nonNegative(30_000, 'a number of milliseconds'),
    /** … and stays open this long before one probe request may test it. */
    CIRCUIT_OPEN_MS: nonNegative(10_000, 'a number of milliseconds'),
    /** The model id or alias /v1/moderations asks when a request names none; without it such requests are refused. */
    MODERATION_MODEL: z.string().min(1, 'must not be empty').optional(),
    /** The built-in dev moderation (deployments with provider "dev") flags any text containing this word, ignoring case. */
    DEV_MODERATION_FLAG_WORD: z.string().min(1, 'must not be empty').default('flag-me'),
    /** MAX_CONCURRENT_REQUESTS, MAX_QUEUED_REQUESTS, MAX_QUEUE_WAIT_MS: the service's admission control (libs/runtime). */
    ...subgraphAdmissionSettings,
    /** BODY_TIMEOUT_MS: how long a request's body may take to arrive (libs/runtime's HTTP shell). */
    ...httpServiceSettings,
  })
  .loose()
  .transform((settings, ctx) => {
    const config: ModelsConfig = settings.MODELS_CONFIG
      ? loadModelsConfig(settings.MODELS_CONFIG, settings as NodeJS.ProcessEnv)
      : {
          ...builtinConfig,
          deployments: builtinConfig.deployments.map((d) => ({
            ...d,
            firstTokenDelayMs: settings.DEV_MODEL_FIRST_TOKEN_DELAY_MS,
            tokenDelayMs: settings.DEV_MODEL_TOKEN_DELAY_MS,
          })),
        };
    const served = [...config.deployments.map((d) => d.model), ...Object.keys(config.aliases)];
    if (settings.MODERATION_MODEL !== undefined && !served.includes(settings.MODERATION_MODEL)) {
      ctx.addIssue({
        code: 'custom',
        path: ['MODERATION_MODEL'],
        message: `must be a model id or alias of the models file (${[...new Set(served)].join(', ')})`,
        input: settings.MODERATION_MODEL,
      });
      return z.NEVER;
    }
    const apiKeys = new Map(
      config.deployments.filter((d) => d.apiKeyEnv).map((d) => [d.id, String((settings as Record<string, unknown>)[d.apiKeyEnv!] ?? '')]),
    );
    return {
      config,
      apiKeys,
      budgets: { dailyUsd: settings.DEFAULT_DAILY_BUDGET_USD, monthlyUsd: settings.DEFAULT_MONTHLY_BUDGET_USD },
      responseCacheTtlSeconds: settings.RESPONSE_CACHE_TTL_SECONDS,
      healthCheckIntervalMs: settings.HEALTH_CHECK_INTERVAL_MS,
      retry: { maxAttempts: settings.ROUTER_MAX_ATTEMPTS, baseDelayMs: settings.ROUTER_BASE_DELAY_MS },
      circuit: {
        minimumFailures: settings.CIRCUIT_MIN_FAILURES,
        windowMs: settings.CIRCUIT_WINDOW_MS,
        openMs: settings.CIRCUIT_OPEN_MS,
        failureRatio: 0.5,
      },
      moderation: { defaultModel: settings.MODERATION_MODEL, devFlagWord: settings.DEV_MODERATION_FLAG_WORD },
      admission: admissionLimitsFrom(settings),
      bodyTimeoutMs: settings.BODY_TIMEOUT_MS,
    };
  });

export type ModelsSettings = z.output<typeof modelsSettingsSchema>;
