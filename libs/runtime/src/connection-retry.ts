import { systemTimers, type Timers } from './clock';

/**
 * How a call to another service failed, as far as retrying it goes:
 *
 * - `not-sent`: no connection was ever made (refused, no route, the name not
 *   resolving while a container restarts), so the request never left: any
 *   request may be sent again, a mutation too.
 * - `maybe-sent`: the connection broke before an answer came (reset, hang-up,
 *   broken pipe). The peer may have read the request and acted on it, so only
 *   a request that can run twice (a read) may be sent again.
 * - null: anything else (a timeout, an abort, an answer): not a connection failure.
 */
export type ConnectionFailure = 'not-sent' | 'maybe-sent';

const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** Reads node-fetch's `code`, node:http's, and undici's (`fetch failed` with the system error as its cause, or an AggregateError of one per address). */
export function connectionFailureOf(error: unknown): ConnectionFailure | null {
  const codes: string[] = [];
  const pending: unknown[] = [error];
  for (let depth = 0; pending.length > 0 && depth < 8; depth++) {
    const next = pending.shift();
    if (!next || typeof next !== 'object') continue;
    const code = (next as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    if (next instanceof AggregateError) pending.push(...next.errors);
    pending.push((next as { cause?: unknown }).cause);
  }
  if (codes.some((code) => MAYBE_SENT.has(code))) return 'maybe-sent';
  return codes.some((code) => NOT_SENT.has(code)) ? 'not-sent' : null;
}

/** Whether a failed call may be sent again: always when it never left, and only when it can run twice when it may have. */
export function mayRetryConnectionFailure(error: unknown, { idempotent }: { idempotent: boolean }): boolean {
  const failure = connectionFailureOf(error);
  return failure === 'not-sent' || (failure === 'maybe-sent' && idempotent);
}

export interface BackoffPolicy {
  /** Retries start only while this much time has not passed since the first attempt. */
  budgetMs: number;
  /** The first wait; each next one doubles, up to `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** In [0, 1): each wait is between half and all of its step, so that many callers do not come back in step. */
  random?: () => number;
  now?: () => number;
}

/**
 * The waits between attempts of one call: `next()` is how long to wait before
 * the next attempt, or null when that attempt would start after the budget
 * (the caller gives up and reports the last failure).
 */
export function startBackoff({ budgetMs, firstDelayMs = 50, maxDelayMs = 1000, random = Math.random, now = Date.now }: BackoffPolicy): {
  next(): number | null;
  attempts(): number;
} {
  const started = now();
  let retries = 0;
  return {
    next() {
      const step = Math.min(maxDelayMs, firstDelayMs * 2 ** retries);
      const delay = Math.round(step / 2 + (random() * step) / 2);
      if (now() + delay - started > budgetMs) return null;
      retries++;
      return delay;
    },
    attempts: () => retries + 1,
  };
}

/** Waits `ms` on `timers`; rejects with the signal's reason as soon as it aborts. */
export function waitFor(ms: number, { signal, timers = systemTimers }: { signal?: AbortSignal; timers?: Timers } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      timers.clearTimeout(handle);
      reject(signal!.reason);
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface ConnectionRetryOptions extends BackoffPolicy {
  /** True when the request can run twice (a read): then a connection broken after it was sent is retried too. */
  idempotent: boolean;
  /** Ends the waiting (a deadline, a caller who left): the abort's reason is thrown. */
  signal?: AbortSignal;
  timers?: Timers;
  /** Told of each failure about to be retried (a log line). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Calls `attempt` until it succeeds, retrying connection failures the request
 * survives (`mayRetryConnectionFailure`) with a jittered, doubling backoff for
 * as long as the budget lasts; any other failure, or the last one, is thrown
 * as it came. A service restarting behind the callee's address is then
 * waited for instead of reported.
 */
export async function retryConnectionFailures<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  { idempotent, signal, timers = systemTimers, onRetry, ...policy }: ConnectionRetryOptions,
): Promise<T> {
  const backoff = startBackoff(policy);
  for (;;) {
    try {
      return await attempt(backoff.attempts());
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!mayRetryConnectionFailure(error, { idempotent })) throw error;
      const delay = backoff.next();
      if (delay === null) throw error;
      onRetry?.(error, backoff.attempts() - 1, delay);
      await waitFor(delay, { ...(signal && { signal }), timers });
    }
  }
}

/** Methods whose request may run twice with the same effect (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * A `fetch` for calls to another Parley service that waits out its restarts:
 * connection failures are retried per `retryConnectionFailures` (a request of
 * an idempotent method also after a broken connection) for `budgetMs`, and the
 * call's own signal (its timeout) bounds the whole. A streamed body cannot be
 * sent twice, so such a call is never retried.
 */
export function retryingFetch({
  budgetMs,
  fetch: base = globalThis.fetch,
  onRetry,
}: {
  budgetMs: number;
  fetch?: typeof globalThis.fetch;
  onRetry?: ConnectionRetryOptions['onRetry'];
}): typeof globalThis.fetch {
  return (input, init) => {
    if (init?.body instanceof ReadableStream || (input instanceof Request && input.body)) return base(input, init);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    return retryConnectionFailures(() => base(input, init), {
      idempotent: IDEMPOTENT_METHODS.has(method),
      budgetMs,
      ...(init?.signal ? { signal: init.signal } : {}),
      ...(onRetry ? { onRetry } : {}),
    });
  };
}
