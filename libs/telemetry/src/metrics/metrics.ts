import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { boundedLabel } from './bounded-label';

/**
 * Every Prometheus series Parley exports, defined here once. A process builds one `Metrics` (its host does: a
 * service's `index.ts`, the worker, the embedded platform for all of its services at once) and hands it to what it
 * builds; nothing registers a metric anywhere else, so two services in one process share a series instead of
 * colliding, and the alert rules and dashboards in deploy/ have one list to follow (README.md).
 *
 * Names follow OpenTelemetry's semantic conventions where one exists (`gen_ai.client.token.usage` is
 * `gen_ai_client_token_usage` here, its attributes the labels), `parley_` otherwise. Every label's values are
 * bounded: routes are the route table's keys, operation names pass through `boundedLabel`.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Prometheus text exposition of every series, after the scrape hooks have refreshed theirs. */
  text(): Promise<string>;
  /**
   * Runs `refresh` before each exposition: for gauges read from elsewhere (the outbox's backlog from PostgreSQL, a
   * consumer group's lag from Kafka), so they cost a query per scrape, not per event. A failing hook is reported
   * through `onError` and leaves its gauges as they were; the exposition still answers.
   */
  onScrape(refresh: () => Promise<void> | void): void;
  readonly contentType: string;

  http: {
    /** One answered HTTP request of a service's shell, by the route it matched (`other` for none). */
    requests: Counter<'service' | 'route' | 'method' | 'status'>;
    duration: Histogram<'service' | 'route' | 'method'>;
  };
  graphql: {
    /** One GraphQL operation at the gateway, `outcome` ok or error; `operation` is the operation's name, bounded. */
    operations: Counter<'operation' | 'type' | 'outcome'>;
    duration: Histogram<'operation' | 'type'>;
    /** Each error of an answer by its `extensions.code`. */
    errors: Counter<'operation' | 'code'>;
  };
  edge: {
    /** Requests refused before they ran: rate limits, overload, operation cost, untrusted documents. */
    refusals: Counter<'service' | 'reason'>;
    /** Credentials that did not hold: a bad or expired token, a wrong password, a revoked key. */
    authenticationFailures: Counter<'reason'>;
    /** Texts moderation blocked, by where (`input` a user's message, `output` a model's reply). */
    contentBlocked: Counter<'stage'>;
  };
  genAi: {
    tokenUsage: Histogram<'gen_ai_operation_name' | 'gen_ai_provider_name' | 'gen_ai_request_model' | 'gen_ai_token_type' | 'deployment'>;
    operationDuration: Histogram<'gen_ai_operation_name' | 'gen_ai_provider_name' | 'gen_ai_request_model' | 'deployment' | 'error_type'>;
    timeToFirstToken: Histogram<'gen_ai_request_model' | 'deployment'>;
    timePerOutputToken: Histogram<'gen_ai_request_model' | 'deployment'>;
    /** What the replies cost at the deployment's prices. */
    costUsd: Counter<'gen_ai_request_model' | 'deployment'>;
    /**
     * Each user's budget for a period (`day`, `month`). Budgets are per user, so what is left of them is the usage
     * report's (through the graph), not a series per user; refusals are `parley_requests_refused_total{reason="budget_exceeded"}`.
     */
    budgetLimitUsd: Gauge<'period'>;
    /** 1 while a deployment's circuit breaker is open (its calls refused without trying). */
    breakerOpen: Gauge<'deployment'>;
    /** 1 while a deployment's health check passes. */
    deploymentHealthy: Gauge<'deployment'>;
  };
  pipeline: {
    /** Outbox rows not yet published to Kafka, and how long the oldest of them has waited. */
    outboxBacklog: Gauge;
    outboxOldestAgeSeconds: Gauge;
    /** Messages of a topic the consumer group has not read yet, summed over partitions. */
    consumerLag: Gauge<'topic' | 'group'>;
    /** Events parked on a dead-letter topic. */
    deadLetters: Counter<'topic'>;
    /** Replies a worker is generating right now. */
    repliesInFlight: Gauge;
    /** Replies finished, by how they ended (COMPLETED, FAILED, CANCELLED…). */
    repliesFinished: Counter<'status'>;
    /** GraphQL subscriptions open on this gateway. */
    activeSubscriptions: Gauge;
    /** Events written to subscribers. */
    streamEventsDelivered: Counter;
  };
  business: {
    conversationsCreated: Counter;
    messagesSent: Counter;
    /** Users who signed in or refreshed a session in the last `window` (`1h`, `24h`): active users, from the sessions table. */
    activeUsers: Gauge<'window'>;
  };
  translation: {
    /** Calls to a translation provider and how many texts they carried; `failed` true when the call failed. */
    providerCalls: Counter<'provider' | 'failed'>;
    /** Provider outputs that failed the quality check. */
    providerFlagged: Counter<'provider'>;
    /** Texts handed to the next provider after a failure or a flagged output. */
    fallbacks: Counter;
  };
  /** Lookups of a cache, `result` hit or miss: `translation`, `model_responses`, `persisted_queries`. */
  cacheLookups: Counter<'cache' | 'result'>;
  /** An operation name as a label value: the first `limit` distinct names pass, later ones are `other`. */
  operationLabel(name: string | null | undefined): string;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** OpenTelemetry's advisory buckets for the GenAI metrics. */
const TOKENS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
const FIRST_TOKEN = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const PER_TOKEN = [0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];

export interface MetricsOptions {
  /** The process's name as the `service` label of its runtime series (`parley` for the embedded platform). */
  service: string;
  /** How many distinct operation names become labels before the rest count as `other`. */
  operationNames?: number;
  /** Node runtime series (event-loop delay, GC, heap); tests that build many registries turn them off. */
  runtime?: boolean;
  /** Hears a scrape hook's failure (the host logs it). */
  onError?: (error: unknown) => void;
  /** How long a scrape hook may take before the scrape goes on without it. */
  scrapeDeadlineMs?: number;
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a metrics refresh took longer than ${ms} ms; its gauges keep their last values`)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export function createMetrics({
  service,
  operationNames = 200,
  runtime = true,
  onError = () => {},
  scrapeDeadlineMs = 2_000,
}: MetricsOptions): Metrics {
  const registry = new Registry();
  const scrapeHooks: (() => Promise<void> | void)[] = [];
  let refreshing: Promise<unknown> | null = null;
  if (runtime) {
    registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  }
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    new Histogram<L>({ name, help, labelNames, buckets, registers });
  const genAiLabels = ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'] as const;

  return {
    registry,
    async text() {
      // Concurrent scrapes share one refresh; a hook past its deadline (Kafka or PostgreSQL away) leaves its gauges as
      // they were instead of holding the scrape past Prometheus's timeout, which would drop every series at once.
      refreshing ??= Promise.all(
        scrapeHooks.map((refresh) => withDeadline(Promise.resolve().then(refresh), scrapeDeadlineMs).catch(onError)),
      ).finally(() => (refreshing = null));
      await refreshing;
      return registry.metrics();
    },
    onScrape: (refresh) => void scrapeHooks.push(refresh),
    contentType: registry.contentType,
    http: {
      requests: counter('parley_http_requests_total', 'HTTP requests answered, by route.', ['service', 'route', 'method', 'status']),
      duration: histogram(
        'parley_http_request_duration_seconds',
        'Time to answer an HTTP request.',
        ['service', 'route', 'method'],
        SECONDS,
      ),
    },
    graphql: {
      operations: counter('parley_graphql_operations_total', 'GraphQL operations at the gateway.', ['operation', 'type', 'outcome']),
      duration: histogram(
        'parley_graphql_operation_duration_seconds',
        'Time to answer a GraphQL operation.',
        ['operation', 'type'],
        SECONDS,
      ),
      errors: counter('parley_graphql_errors_total', 'Errors in GraphQL answers, by extensions.code.', ['operation', 'code']),
    },
    edge: {
      refusals: counter('parley_requests_refused_total', 'Requests refused before they ran.', ['service', 'reason']),
      authenticationFailures: counter('parley_authentication_failures_total', 'Credentials refused.', ['reason']),
      contentBlocked: counter('parley_content_blocked_total', 'Texts blocked by moderation.', ['stage']),
    },
    genAi: {
      tokenUsage: histogram(
        'gen_ai_client_token_usage',
        'Tokens used per model call (OpenTelemetry gen_ai.client.token.usage).',
        [...genAiLabels, 'gen_ai_token_type', 'deployment'],
        TOKENS,
      ),
      operationDuration: histogram(
        'gen_ai_client_operation_duration_seconds',
        'Duration of a model call (gen_ai.client.operation.duration).',
        [...genAiLabels, 'deployment', 'error_type'],
        SECONDS,
      ),
      timeToFirstToken: histogram(
        'gen_ai_server_time_to_first_token_seconds',
        'From a reply requested to its first token (gen_ai.server.time_to_first_token).',
        ['gen_ai_request_model', 'deployment'],
        FIRST_TOKEN,
      ),
      timePerOutputToken: histogram(
        'gen_ai_server_time_per_output_token_seconds',
        'Time per output token after the first (gen_ai.server.time_per_output_token).',
        ['gen_ai_request_model', 'deployment'],
        PER_TOKEN,
      ),
      costUsd: counter('parley_model_cost_usd_total', 'Spend in USD at the deployment’s prices.', ['gen_ai_request_model', 'deployment']),
      budgetLimitUsd: gauge('parley_model_budget_limit_usd', 'Each user’s budget for a period.', ['period']),
      breakerOpen: gauge('parley_model_deployment_breaker_open', '1 while a deployment’s circuit breaker is open.', ['deployment']),
      deploymentHealthy: gauge('parley_model_deployment_healthy', '1 while a deployment’s health check passes.', ['deployment']),
    },
    pipeline: {
      outboxBacklog: gauge('parley_outbox_backlog', 'Outbox rows not yet published to Kafka.'),
      outboxOldestAgeSeconds: gauge('parley_outbox_oldest_age_seconds', 'Age of the oldest unpublished outbox row.'),
      consumerLag: gauge('parley_kafka_consumer_lag', 'Messages a consumer group has not read yet.', ['topic', 'group']),
      deadLetters: counter('parley_dead_letters_total', 'Events parked on a dead-letter topic.', ['topic']),
      repliesInFlight: gauge('parley_replies_in_flight', 'Replies being generated right now.'),
      repliesFinished: counter('parley_replies_finished_total', 'Replies finished, by final status.', ['status']),
      activeSubscriptions: gauge('parley_active_subscriptions', 'GraphQL subscriptions open on this gateway.'),
      streamEventsDelivered: counter('parley_stream_events_delivered_total', 'Subscription events written to subscribers.'),
    },
    business: {
      conversationsCreated: counter('parley_conversations_created_total', 'Conversations started.'),
      messagesSent: counter('parley_messages_sent_total', 'User messages accepted.'),
      activeUsers: gauge('parley_active_users', 'Users with a session used in the window.', ['window']),
    },
    translation: {
      providerCalls: counter('parley_translation_provider_calls_total', 'Calls to a translation provider.', ['provider', 'failed']),
      providerFlagged: counter('parley_translation_provider_flagged_total', 'Provider outputs that failed the quality check.', [
        'provider',
      ]),
      fallbacks: counter('parley_translation_fallbacks_total', 'Texts handed to the next provider.'),
    },
    cacheLookups: counter('parley_cache_lookups_total', 'Cache lookups, by cache and result.', ['cache', 'result']),
    operationLabel: boundedLabel(operationNames),
  };
}
