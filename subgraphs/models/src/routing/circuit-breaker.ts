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
    /**
     * Whether a request may go to this deployment now: a permit, or false. In half-open only one caller gets a
     * permit, marked as the probe; only the probe's outcome decides whether the circuit closes or opens again.
     */
    tryAcquire(): false | Permit {
      const state = this.state();
      if (state === 'closed') return { probe: false };
      if (state === 'open' || probing) return false;
      probing = true;
      return { probe: true };
    },
    success(permit: Permit): void {
      if (permit.probe) {
        probing = false;
        openedAt = null;
        outcomes = [];
      }
      if (openedAt !== null) return;
      outcomes.push({ at: now(), ok: true });
      prune();
    },
    failure(permit: Permit): void {
      if (permit.probe) {
        // The probe failed: wait another full period.
        probing = false;
        openedAt = now();
        return;
      }
      // Requests admitted before the circuit opened may still fail late; they do not extend the pause.
      if (openedAt !== null) return;
      outcomes.push({ at: now(), ok: false });
      prune();
      const failures = outcomes.filter((o) => !o.ok).length;
      if (failures >= options.minimumFailures && failures / outcomes.length >= options.failureRatio) openedAt = now();
    },
    /** A request that neither proved nor disproved the deployment (the client went away, the request was bad). */
    release(permit: Permit): void {
      if (permit.probe) probing = false;
    },
  };
}

export type CircuitBreaker = ReturnType<typeof createCircuitBreaker>;

/** Leave to send one request; `probe` marks the single trial request of a half-open circuit. */
export interface Permit {
  probe: boolean;
}
