import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from '../src/routing/circuit-breaker';

describe('a deployment’s circuit breaker', () => {
  const options = { windowMs: 10_000, minimumFailures: 3, failureRatio: 0.5, openMs: 1_000 };

  it('opens after enough failures, then lets exactly one probe through when half-open', () => {
    let now = 0;
    const breaker = createCircuitBreaker(options, () => now);
    const early = breaker.tryAcquire();
    for (let i = 0; i < 3; i++) breaker.failure(breaker.tryAcquire() as { probe: boolean });
    expect(breaker.state()).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);

    now += 1_000;
    expect(breaker.state()).toBe('half-open');
    const probe = breaker.tryAcquire();
    expect(probe).toEqual({ probe: true });
    expect(breaker.tryAcquire()).toBe(false);
    // A request admitted before the circuit opened finishing late decides nothing.
    breaker.success(early as { probe: boolean });
    expect(breaker.state()).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(false);

    breaker.success(probe as { probe: boolean });
    expect(breaker.state()).toBe('closed');
    expect(breaker.tryAcquire()).toEqual({ probe: false });
  });

  it('opens again for a full period when the probe fails, and frees the probe slot when it is abandoned', () => {
    let now = 0;
    const breaker = createCircuitBreaker(options, () => now);
    for (let i = 0; i < 3; i++) breaker.failure({ probe: false });
    now += 1_000;
    const abandoned = breaker.tryAcquire() as { probe: boolean };
    breaker.release(abandoned);
    const probe = breaker.tryAcquire() as { probe: boolean };
    expect(probe.probe).toBe(true);
    breaker.failure(probe);
    expect(breaker.state()).toBe('open');
    now += 999;
    expect(breaker.state()).toBe('open');
    now += 1;
    expect(breaker.state()).toBe('half-open');
  });

  it('stays closed while failures are a minority of recent requests', () => {
    const breaker = createCircuitBreaker(options, () => 0);
    for (let i = 0; i < 10; i++) breaker.success({ probe: false });
    for (let i = 0; i < 4; i++) breaker.failure({ probe: false });
    expect(breaker.state()).toBe('closed');
  });
});
