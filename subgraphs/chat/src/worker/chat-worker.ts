import { inSpan, type Metrics } from '@parley/telemetry';
import type { Sql } from '@parley/database';
import { ErrorCode, UpstreamUnavailableError, type ParleyError } from '@parley/errors';
import { Topics, type ChatMessageRequested, type EventBus, type EventSubscription } from '@parley/events';
import { isFinalEvent, SeqConflictError, type MessageStreamLog } from '@parley/message-stream';
import type { Clock, Logger } from '@parley/runtime';
import OpenAI from 'openai';
import { uniqueCategories, type ContentModeration } from '../content-moderation';
import { nameConversation } from '../conversation-titles';
import type { ModelDirectory } from '../model-directory';
import type { CancelSignals } from '../replies/cancel-signals';
import { createReplyOutcomes } from '../replies/reply-outcome';
import { createReplyStore, type Reply, type ReplyOutcome } from '../replies/reply-store';
import { BlockedOutput, classify, createGeneration, type GenerationProgress } from './generation';
import { createModelsOutage, ModelsUnreachableError } from './models-outage';
import { promptFor } from './prompt';

export interface ChatWorkerOptions {
  sql: Sql;
  bus: EventBus;
  messageStreams: MessageStreamLog;
  cancelSignals: CancelSignals;
  models: ModelDirectory;
  /** The models service's OpenAI-compatible API, e.g. http://models:4003/v1. */
  modelsApiUrl: string;
  internalToken: string;
  clock: Clock;
  logger: Logger;
  concurrency: number;
  coalesceMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  /** How long a reply waits for an unreachable models service (a restart) before it fails. */
  modelsRetryBudgetMs: number;
  /** How long an append to the stream log is retried while Redis is unreachable before the reply fails. */
  streamAppendRetryMs: number;
  /** Tokens kept free in the context window for the reply. */
  replyReserve?: number;
  /** Screens the prompt before any model call and the reply as it streams. */
  moderation: ContentModeration;
  /** Replies in flight and finished, dead letters. */
  metrics: Metrics;
}

export interface ChatWorker {
  stop(): Promise<void>;
}

class CancelRequested extends Error {
  constructor() {
    super('cancelled by its owner');
  }
}

/**
 * The chat worker: a Kafka consumer (group "chat-worker") of
 * chat.message.requested that streams each reply from the models service and
 * publishes its deltas, numbered without gaps, to the message stream log.
 *
 * Exactly one reply per request, whatever the redeliveries: the reply is
 * claimed and finished with updates guarded by its status; the log refuses a
 * seq stored twice; a redelivered request resumes after what subscribers
 * already saw (the regenerated text is skipped up to that length), and a
 * reply that finished before a crash only gets its final event re-sent.
 *
 * Outages are waited out, each for its budget: the models service
 * unreachable (`modelsRetryBudgetMs`, see models-outage.ts) and the stream
 * log's Redis (`streamAppendRetryMs`, see generation.ts and
 * reply-outcome.ts). Only past its budget does an outage fail the reply, as
 * UPSTREAM_UNAVAILABLE with a sentence saying which service was away.
 */
export async function startChatWorker(options: ChatWorkerOptions): Promise<ChatWorker> {
  const { sql, bus, messageStreams, cancelSignals, models, clock, logger, moderation, metrics } = options;
  const openai = new OpenAI({ baseURL: options.modelsApiUrl, apiKey: options.internalToken, maxRetries: 0, timeout: 120_000 });
  const running = new Map<string, AbortController>();
  const stopListening = await cancelSignals.listen((messageId) => running.get(messageId)?.abort(new CancelRequested()));
  const replies = createReplyStore({ sql, clock });
  const outcomes = createReplyOutcomes({ replies, messageStreams, bus, clock, appendRetryMs: options.streamAppendRetryMs });
  const generate = createGeneration({
    openai,
    messageStreams,
    moderator: moderation.moderator,
    logger,
    coalesceMs: options.coalesceMs,
    maxAttempts: options.maxAttempts,
    retryBaseMs: options.retryBaseMs,
    streamAppendRetryMs: options.streamAppendRetryMs,
  });

  /** Ends the reply (see reply-outcome.ts); the first completed reply of a conversation names it. */
  async function finish(
    request: ChatMessageRequested,
    reply: Reply,
    outcome: ReplyOutcome,
    { firstQuestion = null, progress }: { firstQuestion?: string | null; progress?: GenerationProgress } = {},
  ) {
    // Named before the reply reads as finished, so whoever sees it COMPLETED (or its final event) sees the title too.
    if (outcome.status === 'COMPLETED' && firstQuestion !== null) await nameConversation(sql, reply.conversationId, firstQuestion);
    const unconfirmed = progress?.unconfirmed ? [progress.unconfirmed] : [];
    await outcomes.settle(reply, outcome, { userId: request.userId, translateTo: request.translateTo, unconfirmed });
    metrics.pipeline.repliesFinished.inc({ status: outcome.status });
  }

  /** What the reply's own screening did, for admin review: its redactions once it completed, or the block that ended it. */
  async function recordOutput(request: ChatMessageRequested, messageId: string, categories: string[], action: 'redact' | 'block') {
    await moderation.flags.record(
      categories.map((category) => ({
        userId: request.userId,
        conversationId: request.conversationId,
        messageId,
        direction: 'OUTPUT' as const,
        category,
        action,
      })),
    );
  }

  async function handle(request: ChatMessageRequested): Promise<void> {
    const claimed = await replies.claim(request.assistantMessageId);
    if (!claimed) {
      const reply = await replies.load(request.assistantMessageId);
      // Deleted with its conversation, or answered already: at most its final event is missing (a crash came between).
      if (reply) await outcomes.repairFinalEvent(reply);
      return;
    }
    const { reply, previous } = claimed;
    const prior = previous === 'STREAMING' ? await messageStreams.readAfter(reply.id, 0) : [];
    const priorText = prior.map((e) => (e.kind === 'delta' ? e.delta : '')).join('');
    const priorFinal = prior.find(isFinalEvent);
    if (priorFinal) {
      // The stream ended before a crash; only the database missed it.
      await finish(request, reply, {
        status: priorFinal.kind === 'failed' ? 'FAILED' : priorFinal.status,
        content: priorText,
        model: request.model,
        lastSeq: priorFinal.seq,
        ...(priorFinal.kind === 'failed' ? { code: priorFinal.code, reason: priorFinal.reason } : {}),
      });
      return;
    }

    const controller = new AbortController();
    running.set(reply.id, controller);
    metrics.pipeline.repliesInFlight.inc();
    const progress: GenerationProgress = { seq: prior.at(-1)?.seq ?? 0, emitted: '', model: request.model, findings: [] };
    // Whatever ends the reply, it is stored as far as it streamed, its final event one seq after the last delta
    // (a delta the log could not confirm counts: the final event is appended with it, see reply-outcome.ts).
    const soFar = () => ({
      content: priorText + progress.emitted + (progress.unconfirmed?.delta ?? ''),
      model: progress.model,
      lastSeq: (progress.unconfirmed?.seq ?? progress.seq) + 1,
    });
    const deadLetter = async (failure: ParleyError, attempts: number) => {
      await bus.publish(Topics.chatMessageRequestedDeadLetter, request.conversationId, { ...request, reason: failure.message, attempts });
      metrics.pipeline.deadLetters.inc({ topic: Topics.chatMessageRequestedDeadLetter });
    };
    const modelsOutage = createModelsOutage({ budgetMs: options.modelsRetryBudgetMs, baseMs: options.retryBaseMs });
    try {
      // The model list and the provider's moderation come from the models service too: a restart of it is waited out here as well.
      const prompt = await modelsOutage
        .retrying(() => promptFor({ replies, models, moderation, replyReserve: options.replyReserve }, request, reply), {
          isOutage: (error) => error instanceof UpstreamUnavailableError,
          signal: controller.signal,
          onRetry: (error) => logger.warn({ err: error, messageId: reply.id }, 'models service unreachable; retrying'),
        })
        .catch(async (error: unknown) => {
          if (error instanceof ModelsUnreachableError) await deadLetter(error, 1);
          throw error;
        });
      await generate({
        messageId: reply.id,
        userId: request.userId,
        model: prompt.model,
        prompt: prompt.turns,
        signal: controller.signal,
        resumeAfter: priorText,
        progress,
        modelsOutage,
        onAttemptsExhausted: deadLetter,
      });
      await finish(request, reply, { status: 'COMPLETED', ...soFar() }, { firstQuestion: prompt.firstQuestion, progress });
      await recordOutput(request, reply.id, uniqueCategories(progress.findings.filter((f) => f.action === 'redact')), 'redact');
    } catch (error) {
      if (error instanceof SeqConflictError) {
        logger.warn({ messageId: reply.id }, 'another worker is streaming this reply; leaving it');
        return;
      }
      if (error instanceof CancelRequested) {
        await finish(request, reply, { status: 'CANCELLED', ...soFar() }, { progress });
        return;
      }
      const failure = classify(error);
      logger.warn({ err: error, messageId: reply.id, code: failure.code }, 'reply failed');
      const blocked = failure.code === ErrorCode.CONTENT_BLOCKED;
      await finish(
        request,
        reply,
        {
          status: 'FAILED',
          ...soFar(),
          // A blocked reply keeps nothing: not the blocked span, nor the text that led up to it.
          ...(blocked ? { content: '' } : {}),
          code: failure.code,
          reason: failure.message,
        },
        { progress },
      );
      if (failure instanceof BlockedOutput) await recordOutput(request, reply.id, [failure.category], 'block');
    } finally {
      running.delete(reply.id);
      metrics.pipeline.repliesInFlight.dec();
    }
  }

  const group = 'chat-worker';
  const subscription: EventSubscription = await bus.subscribe({
    topic: Topics.chatMessageRequested,
    group,
    concurrency: options.concurrency,
    // The reply's own span, in the request's trace (from the outbox row through Kafka's headers).
    handle: (event) =>
      inSpan(
        'chat.reply generate',
        { attributes: { 'parley.message_id': event.payload.assistantMessageId, 'gen_ai.request.model': event.payload.model } },
        () => handle(event.payload),
      ),
  });

  return {
    async stop() {
      await subscription.stop();
      await stopListening();
    },
  };
}
