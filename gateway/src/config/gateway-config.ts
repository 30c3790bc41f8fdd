import { env, internalServiceTokenSettings, metricsSettings, namespaceSettings } from '@parley/runtime';
import { z } from 'zod';
import { DEFAULT_WEB_CLIENT_DIR } from '../web-client/web-client-files';
import { gatewayProtectionSettingsSchema } from './protection-settings';

/** The gateway's environment in services mode. */
export const gatewayConfigSchema = z
  .object({
    PORT: env.port(4000),
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: env.logLevel(),
    SUPERGRAPH_PATH: z.string().min(1).default('supergraph.graphql'),
    /** Optional overrides of routing URLs: "users=http://users:4001/graphql,chat=…". */
    SUBGRAPH_URLS: z
      .string()
      .optional()
      .transform((value, ctx) => {
        const entries = (value ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const result: Record<string, string> = {};
        for (const entry of entries) {
          const [name, url] = entry.split('=');
          if (!name || !url || !/^https?:\/\//.test(url)) {
            ctx.addIssue({ code: 'custom', message: `entry "${entry}" must be name=http(s)://host:port/graphql` });
            continue;
          }
          result[name] = url;
        }
        return result;
      }),
    REDIS_URL: env.url(['redis:', 'rediss:'], 'a redis:// URL, e.g. redis://127.0.0.1:6379'),
    ...namespaceSettings,
    ...metricsSettings,
    /** Sent on every subgraph request: the subgraphs answer the gateway and Parley's services only. */
    ...internalServiceTokenSettings,
    USERS_URL: env.url(['http:', 'https:'], 'an http(s) URL of the users service').default('http://127.0.0.1:4001'),
    /** The models service; partners' /v1 requests are proxied to its OpenAI-compatible API. */
    MODELS_URL: env.url(['http:', 'https:'], 'an http(s) URL of the models service').default('http://127.0.0.1:4003'),
    AUTH_ISSUER: z.string().min(1).default('parley'),
    AUTH_AUDIENCE: z.string().min(1).default('parley-api'),
    SHUTDOWN_TIMEOUT_MS: env.milliseconds(15_000),
    /** PEM files; both set: the gateway serves HTTPS and WSS itself. */
    TLS_CERT_FILE: z.string().min(1).optional(),
    TLS_KEY_FILE: z.string().min(1).optional(),
    /** The web client's build, served at / (relative to the working directory); the repository's web/dist by default. */
    PARLEY_WEB_DIR: z.string().min(1).default(DEFAULT_WEB_CLIENT_DIR),
  })
  .merge(gatewayProtectionSettingsSchema);

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
