/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts. The
 * listener goes when the wait ends either way: a stream waits once per token on
 * its request's one signal, and listeners left behind piled up on it
 * (MaxListenersExceededWarning past ten).
 */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
