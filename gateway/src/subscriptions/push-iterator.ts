export interface PushIterator<T> {
  iterator: AsyncIterableIterator<T>;
  /** Queues a value for the consumer (ignored once ended). */
  push(value: T): void;
  /** No more values: the consumer gets what is queued, then done. */
  end(): void;
}

/**
 * An async iterator fed from outside (by callbacks), with a `return()` that
 * takes effect at once. An async generator would queue `return()` behind a
 * `next()` waiting for the next event, so a subscriber leaving a quiet stream
 * would hold its resources until something arrived; here a waiting `next()`
 * resolves done and `onReturn` releases them immediately.
 */
export function createPushIterator<T>({ onReturn }: { onReturn: () => Promise<void> }): PushIterator<T> {
  const queued: T[] = [];
  const waiting: ((result: IteratorResult<T>) => void)[] = [];
  let ended = false;
  const done = (): IteratorResult<T> => ({ value: undefined, done: true });

  const end = () => {
    if (ended) return;
    ended = true;
    for (const resolve of waiting.splice(0)) resolve(done());
  };
  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (queued.length > 0) return Promise.resolve({ value: queued.shift()!, done: false });
      if (ended) return Promise.resolve(done());
      return new Promise((resolve) => waiting.push(resolve));
    },
    async return() {
      queued.length = 0;
      end();
      await onReturn();
      return done();
    },
    async throw(error: unknown) {
      await iterator.return!();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return {
    iterator,
    push(value) {
      if (ended) return;
      const resolve = waiting.shift();
      if (resolve) resolve({ value, done: false });
      else queued.push(value);
    },
    end,
  };
}
