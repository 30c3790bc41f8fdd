import { BadUserInputError } from '@parley/errors';
import type { Logger } from '@parley/runtime';
import type { ChatChunk, ChatRequest, ChunkSink } from './providers/chat-provider';
import type { OpenStream, Router } from './routing/router';
import type { Budgets } from './usage/budgets';
import { costUsd } from './usage/cost';
import { cacheKey, type ResponseCache } from './usage/response-cache';
import { countCompletionTokens, countPromptTokens } from './usage/token-counter';
import type { Metrics } from '@parley/telemetry';
import { startSpan } from '@parley/telemetry';
import { endModelCall, observeModelCall } from './usage/usage-metrics';
import type { UsageEntry, UsageRecorder } from './usage/usage-recorder';

export interface CompletionInput {
  userId: string;
  apiKeyId?: string | null;
  messageId?: string | null;
  model: string;
  request: ChatRequest;
  /** Asked for by the caller; deterministic requests (temperature 0) are cacheable anyway. */
  cacheable?: boolean;
  signal: AbortSignal;
}

export interface CompletionUsage {
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface CompletionResult {
  usage: CompletionUsage;
  /** Resolves when the usage record is stored (it is written in small batches). */
  recorded: Promise<void>;
}

export interface Completion {
  /** The model id that serves it (an alias resolves to one). */
  model: string;
  deployment: string;
  cached: boolean;
  /**
   * Hands the reply to `sink`, chunk by chunk; resolves when it ended, with what
   * it used (the budget is settled and the record on its way), rejects if it failed.
   */
  run(sink: ChunkSink): Promise<CompletionResult>;
}

/** When a request names no max_tokens, the budget holds this many completion tokens until it settles. */
const DEFAULT_COMPLETION_ESTIMATE = 1_024;
const CACHE_REPLAY_WORDS = /(?<=\s)/;

/**
 * One chat completion from start to settlement: route it, check the context
 * window and the budget before any upstream call, replay a cached reply when
 * there is one, stream the reply, then record usage and settle the budget —
 * exactly once, whether the reply completed, failed or the client left.
 */
export function createCompletions({
  router,
  budgets,
  cache,
  usage,
  logger,
  metrics,
  now = Date.now,
}: {
  router: Router;
  budgets: Budgets;
  cache: ResponseCache;
  usage: UsageRecorder;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}) {
  /** Replies that have ended but whose budget settlement and usage record are still on their way. */
  const settling = new Set<Promise<void>>();
  const track = (recorded: Promise<void>): Promise<void> => {
    settling.add(recorded);
    void recorded.finally(() => settling.delete(recorded));
    return recorded;
  };
  return {
    /**
     * Resolves once every reply that has ended is settled and recorded. A drain waits for it: a reply's answer
     * ends before its settlement (a Redis round trip) and its record are done, and they were lost at exit.
     */
    async settled(): Promise<void> {
      while (settling.size > 0) await Promise.all([...settling]);
    },
    async start(input: CompletionInput): Promise<Completion> {
      // One GenAI span per call, from routing to the last chunk: the provider's HTTP call (or the dev model) is its child.
      // Named `chat` until routing has resolved the model: the requested name is anyone's string until then.
      const call = startSpan('chat', {
        kind: 'client',
        attributes: {
          'gen_ai.operation.name': 'chat',
          ...(input.request.maxTokens !== undefined && { 'gen_ai.request.max_tokens': input.request.maxTokens }),
          ...(input.request.temperature !== undefined && { 'gen_ai.request.temperature': input.request.temperature }),
        },
      });
      try {
        return await call.within(() => openCompletion(input, call));
      } catch (error) {
        call.fail(error);
        throw error;
      }
    },
  };

  /** Routes, checks and opens one completion inside its span (`start`). */
  async function openCompletion(input: CompletionInput, call: ReturnType<typeof startSpan>): Promise<Completion> {
    const started = now();
    const target = router.resolve(input.model);
    call.span.updateName(`chat ${target.requested}`);
    call.span.setAttribute('gen_ai.request.model', target.requested);
    const promptTokens = countPromptTokens(input.request.messages);
    const window = Math.max(...target.candidates.map((d) => d.contextWindow));
    const reserved = input.request.maxTokens ?? 0;
    if (promptTokens + reserved > window) {
      throw new BadUserInputError(
        `The messages are ${promptTokens} tokens${reserved ? ` and ${reserved} more are asked for the reply` : ''}; "${input.model}" takes at most ${window}. Shorten the conversation.`,
        { field: 'messages', code: 'context_length_exceeded' },
      );
    }
    const shared = target.candidates.every((d) => d.shareCache);
    const cacheable = input.cacheable === true || input.request.temperature === 0;
    const key = cacheable ? cacheKey(target.requested, input.request, shared ? '*' : input.userId) : null;
    const hit = key ? await cache.get(key).catch(() => null) : null;
    if (key) metrics.cacheLookups.inc({ cache: 'model_responses', result: hit ? 'hit' : 'miss' });
    const base = { userId: input.userId, apiKeyId: input.apiKeyId ?? null, messageId: input.messageId ?? null };

    if (hit) {
      const deployment = target.candidates.find((d) => d.id === hit.deployment) ?? target.candidates[0]!;
      const usage = { promptTokens: hit.promptTokens, completionTokens: hit.completionTokens, costUsd: 0 };
      return {
        model: deployment.model,
        deployment: hit.deployment,
        cached: true,
        async run(sink) {
          for (const word of hit.content.split(CACHE_REPLAY_WORDS)) sink({ delta: word });
          sink({
            delta: '',
            finishReason: hit.finishReason,
            usage: { promptTokens: hit.promptTokens, completionTokens: hit.completionTokens },
          });
          const entry = {
            ...base,
            model: deployment.model,
            deployment: hit.deployment,
            ...usage,
            latencyMs: now() - started,
            timeToFirstTokenMs: 0,
            outcome: 'cached' as const,
          };
          endModelCall(call, deployment.provider, entry, hit.finishReason);
          const recorded = track(recordUsage(deployment.provider, entry));
          return { usage, recorded };
        },
      };
    }

    const estimate = Math.max(
      ...target.candidates.map((d) => costUsd(promptTokens, input.request.maxTokens ?? DEFAULT_COMPLETION_ESTIMATE, d)),
    );
    // A free deployment cannot move a budget: no hold, no settlement, two Redis round trips saved per reply.
    const reservation = estimate > 0 ? await budgets.reserve(input.userId, estimate) : null;
    let open: OpenStream;
    try {
      open = await router.open(target, input.request, input.signal, promptTokens);
    } catch (error) {
      if (reservation) await budgets.settle(reservation, 0);
      throw error;
    }
    const deployment = open.deployment;
    return {
      model: deployment.model,
      deployment: deployment.id,
      cached: false,
      async run(sink) {
        let text = '';
        let reported: ChatChunk['usage'];
        let finishReason = 'stop';
        const forward = (chunk: ChatChunk) => {
          text += chunk.delta;
          if (chunk.usage) reported = chunk.usage;
          if (chunk.finishReason) finishReason = chunk.finishReason;
          sink(chunk);
        };
        let outcome: 'ok' | 'error' | 'cancelled';
        let failure: unknown;
        try {
          forward(open.first);
          await open.attach(forward);
          // The SDK ends an aborted stream quietly: a reply cut short by its client is not a success.
          outcome = input.signal.aborted ? 'cancelled' : 'ok';
        } catch (error) {
          outcome = input.signal.aborted ? 'cancelled' : 'error';
          failure = error;
        }
        open.finish(outcome === 'ok' ? 'ok' : outcome === 'error' ? 'failed' : 'abandoned');
        // The provider's count when it gave one; otherwise our own — never a silent zero.
        const tokens = reported ?? { promptTokens, completionTokens: countCompletionTokens(text) };
        const usage = { ...tokens, costUsd: costUsd(tokens.promptTokens, tokens.completionTokens, deployment) };
        const settled = (reservation ? budgets.settle(reservation, usage.costUsd) : Promise.resolve()).catch((error: unknown) =>
          logger.error({ err: error }, 'budget settlement failed'),
        );
        const entry = {
          ...base,
          model: deployment.model,
          deployment: deployment.id,
          ...usage,
          latencyMs: now() - started,
          timeToFirstTokenMs: open.timeToFirstTokenMs,
          outcome,
        };
        if (failure !== undefined) call.fail(failure);
        else endModelCall(call, deployment.provider, entry, finishReason);
        const recorded = track(settled.then(() => recordUsage(deployment.provider, entry)));
        if (outcome === 'ok' && key) {
          void cache
            .set(key, {
              content: text,
              finishReason,
              deployment: deployment.id,
              promptTokens: usage.promptTokens,
              completionTokens: usage.completionTokens,
            })
            .catch((error: unknown) => logger.warn({ err: error }, 'response cache write failed'));
        }
        if (failure !== undefined) throw failure;
        return { usage, recorded };
      },
    };
  }

  /** Counts a finished call and stores its usage record; a failure is logged, and the promise still settles for whoever waits on it. */
  function recordUsage(provider: string, entry: UsageEntry): Promise<void> {
    try {
      observeModelCall(metrics, entry, provider);
    } catch (error) {
      // Never at the bill's expense: the record below is what the user is charged from.
      logger.warn({ err: error }, 'a model call could not be counted in the metrics');
    }
    return usage.record(entry).catch((error: unknown) => {
      logger.error({ err: error, userId: entry.userId }, 'usage could not be recorded');
    });
  }
}

export type Completions = ReturnType<typeof createCompletions>;
