export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Outcomes older than this are forgotten. */
  windowMs: number;
  /** Never open on fewer failures than this in the window. */
  minimumFailures: number;
  /** Open when at least this share of the window's outcomes failed. */
  failureRatio: number;
  /** How long it stays open before letting one probe through. */
  openMs: number;
}

export const defaultCircuitOptions: CircuitBreakerOptions = { windowMs: 30_000, minimumFailures: 5, failureRatio: 0.5, openMs: 10_000 };

/**
 * One deployment's circuit: closed while it mostly works; open (skipped) after
 * too many failures; half-open after a pause, letting exactly one request test
 * it — success closes it, failure opens it again.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions = defaultCircuitOptions, now: () => number = Date.now) {
  let outcomes: { at: number; ok: boolean }[] = [];
  let openedAt: number | null = null;
  let probing = false;

  const prune = () => {
    const horizon = now() - options.windowMs;
    outcomes = outcomes.filter((o) => o.at >= horizon);
  };

  return {
    state(): CircuitState {
      if (openedAt === null) return 'closed';
      return now() - openedAt >= options.openMs ? 'half-open' : 'open';
    },
    /** Whether a request may go to this deployment now; in half-open, only the first caller gets through. */
    tryAcquire(): boolean {
      const state = this.state();
      if (state === 'closed') return true;
      if (state === 'open' || probing) return false;
      probing = true;
      return true;
    },
    success(): void {
      if (openedAt !== null) {
        openedAt = null;
        outcomes = [];
      }
      probing = false;
      outcomes.push({ at: now(), ok: true });
      prune();
    },
    failure(): void {
      if (openedAt !== null) {
        // The probe failed: wait another full period.
        openedAt = now();
        probing = false;
        return;
      }
      outcomes.push({ at: now(), ok: false });
      prune();
      const failures = outcomes.filter((o) => !o.ok).length;
      if (failures >= options.minimumFailures && failures / outcomes.length >= options.failureRatio) openedAt = now();
    },
    /** A request that neither proved nor disproved the deployment (the client went away). */
    release(): void {
      probing = false;
    },
  };
}

export type CircuitBreaker = ReturnType<typeof createCircuitBreaker>;
