import { context, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Span } from '@opentelemetry/api';

/**
 * What Parley's own code does with trace context, on the OpenTelemetry API alone: every call is a no-op (and cheap)
 * while tracing is off, because the API then has no context manager and no tracer.
 */
const tracer = () => trace.getTracer('parley');

/** The active span's ids for a log line (pino's `mixin`), or nothing outside a span. */
export function logCorrelation(): { trace_id: string; span_id: string; trace_flags: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: traceFlags.toString(16).padStart(2, '0') };
}

/**
 * The active context as a W3C `traceparent`, when it is being recorded: what a row that outlives its request (the
 * outbox) or an event (a reply's stream) stores so that whoever picks it up continues the same trace. Null while
 * tracing is off or the trace is not sampled, so nothing is stored for nothing.
 */
export function activeTraceparent(): string | null {
  const span = trace.getActiveSpan();
  if (!span) return null;
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!(traceFlags & TraceFlags.SAMPLED)) return null;
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

// W3C trace context, version 00. Read and written here rather than through the global propagator, which the public
// edge (the gateway) makes blind to what callers send: what Parley stored itself is always read back.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The context a stored `traceparent` names (the active one when there is none). */
export function contextOf(traceparent: string | null | undefined): Context {
  const parts = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!parts) return context.active();
  return trace.setSpanContext(context.active(), {
    traceId: parts[1]!,
    spanId: parts[2]!,
    traceFlags: parseInt(parts[3]!, 16),
    isRemote: true,
  });
}

/** Runs `work` in the context a stored `traceparent` names: the outbox relay's publish of a request's row. */
export function withTraceparent<T>(traceparent: string | null | undefined, work: () => T): T {
  return traceparent ? context.with(contextOf(traceparent), work) : work();
}

/** The active context, to run later work in (`inContext`): work a queue starts long after it was handed over. */
export function currentContext(): Context {
  return context.active();
}

export function inContext<T>(captured: Context, work: () => T): T {
  return context.with(captured, work);
}

/**
 * A span of our own around `work`, where it adds meaning the instrumentations cannot (a model call's GenAI
 * attributes, a reply's generation, a subscriber's delivery): ended when `work` settles, marked as an error when it
 * throws.
 */
export async function inSpan<T>(
  name: string,
  options: { attributes?: Attributes; kind?: 'internal' | 'client' | 'consumer' | 'producer'; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const kind = { internal: SpanKind.INTERNAL, client: SpanKind.CLIENT, consumer: SpanKind.CONSUMER, producer: SpanKind.PRODUCER }[
    options.kind ?? 'internal'
  ];
  return tracer().startActiveSpan(
    name,
    { kind, ...(options.attributes && { attributes: options.attributes }) },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        markFailed(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

export type { Span };

/**
 * A span started now and ended by the caller, for work whose start and end are in different calls (a model call:
 * routed and opened in one, streamed in another). `within` runs work as its child.
 */
export function startSpan(name: string, options: { attributes?: Attributes; kind?: 'internal' | 'client' } = {}) {
  const span = tracer().startSpan(name, {
    kind: options.kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL,
    ...(options.attributes && { attributes: options.attributes }),
  });
  const parent = trace.setSpan(context.active(), span);
  return {
    span,
    within: <T>(work: () => T): T => context.with(parent, work),
    fail(error: unknown) {
      markFailed(span, error);
      span.end();
    },
    end: () => span.end(),
  };
}

/** Events on the span active now, for work that goes on in timers and callbacks outside its context (a reply's deltas). */
export function eventsOfActiveSpan(): (name: string, attributes?: Attributes) => void {
  const span = trace.getActiveSpan();
  return span ? (name, attributes) => span.addEvent(name, attributes) : () => {};
}

/** A span's failure, as every span of ours records it: the exception, an error status, and `error.type` (a code when the error has one). */
function markFailed(span: Span, error: unknown): void {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.setAttribute('error.type', error instanceof Error ? ((error as { code?: string }).code ?? error.name) : 'unknown');
}
