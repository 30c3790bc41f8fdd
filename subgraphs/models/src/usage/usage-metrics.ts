import type { Metrics, startSpan } from '@parley/telemetry';
import type { UsageEntry } from './usage-recorder';

/**
 * A finished model call as Prometheus series, OpenTelemetry's GenAI names and attributes: tokens by type, the call's
 * duration, time to its first token and per output token after it, and what it cost. It reads the same entry the
 * usage record stores, so the metrics and the usage report (the bill) cannot disagree on tokens or cost.
 */
export function observeModelCall(metrics: Metrics, entry: UsageEntry, provider: string): void {
  // prom-client throws on a value that is not a finite number (a provider's usage chunk without a count): skip it.
  const finite = (value: number | null): value is number => typeof value === 'number' && Number.isFinite(value);
  const { genAi } = metrics;
  const model = { gen_ai_request_model: entry.model, deployment: entry.deployment };
  const call = { gen_ai_operation_name: 'chat', gen_ai_provider_name: provider, ...model };
  if (finite(entry.promptTokens)) genAi.tokenUsage.observe({ ...call, gen_ai_token_type: 'input' }, entry.promptTokens);
  if (finite(entry.completionTokens)) genAi.tokenUsage.observe({ ...call, gen_ai_token_type: 'output' }, entry.completionTokens);
  const failed = entry.outcome === 'error' || entry.outcome === 'cancelled';
  if (finite(entry.latencyMs))
    genAi.operationDuration.observe({ ...call, error_type: failed ? entry.outcome : '' }, entry.latencyMs / 1000);
  if (finite(entry.costUsd) && entry.costUsd > 0) genAi.costUsd.inc(model, entry.costUsd);
  // A cached reply has no provider latency to report; a failed one may have none either.
  if (entry.outcome === 'cached' || !finite(entry.timeToFirstTokenMs) || !finite(entry.latencyMs)) return;
  genAi.timeToFirstToken.observe(model, entry.timeToFirstTokenMs / 1000);
  if (finite(entry.completionTokens) && entry.completionTokens > 1) {
    genAi.timePerOutputToken.observe(model, (entry.latencyMs - entry.timeToFirstTokenMs) / 1000 / (entry.completionTokens - 1));
  }
}

/** The call's GenAI span, ended with what the usage record has: provider, response model, tokens, finish reason. */
export function endModelCall(call: ReturnType<typeof startSpan>, provider: string, entry: UsageEntry, finishReason: string): void {
  call.span.setAttributes({
    'gen_ai.provider.name': provider,
    'gen_ai.response.model': entry.model,
    'gen_ai.response.finish_reasons': [finishReason],
    'gen_ai.usage.input_tokens': entry.promptTokens,
    'gen_ai.usage.output_tokens': entry.completionTokens,
    'parley.deployment': entry.deployment,
    'parley.outcome': entry.outcome,
    ...(entry.timeToFirstTokenMs !== null && { 'parley.time_to_first_token_ms': entry.timeToFirstTokenMs }),
  });
  call.end();
}
