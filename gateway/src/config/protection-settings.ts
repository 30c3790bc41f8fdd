import { admissionLimitsFrom, admissionSettings, env, httpServiceSettings, type OperationLimits } from '@parley/runtime';
import { z } from 'zod';
import type { GatewayAdmission } from '../http/admission';
import type { EdgeProtectionSettings } from '../http/edge-protection';

const count = (fallback: number) =>
  z.coerce.number({ message: 'must be a whole number' }).int().min(1, 'must be at least 1').default(fallback);

export interface GatewayProtection {
  operations: OperationLimits;
  edge: EdgeProtectionSettings;
  /** How much the gateway takes on at once (http/admission.ts). */
  admission: GatewayAdmission;
  /** Bound on each subgraph request, its retries included. */
  subgraphTimeoutMs: number;
  /** How long a subgraph that cannot be reached is tried again within one request (inside `subgraphTimeoutMs`). */
  subgraphRetryBudgetMs: number;
  /** How long a subscription keeps trying to fetch the completed message from a subgraph that cannot answer: nobody waits on a page for it. */
  subscriptionRetryBudgetMs: number;
  /** Production: no introspection, no "Did you mean …?" hints naming fields in errors. */
  production: boolean;
  /** Trusted documents: only the operations in the client's manifest run (automatic persisted queries work either way). */
  trustedDocumentsOnly: boolean;
  /** The origin browsers reach the gateway at (PUBLIC_URL), e.g. https://chat.example.com; null when not set. */
  publicOrigin: string | null;
  /** How long a request's body may take to arrive whole (BODY_TIMEOUT_MS): past it, 408 and the connection closed. */
  bodyTimeoutMs: number;
}

/** The gateway's protection, from the environment (services mode) or the embedded platform's settings. */
export const gatewayProtectionSettingsSchema = z.object({
  /** "production" turns introspection and field suggestions off. */
  NODE_ENV: z.string().default('development'),
  MAX_QUERY_DEPTH: count(12),
  MAX_QUERY_COST: count(5_000),
  MAX_QUERY_ALIASES: count(30),
  MAX_ROOT_FIELDS: count(15),
  /**
   * Mutations starting model replies (sendMessage, regenerateMessage, editMessage) in one request. Parley's clients
   * send one at a time, and comparing models is one sendMessage naming several; fifteen aliased in one request were
   * fifteen model calls for one request counted.
   */
  MAX_GENERATING_MUTATIONS: count(1),
  MAX_QUERY_TOKENS: count(4_000),
  MAX_REQUEST_BYTES: count(128 * 1024),
  RATE_LIMIT_PER_USER: count(1_200),
  RATE_LIMIT_PER_ADDRESS: count(6_000),
  RATE_LIMIT_WINDOW_SECONDS: count(60),
  /**
   * Where browsers reach the gateway, e.g. https://chat.example.com: its pages (the web client, the explorers) may open
   * graphql-ws to that origin's ws:/wss: twin besides 'self'. Never the Host header, which is the client's to choose.
   */
  PUBLIC_URL: env.url(['http:', 'https:'], 'an http(s) URL, e.g. https://chat.example.com').optional(),
  /** Comma-separated origins allowed to call from browsers, or "*"; empty: same-origin only. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .refine(
      (origins) => origins.every((o) => o === '*' || /^https?:\/\/[^/]+$/.test(o)),
      'must be "*" or origins like https://app.example.com',
    ),
  REQUEST_TIMEOUT_MS: env.milliseconds(30_000),
  /** BODY_TIMEOUT_MS: a request's body arrives whole within this long of its headers, or is answered 408 and its connection closed. */
  ...httpServiceSettings,
  SUBGRAPH_TIMEOUT_MS: env.milliseconds(10_000),
  /**
   * A subgraph restarting is waited for this long within a request (capped by SUBGRAPH_TIMEOUT_MS), then reported
   * UPSTREAM_UNAVAILABLE. Most of the subgraph timeout: a single replica's SIGTERM, drain and start took 5–7 s on
   * two busy cores (the fault suite), and a person waits no longer than for a slow subgraph either way.
   */
  SUBGRAPH_RETRY_BUDGET_MS: env.milliseconds(9_000),
  /** A subscription's fetch of the completed message retries a subgraph that is down for this long. */
  SUBSCRIPTION_RETRY_BUDGET_MS: env.milliseconds(30_000),
  /** The load balancers in front whose X-Forwarded-For is believed (addresses or CIDR ranges; "*" any); empty: the socket's peer is the client. */
  TRUSTED_PROXIES: env.trustedProxies(''),
  /** Its former form: "true" trusts any proxy in front (TRUSTED_PROXIES="*"), so the first X-Forwarded-For address is the client. */
  TRUST_FORWARDED_FOR: z.enum(['true', 'false']).default('false'),
  /** "on": only operations in the client's manifest run (libs/client/src/generated/operation-manifest.json). */
  TRUSTED_DOCUMENTS: z.enum(['on', 'off']).default('off'),
  /**
   * MAX_CONCURRENT_REQUESTS, MAX_QUEUED_REQUESTS, MAX_QUEUE_WAIT_MS: admission control. Sized for 2 cores with the
   * subgraphs and PostgreSQL beside the gateway (bench/overload/RESULTS.md): there throughput is the same from 8 to
   * 64 mixed reads in progress, while their latency follows their number (Little's law; p95 45, 88, 160, 386 ms),
   * so 16, with 16 more waiting 100 ms at most, keeps admitted requests well under 500 ms at 3× capacity offered. A
   * queue of 16 drains within that wait, so a refusal comes at once rather than after waiting. More cores,
   * subgraphs elsewhere, or many requests that wait on slow dependencies (translations, moderation): raise the first
   * two.
   */
  ...admissionSettings({ concurrency: 16, queueLength: 16, maxQueueWaitMs: 100 }),
  /** Open graphql-ws connections one gateway takes; more are refused at the upgrade (503, Retry-After). */
  MAX_WEBSOCKET_CONNECTIONS: count(10_000),
});

export type GatewayProtectionSettings = z.infer<typeof gatewayProtectionSettingsSchema>;

export function gatewayProtectionFrom(settings: GatewayProtectionSettings): GatewayProtection {
  return {
    production: settings.NODE_ENV === 'production',
    trustedDocumentsOnly: settings.TRUSTED_DOCUMENTS === 'on',
    publicOrigin: settings.PUBLIC_URL === undefined ? null : new URL(settings.PUBLIC_URL).origin,
    bodyTimeoutMs: settings.BODY_TIMEOUT_MS,
    subgraphTimeoutMs: settings.SUBGRAPH_TIMEOUT_MS,
    subgraphRetryBudgetMs: settings.SUBGRAPH_RETRY_BUDGET_MS,
    subscriptionRetryBudgetMs: settings.SUBSCRIPTION_RETRY_BUDGET_MS,
    operations: {
      maxDepth: settings.MAX_QUERY_DEPTH,
      maxCost: settings.MAX_QUERY_COST,
      maxAliases: settings.MAX_QUERY_ALIASES,
      maxRootFields: settings.MAX_ROOT_FIELDS,
      maxGeneratingMutations: settings.MAX_GENERATING_MUTATIONS,
      maxTokens: settings.MAX_QUERY_TOKENS,
      maxBodyBytes: settings.MAX_REQUEST_BYTES,
    },
    admission: { requests: admissionLimitsFrom(settings), webSocketConnections: settings.MAX_WEBSOCKET_CONNECTIONS },
    edge: {
      perUserLimit: settings.RATE_LIMIT_PER_USER,
      perAddressLimit: settings.RATE_LIMIT_PER_ADDRESS,
      windowSeconds: settings.RATE_LIMIT_WINDOW_SECONDS,
      corsOrigins: settings.CORS_ORIGINS,
      requestTimeoutMs: settings.REQUEST_TIMEOUT_MS,
      trustedProxies: settings.TRUST_FORWARDED_FOR === 'true' ? ['*'] : settings.TRUSTED_PROXIES,
    },
  };
}

/** The protection of a gateway given no settings: the schema's defaults above are the only place they are written. */
export const defaultGatewayProtection: GatewayProtection = gatewayProtectionFrom(gatewayProtectionSettingsSchema.parse({}));
