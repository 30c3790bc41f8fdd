/**
 * Polls until `condition` holds or `timeoutMs` passes, and says which: the suite's phases wait for what the
 * clients see (a reply streaming, every client answered again), never for a fixed time, and a phase that
 * times out is reported by the invariants rather than thrown here.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

/** Only for what is a duration by definition: how long an outage lasts, a client's backoff. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
