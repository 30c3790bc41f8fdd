import { createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker';

/**
 * What the router knows about one deployment right now: its circuit, how many
 * requests it is serving, how fast it answers, and what the last health check
 * said. Per process: each models replica judges its upstreams for itself.
 */
export interface DeploymentState {
  breaker: CircuitBreaker;
  inFlight: number;
  /** Exponential moving average of time to first token, ms; null until measured. */
  ttftMs: number | null;
  healthy: boolean;
  lastHealthError: string | null;
  /** Retry-After from the provider: not tried again before this time (ms since epoch). */
  coolingUntil: number;
}

const ALPHA = 0.3;

/** `now` is the service's clock (ms since epoch): the circuits' windows and pauses run on it. */
export function createDeploymentStates(ids: string[], circuit?: CircuitBreakerOptions, now: () => number = Date.now) {
  const states = new Map<string, DeploymentState>(
    ids.map((id) => [
      id,
      { breaker: createCircuitBreaker(circuit, now), inFlight: 0, ttftMs: null, healthy: true, lastHealthError: null, coolingUntil: 0 },
    ]),
  );
  return {
    get(id: string): DeploymentState {
      const state = states.get(id);
      if (!state) throw new Error(`No deployment "${id}"`);
      return state;
    },
    recordFirstToken(id: string, ms: number): void {
      const state = this.get(id);
      state.ttftMs = state.ttftMs === null ? ms : ALPHA * ms + (1 - ALPHA) * state.ttftMs;
    },
    /** A deployment that can take traffic: healthy, its circuit not open, not asked to wait. */
    available(id: string, at = now()): boolean {
      const state = this.get(id);
      return state.healthy && state.breaker.state() !== 'open' && state.coolingUntil <= at;
    },
  };
}

export type DeploymentStates = ReturnType<typeof createDeploymentStates>;
