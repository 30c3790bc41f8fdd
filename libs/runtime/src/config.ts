import { trustedProxies } from '@parley/auth';
import { z } from 'zod';
import { DEFAULT_BODY_TIMEOUT_MS } from './http-server';

/** Start-up fails with this when the environment is missing or malformed; the message names each variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads configuration once, at start, from an environment object. Each key of
 * the schema is an environment variable name, so every message names the
 * variable to fix.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const raw = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
    const got = raw === undefined ? 'it is not set' : `got ${JSON.stringify(redactValue(name, raw))}`;
    return `${name}: ${issue.message} (${got})`;
  });
  throw new ConfigError(problems);
}

function redactValue(name: string, value: string): string {
  if (/SECRET|PASSWORD|KEY|TOKEN/i.test(name)) return '<redacted>';
  // URLs may carry credentials: keep the shape, drop the password.
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}

const commaSeparated = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Reusable environment fields with messages that say what is expected. */
export const env = {
  port: (fallback: number) =>
    z.coerce
      .number({ message: 'must be a port number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 65535')
      .max(65535, 'must be between 0 and 65535')
      .default(fallback),
  url: (protocols: string[], description: string) =>
    z.string({ message: `must be ${description}` }).refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `must be ${description}`),
  urlList: (protocols: string[], description: string) =>
    z
      .string()
      .optional()
      .transform(commaSeparated)
      .refine((values) => values.every((value) => hasProtocol(value, protocols)), `must be a comma-separated list of ${description}`),
  hostPortList: () =>
    z
      .string()
      .optional()
      .transform(commaSeparated)
      .refine(
        (values) => values.every((value) => /^[A-Za-z0-9.-]+:\d{1,5}$/.test(value)),
        'must be a comma-separated list of host:port (e.g. 127.0.0.1:9092)',
      ),
  logLevel: () =>
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
  milliseconds: (fallback: number) =>
    z.coerce.number({ message: 'must be a number of milliseconds' }).int().positive('must be positive').default(fallback),
  /** TRUSTED_PROXIES: comma-separated addresses or CIDR ranges (or `*`, any) whose X-Forwarded-For is believed. */
  trustedProxies: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform(commaSeparated)
      .superRefine((entries, ctx) => {
        try {
          trustedProxies(entries);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
};

/**
 * The deployment's namespace: the prefix of its Kafka topics and of its Redis
 * keys and channels, so several deployments (or test runs) share one broker and
 * one Redis. `PARLEY_NAMESPACE` names it; `KAFKA_TOPIC_PREFIX`, its first name,
 * is still read when the new one is not set.
 */
export const namespaceSettings = {
  PARLEY_NAMESPACE: z.string().optional(),
  KAFKA_TOPIC_PREFIX: z.string().optional(),
};

/** Who may read a process's /metrics: when METRICS_TOKEN is set, only `Authorization: Bearer <it>`. */
export const metricsSettings = {
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters (a random secret)').optional(),
};

/**
 * What every service's HTTP shell reads (`createHttpService`), spread into each service's settings schema:
 * BODY_TIMEOUT_MS, how long a request's body may take to arrive whole after its headers; past it the request is
 * answered 408 REQUEST_TIMEOUT and its connection closed.
 */
export const httpServiceSettings = {
  BODY_TIMEOUT_MS: env.milliseconds(DEFAULT_BODY_TIMEOUT_MS),
};

/**
 * INTERNAL_SERVICE_TOKEN: the shared secret the gateway and Parley's services present to one another (every
 * subgraph's /graphql refuses requests without it, internal-credential.ts). Required in services mode; the embedded
 * platform generates its own.
 */
export const internalServiceTokenSettings = {
  INTERNAL_SERVICE_TOKEN: z
    .string({ message: 'must be set: the secret every Parley service shares (e.g. `openssl rand -base64 32`)' })
    .min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)'),
};

export function namespaceFrom(settings: { PARLEY_NAMESPACE?: string | undefined; KAFKA_TOPIC_PREFIX?: string | undefined }): string {
  return settings.PARLEY_NAMESPACE ?? settings.KAFKA_TOPIC_PREFIX ?? '';
}

function hasProtocol(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
