import { systemTimers, type Timers } from '@parley/runtime';

/**
 * Joins deltas that arrive within `windowMs` of the last emitted one into one
 * event, so a fast model does not send subscribers one frame per token. The
 * first delta after a quiet spell leaves at once (no added latency to the
 * first token).
 *
 * One emit runs at a time: whatever arrives meanwhile waits in `pending` and
 * leaves as the next event once that emit is done. An emit that takes long
 * (the stream log retrying through an outage) therefore holds the text that
 * follows in order, in one buffer, not in a queue of emits; once that buffer
 * holds `maxPendingChars`, `room()` makes the reader wait, so a long outage
 * stops the reading of the model's stream instead of growing memory or
 * dropping text. After an emit fails, nothing more is emitted.
 *
 * `now` and `timers` are the window's time: a test moves both instead of
 * racing a few milliseconds.
 */
export function createDeltaCoalescer({
  windowMs,
  emit,
  now = () => performance.now(),
  timers = systemTimers,
  maxPendingChars = 64 * 1024,
}: {
  windowMs: number;
  emit: (text: string) => Promise<void>;
  now?: () => number;
  timers?: Timers;
  maxPendingChars?: number;
}) {
  let pending = '';
  let timer: unknown;
  let lastEmit = -Infinity;
  let inFlight: Promise<void> | null = null;
  let failure: unknown;
  /** Readers waiting for the buffer to drain below its bound (or for a failure). */
  let waitingForRoom: (() => void)[] = [];

  const hasRoom = () => failure !== undefined || pending.length < maxPendingChars;
  const wakeReaders = () => {
    if (!hasRoom()) return;
    for (const wake of waitingForRoom) wake();
    waitingForRoom = [];
  };

  const start = () => {
    timers.clearTimeout(timer);
    timer = undefined;
    const text = pending;
    pending = '';
    lastEmit = now();
    inFlight = emit(text)
      .catch((error: unknown) => void (failure ??= error))
      .finally(() => {
        inFlight = null;
        schedule();
        wakeReaders();
      });
  };

  /** Sends what is pending once the window since the last emit has passed and no emit is running. */
  const schedule = () => {
    if (failure !== undefined || inFlight || timer || pending === '') return;
    const wait = lastEmit + windowMs - now();
    if (wait <= 0) start();
    else
      timer = timers.setTimeout(() => {
        timer = undefined;
        schedule();
      }, wait);
  };

  return {
    push(text: string) {
      if (text === '' || failure !== undefined) return;
      pending += text;
      schedule();
    },
    /** Resolves at once while the buffer has room; otherwise when an emit has taken what it holds, or failed. */
    room(): Promise<void> | undefined {
      if (hasRoom()) return undefined;
      return new Promise((resolve) => waitingForRoom.push(resolve));
    },
    /** Emits what is pending without waiting for the window; resolves when every emit finished, rejects with the first failure. */
    async flush(): Promise<void> {
      for (;;) {
        if (failure !== undefined) throw failure;
        if (!inFlight && pending !== '') start();
        if (!inFlight) return;
        await inFlight;
      }
    },
    /** The first emit failure so far, if any (the caller stops reading upstream). */
    failed(): unknown {
      return failure;
    },
  };
}
