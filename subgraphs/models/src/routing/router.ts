import { BadUserInputError, UpstreamUnavailableError } from '@parley/errors';
import { waitFor, type Logger } from '@parley/runtime';
import type { DeploymentConfig, ModelsConfig, Strategy } from '../catalog/models-config';
import { ProviderError, type ChatChunk, type ChatProvider, type ChatRequest, type ChunkSink } from '../providers/chat-provider';
import type { DeploymentStates } from './deployment-state';
import type { createStrategies } from './strategies';

export interface RouteTarget {
  /** What the client asked for: a model id or an alias. */
  requested: string;
  strategy: Strategy;
  candidates: DeploymentConfig[];
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the deployment is skipped until then. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000, maxRetryAfterMs: 5_000 };

/** A reply that has started: its first chunk arrived from `deployment`. */
export interface OpenStream {
  deployment: DeploymentConfig;
  attempts: number;
  timeToFirstTokenMs: number;
  first: ChatChunk;
  /** Hands every later chunk to `sink` (those that came meanwhile first); resolves when the reply ended, rejects if it failed. */
  attach(sink: ChunkSink): Promise<void>;
  /** Must be called once the stream ended, failed or was abandoned. */
  finish(outcome: 'ok' | 'failed' | 'abandoned'): void;
}

/**
 * Chooses a deployment for each request and gets the first token out of one:
 * candidates in the strategy's order, skipping open circuits, unhealthy or
 * saturated deployments and those asked to wait (Retry-After); on a retriable
 * failure before the first token it backs off (with jitter) and moves on.
 * Once a token has been streamed nothing is retried: the client has seen it.
 */
export function createRouter({
  config,
  providers,
  states,
  strategies,
  retry = defaultRetryPolicy,
  logger,
  now = Date.now,
}: {
  config: ModelsConfig;
  providers: Map<string, ChatProvider>;
  states: DeploymentStates;
  strategies: ReturnType<typeof createStrategies>;
  retry?: RetryPolicy;
  logger: Logger;
  now?: () => number;
}) {
  const byId = new Map(config.deployments.map((d) => [d.id, d]));
  const byModel = new Map<string, DeploymentConfig[]>();
  for (const d of config.deployments) byModel.set(d.model, [...(byModel.get(d.model) ?? []), d]);
  const names = [...byModel.keys(), ...Object.keys(config.aliases)].sort();

  function resolve(requested: string): RouteTarget {
    const alias = config.aliases[requested];
    if (alias) {
      const candidates = [...new Set(alias.targets.flatMap((t) => (byId.has(t) ? [byId.get(t)!] : (byModel.get(t) ?? []))))];
      return { requested, strategy: alias.strategy, candidates };
    }
    const deployments = byModel.get(requested);
    if (deployments) return { requested, strategy: config.defaultStrategy, candidates: deployments };
    throw new BadUserInputError(`Unknown model "${requested.slice(0, 100)}"; available: ${names.join(', ')}.`, {
      field: 'model',
      available: names,
    });
  }

  async function open(target: RouteTarget, request: ChatRequest, signal: AbortSignal, promptTokens: number): Promise<OpenStream> {
    const ordered = strategies.order(target.strategy, target.candidates, promptTokens, request.maxTokens ?? 0);
    if (ordered.length === 0) {
      throw new BadUserInputError(
        `No deployment of "${target.requested}" has a context window large enough for ${promptTokens} prompt tokens.`,
        {
          field: 'messages',
        },
      );
    }
    let attempts = 0;
    let passes = 0;
    let lastError: unknown;
    while (attempts < retry.maxAttempts) {
      // Falling back to the next deployment is immediate; going round the list again waits a little.
      if (passes++ > 0 && attempts > 0) await backoff(passes - 1, signal);
      let triedThisPass = false;
      for (const deployment of ordered) {
        if (attempts >= retry.maxAttempts) break;
        const state = states.get(deployment.id);
        if (!states.available(deployment.id, now()) || state.inFlight >= deployment.maxConcurrency) continue;
        const permit = state.breaker.tryAcquire();
        if (!permit) continue;
        // A client that left while the request was being prepared (cache, budget) must not start an upstream call.
        signal.throwIfAborted();
        triedThisPass = true;
        attempts++;
        const started = now();
        state.inFlight++;
        const attempt = new AbortController();
        const onAbort = () => attempt.abort(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        if (signal.aborted) attempt.abort(signal.reason);
        const release = () => {
          state.inFlight--;
          signal.removeEventListener('abort', onAbort);
        };
        const opened = startStream(providers.get(deployment.id)!, request, attempt, deployment.timeoutMs);
        try {
          const first = await opened.first;
          const ttft = now() - started;
          states.recordFirstToken(deployment.id, ttft);
          let finished = false;
          return {
            deployment,
            attempts,
            timeToFirstTokenMs: ttft,
            first,
            attach: opened.attach,
            finish(outcome) {
              if (finished) return;
              finished = true;
              release();
              if (outcome === 'ok') state.breaker.success(permit);
              else if (outcome === 'failed') state.breaker.failure(permit);
              else state.breaker.release(permit);
              // Whatever happened, nothing more is read from this upstream request.
              if (outcome !== 'ok') attempt.abort(new Error(outcome));
            },
          };
        } catch (error) {
          release();
          if (signal.aborted) {
            state.breaker.release(permit);
            throw signal.reason;
          }
          lastError = error;
          const retriable = !(error instanceof ProviderError) || error.retriable || isDeploymentFault(error);
          if (!retriable) {
            state.breaker.release(permit);
            throw new UpstreamUnavailableError(`The model provider refused the request (${(error as ProviderError).status ?? 'error'}).`);
          }
          state.breaker.failure(permit);
          if (error instanceof ProviderError && error.retryAfterMs !== undefined) {
            state.coolingUntil = now() + error.retryAfterMs;
          }
          logger.warn({ deployment: deployment.id, attempt: attempts, err: error }, 'deployment failed before the first token');
        }
      }
      if (!triedThisPass) {
        // Everything is unavailable; wait for a Retry-After that ends soon, otherwise fail fast.
        const soonest = Math.min(...ordered.map((d) => states.get(d.id).coolingUntil)) - now();
        if (soonest > 0 && soonest <= retry.maxRetryAfterMs && ordered.some((d) => states.get(d.id).coolingUntil > now())) {
          await waitFor(soonest, { signal });
          continue;
        }
        break;
      }
    }
    throw new UpstreamUnavailableError(
      attempts === 0
        ? `No deployment of "${target.requested}" can take a request now (unhealthy, circuit open or at capacity); try again shortly.`
        : `"${target.requested}" is unavailable: ${attempts} attempt(s) failed; try again shortly.`,
      {},
      { cause: lastError },
    );
  }

  async function backoff(attempt: number, signal: AbortSignal): Promise<void> {
    const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
    await waitFor(ceiling / 2 + (Math.random() * ceiling) / 2, { signal });
  }

  return { resolve, open, names: () => names, deployments: () => config.deployments };
}

/** 401/403/404 from an upstream mean this deployment is misconfigured: another one may well serve the request. */
function isDeploymentFault(error: unknown): boolean {
  return error instanceof ProviderError && (error.status === 401 || error.status === 403 || error.status === 404);
}

/**
 * Starts a provider's stream: `first` resolves with the first chunk (or
 * rejects), `attach` takes every later one. One timer watches the whole
 * stream — for the first token, then for stalls between tokens — pushed back
 * on every chunk.
 */
function startStream(provider: ChatProvider, request: ChatRequest, attempt: AbortController, timeoutMs: number) {
  let gotFirst = false;
  let downstream: ChunkSink | null = null;
  const waiting: ChatChunk[] = [];
  let resolveFirst!: (chunk: ChatChunk) => void;
  const first = new Promise<ChatChunk>((resolve) => (resolveFirst = resolve));
  const timer = setTimeout(() => {
    attempt.abort(
      gotFirst
        ? new ProviderError(`The provider stalled for ${timeoutMs} ms`, false)
        : new ProviderError(`No first token within ${timeoutMs} ms`, true),
    );
  }, timeoutMs);
  const ended = provider
    .stream(request, attempt.signal, (chunk) => {
      timer.refresh();
      if (!gotFirst) {
        gotFirst = true;
        resolveFirst(chunk);
      } else if (downstream) downstream(chunk);
      else waiting.push(chunk);
    })
    .then(
      () => {
        // A stream we cut off may end quietly: it is a failure, not an end.
        if (attempt.signal.aborted && attempt.signal.reason instanceof ProviderError) throw attempt.signal.reason;
      },
      (error: unknown) => {
        throw attempt.signal.aborted && attempt.signal.reason instanceof ProviderError ? attempt.signal.reason : error;
      },
    )
    .finally(() => clearTimeout(timer));
  // Whoever attaches sees the outcome; until then a failure is not "unhandled".
  ended.catch(() => undefined);
  return {
    first: Promise.race([first, ended.then((): ChatChunk => ({ delta: '', finishReason: 'stop' }))]),
    attach(sink: ChunkSink): Promise<void> {
      for (const chunk of waiting.splice(0)) sink(chunk);
      downstream = sink;
      return ended;
    },
  };
}

export type Router = ReturnType<typeof createRouter>;
