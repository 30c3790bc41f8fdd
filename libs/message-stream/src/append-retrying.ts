import { UpstreamUnavailableError } from '@parley/errors';
import { systemTimers, waitFor, type Timers } from '@parley/runtime';
import type { MessageStreamEvent } from './message-stream-event';
import { SeqConflictError, type MessageStreamLog } from './message-stream-log';

/** The waits between tries: short at first (a blip), never more than a second once Redis is back. */
const FIRST_RETRY_MS = 50;
const LONGEST_RETRY_MS = 1_000;

/**
 * The reply's events could not be stored for as long as the writer was
 * allowed to wait: what the reply fails with (retriable, the code the
 * errors table gives UPSTREAM_UNAVAILABLE), in words for the person who asked.
 */
export class MessageStreamUnavailableError extends UpstreamUnavailableError {
  constructor(
    readonly budgetMs: number,
    options?: ErrorOptions,
  ) {
    const during = budgetMs > 0 ? ` for ${Number((budgetMs / 1_000).toFixed(1))} s` : '';
    super(`The reply could not be delivered: the message stream store (Redis) was unreachable${during}. Ask again.`, {}, options);
  }
}

export type AppendEvents = (events: MessageStreamEvent[]) => Promise<void>;

/**
 * `log.append`, tried again through an outage of the store for up to
 * `budgetMs` (0: once): a Redis restart of a few seconds then delays a reply
 * instead of failing it. Retrying is safe even when a failed try did store the
 * events (the answer was lost with the connection), because the log skips an
 * event it already holds exactly as sent. `SeqConflictError` (another writer's
 * event at that seq) is never retried. Rejects with
 * `MessageStreamUnavailableError` once the budget is spent; the caller then
 * does not know whether those events were stored.
 */
export function appendRetrying(
  log: MessageStreamLog,
  {
    budgetMs,
    timers = systemTimers,
    now = () => performance.now(),
    onRetry,
  }: {
    budgetMs: number;
    timers?: Timers;
    now?: () => number;
    /** Told of each failed try that will be tried again (1 for the first retry). */
    onRetry?: (error: unknown, retry: number) => void;
  },
): AppendEvents {
  return async (events) => {
    const started = now();
    for (let retry = 1; ; retry++) {
      try {
        await log.append(events);
        return;
      } catch (error) {
        if (error instanceof SeqConflictError) throw error;
        const left = budgetMs - (now() - started);
        if (left <= 0) throw new MessageStreamUnavailableError(budgetMs, { cause: error });
        onRetry?.(error, retry);
        // The last wait ends at the budget, so the last try comes when it runs out, not a second before.
        const wait = Math.min(left, FIRST_RETRY_MS * 2 ** (retry - 1), LONGEST_RETRY_MS);
        await waitFor(wait, { timers });
      }
    }
  };
}
