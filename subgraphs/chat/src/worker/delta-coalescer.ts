import { systemTimers, type Timers } from '@parley/runtime';

/**
 * Joins deltas that arrive within `windowMs` of the last emitted one into one
 * event, so a fast model does not send subscribers one frame per token. The
 * first delta after a quiet spell leaves at once (no added latency to the
 * first token); emits run one at a time, in order. `now` and `timers` are the
 * window's time: a test moves both instead of racing a few milliseconds.
 */
export function createDeltaCoalescer({
  windowMs,
  emit,
  now = () => performance.now(),
  timers = systemTimers,
}: {
  windowMs: number;
  emit: (text: string) => Promise<void>;
  now?: () => number;
  timers?: Timers;
}) {
  let pending = '';
  let timer: unknown;
  let lastEmit = -Infinity;
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;

  const send = () => {
    timers.clearTimeout(timer);
    timer = undefined;
    if (pending === '') return;
    const text = pending;
    pending = '';
    lastEmit = now();
    chain = chain.then(() => emit(text)).catch((error: unknown) => void (failure ??= error));
  };

  return {
    push(text: string) {
      if (text === '') return;
      pending += text;
      if (timer) return;
      const wait = lastEmit + windowMs - now();
      if (wait <= 0) send();
      else timer = timers.setTimeout(send, wait);
    },
    /** Emits what is pending and resolves when every emit finished; rejects with the first emit failure. */
    async flush(): Promise<void> {
      send();
      await chain;
      if (failure !== undefined) throw failure;
    },
    /** The first emit failure so far, if any (the caller stops reading upstream). */
    failed(): unknown {
      return failure;
    },
  };
}
