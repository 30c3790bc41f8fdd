import { UpstreamUnavailableError } from '@parley/errors';
import { connectionFailureOf, systemTimers, waitFor, type Timers } from '@parley/runtime';
import OpenAI from 'openai';

/** The longest wait between two tries: once the models service is back, a reply starts within this. */
const LONGEST_RETRY_MS = 2_000;

/** A reply gave up on the models service after waiting for it for the whole budget. */
export class ModelsUnreachableError extends UpstreamUnavailableError {
  constructor(budgetMs: number, options?: ErrorOptions) {
    super(
      `The models service could not be reached for ${Number((budgetMs / 1_000).toFixed(1))} s, so no reply was generated. Ask again in a moment.`,
      {},
      options,
    );
  }
}

/**
 * The models service is not there: the request never reached it (refused,
 * reset before any answer), or the connection broke mid-reply (its process
 * restarted; the SDK passes on the socket's own error). A timeout is not one
 * of these: that service took the request and then hung.
 */
export function isModelsConnectionFailure(error: unknown): boolean {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return false;
  return error instanceof OpenAI.APIConnectionError || connectionFailureOf(error) !== null;
}

export interface ModelsOutageSettings {
  /** How long a reply waits for the models service to be reachable again before it fails. */
  budgetMs: number;
  /** The first wait between tries; each further one doubles (with jitter), up to 2 s. */
  baseMs: number;
  timers?: Timers;
  now?: () => number;
  /** The jitter, in [0, 1). */
  random?: () => number;
}

/**
 * One reply's patience with an unreachable models service: a restart of the
 * models service (a few seconds) delays the replies that need it instead of
 * failing them. The budget is time, not a count of tries, so it holds however
 * fast a refused connection fails. It starts at the first failure, and
 * starts afresh once the service has answered.
 */
export function createModelsOutage({
  budgetMs,
  baseMs,
  timers = systemTimers,
  now = () => performance.now(),
  random = Math.random,
}: ModelsOutageSettings) {
  let since: number | null = null;
  let retries = 0;

  /** Waits before the next try; rejects with ModelsUnreachableError once the budget is spent, with the signal's reason when aborted. */
  async function wait(cause: unknown, signal?: AbortSignal): Promise<void> {
    since ??= now();
    const left = budgetMs - (now() - since);
    if (left <= 0) throw new ModelsUnreachableError(budgetMs, { cause });
    const delay = Math.min(left, Math.min(LONGEST_RETRY_MS, baseMs * 2 ** retries++) * (0.5 + random()));
    await waitFor(delay, { ...(signal && { signal }), timers });
  }

  /** The models service answered: the outage, if there was one, is over. */
  function answered(): void {
    since = null;
    retries = 0;
  }

  return {
    wait,
    answered,
    /** Runs `call` until it gets past the failures `isOutage` recognises, waiting between tries as `wait` does. */
    async retrying<T>(
      call: () => Promise<T>,
      { isOutage, signal, onRetry }: { isOutage: (error: unknown) => boolean; signal?: AbortSignal; onRetry?: (error: unknown) => void },
    ): Promise<T> {
      for (;;) {
        try {
          const result = await call();
          answered();
          return result;
        } catch (error) {
          if (!isOutage(error) || signal?.aborted) throw error;
          onRetry?.(error);
          await wait(error, signal);
        }
      }
    },
  };
}

export type ModelsOutage = ReturnType<typeof createModelsOutage>;
