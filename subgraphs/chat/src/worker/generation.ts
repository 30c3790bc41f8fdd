import { ContentBlockedError, fromOpenAIError, ParleyError, UpstreamUnavailableError } from '@parley/errors';
import { SeqConflictError, type MessageStreamLog } from '@parley/message-stream';
import type { Moderator } from '@parley/moderation';
import { systemTimers, type Logger, type Timers } from '@parley/runtime';
import OpenAI from 'openai';
import { describeCategory } from '../content-moderation';
import type { Turn } from './context-window';
import { createDeltaCoalescer } from './delta-coalescer';

/** The reply itself broke the moderation policy while streaming. */
export class BlockedOutput extends ContentBlockedError {
  constructor(readonly category: string) {
    super(
      `The reply was stopped: it contained ${describeCategory(category)}, which this service does not allow. Rephrase the question and ask again.`,
      category,
    );
  }
}

/**
 * What a generation has streamed so far, kept current as it streams: however
 * it ends (completed, cancelled, failed), the reply is stored from this.
 */
export interface GenerationProgress {
  /** The seq of the last event in the reply's log. */
  seq: number;
  /** The text this delivery sent to subscribers, after the prefix it resumed from. */
  emitted: string;
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
  /** Called once when a retriable failure outlasts every attempt, before the generation rejects with it. */
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
  /** The backoff's and the coalescing window's time: a test moves it instead of waiting. */
  timers?: Timers;
  now?: () => number;
  /** The backoff's jitter, in [0, 1). */
  random?: () => number;
}

/**
 * Streams one reply from the models service into its log, numbered without
 * gaps from `progress.seq`. A retriable failure before an attempt's first
 * token is tried again after a backoff (doubling from `retryBaseMs`, with
 * jitter), up to `maxAttempts`; after that first token a retry could repeat or
 * rewrite what subscribers saw, so the failure stands. Rejects with a
 * ParleyError, with the signal's reason when cancelled, or with
 * SeqConflictError when another worker owns the reply.
 */
export function createGeneration({
  openai,
  messageStreams,
  moderator,
  logger,
  coalesceMs,
  maxAttempts,
  retryBaseMs,
  timers = systemTimers,
  now = () => performance.now(),
  random = Math.random,
}: GenerationSettings) {
  return async function generate(job: GenerationJob): Promise<void> {
    const { progress, signal } = job;
    for (let attempt = 1; ; attempt++) {
      const emittedBefore = progress.emitted.length;
      const filter = moderator.outputFilter();
      // What subscribers already saw (from an earlier delivery, or an earlier attempt) is not sent twice.
      let skip = job.resumeAfter.length + progress.emitted.length;
      const coalescer = createDeltaCoalescer({
        windowMs: coalesceMs,
        now,
        timers,
        emit: async (text) => {
          progress.seq++;
          await messageStreams.append([{ kind: 'delta', messageId: job.messageId, seq: progress.seq, delta: text }]);
        },
      });
      const emit = (text: string) => {
        progress.emitted += text;
        coalescer.push(text);
      };
      try {
        const stream = await openai.chat.completions.create(
          { model: job.model, messages: job.prompt, stream: true, stream_options: { include_usage: true } },
          { signal, headers: { 'x-parley-user-id': job.userId, 'x-parley-message-id': job.messageId } },
        );
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
        await coalescer.flush().catch(() => undefined);
        if (coalescer.failed() instanceof SeqConflictError) throw coalescer.failed();
        if (signal.aborted) throw signal.reason;
        const failure = classify(error);
        // Only before this attempt's first token: a retry must not repeat or rewrite what was streamed.
        if (!failure.retriable || progress.emitted.length > emittedBefore || attempt >= maxAttempts) {
          if (failure.retriable && attempt >= maxAttempts) await job.onAttemptsExhausted(failure, attempt);
          throw failure;
        }
        logger.warn({ err: error, messageId: job.messageId, attempt }, 'reply attempt failed; retrying');
        const delay = retryBaseMs * 2 ** (attempt - 1) * (0.5 + random());
        await new Promise<void>((resolve) => timers.setTimeout(resolve, delay));
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
  return new UpstreamUnavailableError(`The reply was interrupted: ${(error as Error)?.message ?? String(error)}.`);
}
