import { eventsOfActiveSpan } from '@parley/telemetry';
import { ContentBlockedError, ErrorCode, fromOpenAIError, ParleyError, UpstreamUnavailableError } from '@parley/errors';
import { appendRetrying, SeqConflictError, type MessageStreamEvent, type MessageStreamLog } from '@parley/message-stream';
import type { Moderator } from '@parley/moderation';
import { systemTimers, waitFor, type Logger, type Timers } from '@parley/runtime';
import OpenAI from 'openai';
import { describeCategory } from '../content-moderation';
import type { Turn } from './context-window';
import { createDeltaCoalescer } from './delta-coalescer';
import { isModelsConnectionFailure, ModelsUnreachableError, type ModelsOutage } from './models-outage';

/** The reply itself broke the moderation policy while streaming. */
export class BlockedOutput extends ContentBlockedError {
  constructor(readonly category: string) {
    super(
      `The reply was stopped: it contained ${describeCategory(category)}, which this service does not allow. Rephrase the question and ask again.`,
      category,
    );
  }
}

/** A delta of the reply's stream. */
export type StreamDelta = Extract<MessageStreamEvent, { kind: 'delta' }>;

/**
 * What a generation has streamed so far, kept current as it streams: however
 * it ends (completed, cancelled, failed), the reply is stored from this.
 */
export interface GenerationProgress {
  /** The seq of the last event stored in the reply's log: a seq counts only once its event is stored. */
  seq: number;
  /** The text this delivery stored in the log, after the prefix it resumed from. */
  emitted: string;
  /**
   * The delta the log was still being asked to store when appending gave up
   * (its store unreachable for the whole budget): it may or may not be stored.
   * The reply's final event is appended together with it, so either way the
   * log ends up holding it exactly once, and the stored content includes it.
   */
  unconfirmed?: StreamDelta | null;
  /** The model that answered, as the provider names it. */
  model: string | null;
  /** What the output filter found; its redactions are recorded once the reply is stored. */
  findings: { category: string; action: string }[];
}

export interface GenerationJob {
  messageId: string;
  userId: string;
  model: string;
  prompt: Turn[];
  /** Aborted when the reply is cancelled: the generation then rejects with the signal's reason. */
  signal: AbortSignal;
  /** The text subscribers already saw, from an earlier delivery: as many characters of the new generation are skipped. */
  resumeAfter: string;
  progress: GenerationProgress;
  /** This reply's patience with an unreachable models service (shared with the prompt's own calls to it). */
  modelsOutage: ModelsOutage;
  /** Called once when a retriable failure outlasts every attempt (or the models service its budget), before the generation rejects with it. */
  onAttemptsExhausted(failure: ParleyError, attempts: number): Promise<void>;
}

export interface GenerationSettings {
  openai: OpenAI;
  messageStreams: MessageStreamLog;
  moderator: Pick<Moderator, 'outputFilter'>;
  logger: Logger;
  coalesceMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  /** How long an append to the stream log is retried while its store is unreachable before the reply fails. */
  streamAppendRetryMs: number;
  /** Text held for the log while an append waits, beyond which the model's stream is not read (see delta-coalescer.ts). */
  maxBufferedChars?: number;
  /** The backoff's and the coalescing window's time: a test moves it instead of waiting. */
  timers?: Timers;
  now?: () => number;
  /** The backoff's jitter, in [0, 1). */
  random?: () => number;
}

/**
 * Streams one reply from the models service into its log, numbered without
 * gaps from `progress.seq`.
 *
 * The models service: a request that cannot reach it at all (a restart) is
 * tried again for as long as `job.modelsOutage` allows. Another retriable
 * failure before an attempt's first token is tried again after a backoff
 * (doubling from `retryBaseMs`, with jitter), up to `maxAttempts`. After that
 * first token a retry could repeat or rewrite what subscribers saw, so the
 * failure stands.
 *
 * The log: each delta takes the next seq only once it is stored. An append
 * that fails (Redis restarting) is retried for `streamAppendRetryMs`; the
 * deltas that follow wait behind it in order, and past a bound the model's
 * stream is not read until the log takes them. When the store stays away
 * longer, the reply fails with MessageStreamUnavailableError.
 *
 * Rejects with a ParleyError, with the signal's reason when cancelled, or
 * with SeqConflictError when another worker owns the reply.
 */
export function createGeneration({
  openai,
  messageStreams,
  moderator,
  logger,
  coalesceMs,
  maxAttempts,
  retryBaseMs,
  streamAppendRetryMs,
  maxBufferedChars,
  timers = systemTimers,
  now = () => performance.now(),
  random = Math.random,
}: GenerationSettings) {
  return async function generate(job: GenerationJob): Promise<void> {
    const { progress, signal, modelsOutage } = job;
    const append = appendRetrying(messageStreams, {
      budgetMs: streamAppendRetryMs,
      timers,
      now,
      onRetry: (error, retry) => {
        if (retry === 1) logger.warn({ err: error, messageId: job.messageId, seq: progress.seq + 1 }, 'stream log unreachable; retrying');
      },
    });
    /** Attempts that failed in a way that counts against maxAttempts (not an unreachable models service). */
    let failedAttempts = 0;
    // The first delta stored and the reply's end, on the reply's span: the moments a slow reply is judged by.
    const mark = eventsOfActiveSpan();
    for (let attempt = 1; ; attempt++) {
      let streamedThisAttempt = false;
      const filter = moderator.outputFilter();
      // What subscribers already saw (from an earlier delivery, or an earlier attempt) is not sent twice.
      let skip = job.resumeAfter.length + progress.emitted.length;
      const coalescer = createDeltaCoalescer({
        windowMs: coalesceMs,
        now,
        timers,
        ...(maxBufferedChars ? { maxPendingChars: maxBufferedChars } : {}),
        emit: async (text) => {
          const event: StreamDelta = { kind: 'delta', messageId: job.messageId, seq: progress.seq + 1, delta: text };
          try {
            await append([event]);
          } catch (error) {
            if (!(error instanceof SeqConflictError)) progress.unconfirmed = event;
            throw error;
          }
          if (progress.emitted === '' && job.resumeAfter === '') mark('parley.first_delta', { 'parley.seq': event.seq });
          progress.seq = event.seq;
          progress.emitted += text;
        },
      });
      const emit = (text: string) => {
        streamedThisAttempt = true;
        coalescer.push(text);
      };
      try {
        const stream = await openai.chat.completions.create(
          { model: job.model, messages: job.prompt, stream: true, stream_options: { include_usage: true } },
          { signal, headers: { 'x-parley-user-id': job.userId, 'x-parley-message-id': job.messageId } },
        );
        modelsOutage.answered();
        for await (const chunk of stream) {
          if (chunk.model) progress.model = chunk.model;
          let text = chunk.choices[0]?.delta?.content ?? '';
          if (skip > 0) {
            const skipped = Math.min(skip, text.length);
            skip -= skipped;
            text = text.slice(skipped);
          }
          if (text) {
            // Nothing reaches subscribers before moderation has seen it whole: a span that may still grow into a match is held back.
            const screened = filter.push(text);
            progress.findings.push(...screened.findings);
            if (screened.blocked) throw new BlockedOutput(screened.blocked.category);
            if (screened.emit) emit(screened.emit);
          }
          // The log is behind (its store unreachable): stop reading until it has taken what is held.
          await coalescer.room();
          if (coalescer.failed()) break;
        }
        if (!signal.aborted && !coalescer.failed()) {
          const rest = filter.end();
          progress.findings.push(...rest.findings);
          if (rest.blocked) throw new BlockedOutput(rest.blocked.category);
          if (rest.emit) emit(rest.emit);
        }
        await coalescer.flush();
        // The SDK ends an aborted stream quietly: a cancelled reply is not a completed one.
        if (signal.aborted) throw signal.reason;
        return;
      } catch (error) {
        // What the model sent before this is stored (or given up on) before the reply ends or is tried again.
        await coalescer.flush().catch(() => undefined);
        const logFailure = coalescer.failed();
        if (logFailure instanceof SeqConflictError) throw logFailure;
        if (signal.aborted) throw signal.reason;
        if (error instanceof BlockedOutput) throw error;
        // The log could not take the reply: that, not what the model did meanwhile, is why it ends.
        if (logFailure !== undefined) throw classify(logFailure);
        const failure = classify(error);
        if (!failure.retriable) throw failure;
        // The models service went away (refused, or its stream cut by a restart), or said it starts nothing now
        // (OVERLOADED: draining for a restart, or at capacity; nothing ran): wait for it and ask again. A cut stream
        // is resumed after what subscribers saw (`skip`), as a redelivered reply is after a worker crash.
        if (isModelsConnectionFailure(error) || failure.code === ErrorCode.OVERLOADED) {
          logger.warn({ err: error, messageId: job.messageId, attempt }, 'models service unreachable; retrying');
          try {
            await modelsOutage.wait(error, signal);
          } catch (gaveUp) {
            if (gaveUp instanceof ModelsUnreachableError) await job.onAttemptsExhausted(gaveUp, attempt);
            throw gaveUp;
          }
          continue;
        }
        // Any other failure only before this attempt's first token: a retry must not repeat or rewrite what was streamed.
        if (streamedThisAttempt) throw failure;
        failedAttempts++;
        if (failedAttempts >= maxAttempts) {
          await job.onAttemptsExhausted(failure, attempt);
          throw failure;
        }
        logger.warn({ err: error, messageId: job.messageId, attempt }, 'reply attempt failed; retrying');
        const delay = retryBaseMs * 2 ** (failedAttempts - 1) * (0.5 + random());
        await waitFor(delay, { signal, timers });
      }
    }
  };
}

export type Generate = ReturnType<typeof createGeneration>;

/**
 * Why an attempt ended, as a ParleyError: the models service's OpenAI-style
 * answers are read back through the errors table's OpenAI dialect.
 */
export function classify(error: unknown): ParleyError {
  if (error instanceof ParleyError) return error;
  // Before APIError: a connection failure is one of its subclasses.
  if (error instanceof OpenAI.APIConnectionError) return new UpstreamUnavailableError('The models service could not be reached.');
  if (error instanceof OpenAI.APIError) return fromOpenAIError(error);
  // The SDK passes a stream cut mid-reply on as the socket's own error ("terminated").
  if (isModelsConnectionFailure(error)) return new UpstreamUnavailableError('The connection to the models service broke during the reply.');
  return new UpstreamUnavailableError(`The reply was interrupted: ${(error as Error)?.message ?? String(error)}.`);
}
