import type { Sql } from '@parley/database';
import { ErrorCode } from '@parley/errors';
import { Topics, type ChatMessageRequested, type EventBus, type EventSubscription } from '@parley/events';
import { SeqConflictError, type MessageStreamEvent, type MessageStreamLog } from '@parley/message-stream';
import type { Clock, Logger } from '@parley/runtime';
import OpenAI from 'openai';
import type { CancelSignals } from '../replies/cancel-signals';
import { createReplyOutcomes } from '../replies/reply-outcome';
import { createReplyStore, type Reply, type ReplyOutcome } from '../replies/reply-store';
import { describeCategory, uniqueCategories, type ContentModeration } from '../content-moderation';
import { fitToContextWindow, type Turn } from './context-window';
import { titleFromFirstMessage } from '../conversation-titles';
import { createDeltaCoalescer } from './delta-coalescer';
import type { ModelDirectory } from '../model-directory';
import { NEW_CONVERSATION_TITLE } from '../send-message';

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
  /** Tokens kept free in the context window for the reply. */
  replyReserve?: number;
  /** Screens the prompt before any model call and the reply as it streams. */
  moderation: ContentModeration;
}

export interface ChatWorker {
  stop(): Promise<void>;
}

/** How a generation ended, when it did not complete. */
class GenerationFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

/** The reply itself broke the moderation policy while streaming. */
class BlockedOutput extends GenerationFailure {
  constructor(readonly category: string) {
    super(
      ErrorCode.CONTENT_BLOCKED,
      `The reply was stopped: it contained ${describeCategory(category)}, which this service does not allow. Rephrase the question and ask again.`,
      false,
    );
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
 */
export async function startChatWorker(options: ChatWorkerOptions): Promise<ChatWorker> {
  const { sql, bus, messageStreams, cancelSignals, models, clock, logger, moderation } = options;
  const openai = new OpenAI({ baseURL: options.modelsApiUrl, apiKey: options.internalToken, maxRetries: 0, timeout: 120_000 });
  const running = new Map<string, AbortController>();
  const stopListening = await cancelSignals.listen((messageId) => running.get(messageId)?.abort(new CancelRequested()));
  const replies = createReplyStore({ sql, clock });
  const outcomes = createReplyOutcomes({ replies, messageStreams, bus, clock });

  /** The branch the reply answers as turns: questions, and the earlier replies that have content to show. */
  async function loadBranch(reply: Reply): Promise<Turn[]> {
    const rows = await replies.branchOf(reply);
    return rows
      .filter((r) => r.role !== 'ASSISTANT' || ((r.status === 'COMPLETED' || r.status === 'CANCELLED') && r.content !== ''))
      .map((r) => ({ role: r.role.toLowerCase() as Turn['role'], content: r.content }));
  }

  /** Ends the reply (see reply-outcome.ts); the first completed reply of a conversation names it. */
  async function finish(
    request: ChatMessageRequested,
    reply: Reply,
    outcome: ReplyOutcome,
    /** The question, when this reply answers a conversation's first one (the conversation is named after it). */
    firstQuestion: string | null = null,
  ): Promise<void> {
    // Named before the reply reads as finished, so whoever sees it COMPLETED (or its final event) sees the title too.
    if (outcome.status === 'COMPLETED' && firstQuestion !== null) await nameConversation(reply.conversationId, firstQuestion);
    await outcomes.settle(reply, outcome, { userId: request.userId, translateTo: request.translateTo });
  }

  /** The first reply names a conversation nobody named (or renamed): from its first question. */
  async function nameConversation(conversationId: string, question: string) {
    await sql.raw(
      `update "chat"."conversation" set title = ?, title_generated = true where id = ? and title_generated = false and title = ?`,
      [titleFromFirstMessage(question), conversationId, NEW_CONVERSATION_TITLE],
    );
  }

  /**
   * The prompt as the model will see it, screened: the new question with every
   * check (provider included), earlier turns with the local rules (they were
   * screened when sent, but the policy may have tightened since). A blocked
   * prompt is never sent to any model.
   */
  async function screenPrompt(request: ChatMessageRequested, turns: Turn[]): Promise<Turn[]> {
    const lastUser = turns.map((t) => t.role).lastIndexOf('user');
    const screened: Turn[] = [];
    for (const [i, turn] of turns.entries()) {
      if (turn.role !== 'user') {
        screened.push(turn);
        continue;
      }
      const result = i === lastUser ? await moderation.moderator.check(turn.content) : moderation.moderator.checkLocal(turn.content);
      if (result.blocked) {
        await moderation.flags.record([
          {
            userId: request.userId,
            conversationId: request.conversationId,
            messageId: request.userMessageId,
            direction: 'INPUT',
            category: result.blocked.category,
            action: 'block',
          },
        ]);
        throw new GenerationFailure(
          ErrorCode.CONTENT_BLOCKED,
          `No reply: the conversation contains ${describeCategory(result.blocked.category)}, which this service does not accept. Edit the message and ask again.`,
          false,
        );
      }
      screened.push({ ...turn, content: result.text });
    }
    return screened;
  }

  const blockedOutput = (category: string) => new BlockedOutput(category);

  async function recordOutputRedactions(
    request: ChatMessageRequested,
    messageId: string,
    findings: { category: string; action: string }[],
  ) {
    const redacted = uniqueCategories(findings.filter((f) => f.action === 'redact'));
    await moderation.flags.record(
      redacted.map((category) => ({
        userId: request.userId,
        conversationId: request.conversationId,
        messageId,
        direction: 'OUTPUT' as const,
        category,
        action: 'redact' as const,
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
    const priorDeltas = prior.filter((e): e is Extract<MessageStreamEvent, { kind: 'delta' }> => e.kind === 'delta');
    const priorText = priorDeltas.map((e) => e.delta).join('');
    const priorFinal = prior.find((e) => e.kind !== 'delta');
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
    let seq = prior.at(-1)?.seq ?? 0;
    let emitted = '';
    let modelUsed = request.model;
    let firstQuestion: string | null;
    const outputFindings: { category: string; action: string }[] = [];
    try {
      const model = await models.require(request.model ?? '', request.userId).catch((error: Error) => {
        throw new GenerationFailure(ErrorCode.BAD_USER_INPUT, error.message, false);
      });
      const branch = await loadBranch(reply);
      firstQuestion = branch.length === 1 && branch[0]!.role === 'user' ? branch[0]!.content : null;
      const turns = fitToContextWindow(branch, model.contextWindow, Math.min(options.replyReserve ?? 1_024, model.contextWindow / 4));
      if (!turns) {
        throw new GenerationFailure(
          ErrorCode.BAD_USER_INPUT,
          `The message does not fit the context window of "${model.id}" (${model.contextWindow} tokens). Shorten it.`,
          false,
        );
      }
      const prompt = await screenPrompt(request, turns);
      for (let attempt = 1; ; attempt++) {
        const emittedBefore = emitted.length;
        const filter = moderation.moderator.outputFilter();
        // What subscribers already saw (from an earlier delivery, or an earlier attempt) is not sent twice.
        let skip = priorText.length + emitted.length;
        const coalescer = createDeltaCoalescer({
          windowMs: options.coalesceMs,
          emit: async (text) => {
            seq++;
            await messageStreams.append([{ kind: 'delta', messageId: reply.id, seq, delta: text }]);
          },
        });
        try {
          const stream = await openai.chat.completions.create(
            { model: model.id, messages: prompt, stream: true, stream_options: { include_usage: true } },
            { signal: controller.signal, headers: { 'x-parley-user-id': request.userId, 'x-parley-message-id': reply.id } },
          );
          for await (const chunk of stream) {
            if (chunk.model) modelUsed = chunk.model;
            let text = chunk.choices[0]?.delta?.content ?? '';
            if (skip > 0) {
              const skipped = Math.min(skip, text.length);
              skip -= skipped;
              text = text.slice(skipped);
            }
            if (text) {
              // Nothing reaches subscribers before moderation has seen it whole: a span that may still grow into a match is held back.
              const screened = filter.push(text);
              outputFindings.push(...screened.findings);
              if (screened.blocked) throw blockedOutput(screened.blocked.category);
              if (screened.emit) {
                emitted += screened.emit;
                coalescer.push(screened.emit);
              }
            }
            if (coalescer.failed()) break;
          }
          if (!controller.signal.aborted && !coalescer.failed()) {
            const rest = filter.end();
            outputFindings.push(...rest.findings);
            if (rest.blocked) throw blockedOutput(rest.blocked.category);
            if (rest.emit) {
              emitted += rest.emit;
              coalescer.push(rest.emit);
            }
          }
          await coalescer.flush();
          // The SDK ends an aborted stream quietly: a cancelled reply is not a completed one.
          if (controller.signal.aborted) throw controller.signal.reason;
          break;
        } catch (error) {
          await coalescer.flush().catch(() => undefined);
          if (coalescer.failed() instanceof SeqConflictError) throw coalescer.failed();
          if (controller.signal.aborted) throw controller.signal.reason;
          const failure = classify(error);
          // Only before this attempt's first token: a retry must not repeat or rewrite what was streamed.
          if (!failure.retriable || emitted.length > emittedBefore || attempt >= options.maxAttempts) {
            if (failure.retriable && attempt >= options.maxAttempts) {
              await bus.publish(Topics.chatMessageRequestedDeadLetter, request.conversationId, {
                ...request,
                reason: failure.message,
                attempts: attempt,
              });
            }
            throw failure;
          }
          logger.warn({ err: error, messageId: reply.id, attempt }, 'reply attempt failed; retrying');
          const delay = options.retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random());
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
      await finish(
        request,
        reply,
        { status: 'COMPLETED', content: priorText + emitted, model: modelUsed, lastSeq: seq + 1 },
        firstQuestion,
      );
      await recordOutputRedactions(request, reply.id, outputFindings);
    } catch (error) {
      if (error instanceof SeqConflictError) {
        logger.warn({ messageId: reply.id }, 'another worker is streaming this reply; leaving it');
        return;
      }
      if (error instanceof CancelRequested) {
        await finish(request, reply, { status: 'CANCELLED', content: priorText + emitted, model: modelUsed, lastSeq: seq + 1 });
        return;
      }
      const failure = error instanceof GenerationFailure ? error : classify(error);
      logger.warn({ err: error, messageId: reply.id, code: failure.code }, 'reply failed');
      const blocked = failure.code === ErrorCode.CONTENT_BLOCKED;
      await finish(request, reply, {
        status: 'FAILED',
        // A blocked reply keeps nothing: not the blocked span, nor the text that led up to it.
        content: blocked ? '' : priorText + emitted,
        model: modelUsed,
        lastSeq: seq + 1,
        code: failure.code,
        reason: failure.message,
      });
      if (failure instanceof BlockedOutput) {
        await moderation.flags.record([
          {
            userId: request.userId,
            conversationId: request.conversationId,
            messageId: reply.id,
            direction: 'OUTPUT',
            category: failure.category,
            action: 'block',
          },
        ]);
      }
    } finally {
      running.delete(reply.id);
    }
  }

  const subscription: EventSubscription = await bus.subscribe({
    topic: Topics.chatMessageRequested,
    group: 'chat-worker',
    concurrency: options.concurrency,
    handle: (event) => handle(event.payload),
  });

  return {
    async stop() {
      await subscription.stop();
      await stopListening();
    },
  };
}

class CancelRequested extends Error {
  constructor() {
    super('cancelled by its owner');
  }
}

/** The models service's answers, as the client sees them: its OpenAI-style error codes back to Parley's. */
function classify(error: unknown): GenerationFailure {
  if (error instanceof GenerationFailure) return error;
  if (error instanceof OpenAI.APIConnectionError) {
    return new GenerationFailure(ErrorCode.UPSTREAM_UNAVAILABLE, 'The models service could not be reached.', true);
  }
  if (error instanceof OpenAI.APIError) {
    const code = (error.code ?? '') as string;
    const message = (error.error as { message?: string } | undefined)?.message ?? error.message;
    if (code === 'budget_exceeded') return new GenerationFailure(ErrorCode.BUDGET_EXCEEDED, message, false);
    if (code === 'content_blocked') return new GenerationFailure(ErrorCode.CONTENT_BLOCKED, message, false);
    if (error.status === 429) return new GenerationFailure(ErrorCode.RATE_LIMITED, message, true);
    if (error.status !== undefined && error.status >= 500) return new GenerationFailure(ErrorCode.UPSTREAM_UNAVAILABLE, message, true);
    if (error.status === 400 || error.status === 404) return new GenerationFailure(ErrorCode.BAD_USER_INPUT, message, false);
    return new GenerationFailure(ErrorCode.INTERNAL_SERVER_ERROR, message, false);
  }
  return new GenerationFailure(
    ErrorCode.UPSTREAM_UNAVAILABLE,
    `The reply was interrupted: ${(error as Error)?.message ?? String(error)}.`,
    true,
  );
}
