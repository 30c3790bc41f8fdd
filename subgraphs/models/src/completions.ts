import { BadUserInputError } from '@parley/errors';
import type { Logger } from '@parley/runtime';
import type { DeploymentConfig } from './catalog/models-config';
import type { ChatChunk, ChatRequest } from './providers/chat-provider';
import type { OpenStream, Router } from './routing/router';
import type { Budgets } from './usage/budgets';
import { costUsd } from './usage/cost';
import { cacheKey, type ResponseCache } from './usage/response-cache';
import { countCompletionTokens, countPromptTokens } from './usage/token-counter';
import type { UsageRecorder } from './usage/usage-recorder';

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

export interface Completion {
  /** The model id that serves it (an alias resolves to one). */
  model: string;
  deployment: string;
  cached: boolean;
  chunks: AsyncIterable<ChatChunk>;
  /** Resolves when the stream ended (however it ended) and usage was recorded. */
  usage: Promise<CompletionUsage>;
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
  now = Date.now,
}: {
  router: Router;
  budgets: Budgets;
  cache: ResponseCache;
  usage: UsageRecorder;
  logger: Logger;
  now?: () => number;
}) {
  return {
    async start(input: CompletionInput): Promise<Completion> {
      const started = now();
      const target = router.resolve(input.model);
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
      const base = { userId: input.userId, apiKeyId: input.apiKeyId ?? null, messageId: input.messageId ?? null };

      if (hit) {
        const deployment = target.candidates.find((d) => d.id === hit.deployment) ?? target.candidates[0]!;
        const recorded = usage.record({
          ...base,
          model: deployment.model,
          deployment: hit.deployment,
          promptTokens: hit.promptTokens,
          completionTokens: hit.completionTokens,
          costUsd: 0,
          latencyMs: now() - started,
          timeToFirstTokenMs: 0,
          outcome: 'cached',
        });
        recorded.catch((error: unknown) => logger.error({ err: error, userId: input.userId }, 'usage could not be recorded'));
        return {
          model: deployment.model,
          deployment: hit.deployment,
          cached: true,
          chunks: replay(hit.content, hit.finishReason, { promptTokens: hit.promptTokens, completionTokens: hit.completionTokens }),
          usage: recorded.then(() => ({ promptTokens: hit.promptTokens, completionTokens: hit.completionTokens, costUsd: 0 })),
        };
      }

      const estimate = Math.max(
        ...target.candidates.map((d) => costUsd(promptTokens, input.request.maxTokens ?? DEFAULT_COMPLETION_ESTIMATE, d)),
      );
      const reservation = await budgets.reserve(input.userId, estimate);
      let open: OpenStream;
      try {
        open = await router.open(target, input.request, input.signal, promptTokens);
      } catch (error) {
        await budgets.settle(reservation, 0);
        throw error;
      }
      let settle!: (value: CompletionUsage) => void;
      let fail!: (error: unknown) => void;
      const settled = new Promise<CompletionUsage>((resolve, reject) => {
        settle = resolve;
        fail = reject;
      });
      // Nobody may be waiting for the usage (a stream without include_usage): a failure to record it is logged, never unhandled.
      settled.catch((error: unknown) => logger.error({ err: error, userId: input.userId }, 'usage could not be recorded'));
      const finishUsage = async (
        deployment: DeploymentConfig,
        text: string,
        reported: ChatChunk['usage'],
        outcome: 'ok' | 'error' | 'cancelled',
      ): Promise<CompletionUsage> => {
        // Provider's count when it gave one; otherwise our own — never a silent zero.
        const tokens = reported ?? { promptTokens, completionTokens: countCompletionTokens(text) };
        const cost = costUsd(tokens.promptTokens, tokens.completionTokens, deployment);
        await budgets.settle(reservation, cost).catch((error: unknown) => logger.error({ err: error }, 'budget settlement failed'));
        await usage.record({
          ...base,
          model: deployment.model,
          deployment: deployment.id,
          promptTokens: tokens.promptTokens,
          completionTokens: tokens.completionTokens,
          costUsd: cost,
          latencyMs: now() - started,
          timeToFirstTokenMs: open.timeToFirstTokenMs,
          outcome,
        });
        return { ...tokens, costUsd: cost };
      };

      async function* chunks(): AsyncIterable<ChatChunk> {
        const deployment = open.deployment;
        let text = '';
        let reported: ChatChunk['usage'];
        let finishReason = 'stop';
        let outcome: 'ok' | 'error' | 'cancelled' = 'cancelled';
        try {
          for await (const chunk of open.chunks) {
            text += chunk.delta;
            if (chunk.usage) reported = chunk.usage;
            if (chunk.finishReason) finishReason = chunk.finishReason;
            yield chunk;
          }
          // The SDK ends a stream quietly when it is aborted: a reply cut short by the client is not a success.
          outcome = input.signal.aborted ? 'cancelled' : 'ok';
        } catch (error) {
          outcome = input.signal.aborted ? 'cancelled' : 'error';
          throw error;
        } finally {
          open.finish(outcome === 'ok' ? 'ok' : outcome === 'error' ? 'failed' : 'abandoned');
          const result = finishUsage(deployment, text, reported, outcome);
          result.then(settle, fail);
          if (outcome === 'ok' && key) {
            const counted = await result.catch(() => null);
            if (counted) {
              await cache
                .set(key, {
                  content: text,
                  finishReason,
                  deployment: deployment.id,
                  promptTokens: counted.promptTokens,
                  completionTokens: counted.completionTokens,
                })
                .catch((error: unknown) => logger.warn({ err: error }, 'response cache write failed'));
            }
          }
        }
      }

      return { model: open.deployment.model, deployment: open.deployment.id, cached: false, chunks: chunks(), usage: settled };
    },
  };
}

async function* replay(
  content: string,
  finishReason: string,
  usage: { promptTokens: number; completionTokens: number },
): AsyncIterable<ChatChunk> {
  for (const word of content.split(CACHE_REPLAY_WORDS)) yield { delta: word };
  yield { delta: '', finishReason, usage };
}

export type Completions = ReturnType<typeof createCompletions>;
