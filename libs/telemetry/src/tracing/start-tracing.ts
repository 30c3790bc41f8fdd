import { createRequire, register, syncBuiltinESMExports } from 'node:module';
import type { DiagLogLevel } from '@opentelemetry/api';
import { sqlShape } from './sql-shape';

/** A process's tracing: what `startTracing` started, to flush on shutdown. */
export interface Tracing {
  enabled: boolean;
  /** Sends what is buffered and stops the exporter: the host's last shutdown step. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: async () => {} };

export class TracingConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * OpenTelemetry tracing for one process, configured by the standard variables and off unless they ask for it:
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) turns it on, `OTEL_TRACES_EXPORTER=none` or
 * `OTEL_SDK_DISABLED=true` keeps it off; `OTEL_EXPORTER_OTLP_PROTOCOL` is `http/protobuf` (the default) or
 * `http/json`; `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` choose the sampler (default
 * `parentbased_always_on`); `OTEL_SERVICE_NAME` names the service (default `service`); `OTEL_RESOURCE_ATTRIBUTES`,
 * `OTEL_EXPORTER_OTLP_HEADERS` and `_TIMEOUT` are read by the SDK itself.
 *
 * It must run before the process imports what it instruments (node:http, undici, pg, ioredis, kafkajs, graphql):
 * each entry point calls it first and imports the rest afterwards. Off, it loads nothing and the API stays a no-op.
 */
export async function startTracing({
  service,
  env = process.env,
  publicEdge = false,
}: {
  service: string;
  env?: NodeJS.ProcessEnv;
  /**
   * The process answers the public (the gateway, the embedded platform): it starts its own traces instead of
   * continuing a caller's `traceparent`, which would let any client choose to be sampled (at the cost of every
   * span) and put its own ids into Parley's traces. What it sends onwards still carries the context.
   */
  publicEdge?: boolean;
}): Promise<Tracing> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const exporterName = env.OTEL_TRACES_EXPORTER ?? (endpoint ? 'otlp' : 'none');
  if (env.OTEL_SDK_DISABLED === 'true' || exporterName === 'none') return OFF;
  if (exporterName !== 'otlp') throw new TracingConfigError(`OTEL_TRACES_EXPORTER: "${exporterName}" is not supported; use otlp or none`);
  if (!endpoint)
    throw new TracingConfigError('OTEL_TRACES_EXPORTER=otlp needs OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://otel-collector:4318)');
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new TracingConfigError(
      `OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not supported; use http/protobuf or http/json (the collector's port 4318)`,
    );
  }
  const sampler = await samplerFrom(env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on', env.OTEL_TRACES_SAMPLER_ARG);

  // ES modules are instrumented through import-in-the-middle's loader hook (CommonJS ones through require's), and only
  // those an instrumentation asked for: wrapping every module would wrap our own TypeScript too.
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  const [api, { AsyncLocalStorageContextManager }, core, sdk, resources, { registerInstrumentations }, exporterModule] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation'),
    protocol === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  const resource = resources
    .resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? service })
    .merge(resources.detectResources({ detectors: [resources.envDetector, resources.processDetector, resources.hostDetector] }));
  const provider = new sdk.TracerProvider({
    resource,
    sampler,
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter: new exporterModule.OTLPTraceExporter() })],
  });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const propagator = new core.CompositePropagator({ propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()] });
  api.propagation.setGlobalPropagator(
    publicEdge
      ? {
          inject: (context, carrier, setter) => propagator.inject(context, carrier, setter),
          extract: (context) => context,
          fields: () => propagator.fields(),
        }
      : propagator,
  );
  api.trace.setGlobalTracerProvider(provider);
  if (env.OTEL_LOG_LEVEL) api.diag.setLogger(new api.DiagConsoleLogger(), diagLevel(api.DiagLogLevel, env.OTEL_LOG_LEVEL));
  registerInstrumentations({ tracerProvider: provider, instrumentations: await instrumentations() });
  await waitForAllMessagesAcknowledged();
  // node:http's request is patched on its CommonJS exports; an ES module's `import { request } from 'node:http'`
  // sees the patch only once the builtins' ES facades are synced (the gateway's subgraph requests would carry no
  // traceparent otherwise).
  const require = createRequire(import.meta.url);
  require('node:http');
  require('node:https');
  syncBuiltinESMExports();
  return { enabled: true, shutdown: () => provider.shutdown() };
}

/** The maintained instrumentations of what Parley uses; health checks and scrapes are not traced. */
async function instrumentations() {
  const [http, undici, graphql, ioredis, pg, kafkajs] = await Promise.all([
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-graphql'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-kafkajs'),
  ]);
  const quiet = new Set(['/healthz', '/readyz', '/metrics']);
  return [
    new http.HttpInstrumentation({ ignoreIncomingRequestHook: (req) => quiet.has((req.url ?? '').split('?', 1)[0] ?? '') }),
    new undici.UndiciInstrumentation(),
    // No resolver spans: wrapping every field's resolver cost more than the rest of tracing together (a page is 10 × 5
    // messages of fields; bench/observability), and a page's trace would drown in them. Parse, validate and execute stay.
    new graphql.GraphQLInstrumentation({ ignoreResolveSpans: true, depth: 0, mergeItems: true }),
    // Only inside a traced operation: the outbox sweep, leases and stream reads poll all the time, and each poll
    // would be a trace of its own. Connections from the pool are not worth a span each.
    // The command's name only: its arguments are stream entries (replies' text), keys with user ids, tokens' counters.
    new ioredis.IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    new pg.PgInstrumentation({
      requireParentSpan: true,
      ignoreConnectSpans: true,
      requestHook: (span, { query }) => span.setAttribute('db.query.text', sqlShape(query.text)),
    }),
    new kafkajs.KafkaJsInstrumentation(),
  ];
}

function diagLevel(levels: typeof DiagLogLevel, name: string) {
  const level = levels[name.toUpperCase() as keyof typeof levels];
  if (level === undefined)
    throw new TracingConfigError(`OTEL_LOG_LEVEL: "${name}" is not one of none, error, warn, info, debug, verbose, all`);
  return level;
}

async function samplerFrom(name: string, arg: string | undefined) {
  const sdk = await import('@opentelemetry/sdk-trace');
  const ratio = () => {
    const value = arg === undefined ? 1 : Number(arg);
    if (!Number.isFinite(value) || value < 0 || value > 1)
      throw new TracingConfigError(`OTEL_TRACES_SAMPLER_ARG: "${arg}" must be a ratio from 0 to 1`);
    return new sdk.TraceIdRatioBasedSampler(value);
  };
  switch (name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: ratio() });
    default:
      throw new TracingConfigError(
        `OTEL_TRACES_SAMPLER: "${name}" is not supported; use always_on, always_off, traceidratio or their parentbased_ forms`,
      );
  }
}

/**
 * An entry point's first step: tracing started (or left off) before `main` imports anything it instruments, which
 * is why `main` imports the service itself. A configuration error ends the process with a sentence, as every other
 * start-up error does.
 */
export async function runTraced(
  service: string,
  main: (tracing: Tracing) => Promise<unknown>,
  { publicEdge = false }: { publicEdge?: boolean } = {},
): Promise<void> {
  let tracing: Tracing;
  try {
    tracing = await startTracing({ service, publicEdge });
  } catch (error) {
    console.error(`${service} failed to start: ${(error as Error).message}`);
    process.exit(1);
  }
  await main(tracing);
}
